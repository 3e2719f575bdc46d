"""Fidelity per training minute (issue 21): validation FD against CPU wall-clock, per training configuration, one row.

    python experiments/train_minutes.py --run runs/full [--row lcdm-tf] [--budget 240] [--points 3]
                                        [--variants today batch16 lr2e-3 batch16-lr2e-3 narrow] [--out DIR]

Every variant trains the row's decoder from scratch on the run's data for the same wall-clock budget: a short
pilot (8 steps, discarded) measures its seconds per step, and its step count is set so that its warm-up + cosine
schedule ends at the budget (a run cut short of its schedule would be unfair to it). `--points` checkpoints along
the way give the curve; each is scored by its EMA weights on the run's validation samples (generation, the
evaluation's sampler steps, the tau chosen on validation) against the validation images, in both feature spaces;
the last point of each variant is compared with the last point of `today` (the run's own configuration) and
with that of `today-2x` (the same for twice the budget: "equal FD in half the time") by a paired bootstrap on the
same samples and starting noise; every point is also compared with each baseline's last point (`points-vs-*.csv`),
which gives the wall-clock a variant needs to match the baseline. Validation data only. Wall-clock is the training call's
own, measured here; the machine's other load is printed with it. Each variant's folder is kept, so a rerun resumes.
"""
import argparse, json, os, time
from pathlib import Path
import pandas as pd
from dcdd_nb.checkpoints import load_ema_weights
from dcdd_nb.decoder import DCDDecoder
from dcdd_nb.demo import DemoRun
from dcdd_nb.evaluate import to_markdown
from dcdd_nb.metrics import paired_fd_bootstrap, frechet_distance
from dcdd_nb.protocol import SPACES, FeatureSpaces, decode_run
from dcdd_nb.stages import (run_images, load_run_tokenizer, generation_conditions, row_pipeline, row_train_config,
                            chosen_taus, trainable_rows)
from dcdd_nb.train import TrainConfig, train

# name -> overrides of the row's TrainConfig (the run's own is `today`). The space-to-depth variants `unshuffle2`
# and `unshuffle2-wide` ran at 16f6f5c with `DCDDecoder(unshuffle=2)`; they lost and the option is gone.
VARIANTS = {
    "today": {},
    "batch16": dict(batch_size=16),                                   # twice the steps per minute, noisier steps
    "lr2e-3": dict(lr=2e-3),                                          # a faster schedule
    "batch16-lr2e-3": dict(batch_size=16, lr=2e-3),                  # both
    "batch8-lr2e-3": dict(batch_size=8, lr=2e-3),                    # four times the steps
    "batch16-lr4e-3": dict(batch_size=16, lr=4e-3),                  # a faster schedule still
    "narrow": dict(decoder={"block_out_channels": [16, 64, 64]}),     # half the width at full resolution
    "today-2x": dict(budget_x=2),                                     # today for twice the budget: "equal FD, half the time"
}


