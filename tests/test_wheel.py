"""`pip install` works anywhere (issue 20): the wheel carries the bundled data and the job configs, and an installed
wheel finds them.

The wheel is built from a copy of the source tree (so the checkout gets no build/ folder) with this environment's
setuptools (`--no-build-isolation`: offline), installed with `--no-deps --target` into a temporary folder, and run
from a folder outside the repository with that folder first on sys.path, the checkout off it and DCDD_DATA unset;
the dependencies come from this environment. Each run proves that `dcdd_nb` came from the installed wheel.
About 20 s.
"""
import hashlib, importlib.metadata, json, os, shutil, subprocess, sys, zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SHIPPED = ["README.md", "build_fashion_mnist.py", "fashion-mnist-classifier.safetensors", "fashion-mnist/MANIFEST.json",
           *(f"fashion-mnist/{s}-{k}.npy.xz" for s in ("train", "test") for k in ("images", "labels"))]


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{cmd[:4]} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    "The wheel of the working tree, built offline."
    if int(importlib.metadata.version("setuptools").split(".")[0]) < 77:
        pytest.skip("building the wheel offline needs setuptools>=77 in this environment (pyproject.toml's build-system)")
    tmp = tmp_path_factory.mktemp("wheel")
    src, ignore = tmp / "src", shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")
    src.mkdir()
    for name in ("pyproject.toml", "README.md"): shutil.copy(REPO / name, src / name)
    for name in ("dcdd_nb", "data", "configs"): shutil.copytree(REPO / name, src / name, ignore=ignore)
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
          "--disable-pip-version-check", "-w", str(tmp / "dist")])
    (whl,) = (tmp / "dist").glob("dcdd_nb-*.whl")
    return whl


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    "The wheel installed (without its dependencies) into a folder of its own."
    site = tmp_path_factory.mktemp("site")
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--disable-pip-version-check",
          "--target", str(site), str(wheel)])
    return site


def run_installed(site:Path, code:str, cwd:Path) -> subprocess.CompletedProcess:
    "Run `code` with the installed wheel first on sys.path, from `cwd`, with DCDD_DATA unset."
    env = {k: v for k, v in os.environ.items() if k not in ("DCDD_DATA", "PYTHONPATH", "PYTHONSTARTUP")}
    env.update(PYTHONPATH=str(site), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TQDM_DISABLE="1")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_wheel_ships_the_bundled_data(wheel):
    "The data files are in the wheel as `dcdd_nb/bundled/...`, byte for byte the repository's."
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        missing = [f for f in SHIPPED if f"dcdd_nb/bundled/{f}" not in names]
        assert not missing, f"{wheel.name} lacks {missing}"
        for f in SHIPPED: assert z.read(f"dcdd_nb/bundled/{f}") == (DATA / f).read_bytes(), f
        manifest = json.loads(z.read("dcdd_nb/bundled/fashion-mnist/MANIFEST.json"))
        for f, sha in manifest["files"].items():
            assert hashlib.sha256(z.read(f"dcdd_nb/bundled/fashion-mnist/{f}")).hexdigest() == sha, f
    assert not [n for n in names if n.startswith(("data/", "configs/")) or "__pycache__" in n]
    configs = sorted(p.name for p in (REPO / "configs").glob("*.yaml"))
    assert configs and sorted(n for n in names if n.startswith("dcdd_nb/configs/")) == [f"dcdd_nb/configs/{c}" for c in configs]


CHECK = """
import json, sys
import dcdd_nb
from dcdd_nb.data import load_bundled, class_names, default_data_root, _rebuild_hint
from dcdd_nb.features import load_classifier
from dcdd_nb.train import load_config
x, y = load_bundled("fashion-mnist", split="test", limit=8)
model, meta = load_classifier()
tc = load_config("configs/janus-pro-imagenet.yaml")  # the README's path, resolved to the shipped config
print(json.dumps(dict(file=dcdd_nb.__file__, root=str(default_data_root()), x=list(x.shape), y=y.tolist(),
                      classes=len(class_names()), logits=list(model(x).shape), accuracy=meta["test_accuracy"],
                      hint=_rebuild_hint("fashion-mnist", "/nowhere"), path=sys.path, variant=tc.variant)))
"""


def test_installed_wheel_finds_its_data(site, tmp_path):
    "From outside the repository, with DCDD_DATA unset, the installed package loads its own data, classifier and configs."
    r = run_installed(site, CHECK, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert Path(out["file"]) == site / "dcdd_nb" / "__init__.py", out["file"]  # the wheel, not the checkout
    assert not any(Path(tmp_path, p).resolve() in (REPO, REPO / "dcdd_nb") for p in out["path"]), out["path"]
    assert Path(out["root"]) == site / "dcdd_nb" / "bundled"
    assert (out["x"], out["classes"], out["logits"]) == ([8, 1, 32, 32], 10, [8, 10])
    from dcdd_nb.data import load_bundled  # the same labels as the checkout's data
    assert out["y"] == load_bundled(split="test", limit=8, root=DATA)[1].tolist()
    assert out["accuracy"] > 0.84                                   # the classifier passed its sha256 check
    assert out["variant"] == "lcdm-lc", out
    script = out["hint"].split("`python ")[1].split(" --out")[0]  # the rebuild hint names the shipped script
    assert Path(script) == site / "dcdd_nb" / "bundled" / "build_fashion_mnist.py", out["hint"]


def test_docs_without_dev_extra_says_so(site, tmp_path):
    "`python -m dcdd_nb.docs site` without nbformat (a dev extra): one line naming the extra, not a traceback."
    code = ("import runpy, sys; sys.modules['nbformat'] = None; sys.argv = ['dcdd_nb.docs', 'site']; "
            "runpy.run_module('dcdd_nb.docs', run_name='__main__')")
    r = run_installed(site, code, cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr  # one line
    assert "nbformat is not installed" in r.stderr and "pip install 'dcdd_nb[dev]'" in r.stderr, r.stderr


def test_dcdd_docs_without_dev_extra_says_so(site, tmp_path):
    "`dcdd docs site` without nbformat: the same one line from the command, exit code 1, no traceback."
    code = ("import sys; sys.modules['nbformat'] = None; from dcdd_nb.cli import main; "
            "sys.exit(main(['docs', 'site']))")
    r = run_installed(site, code, cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("dcdd: ") and "pip install 'dcdd_nb[dev]'" in r.stderr, r.stderr
