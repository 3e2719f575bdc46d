"""Where a decoder training step's time goes on a CPU, and what the usual speed-ups buy.

Usage:  .venv/bin/python benchmarks/train_step.py [--batch-size 64] [--steps 6] [--compile]
        .venv/bin/python benchmarks/train_step.py --batch-size 8 --steps 1   # smoke run

One flow-matching training step (forward, backward, AdamW) of the demo-size decoder of rows 3-4 (32px,
`ROWS["lcdm"]`: all LCDM fields and the G(token) image, block channels (32,64,64), 22 input channels), random data.
Variants: the default (fp32, oneDNN convs), channels_last memory format, torch's native convolutions (oneDNN
off), bf16 autocast, and with --compile torch.compile (its compile time printed separately). Median step time
after one warm-up; ratios against the default measured in the same run.
"""
import argparse, contextlib, statistics, time
import torch
from dcdd_nb.decoder import DCDDecoder, ROWS, decoder_loss
from dcdd_nb.lcdm import map_channels

def step_time(model, x, cm, vq, steps, autocast=False):
    opt = torch.optim.AdamW(model.parameters(), 1e-4); ts = []
    for i in range(steps + 1):
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext():
            loss = decoder_loss(model, x, cm, vq, torch.Generator().manual_seed(i))
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts[1:])

class _Compiled:
    "A compiled decoder as `decoder_loss` sees it (config from the plain module)."
    def __init__(self, m): self.m, self.c, self.config = m, torch.compile(m), m.config
    def __call__(self, *a, **k): return self.c(*a, **k)
    def parameters(self): return self.m.parameters()

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=64); ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--compile", action="store_true")
    a = ap.parse_args(); B = a.batch_size
    torch.manual_seed(0)
    row = ROWS["lcdm"].decoder  # rows 3-4's decoder: all LCDM fields and the G(token) image
    new = lambda: DCDDecoder(sample_size=32, code_dim=8, downsample=4, **row)
    x = torch.randn(B, 1, 32, 32)                                   # images
    cm = torch.randn(B, map_channels(row["fields"], 8), 8, 8)        # LCDM map (B,Cm,h,w)
    vq = torch.randn(B, 1, 32, 32)                                  # G image
    cl = lambda t: t.contiguous(memory_format=torch.channels_last)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {B}, "
          f"median of {a.steps} steps after 1 warm-up")
    r = {"default (fp32, oneDNN)": step_time(new(), x, cm, vq, a.steps)}
    r["channels_last"] = step_time(new().to(memory_format=torch.channels_last), cl(x), cm, cl(vq), a.steps)
    torch.backends.mkldnn.enabled = False
    r["native convolutions"] = step_time(new(), x, cm, vq, a.steps)
    torch.backends.mkldnn.enabled = True
    r["bf16 autocast"] = step_time(new(), x, cm, vq, a.steps, autocast=True)
    if a.compile:
        m = _Compiled(new()); t = time.perf_counter()
        decoder_loss(m, x, cm, vq).backward()
        print(f"torch.compile first step (compiling): {time.perf_counter() - t:.1f} s")
        r["torch.compile"] = step_time(m, x, cm, vq, a.steps)
    ref = r["default (fp32, oneDNN)"]
    print(f"{'variant':<24} {'s/step':>7} {'images/s':>9} {'speed-up':>9}")
    for k, v in r.items(): print(f"{k:<24} {v:>7.3f} {B / v:>9.1f} {ref / v:>8.2f}x")

if __name__ == "__main__":
    main()
