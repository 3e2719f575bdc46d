"""Does training-time temperature jitter make the DCDD transfer to generated tokens? (issue 10)

Usage:  .venv/bin/python benchmarks/jitter.py --run runs/full [--jitter 1.0] [--steps 400]

Trains the demo's row 4 (all LCDM fields + G(mean), entropy-matched calibration) again with
TrainConfig.temperature_jitter = J and the run's decoder budget, then scores it and the run's own row 4
(the reference, no jitter) on the run's 500 generated samples: FD at 8 Euler steps against the test images.
"""
import argparse, time
from pathlib import Path

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True); ap.add_argument("--jitter", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=None, help="default: the run's decoder_steps")
    ap.add_argument("--work", default="benchmarks/_jitter")
    a = ap.parse_args(argv)
    import torch
    from dcdd_nb import cli, evaluate as ev
    from dcdd_nb.train import train
    run = cli.DemoRun(a.run); tok = cli.load_run_tokenizer(run)
    tc = cli.row_train_config(run, "lcdm-lc")
    ref_dir = Path(tc["run_dir"])
    tc.update(run_dir=f"{a.work}/jitter{a.jitter:g}", temperature_jitter=a.jitter, steps=a.steps or run.cfg.decoder_steps)
    t0 = time.perf_counter(); s = train(tc); print(f"trained {tc['steps']} steps with jitter {a.jitter}: {s['status']} in {time.perf_counter() - t0:.0f} s", flush=True)
    conds = cli._generation_conditions(run); xt, _ = cli._images(run, "test"); clf, _ = ev.load_classifier()
    kw = dict(reference=xt, steps=[8], seeds=[0], features=clf.features, features_name="fashion-mnist classifier")
    fn = lambda path: (cli.decoder_fn(run, path, tok), [8])
    t = ev.evaluate_generation({ev.ABLATION_ROWS[0]: ev.vq_decoder(tok), "row 4 (run)": fn(ref_dir), f"row 4 + jitter {a.jitter:g}": fn(tc["run_dir"])}, conds, **kw).table
    print(ev.to_markdown(t[["decoder", "steps", "fd", "fd_lo", "fd_hi"]]))

if __name__ == "__main__":
    main()
