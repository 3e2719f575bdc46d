"""Which training-side choice makes the DCDD beat the VQ decoder on generated tokens? (issue 10)

Usage:  .venv/bin/python benchmarks/decoder_variants.py --run runs/full [--steps 200] [--only NAME ...] [--threads 1]
        .venv/bin/python benchmarks/decoder_variants.py --run runs/full --stats

`--stats` prints what the decoders are conditioned on instead: per-token entropy and code dispersion (a fraction
of the codebook's total variance) of the prior's generated logits and of the proxy logits of 200 training images,
raw, with the run's calibration, and with the context-mixture calibration as training applies it (augmented).

On a demo run whose tokenizer, prior, generated samples and calibration are done, trains one decoder per
variant below with the same budget (`--steps` optimiser steps of the run's batch, same seed), then scores each,
with the VQ decoder measured in the same process as the reference, at 8 Euler steps:
  generation      FD of the images decoded from the prior's recorded logits (every generated sample);
  reconstruction  FD and PSNR on encoder tokens of the first `--recon` test images.
A variant is a demo decoder row (`cli.DECODER_ROWS`) plus TrainConfig overrides; `"calibration"` names the
objective of its logit calibration (`fit_calibration`: "entropy", "mixture", or "mixture:M" with `mix` fixed at M
and the scale fitted alone), fitted once on the run's calibration data into `--work`. Trained variants are kept in
`--work` and not retrained, so the table can be built up by several processes (`--only`) and printed at the end
with `--only` naming nothing to train. Results go to `--out` (CSV, one row per variant).
"""
import argparse, time
from pathlib import Path

VARIANTS = {  # name -> (demo row, TrainConfig overrides); lr 2e-4 was TrainConfig's default, 1e-3 is now the demo's
    "top1 + G(mean)": ("top1", {"lr": 2e-4, "decoder": {"vq_codes": "mean"}}),  # the demo's row 2 before this benchmark
    "top1 + G(top1)": ("top1", {"lr": 2e-4, "decoder": {"vq_codes": "top1"}}),
    "all + G(mean)": ("lcdm", {"lr": 2e-4}),                      # the demo's row 3 before this benchmark
    "all + G(top1)": ("lcdm", {"lr": 2e-4, "decoder": {"vq_codes": "top1"}}),
    "all + G(mean) + LC": ("lcdm-lc", {"calibration": "entropy", "lr": 2e-4}),                 # the demo's row 4 before this benchmark
    "all + G(top1) + LC": ("lcdm-lc", {"calibration": "entropy", "lr": 2e-4, "decoder": {"vq_codes": "top1"}}),
    "all + G(top1) + LC + jitter 1.5": ("lcdm-lc", {"calibration": "entropy", "lr": 2e-4, "decoder": {"vq_codes": "top1"}, "temperature_jitter": 1.5}),
    "all + G(mean) + LC + jitter 1.5": ("lcdm-lc", {"calibration": "entropy", "lr": 2e-4, "temperature_jitter": 1.5}),
    "all + G(mean) + LC-mix": ("lcdm-lc", {"lr": 2e-4, "calibration": "mixture"}),
    "all + G(top1) + LC-mix": ("lcdm-lc", {"lr": 2e-4, "decoder": {"vq_codes": "top1"}, "calibration": "mixture"}),
    "top1 + G(top1) + LC-mix": ("top1", {"lr": 2e-4, "decoder": {"vq_codes": "top1"}, "calibration": "mixture"}),
    "all + G(mean) + LC-mix 0.4": ("lcdm-lc", {"lr": 2e-4, "calibration": "mixture:0.4"}),
    "top1 + G(top1), lr 1e-3": ("top1", {"decoder": {"vq_codes": "top1"}, "lr": 1e-3}),
    "top1 + G(top1), lr 2e-3": ("top1", {"decoder": {"vq_codes": "top1"}, "lr": 2e-3}),
    "all + G(mean) + LC-mix, lr 1e-3": ("lcdm-lc", {"calibration": "mixture", "lr": 1e-3}),
    "all + G(mean) + LC, lr 1e-3": ("lcdm-lc", {"calibration": "entropy", "lr": 1e-3}),
    "all + G(top1) + LC, lr 1e-3": ("lcdm-lc", {"calibration": "entropy", "decoder": {"vq_codes": "top1"}, "lr": 1e-3}),
    "all + G(top1), lr 1e-3": ("lcdm", {"decoder": {"vq_codes": "top1"}, "lr": 1e-3}),
    "all + G(top1) + LC-mix, lr 1e-3": ("lcdm-lc", {"decoder": {"vq_codes": "top1"}, "calibration": "mixture", "lr": 1e-3}),
    # field dropout (`TrainConfig.field_dropout`): per token, the mean field replaced by the top code with probability p
    "all + G(top1), lr 1e-3, mean drop 0.5": ("lcdm", {"lr": 1e-3, "field_dropout": {"mean": 0.5}}),
    "all + G(top1) + LC-mix, lr 1e-3, mean drop 0.5": ("lcdm-lc", {"calibration": "mixture", "lr": 1e-3, "field_dropout": {"mean": 0.5}}),
    "all + G(top1), lr 1e-3, mean drop 0.9": ("lcdm", {"lr": 1e-3, "field_dropout": {"mean": 0.9}}),
    "all + G(top1) + LC-mix, lr 1e-3, mean drop 0.9": ("lcdm-lc", {"calibration": "mixture", "lr": 1e-3, "field_dropout": {"mean": 0.9}}),
}

