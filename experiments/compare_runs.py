"""Compare two demo run folders stage by stage: sha256 of each stage's main file, the calibration, each decoder
row's weights, and the evaluation tables side by side.

    python experiments/compare_runs.py RUN_A RUN_B

Used to check that a change meant to keep behaviour (a restructure, a resumed run) gives the same run.
"""
import hashlib, json, sys
from pathlib import Path
import pandas as pd


def sha(p:Path) -> str: return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else "missing"


def main(a:Path, b:Path):
    for f in ["tokenizer/model.safetensors", "prior/model.safetensors", "generate/generated.safetensors"]:
        print(f"{f:40s} {sha(a / f)} {sha(b / f)} {'same' if sha(a / f) == sha(b / f) else 'DIFFERENT'}")
    cal = [json.loads((r / "calibration/calibration/calibration.json").read_text()) for r in (a, b)]
    print(f"calibration scale/mix: {cal[0]['scale']}/{cal[0]['mix']}  vs  {cal[1]['scale']}/{cal[1]['mix']}")
    for row in ["top1", "lcdm", "lcdm-lc"]:
        w = [json.loads((r / f"decoders/{row}/summary.json").read_text())["weights_sha256"][:16] for r in (a, b)]
        print(f"decoder {row:8s} weights {w[0]} {w[1]} {'same' if w[0] == w[1] else 'DIFFERENT'}")
    for t in ["reconstruction", "generation"]:
        x, y = pd.read_csv(a / f"evaluation/{t}.csv"), pd.read_csv(b / f"evaluation/{t}.csv")
        cols = [c for c in ["decoder", "steps", "fd", "fd_lo", "fd_hi", "psnr", "ssim"] if c in x]
        m = x[cols].merge(y[cols], on=["decoder", "steps"], suffixes=("_before", "_after"), how="outer")
        print(f"\n{t}\n" + m.to_string(index=False))


if __name__ == "__main__":
    if len(sys.argv) != 3: sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