def pilot_seconds(cfg:dict, out:Path) -> float:
    "Median seconds per step of `cfg` over a short pilot run (after its first step)."
    d = out / "pilot"
    train({**cfg, "run_dir": str(d), "steps": 8, "log_every": 1, "checkpoint_every": 10_000}, restart=True)
    return float(pd.read_csv(d / "metrics.csv").step_seconds.iloc[1:].median())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/full"); ap.add_argument("--row", default="lcdm-tf")
    ap.add_argument("--budget", type=float, default=240.0, help="training wall-clock per variant, seconds")
    ap.add_argument("--points", type=int, default=3, help="checkpoints scored per variant")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS)); ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.row not in trainable_rows(): raise SystemExit(f"--row must be one of {trainable_rows()}, got {a.row!r}")
    if bad := [v for v in a.variants if v not in VARIANTS]: raise SystemExit(f"--variants must be in {list(VARIANTS)}, got {bad}")
    if a.budget <= 0 or a.points < 1: raise SystemExit(f"--budget must be > 0 and --points >= 1, got {a.budget}, {a.points}")
    run = DemoRun(a.run); c = run.cfg
    out = Path(a.out or run.out / "experiments" / "train-minutes" / a.row); out.mkdir(parents=True, exist_ok=True)
    base = row_train_config(run, a.row)
    tok, tau = load_run_tokenizer(run), chosen_taus(run).get(a.row, 1.0)
    spaces = FeatureSpaces(run_images(run, "val")[0])
    batches = [(b, None) for b in generation_conditions(run, "validation")]
    rows, last, points = [], {}, {}
    for name in a.variants:
        d = out / name
        over = dict(VARIANTS[name]); budget = a.budget * over.pop("budget_x", 1)
        cfg = {**base, **over, "run_dir": str(d / "run"), "keep_checkpoints": a.points + 1}
        if (d / "plan.json").is_file(): plan = json.loads((d / "plan.json").read_text())
        else:
            sps = pilot_seconds(cfg, d)
            steps = max(a.points, round(budget / sps))
            plan = dict(seconds_per_step=sps, steps=steps, checkpoint_every=-(-steps // a.points))
            (d / "plan.json").write_text(json.dumps(plan))
        cfg.update(steps=plan["steps"], checkpoint_every=plan["checkpoint_every"],
                   warmup_steps=min(base.get("warmup_steps", TrainConfig.warmup_steps), plan["steps"] // 10))
        if not (d / "wall.json").is_file():
            t, load = time.perf_counter(), os.getloadavg()[0]
            train(cfg)
            (d / "wall.json").write_text(json.dumps(dict(seconds=time.perf_counter() - t, load_before=load,
                                                         load_after=os.getloadavg()[0])))
        wall = json.loads((d / "wall.json").read_text())
        print(f"{name}: {plan['steps']} steps of batch {cfg['batch_size']} planned at {plan['seconds_per_step']:.3f} s, "
              f"trained in {wall['seconds']:.0f} s (load {wall['load_before']:.1f} -> {wall['load_after']:.1f})",
              flush=True)
        dec = DCDDecoder.from_pretrained(d / "run" / "decoder_ema")
        for ckpt in sorted((d / "run" / "checkpoints").glob("step-*")):
            step = int(ckpt.name.split("-")[1])
            load_ema_weights(ckpt, dec)
            fn_pipe = row_pipeline(run, d / "run", tok, a.row, tau, decoder=dec)
            fn = lambda cond, steps, g: fn_pipe(logits=cond["logits"], tokens=cond["ids"].flatten(1),
                                                num_inference_steps=steps, generator=g,
                                                batch_size=c.eval_batch).images
            r = decode_run(fn, batches, c.eval_steps[0], 0, spaces, d / f"val-{step:06d}.safetensors")
            last[name] = points[f"{name}@{step}"] = r
            rows.append(dict(variant=name, step=step, images=step * cfg["batch_size"],
                             train_seconds=wall["seconds"] * step / plan["steps"],  # the call's wall-clock, pro rata
                             **{f"fd_{s}": frechet_distance(r[s], spaces.reference[s]) for s in SPACES}))
    curve = pd.DataFrame(rows); curve.to_csv(out / "curve.csv", index=False)
    print(to_markdown(curve.round(4)))
    for base in [b for b in ("today", "today-2x") if b in last]:
        for s in SPACES:
            t = paired_fd_bootstrap({n: [r[s]] for n, r in last.items()}, spaces.reference[s], [base],
                                    n_boot=c.n_boot, seed=c.seed)
            t = t[t.baseline == base].assign(space=s, rel=lambda d: d["diff"] / d.fd_baseline)
            t.to_csv(out / f"final-vs-{base}-{s}.csv", index=False)
            print(to_markdown(t[["decoder", "baseline", "fd", "fd_baseline", "diff", "diff_lo", "diff_hi", "rel",
                                 "space"]].round(4)))
    for base in [b for b in ("today", "today-2x") if b in last]:
        t = time_to_match(points, last[base], base, curve, spaces, c)
        t.to_csv(out / f"points-vs-{base}.csv", index=False); print(to_markdown(t.round(4)))


def time_to_match(points:dict, base_feats:dict, base:str, curve:pd.DataFrame, spaces, c) -> pd.DataFrame:
    "Every checkpoint against `base`'s last one (paired, both spaces): the wall-clock a variant needs to match it."
    out = []
    for s in SPACES:
        t = paired_fd_bootstrap({base: [base_feats[s]], **{k: [r[s]] for k, r in points.items()}},
                                spaces.reference[s], [base], n_boot=c.n_boot, seed=c.seed)
        out.append(t[t.baseline == base].set_index("decoder")[["diff", "diff_lo", "diff_hi"]]
                   .rename(columns=lambda x: f"{x}_{s}"))
    t = pd.concat(out, axis=1).reset_index().rename(columns={"decoder": "point"})
    t[["variant", "step"]] = t.point.str.rsplit("@", n=1, expand=True); t["step"] = t.step.astype(int)
    t = t.merge(curve[["variant", "step", "train_seconds"]], on=["variant", "step"])
    t["seconds_ratio"] = t.train_seconds / float(curve[curve.variant == base].train_seconds.max())
    t["baseline"] = base
    return t[["variant", "step", "train_seconds", "seconds_ratio", "baseline"]
             + [f"{x}_{s}" for s in SPACES for x in ("diff", "diff_lo", "diff_hi")]]


if __name__ == "__main__": main()
