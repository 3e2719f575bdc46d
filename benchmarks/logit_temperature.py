"""Which LCDM temperature tau for the VLM's logits at inference? Chosen on a validation split (issue 10).

Usage:  .venv/bin/python benchmarks/logit_temperature.py --run runs/full [--taus 1 0.7 0.5 0.35] [--threads 2]

The demo's `logit_temperature` is the LCDM tau of softmax(l / tau) for the prior's logits. Choosing it on the
evaluation's own generated samples would select on the test set, so this draws a validation set instead:
`--per-class` new samples per class from the run's prior with other seeds (the demo's generate stage uses
seed + b; here 10_000 + seed + b), scored against `--reference` training images (not the test images the
demo's FD uses). Rows 2-4 of the run, unchanged (no retraining), decode it at each tau at 8 Euler steps, with the VQ
decoder on the sampled tokens as the reference measured in the same run. The demo takes the tau that is best
for row 4, the full method, and uses it for every row.
"""
import argparse, time

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--taus", type=float, nargs="+", default=[1.0, 0.7, 0.5, 0.35])
    ap.add_argument("--per-class", type=int, default=50)
    ap.add_argument("--reference", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default="benchmarks/logit_temperature.csv")
    a = ap.parse_args(argv)
    import torch, pandas as pd
    if a.threads: torch.set_num_threads(a.threads)
    from dcdd_nb import cli, evaluate as ev
    from dcdd_nb.vlm import TinyPrior
    t0 = time.perf_counter()
    run = cli.DemoRun(a.run); c = run.cfg; tok = cli.load_run_tokenizer(run)
    prior = TinyPrior.load(run.dir("prior"))
    labels = torch.arange(prior.config.num_classes).repeat_interleave(a.per_class)
    conds, h = [], prior.config.height
    for b in range(0, len(labels), c.eval_batch):
        t, l = prior.generate(labels[b:b + c.eval_batch], guidance_scale=c.guidance_scale, seed=10_000 + c.seed + b)
        conds.append({"logits": l, "ids": t.view(-1, h, prior.config.width)})
    x, _ = cli._images(run, "train"); ref = x[-a.reference:]
    clf, _ = ev.load_classifier()
    kw = dict(reference=ref, steps=[a.steps], seeds=[0], features=clf.features, features_name="fashion-mnist classifier")
    vq = ev.evaluate_generation({"VQ decoder": ev.vq_decoder(tok)}, conds, **kw).table.fd.iloc[0]
    print(f"validation: {len(labels)} new samples (seeds 10000 + seed + b), {len(ref)} training images as reference, "
          f"{a.steps} Euler steps, torch {torch.__version__}, {torch.get_num_threads()} threads; VQ decoder FD {vq:.4f}", flush=True)
    rows, fns = [], cli.run_decoders(run)
    for tau in a.taus:
        run.cfg.logit_temperature = tau                                 # read by every row's decoder fn at call time
        for name, fn in fns.items():
            t1 = time.perf_counter()
            t = ev.evaluate_generation({name: (fn, [a.steps])}, conds, **kw).table
            rows.append(dict(decoder=name, tau=tau, fd=t.fd.iloc[0], fd_lo=t.fd_lo.iloc[0], fd_hi=t.fd_hi.iloc[0], fd_vs_vq=t.fd.iloc[0] / vq))
            print(f"  tau {tau:<5g} {name:18s} FD {t.fd.iloc[0]:.4f} [{t.fd_lo.iloc[0]:.3f}, {t.fd_hi.iloc[0]:.3f}] "
                  f"x{t.fd.iloc[0] / vq:.2f} of VQ ({time.perf_counter() - t1:.0f} s)", flush=True)
    df = pd.DataFrame(rows); df["vq_fd"] = vq; df.to_csv(a.out, index=False)
    best = df[df.decoder == "DCDD + LCDM + LC"].sort_values("fd").iloc[0]
    print(); print(ev.to_markdown(df)); print(f"\nbest tau for DCDD + LCDM + LC on validation: {best.tau:g} (FD {best.fd:.4f})")
    print(f"total {time.perf_counter() - t0:.0f} s")

if __name__ == "__main__":
    main()
