"""Which LCDM field makes the all-fields decoders lose on generated tokens? Inference-time field edits (issue 10).

Usage:  .venv/bin/python benchmarks/field_edits.py ROW [ROW ...]     (ROW: a `cli.DECODER_ROWS` folder: lcdm, lcdm-lc)

Decodes the `runs/full` run's generated logits (every sample, 8 Euler steps, seed 0) with a trained decoder row,
no retraining, after replacing some LCDM fields of every token by the value a one-hot distribution at the token's
top code has (`train.drop_fields` at probability 1): `mean` -> top1, `disp` -> dispersion 0, `unc` -> entropy 0, p1 = margin = 1.
`none` is the demo's own evaluation. The VQ decoder on the sampled tokens, measured in the same run, is the reference.
"""
import sys, time, torch
from pathlib import Path
from dcdd_nb import cli, evaluate as ev
from dcdd_nb.lcdm import lcdm
from dcdd_nb.decoder import DCDDecoder, decoder_condition, sample
from dcdd_nb.train import drop_fields
run = cli.DemoRun("runs/full"); tok = cli.load_run_tokenizer(run); cb = tok.codebook
conds = cli._generation_conditions(run); xt, _ = cli._images(run, "test")
clf, _ = ev.load_classifier()
kw = dict(reference=xt, steps=[8], seeds=[0], features=clf.features, features_name="clf")
vq = ev.evaluate_generation({"VQ decoder": ev.vq_decoder(tok)}, conds, **kw).table.fd.iloc[0]
print("VQ", vq, flush=True)
EDITS = {"mean": ["mean"], "disp": ["dispersion"], "unc": ["entropy", "p1", "margin"]}
def edit(d, name):  # drop_fields at probability 1: every token's named fields as a one-hot row has them
    return drop_fields(d, {f: 1.0 for part in name.split("+") for f in EDITS.get(part, [])})
for row in sys.argv[1:]:
    dec = DCDDecoder.from_pretrained(Path(cli.row_train_config(run, row)["run_dir"]) / "decoder_ema").eval()
    for name in ["none", "mean", "disp", "unc", "mean+disp", "mean+disp+unc"]:
        def fn(c, steps, g, name=name):
            cm, vqi = decoder_condition(edit(lcdm(c["logits"], cb), name), dec, tok)
            with torch.no_grad(): return sample(dec, cm, vqi, steps, g)
        t1 = time.perf_counter()
        t = ev.evaluate_generation({row: (fn, [8])}, conds, **kw).table
        print(f"{row:8s} onehot[{name:14s}] FD {t.fd.iloc[0]:.3f} [{t.fd_lo.iloc[0]:.2f},{t.fd_hi.iloc[0]:.2f}] x{t.fd.iloc[0]/vq:.2f} ({time.perf_counter()-t1:.0f}s)", flush=True)
