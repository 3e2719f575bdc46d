"""Choose the decoders' learning rate on validation data only: train rows at several learning rates with the
run's budget (decoder seed 0), decode the run's validation samples and print each one's validation FD.

    python experiments/choose_lr.py RUN_DIR [--rows token lcdm-lc] [--lrs 5e-4 1e-3 2e-3]

RUN_DIR is a demo run folder whose `decoders` and `selection` stages are done. Nothing here reads a scored sample
or a test image: the FD is against the run's validation images (`run_images(run, "val")`), on its validation
samples (`generation_conditions(run, "validation")`), at the tau the selection chose per row. The runs go to
RUN_DIR/experiments/lr-<lr>/<row> (the run's own decoders at its own `decoder_lr`); a finished one is not
trained again.
"""
import argparse, json
from pathlib import Path
import pandas as pd
from dcdd_nb.demo import DemoRun
from dcdd_nb.decoder import ROWS
from dcdd_nb.protocol import FeatureSpaces, decode_run, SPACES
from dcdd_nb.metrics import frechet_distance
from dcdd_nb.stages import (row_train_config, run_images, generation_conditions, chosen_taus, decoder_fn,
                            load_run_tokenizer)
from dcdd_nb.train import train


def main(run_dir:str, rows:list, lrs:list):
    run = DemoRun(run_dir)
    spaces = FeatureSpaces(run_images(run, "val")[0])
    batches = [(b, None) for b in generation_conditions(run, "validation")]
    taus, tok, out = chosen_taus(run), load_run_tokenizer(run), []
    for lr in lrs:
        for row in rows:
            tc = row_train_config(run, row)          # the run's own decoder at its own learning rate
            if lr != tc["lr"]: tc = {**tc, "lr": lr, "run_dir": str(run.out / f"experiments/lr-{lr}/{row}")}
            s = json.loads((Path(tc["run_dir"]) / "summary.json").read_text()) \
                if (Path(tc["run_dir"]) / "summary.json").is_file() else train(tc)
            if s["status"] != "finished": raise RuntimeError(f"{row} at lr {lr}: {s['status']}")
            fn = decoder_fn(run, tc["run_dir"], tok, row, taus.get(row, 1.0))
            r = decode_run(fn, batches, run.cfg.eval_steps[0], 0, spaces,
                           Path(tc["run_dir"]) / "validation.safetensors")
            out.append(dict(row=ROWS[row].number, decoder=ROWS[row].name, lr=lr,
                            **{f"val_fd_{k}": frechet_distance(r[k], spaces.reference[k]) for k in SPACES}))
            print(out[-1], flush=True)
    t = pd.DataFrame(out)
    print(t.pivot_table(index="decoder", columns="lr", values="val_fd_classifier", sort=False).round(4).to_string())


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir"); ap.add_argument("--rows", nargs="+", default=["token", "lcdm-lc"])
    ap.add_argument("--lrs", nargs="+", type=float, default=[5e-4, 1e-3, 2e-3])
    a = ap.parse_args(); main(a.run_dir, a.rows, a.lrs)
