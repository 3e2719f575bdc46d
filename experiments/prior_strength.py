"""Prior strength by training steps (issue 18, item 6): how each row's FD difference to row 2 moves with the prior's entropy.

    python experiments/prior_strength.py --run runs/full [--steps 100 200 400] [--out DIR]

The demo's prior-strength sweep (`selection/prior.csv`) varies the guidance weight, which barely moves the prior's
entropy. This varies how long the prior is trained instead: priors of `--steps` optimizer steps are trained as the
demo's `prior` stage trains its own (same data, batch, seed and warm-up; the cosine schedule spans the steps), each samples the
validation classes at the run's guidance from seeds no stage uses, and the run's own prior (its `prior_steps`) is
the last point. Rows 2, 4, 5 and 6 of the first decoder seed decode every set at the tau chosen on validation; each
row's FD minus row 2's on the same samples carries a paired bootstrap interval, against the run's validation images
in both feature spaces. Validation data only: nothing scored is touched. Priors and decoded features are cached in
`--out`, so an interrupted run resumes.
"""
import argparse, json
from pathlib import Path
import pandas as pd
from dcdd_nb.data import class_names
from dcdd_nb.demo import DemoRun
from dcdd_nb.evaluate import to_markdown
from dcdd_nb.protocol import PRIOR_SWEEP_ROWS, FeatureSpaces, prior_point
from dcdd_nb.stages import VAL_SEED, run_images, load_run_tokenizer, row_decoders
from dcdd_nb.vlm import TinyPrior, PriorConfig, train_prior, token_grids

SWEEP_SEED = 5 * VAL_SEED  # the samples' seeds start here: no stage of the demo draws from them


def prior_of(run:DemoRun, steps:int, out:Path) -> tuple[TinyPrior, float]:
    "The prior trained for `steps` steps (cached in `out`) and its held-out loss, nats per token."
    d = out / f"prior-{steps}"
    if not (d / "history.csv").is_file():
        c, tok = run.cfg, load_run_tokenizer(run)
        (x, y), (xt, yt) = run_images(run, "train"), run_images(run, "test")
        ids, ids_t = token_grids(tok, x), token_grids(tok, xt)
        K, (h, w) = tok.codebook.shape[0], ids.shape[1:]
        cfg = PriorConfig(num_codes=K, height=h, width=w, class_names=class_names(), **c.prior)
        prior, hist = train_prior(ids, y, K, cfg, steps, c.prior_batch, seed=c.seed, eval_data=(ids_t, yt),
                                  eval_every=steps, progress=True)
        prior.save(d); hist.to_csv(d / "history.csv", index=False)
    return TinyPrior.load(d), float(pd.read_csv(d / "history.csv").val_loss.iloc[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/full"); ap.add_argument("--steps", type=int, nargs="+", default=[100, 200, 400])
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    run = DemoRun(a.run); c = run.cfg
    out = Path(a.out or run.out / "experiments" / "prior-strength"); out.mkdir(parents=True, exist_ok=True)
    taus = json.loads((run.dir("selection") / "choices.json").read_text())["tau"]
    spaces = FeatureSpaces(run_images(run, "val")[0])
    fns = row_decoders(run, list(PRIOR_SWEEP_ROWS), c.decoder_seeds[0], taus)
    own = float(pd.read_csv(run.dir("prior") / "history.csv").val_loss.iloc[-1])
    priors = [(s, *prior_of(run, s, out)) for s in a.steps] + [(c.prior_steps, TinyPrior.load(run.dir("prior")), own)]
    rows = []
    for steps, prior, val_loss in priors:
        t = prior_point(run, prior, c.guidance_scale, c.seed + SWEEP_SEED, fns, spaces, out, f"steps-{steps}",
                        prior_steps=steps, val_loss=val_loss)
        rows.append(t)
        print(f"prior of {steps} steps: held-out loss {val_loss:.3f} nats/token, entropy {t.entropy.iloc[0]:.3f}, "
              f"token is argmax {t.token_is_argmax.iloc[0]:.3f}", flush=True)
    t = pd.concat(rows, ignore_index=True); t.to_csv(out / "prior_strength.csv", index=False)
    t["cell"] = [f"{r['diff']:+.2f} [{r.diff_lo:+.2f}, {r.diff_hi:+.2f}]" if r.space == "classifier" else
                 f"{r['diff']:+.1f} [{r.diff_lo:+.1f}, {r.diff_hi:+.1f}]" for _, r in t.iterrows()]
    wide = t.pivot_table(index=["prior_steps", "val_loss", "entropy", "token_is_argmax"], columns=["decoder", "space"],
                         values="cell", aggfunc="first")
    wide.columns = [f"{d} ({s})" for d, s in wide.columns]
    print(to_markdown(wide.reset_index().round(3)))


if __name__ == "__main__": main()
