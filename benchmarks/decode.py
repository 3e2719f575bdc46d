#!/usr/bin/env python3
"""Decode time per image: DCDDPipeline (LCDM + G(token) + N sampler steps) vs the VQ decoder alone.

    python benchmarks/decode.py                          # demo-size config on the CPU
    python benchmarks/decode.py --device cuda            # 256px Janus-scale config on a GPU
    python benchmarks/decode.py --config demo --steps 1,2,4,8 --repeats 7 --threads 1
    python benchmarks/decode.py --steps 1,2 --repeats 1  # smoke run, seconds

The decoder is rows 3-4's (`ROWS["lcdm"]`: all LCDM fields and the G(token) image). Weights are random (time does
not depend on them). Every round times every variant once, in turn, so
that a change in machine load hits all of them alike; the figures are medians over rounds, and the
ratio column divides by the VQ decoder's median from the same run.

Configs:
- demo: the bundled-data setup, 32px grayscale, TinyVQ f=4 (K=512, D=8), DCDDecoder (32,64,64), no attention.
- janus256: 256px RGB, f=16 (a 16x16 grid), K=16384, D=8 (Janus-Pro / LlamaGen sizes). The tokenizer is
  a TinyVQ stand-in of that geometry (Janus's own VQ decoder is larger, so the VQ baseline is a lower
  bound and the ratio an upper bound); the decoder has (64,128,256,256) channels, 2 layers per block
  and attention at the lowest resolution.
"""
import argparse, statistics, time
import torch
from dcdd_nb.decoder import DCDDecoder, ROWS
from dcdd_nb.pipeline import DCDDPipeline
from dcdd_nb.tokenizers import TinyVQ, TinyVQConfig
from dcdd_nb.lcdm import lcdm

CONFIGS = {
    "demo": dict(tok=dict(in_channels=1, channels=(32, 64), num_codes=512, code_dim=8),
                 dec=dict(sample_size=32, in_channels=1, code_dim=8, downsample=4)),
    "janus256": dict(tok=dict(in_channels=3, channels=(64, 128, 128, 256), num_codes=16384, code_dim=8,
                              normalized=True),
                     dec=dict(sample_size=256, in_channels=3, code_dim=8, downsample=16,
                              block_out_channels=(64, 128, 256, 256), layers_per_block=2, attention=True,
                              norm_num_groups=32)),
}

def sync(device):
    if device.type == "cuda": torch.cuda.synchronize()

def timed(fn, device):
    sync(device); t0 = time.perf_counter(); fn(); sync(device)
    return time.perf_counter() - t0

def build(config, device, dtype):
    "Random-weight tokenizer and decoder of `config`, and a pipeline over them."
    cfg = CONFIGS[config]
    tok = TinyVQ(TinyVQConfig(**cfg["tok"])).to(device).eval()
    dec = DCDDecoder(**cfg["dec"], **ROWS["lcdm"].decoder).to(device).eval()
    if dtype != torch.float32: dec = dec.to(dtype=dtype)
    pipe = DCDDPipeline(dec, tok); pipe.set_progress_bar_config(disable=True)   # no bar inside the timings
    return tok, dec, pipe

@torch.no_grad()
def variants(tok, pipe, logits, steps):
    "name -> a zero-argument callable that decodes the batch of logits."
    ids = logits.argmax(-1).view(logits.shape[0], *([int(logits.shape[1] ** 0.5)] * 2))  # (B,h,w)
    out = {"VQ decoder (argmax)": lambda: tok.decode_ids(ids),
           "LCDM only": lambda: lcdm(logits, tok.codebook)}
    for s in steps:
        out[f"DCDD {s} step{'s' * (s > 1)}"] = lambda s=s: pipe(logits=logits, num_inference_steps=s,
                                                                generator=torch.Generator(logits.device).manual_seed(0),
                                                                batch_size=logits.shape[0])
    return out

def decode_times(config, device, dtype, batch, steps, repeats):
    "Seconds per image of every variant in each timed round (after one warm-up round), and the decoder and tokenizer."
    torch.manual_seed(0)
    tok, dec, pipe = build(config, device, dtype)
    g = dec.config.sample_size // dec.config.downsample
    logits = torch.randn(batch, g * g, tok.codebook.shape[0], device=device) * 3  # (B,N,K)
    fns = variants(tok, pipe, logits, steps)
    times = {k: [] for k in fns}
    for r in range(repeats + 1):
        for k, fn in fns.items():
            t = timed(fn, device)
            if r: times[k].append(t / batch)
    return times, dec, tok

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--config", default=None, choices=list(CONFIGS), help="default: demo on cpu, janus256 on cuda")
    ap.add_argument("--steps", default="1,2,4,8,16", help="comma-separated sampler step counts")
    ap.add_argument("--batch", type=int, default=None, help="images per call (default 8 on cpu, 16 on cuda)")
    ap.add_argument("--repeats", type=int, default=5, help="timed rounds (median reported), after one warm-up round")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"], help="decoder dtype")
    a = ap.parse_args()
    device = torch.device(a.device)
    config = a.config or ("janus256" if device.type == "cuda" else "demo")
    batch = a.batch or (16 if device.type == "cuda" else 8)
    if a.threads: torch.set_num_threads(a.threads)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[a.dtype]
    times, dec, tok = decode_times(config, device, dtype, batch, [int(s) for s in a.steps.split(",")], a.repeats)
    g = dec.config.sample_size // dec.config.downsample
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} thread(s)"
    print(f"config={config} device={name} dtype={a.dtype} batch={batch} image={dec.config.sample_size}px "
          f"grid={g}x{g} K={tok.codebook.shape[0]} decoder={sum(p.numel() for p in dec.parameters())/1e6:.2f}M params "
          f"repeats={a.repeats} torch={torch.__version__}")
    ref = statistics.median(times["VQ decoder (argmax)"])
    print("| decode | ms / image (median) | x VQ decoder |\n|---|---:|---:|")
    for k, ts in times.items():
        m = statistics.median(ts)
        print(f"| {k} | {1e3 * m:.2f} | {m / ref:.1f} |")

if __name__ == "__main__":
    main()
