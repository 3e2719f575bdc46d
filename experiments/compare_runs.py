"""Compare two demo run folders stage by stage: sha256 of each stage's main file, the calibration, each decoder
row's weights, and the evaluation tables side by side.

    python experiments/compare_runs.py RUN_A RUN_B

Used to check that a change meant to keep behaviour (a restructure, a resumed run) gives the same run.
"""
import hashlib, json, sys
from pathlib import Path
import pandas as pd


def sha(p:Path) -> str: return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else "missing"


def _calibrations(r:Path) -> dict:
    "name -> calibration.json of a run: one folder per objective since the protocol, one `calibration/` before."
    c = r / "calibration"
    return {f.parent.name: json.loads(f.read_text()) for f in sorted(c.glob("*/calibration.json"))}


def _decoders(r:Path) -> dict:
    "row (and seed) -> weights hash: decoders/<row>/seed-<s>/ since the protocol, decoders/<row>/ before."
    return {str(f.parent.relative_to(r / "decoders")): json.loads(f.read_text())["weights_sha256"][:16]
            for f in sorted((r / "decoders").glob("**/summary.json")) if "experiments" not in f.parts}


def _tables(r:Path) -> dict:
    "task -> table: runs.csv (one row per run) since the protocol, reconstruction.csv / generation.csv before."
    if (r / "evaluation/runs.csv").is_file():
        t = pd.read_csv(r / "evaluation/runs.csv")
        return {k: g.rename(columns={"fd_classifier": "fd"}) for k, g in t.groupby("task")}
    return {k: pd.read_csv(r / f"evaluation/{k}.csv") for k in ("reconstruction", "generation")
            if (r / f"evaluation/{k}.csv").is_file()}


def main(a:Path, b:Path):
    for f in ["tokenizer/model.safetensors", "prior/model.safetensors", "generate/generated.safetensors",
              "generate/validation.safetensors", "teacher/train.safetensors"]:
        print(f"{f:40s} {sha(a / f)} {sha(b / f)} {'same' if sha(a / f) == sha(b / f) else 'DIFFERENT'}")
    ca, cb = _calibrations(a), _calibrations(b)
    for k in sorted(set(ca) | set(cb)):
        show = lambda c: "missing" if c is None else f"scale {c['scale']:.6g} mix {c['mix']} noise {c.get('noise', 0.0)}"
        print(f"calibration {k:12s} {show(ca.get(k))}  vs  {show(cb.get(k))}")
    da, db = _decoders(a), _decoders(b)
    for k in sorted(set(da) | set(db)):
        wa, wb = da.get(k, "missing"), db.get(k, "missing")
        print(f"decoder {k:18s} weights {wa} {wb} {'same' if wa == wb else 'DIFFERENT'}")
    ta, tb = _tables(a), _tables(b)
    for t in sorted(set(ta) & set(tb)):
        keys = [c for c in ["decoder", "train_seed", "seed", "steps"] if c in ta[t] and c in tb[t]]
        cols = keys + [c for c in ["fd", "fd_lo", "fd_hi", "fd_efficientnet", "psnr", "ssim"] if c in ta[t]]
        m = ta[t][cols].merge(tb[t][[c for c in cols if c in tb[t]]], on=keys, suffixes=("_a", "_b"), how="outer")
        print(f"\n{t}\n" + m.to_string(index=False))


if __name__ == "__main__":
    if len(sys.argv) != 3: sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