def calibration_file(run, work:Path, spec:str) -> str:
    "A calibration of the run fitted once into `work`: spec 'entropy', 'mixture' or 'mixture:M' (mix fixed at M)."
    import torch
    from dcdd_nb import cli
    from dcdd_nb.calibration import fit_calibration, LogitStats
    objective, _, mix = spec.partition(":")
    path = work / f"calibration-{spec.replace(':', '-')}"
    if not (path / "calibration.json").is_file():
        tok = cli.load_run_tokenizer(run); x, _ = cli._images(run, "train")
        with torch.no_grad(): z = torch.cat([tok.encode(b) for b in x[:run.cfg.calibration_images].split(500)])
        fit_calibration(objective, latents=z, codebook=tok.codebook, temperature=run.cfg.proxy_temperature,
                        generated_stats=LogitStats.load(run.dir("generate") / "stats"),
                        generated_logits=cli.load_generated(run)["logits"], seed=run.cfg.seed,
                        **({"mixes": (float(mix),)} if mix else {})).save(path)
    return str(path)

def print_stats(run, work:Path, images:int=200):
    "Entropy and dispersion of generated vs (calibrated, mixed) proxy logits, overall and by entropy bin."
    import torch
    from dcdd_nb import cli
    from dcdd_nb.calibration import LogitCalibration, mixture_stats
    from dcdd_nb.tokenizers import proxy_logits
    tok = cli.load_run_tokenizer(run); x, _ = cli._images(run, "train")
    with torch.no_grad(): z = tok.encode(x[:images])
    proxy = proxy_logits(z, tok.codebook, run.cfg.proxy_temperature)
    run_cal = LogitCalibration.load(run.dir("calibration") / "calibration")
    mix = LogitCalibration.load(calibration_file(run, work, "mixture"))
    with torch.no_grad():
        sources = {"generated (prior)": cli.load_generated(run)["logits"][:images], "proxy": proxy,
                   f"proxy, run's calibration ({run_cal.info.get('objective')}, scale {run_cal.scale.item():.3g})": run_cal.calibrate(proxy),
                   f"proxy, mixture calibration (scale {mix.scale.item():.3g}, mix {mix.mix:g}), as trained": mix.augment(mix.calibrate(proxy), torch.Generator().manual_seed(0))}
    bins = [(0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 1.01)]
    print("| logits | mean entropy | mean dispersion | " + " | ".join(f"dispersion at entropy {a:g}-{min(b, 1):g}" for a, b in bins) + " |")
    print("|---|---:|---:|" + "---:|" * len(bins))
    for name, l in sources.items():
        st = mixture_stats(l, tok.codebook); e, d = st["entropy"], st["dispersion"]
        cells = [f"{d[(e >= a) & (e < b)].mean():.3f} ({int(((e >= a) & (e < b)).sum())})" for a, b in bins]
        print(f"| {name} | {e.mean():.3f} | {d.mean():.3f} | " + " | ".join(cells) + " |")
    print(f"({images} images each; dispersion as a fraction of the codebook's total variance; token counts in brackets)")

