"""The prepared GPU benchmark must not rot: `benchmarks/gpu.py --reduced` runs every part and writes sane numbers.

No timing thresholds (speed targets live in benchmarks/RESULTS.md): only that each part ran, and that its numbers
are finite, positive where they measure something, and consistent with each other.
"""
import json, math, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
OPTIONAL = {"mfu", "peak_tflops", "peak_memory_gib", "reference"}  # n/a (None) on a CPU, or for a reference case


def leaves(x, path=""):
    "(path, value) of every leaf of a JSON value."
    if isinstance(x, dict): return [l for k, v in x.items() for l in leaves(v, f"{path}.{k}")]
    if isinstance(x, list): return [l for i, v in enumerate(x) for l in leaves(v, f"{path}[{i}]")]
    return [(path, x)]


def test_gpu_benchmark_reduced(tmp_path):
    out = tmp_path / "gpu.md"
    p = subprocess.run([sys.executable, "benchmarks/gpu.py", "--reduced", "--out", str(out)], cwd=ROOT, env=ENV,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    md, r = out.read_text(), json.loads(out.with_suffix(".json").read_text())
    assert md in p.stdout and r["mode"] == "reduced"
    for part in ("### 1. Decoder training", "### 2. Decode time per image", "### 3. LCDM paths"): assert part in md
    for path, v in leaves(r):
        if v is None: assert path.rsplit(".", 1)[-1] in OPTIONAL, path
        elif isinstance(v, (int, float)) and not isinstance(v, bool): assert math.isfinite(v), path
    t = r["train"]
    for v in [t["images_per_s"], t["median_step_s"], *t["step_s"], t["flops_conditioning"], t["flops_forward"],
              t["achieved_tflops"], *[x for d in r["decode"].values() for x in (d["ms_per_image"], *d["rounds_ms"])],
              *[x for c in r["lcdm"].values() for x in (c["ms"], *c["rounds_ms"])]]:
        assert v > 0
    assert all(c["peak_extra_mb"] >= 0 for c in r["lcdm"].values())
    # backward of a conv or linear layer costs its forward twice (input and weight gradients), less the first
    # layers' input gradients, which nothing needs: a counter that missed the backward or counted it twice fails
    assert 1.5 < t["flops_backward"] / t["flops_forward"] <= 2.0, (t["flops_forward"], t["flops_backward"])
    ms = [r["decode"][f"DCDD {s} step{'s' * (s > 1)}"]["ms_per_image"] for s in (1, 2, 8)]
    assert ms == sorted(ms) and ms[0] < ms[-1], ms  # one UNet pass per Euler step
    assert set(r["lcdm"]) == {"proxy dense", "fused chunked", "fused sdpa", "dense", "streamed"}
