"""Each notebook in nbs/ is a test: nbdev runs its cells (skipping those flagged `notest slow cuda`).

One pytest test per notebook, each in its own process, so a failing notebook is named and one
notebook's threads, memory or globals never leak into the next. Set DCDD_TEST_FLAGS="slow" to also
run the slow cells.
"""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2, f"expected the notebooks under {ROOT/'nbs'}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook(nb):
    # nbdev's test_nb, as nbdev-test runs it, also saving the executed copy for the docs site (artifacts/executed/)
    cmd = [sys.executable, "-m", "dcdd_nb.docs", "execute", str(nb), "--save-to", str(ROOT / "artifacts" / "executed"),
           "--flags", os.environ.get("DCDD_TEST_FLAGS", "")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "MPLBACKEND": "Agg"}
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stdout[-4000:]}\n{r.stderr[-12000:]}"