def _slug(name:str) -> str: return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").lower()

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--only", nargs="*", default=None, help="variants to train and score (default: all); none: print the table")
    ap.add_argument("--recon", type=int, default=500, help="test images for the reconstruction score")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--work", default="benchmarks/_variants")
    ap.add_argument("--out", default="benchmarks/decoder_variants.csv")
    ap.add_argument("--stats", action="store_true", help="print the conditioning statistics and stop")
    a = ap.parse_args(argv)
    import torch, pandas as pd
    if a.threads: torch.set_num_threads(a.threads)
    from dcdd_nb import cli, evaluate as ev
    from dcdd_nb.train import train, load_calibration
    names = list(VARIANTS) if a.only is None else a.only
    if unknown := [n for n in names if n not in VARIANTS]: raise SystemExit(f"--only: unknown variant(s) {unknown}; known: {list(VARIANTS)}")
    run = cli.DemoRun(a.run); tok = cli.load_run_tokenizer(run)
    if a.stats: return print_stats(run, Path(a.work))
    conds = cli._generation_conditions(run); xt, _ = cli._images(run, "test"); clf, _ = ev.load_classifier()
    kw = dict(steps=[8], seeds=[0], features=clf.features, features_name="fashion-mnist classifier")
    out = Path(a.out); rows = pd.read_csv(out).to_dict("records") if out.is_file() else []
    t0 = time.perf_counter()
    vq_gen = ev.evaluate_generation({"VQ decoder": ev.vq_decoder(tok)}, conds, reference=xt, **kw).table.fd.iloc[0]
    for name in names:
        row, over = VARIANTS[name]
        tc = {**cli.row_train_config(run, row), **over, "run_dir": f"{a.work}/{_slug(name)}-{a.steps}", "steps": a.steps}
        tc["checkpoint_every"] = max(10, a.steps // 2)
        if over.get("calibration"): tc["calibration"] = calibration_file(run, Path(a.work), over["calibration"])
        t1 = time.perf_counter(); s = train(tc); secs = time.perf_counter() - t1
        fn = (cli.decoder_fn(run, tc["run_dir"], tok, load_calibration(tc["calibration"])), [8])
        g = ev.evaluate_generation({name: fn}, conds, reference=xt, **kw).table.iloc[0]
        r = ev.evaluate_reconstruction(tok, {name: fn}, xt[:a.recon], batch_size=run.cfg.eval_batch, **kw).table
        vq_r, r = r.iloc[0], r.iloc[1]
        rows = [x for x in rows if not (x["variant"] == name and x["steps"] == a.steps)]
        rows.append(dict(variant=name, steps=a.steps, train_s=round(secs), gen_fd=g.fd, gen_lo=g.fd_lo, gen_hi=g.fd_hi,
                         gen_vs_vq=g.fd / vq_gen, rec_fd=r.fd, rec_vs_vq=r.fd / vq_r.fd, rec_psnr=r.psnr, vq_gen_fd=vq_gen,
                         vq_rec_fd=vq_r.fd, vq_rec_psnr=vq_r.psnr))
        print(f"{name:34s} {s['status']} in {secs:.0f} s | generation FD {g.fd:.3f} [{g.fd_lo:.2f}, {g.fd_hi:.2f}] "
              f"x{g.fd / vq_gen:.2f} of VQ | reconstruction FD x{r.fd / vq_r.fd:.2f}, PSNR {r.psnr:.2f} vs {vq_r.psnr:.2f}", flush=True)
        pd.DataFrame(rows).to_csv(out, index=False)
    df = pd.DataFrame(rows)
    if len(df): print(); print(ev.to_markdown(df.sort_values(["steps", "gen_fd"]).round(4)))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s, torch {torch.__version__}, {torch.get_num_threads()} threads")

if __name__ == "__main__":
    main()
