"""kill -9 at random moments across `dcdd demo`, then rerun: every run must end with the uninterrupted run's figures.

    python benchmarks/fault_campaign.py [--kills 20] [--out runs/faults] [--seed 0]

A reference run goes first, uninterrupted, and its duration sets the window the kills are drawn from. Then run
folders are started one after the other; each is killed (SIGKILL, no chance to clean up) at a random moment,
rerun, killed again, ... until it finishes; `--kills` kills in all. Every finished folder's stage records
(selection and evaluation figures, every number but timings) are compared with the reference's, and each kill is
listed with the stage it hit. Small sizes (below) keep a run near a minute on 2 CPU cores; the stage code is the
quick preset's. Not part of CI: it takes about `kills` minutes.
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, time
from pathlib import Path

SMALL = ["train_images=400", "val_images=100", "eval_images=40", "reference_images=200", "tokenizer_steps=40",
         "prior_steps=40", "samples_per_class=4", "val_samples_per_class=2", "calibration_images=50",
         "decoder_steps=12", "decoder_batch=8", "taus=[1.0]", "n_boot=50"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"}


def command(out:Path) -> list[str]:
    sets = [a for s in SMALL for a in ("--set", s)]
    return [sys.executable, "-m", "dcdd_nb.cli", "demo", "--out", str(out), *sets]


def figures(out:Path) -> dict:
    "Every recorded number of the run but its timings: the selection and evaluation records."
    def clean(x):
        if isinstance(x, dict): return {k: clean(v) for k, v in x.items() if "second" not in k and k != "finished"}
        if isinstance(x, list): return [clean(v) for v in x]
        return x
    recs = json.loads((out / "stages.json").read_text())
    return clean({s: recs[s]["info"] for s in ("selection", "evaluation")})


def stage_at(out:Path) -> str:
    "The stage a run was in: the first one without a record."
    from dcdd_nb.demo import STAGES
    recs = json.loads((out / "stages.json").read_text()) if (out / "stages.json").is_file() else {}
    return next((s for s in STAGES if s not in recs), "report (after)")


def run(out:Path, log) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = subprocess.run(command(out), stdout=log, stderr=subprocess.STDOUT, env=ENV)
    return r.returncode, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20); ap.add_argument("--out", default="runs/faults")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    root, rng = Path(a.out), random.Random(a.seed)
    shutil.rmtree(root, ignore_errors=True); root.mkdir(parents=True)
    log = (root / "campaign.log").open("w")
    rc, t_ref = run(root / "reference", log)
    assert rc == 0, f"the reference run failed (rc {rc}): see {root / 'campaign.log'}"
    ref = figures(root / "reference")
    print(f"reference run: {t_ref:.0f} s; kills drawn uniformly in [2 s, {t_ref:.0f} s] of each attempt")
    kills, folders, n = [], [], 0
    while len(kills) < a.kills:
        n += 1; out = root / f"run-{n:02d}"; folders.append(out)
        while len(kills) < a.kills:                       # kill this folder's attempts until the quota or the end
            wait = rng.uniform(2.0, t_ref)
            p = subprocess.Popen(command(out), stdout=log, stderr=subprocess.STDOUT, env=ENV)
            try: p.wait(timeout=wait); break              # it finished before its kill
            except subprocess.TimeoutExpired: pass
            p.send_signal(signal.SIGKILL); p.wait()
            kills.append((out.name, round(wait, 1), stage_at(out)))
            print(f"kill {len(kills):2d}: {out.name} after {wait:5.1f} s, in stage {kills[-1][2]}", flush=True)
        rc, dt = run(out, log)                            # the rerun that finishes the folder
        assert rc == 0, f"{out} did not finish after its kills (rc {rc}): see {root / 'campaign.log'}"
    same = {f.name: figures(f) == ref for f in folders}
    print(f"\n{len(kills)} kills over {len(folders)} run folders; each finished by a rerun")
    print("stages hit:", {s: sum(k[2] == s for k in kills) for s in dict.fromkeys(k[2] for k in kills)})
    for name, ok in same.items(): print(f"{name}: figures {'identical to' if ok else 'DIFFER from'} the reference")
    print(f"all identical: {all(same.values())}")
    sys.exit(0 if all(same.values()) else 1)


if __name__ == "__main__": main()
