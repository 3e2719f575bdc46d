"""Which logit-calibration objective helps the decoder on generated tokens? (issue 9)

Usage:  .venv/bin/python benchmarks/calibration.py --run runs/full [--objectives none,forward_kl,...] [--jitter 1.0]
            [--seeds 0,1] [--steps 150] [--batch-size 64] [--eval-steps 8] [--out benchmarks/calibration.csv]

Reads a demo run folder (`dcdd demo --preset full --out runs/demo-full`: its tokenizer, prior, generated
logits and calibration data). For every objective it fits a `LogitCalibration` on the run's calibration data
(held-out KL to teacher-forced prior logits, Wasserstein distances to the statistics of generated logits),
then for every training seed it trains a DCDD (all LCDM fields + G(mean), the demo's row 4) on proxy logits
calibrated that way, with the same budget, and measures the Frechet distance of its images decoded from the
prior's generated logits against the run's test images (Fashion-MNIST classifier features). `none` is the
uncalibrated decoder (row 3). The reference is the VQ decoder on the same generated tokens, measured in the
same run; FD ratios are to it. Prints one row per objective (mean and spread over seeds) and writes the CSV
that nbs/03_calibration.ipynb shows.
"""
import argparse, json, statistics, sys, time
from pathlib import Path

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="a finished demo run folder")
    ap.add_argument("--objectives", default=None, help="comma-separated OBJECTIVES keys (default: all)")
    ap.add_argument("--seeds", default="0,1", help="decoder training seeds")
    ap.add_argument("--steps", type=int, default=150, help="decoder optimiser steps (one budget for every objective)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--eval-steps", type=int, default=8, help="sampler steps")
    ap.add_argument("--eval-seed", type=int, default=0)
    ap.add_argument("--jitter", type=float, default=0.0, help="also train --jitter-objectives with TrainConfig.temperature_jitter=J")
    ap.add_argument("--jitter-objectives", default="none,entropy")
    ap.add_argument("--work", default="benchmarks/_calibration", help="scratch folder for the decoder runs (resumable)")
    ap.add_argument("--out", default="benchmarks/calibration.csv")
    a = ap.parse_args(argv)

    import pandas as pd, torch
    from dcdd_nb import calibration as lc
    from dcdd_nb import cli, evaluate as ev
    from dcdd_nb.train import train

    run = cli.DemoRun(a.run)
    missing = [s for s in ("tokenizer", "prior", "generate") if not run.done(s)]
    if missing: sys.exit(f"run {a.run} has not finished stage(s) {missing}: run `dcdd demo --out {a.run}` first")
    objectives = a.objectives.split(",") if a.objectives else list(lc.OBJECTIVES)
    if bad := [o for o in objectives if o not in lc.OBJECTIVES]: sys.exit(f"unknown objective(s) {bad}; known: {list(lc.OBJECTIVES)}")
    seeds = [int(s) for s in a.seeds.split(",")]
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    print(f"calibration benchmark on {a.run}: objectives {objectives}, seeds {seeds}, {a.steps} steps x batch {a.batch_size}, "
          f"{a.eval_steps} sampler steps; torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)

    t0 = time.perf_counter()
    data = cli.calibration_data(run)
    tok = cli.load_run_tokenizer(run)
    xt, _ = cli._images(run, "test")
    clf, _ = ev.load_classifier()
    conds = cli._generation_conditions(run)
    kw = dict(reference=xt, steps=[a.eval_steps], seeds=[a.eval_seed], features=clf.features, features_name="fashion-mnist classifier")
    vq = ev.evaluate_generation({ev.ABLATION_ROWS[0]: ev.vq_decoder(tok)}, conds, **kw).table.fd.iloc[0]
    print(f"VQ decoder on generated tokens: FD {vq:.4f} ({time.perf_counter() - t0:.0f} s for the data)", flush=True)

    rows = []
    runs = [(o, 0.0) for o in objectives] + ([(o, a.jitter) for o in a.jitter_objectives.split(",")] if a.jitter else [])
    for obj, jit in runs:
        label = obj if not jit else f"{obj} + jitter {jit:g}"
        t1 = time.perf_counter()
        cal = lc.fit_calibration(obj, **data)
        rep = lc.calibration_report(cal, **data)
        cal_path = work / obj / "calibration"; cal.save(cal_path)
        folder = obj if not jit else f"{obj}-jitter{jit:g}"
        for seed in seeds:
            tc = cli.row_train_config(run, "lcdm-lc")
            tc.update(run_dir=str(work / folder / f"seed{seed}"), seed=seed, steps=a.steps, batch_size=a.batch_size, temperature_jitter=jit,
                      calibration=None if obj == "none" else str(cal_path), checkpoint_every=max(10, a.steps // 2))
            s = train(tc)
            if s["status"] != "finished": sys.exit(f"{obj} seed {seed}: training ended with {s['status']}")
            fn = cli.decoder_fn(run, tc["run_dir"], tok)
            t = ev.evaluate_generation({label: (fn, [a.eval_steps])}, conds, **kw).table
            rows.append({**rep, "objective": label, "seed": seed, "fd": t.fd.iloc[0], "fd_lo": t.fd_lo.iloc[0], "fd_hi": t.fd_hi.iloc[0],
                         "fd_vs_vq": t.fd.iloc[0] / vq})   # label last: the report names the objective without the jitter
            print(f"  {label:16s} seed {seed}: FD {t.fd.iloc[0]:.4f} (x{t.fd.iloc[0] / vq:.2f} of VQ) "
                  f"{json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rep.items()})}", flush=True)
        print(f"  {label}: {time.perf_counter() - t1:.0f} s", flush=True)

    df = pd.DataFrame(rows)
    num = [c for c in df.columns if c not in ("objective", "seed") and pd.api.types.is_numeric_dtype(df[c])]
    num = ["fd", "fd_lo", "fd_hi", "fd_vs_vq"] + [c for c in num if c not in ("fd", "fd_lo", "fd_hi", "fd_vs_vq", "tokens")]
    summary = df.groupby("objective", sort=False)[num].mean()
    summary.insert(1, "fd_sd", df.groupby("objective", sort=False).fd.std())
    summary.insert(0, "seeds", df.groupby("objective", sort=False).seed.count())
    summary = summary.reset_index()
    summary["vq_fd"] = vq
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(a.out, index=False); df.to_csv(Path(a.out).with_suffix(".per-seed.csv"), index=False)
    print()
    print(ev.to_markdown(summary))
    best = summary.sort_values("fd").iloc[0]
    base = summary[summary.objective == "none"]
    if len(base):
        beat = summary[(summary.objective != "none") & (summary.fd_hi < base.fd_lo.iloc[0])]
        print("objectives whose FD interval lies below no calibration's: " + (", ".join(beat.objective) or "none of them"))
    print(f"\nbest FD on generated tokens: {best.objective} ({best.fd:.4f}); "
          + (f"no calibration: {base.fd.iloc[0]:.4f}" if len(base) else "no uncalibrated baseline in this run")
          + f"; VQ decoder {vq:.4f}; total {time.perf_counter() - t0:.0f} s")

if __name__ == "__main__":
    main()
