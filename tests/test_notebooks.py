"""Each notebook in nbs/ is a test: it runs top to bottom in a fresh Jupyter kernel, as JupyterLab's Run All and
`jupyter nbconvert --execute` run it (nbclient), offline and on the CPU.

Cells that need a download, a GPU or minutes skip themselves there and print why (`dcdd_nb.jupyter`); nbdev's
own runner (`nbdev-test`) still skips them by their flags. One pytest test per notebook, each in its own
process and kernel, so a failing notebook is named and one notebook's threads, memory or globals never leak into
the next. The executed copies are saved for the docs site (artifacts/executed/). DCDD_TEST_FLAGS="slow" also
runs the slow cells (the kernel gets DCDD_RUN=slow).
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
    cmd = [sys.executable, "-m", "dcdd_nb.docs", "execute", str(nb), "--save-to", str(ROOT / "artifacts" / "executed"),
           "--flags", os.environ.get("DCDD_TEST_FLAGS", "")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stdout[-4000:]}\n{r.stderr[-12000:]}"
