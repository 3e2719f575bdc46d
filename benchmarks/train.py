"""Training throughput and peak memory of the decoder's training loop (`dcdd_nb.train.train`).

Usage:  .venv/bin/python benchmarks/train.py [--steps 12] [--warmup 3] [--batch-size 64] [--device cpu|cuda]
                                             [--preset demo|janus]
        .venv/bin/python benchmarks/train.py --steps 2 --warmup 1 --batch-size 16   # smoke run

Each case runs in a fresh process (so peak RSS is its own) and trains the same decoder for `warmup + steps`
steps; throughput is batch_size / median(step_seconds) over the steps after warm-up, from metrics.csv. The decoder
is rows 3-4's (`TrainConfig.variant="lcdm"`: all LCDM fields and the G(token) image), uncalibrated.
Cases: encoding every step (`uncached`, the reference), cached latents (the default: the encoder runs
once per image), and cached conditions (LCDM maps and G(token) computed once too; needs no augmentation). The demo
preset is the CPU demo's size (32px Fashion-MNIST, TinyVQ f=4 K=512 D=8, decoder channels (32,64,64));
the janus preset is a 256px, K=16384, D=8, f=16 stand-in for the GPU (random tokenizer weights: the speed
of a step does not depend on them).
"""
import argparse, csv, json, os, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path

PRESETS = {
    "demo": dict(tok=dict(channels=[32, 64], num_codes=512, code_dim=8), resolution=32, channels=1,
                 decoder={"block_out_channels": [32, 64, 64]}, dataset="fashion-mnist"),
    "janus": dict(tok=dict(channels=[32, 64, 128, 128], num_codes=16384, code_dim=8, normalized=True, in_channels=3),
                  resolution=256, channels=3, decoder={"block_out_channels": [64, 128, 256, 256]},
                  dataset="fashion-mnist"),
}

def child(args):
    "Run one case in this process and print a JSON line."
    import torch
    from dcdd_nb.tokenizers import TinyVQ
    from dcdd_nb.train import train
    p = PRESETS[args.preset]
    d = Path(args.tmp)
    TinyVQ(**p["tok"]).save(d / "tok")
    cfg = dict(run_dir=str(d / f"run-{args.case}"), tokenizer=str(d / "tok"), resolution=p["resolution"],
               channels=p["channels"], dataset=p["dataset"],
               limit=max(2048, args.batch_size * (args.steps + args.warmup)), batch_size=args.batch_size,
               steps=args.steps + args.warmup, log_every=1, checkpoint_every=10_000, sample_every=0, sample_steps=1,
               variant="lcdm", decoder=p["decoder"],
               cache_latents=args.case != "uncached", cache_conditions=args.case == "conditions",
               cache_dir=str(d / "latents"), mixed_precision="bf16" if args.device == "cuda" else "no")
    t0 = time.perf_counter(); train(cfg); wall = time.perf_counter() - t0
    rows = list(csv.DictReader(open(Path(cfg["run_dir"]) / "metrics.csv")))
    step_s = [float(r["step_seconds"]) for r in rows[args.warmup:]]
    med = statistics.median(step_s)
    mem = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if torch.cuda.is_available(): mem["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps({"case": args.case, "median_step_s": med, "images_per_s": args.batch_size / med, "wall_s": wall,
                      **mem}))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12); ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--preset", default="demo", choices=sorted(PRESETS))
    ap.add_argument("--case"); ap.add_argument("--tmp")
    args = ap.parse_args()
    if args.case: return child(args)
    import torch
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, preset {args.preset}, "
          f"batch {args.batch_size}, {args.steps} timed steps after {args.warmup} warm-up, device {args.device}")
    res, cuda = {}, args.device == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        for case in ["uncached", "cached", "conditions"]:
            cmd = [sys.executable, __file__, "--case", case, "--tmp", tmp, "--steps", str(args.steps),
                   "--warmup", str(args.warmup), "--batch-size", str(args.batch_size), "--device", args.device,
                   "--preset", args.preset]
            env = {**os.environ, "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if cuda else ""}
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if out.returncode: sys.exit(f"case {case} failed:\n{out.stderr[-3000:]}")
            res[case] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'case':<10} {'images/s':>10} {'s/step':>8} {'peak RSS MB':>12}"
          + (f" {'peak CUDA MB':>13}" if cuda else ""))
    for c, r in res.items():
        print(f"{c:<10} {r['images_per_s']:>10.1f} {r['median_step_s']:>8.3f} {r['peak_rss_mb']:>12.0f}"
              + (f" {r['peak_cuda_mb']:>13.0f}" if "peak_cuda_mb" in r else ""))
    for c in ["cached", "conditions"]:
        print(f"throughput ratio {c}/uncached: {res[c]['images_per_s'] / res['uncached']['images_per_s']:.2f}x")

if __name__ == "__main__":
    main()
