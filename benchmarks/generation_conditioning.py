"""Why do the diffusion decoders lose to the VQ decoder on generated tokens? Inference-time conditioning variants (issue 10).

Usage:  .venv/bin/python benchmarks/generation_conditioning.py --run runs/full [--steps 8] [--threads 1]

Takes the trained decoder rows 2-4 of a finished demo run and decodes the prior's generated logits with
different conditioning, without retraining anything:
  logits          LCDM of the recorded logits at tau = 1 (what the demo evaluated until benchmarks/logit_temperature.py chose 0.25);
  tau=0.5, 0.25   LCDM of logits / tau: sharper distributions, closer to the training proxy's;
  sampled-top1    as `logits`, but the hard-code field is the code of the token the prior SAMPLED (the VLM's
                  actual output), not the argmax of its logits;
  sampled-top1+tau=0.5
  sampled-onehot  the sampled tokens as one-hot distributions (what the decoder saw in training for encoder tokens
                  of zero entropy): mean = top1 = the sampled code, entropy 0, p1 = margin = 1, dispersion 0.
The reference, measured in the same run, is the VQ decoder on the sampled tokens; FD (Fashion-MNIST
classifier features, against the run's test images) is printed with its ratio to that reference.
"""
import argparse, time
from pathlib import Path

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", default="benchmarks/generation_conditioning.csv")
    a = ap.parse_args(argv)
    import torch, pandas as pd
    if a.threads: torch.set_num_threads(a.threads)
    from dcdd_nb import cli, evaluate as ev
    from dcdd_nb.lcdm import lcdm, CodeDistribution
    from dcdd_nb.decoder import DCDDecoder, decoder_condition, sample

    run = cli.DemoRun(a.run)
    tok = cli.load_run_tokenizer(run); cb = tok.codebook
    conds = cli._generation_conditions(run)
    xt, _ = cli._images(run, "test")
    clf, _ = ev.load_classifier()
    kw = dict(reference=xt, steps=[a.steps], seeds=[0], features=clf.features, features_name="fashion-mnist classifier")
    t0 = time.perf_counter()
    vq = ev.evaluate_generation({"VQ decoder": ev.vq_decoder(tok)}, conds, **kw).table.fd.iloc[0]
    print(f"generation conditioning on {a.run}: {sum(len(c['ids']) for c in conds)} samples, {a.steps} Euler steps, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; VQ decoder FD {vq:.4f}", flush=True)

    def onehot(ids):                                               # (B,h,w) -> CodeDistribution of one-hot rows
        c = cb[ids.flatten(1)]                                     # (B,N,D)
        z = torch.zeros(c.shape[:2]); o = torch.ones(c.shape[:2])
        return CodeDistribution(mean=c, top1=c, entropy=z, p1=o, margin=o, dispersion=z)

    def variant(name, c):
        tau = 0.5 if "tau=0.5" in name else 0.25 if "tau=0.25" in name else 1.0
        if name == "sampled-onehot": return onehot(c["ids"])
        d = lcdm(c["logits"], cb, temperature=tau)
        if name.startswith("sampled-top1"): d.top1 = cb[c["ids"].flatten(1)]
        return d

    names = ["logits", "tau=0.5", "tau=0.25", "sampled-top1", "sampled-top1+tau=0.5", "sampled-onehot"]
    rows = []
    for row, (label, *_) in cli.DECODER_ROWS.items():
        dec = DCDDecoder.from_pretrained(Path(cli.row_train_config(run, row)["run_dir"]) / "decoder_ema").eval()
        for name in names:
            def fn(c, steps, g, name=name):
                cm, vqi = decoder_condition(variant(name, c), dec, tok)
                with torch.no_grad(): return sample(dec, cm, vqi, steps, g)
            t1 = time.perf_counter()
            t = ev.evaluate_generation({label: (fn, [a.steps])}, conds, **kw).table
            rows.append(dict(decoder=label, conditioning=name, fd=t.fd.iloc[0], fd_lo=t.fd_lo.iloc[0], fd_hi=t.fd_hi.iloc[0],
                             fd_vs_vq=t.fd.iloc[0] / vq))
            print(f"  {label:18s} {name:22s} FD {t.fd.iloc[0]:.4f} [{t.fd_lo.iloc[0]:.3f}, {t.fd_hi.iloc[0]:.3f}] "
                  f"x{t.fd.iloc[0] / vq:.2f} of VQ ({time.perf_counter() - t1:.0f} s)", flush=True)
    df = pd.DataFrame(rows); df["vq_fd"] = vq
    df.to_csv(a.out, index=False)
    print(); print(ev.to_markdown(df)); print(f"\ntotal {time.perf_counter() - t0:.0f} s")

if __name__ == "__main__":
    main()
