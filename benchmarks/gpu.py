"""Issue 21 on one accelerator, in one command: decoder training (images/s, MFU), decode time, fused vs dense LCDM.

Usage:  .venv/bin/python benchmarks/gpu.py --out gpu.md   # on a GPU: the full run, bf16 (sized for under 5 min on an H200; not yet run on one)
        .venv/bin/python benchmarks/gpu.py --batch-size 64 --peak-tflops 989   # another batch; the device's peak
        .venv/bin/python benchmarks/gpu.py --reduced       # the same code paths at tiny sizes (automatic without CUDA)

Sizes. Full: decode.py's `janus256` config (256px RGB; a TinyVQ stand-in with f=16, K=16384, D=8, random weights;
the decoder of rows 3-4, `ROWS["lcdm"]`, channels (64,128,256,256), 2 layers per block, attention at the lowest
resolution), bf16. Reduced: the `demo` config (32px, K=512, D=8, decoder (32,64,64)) and a few repeats, fp32 on a
CPU (bf16 autocast there is 18x slower, RESULTS.md), bf16 on a GPU: it proves the script runs, its figures mean nothing.

1. Training: the step the trainer takes with cached latents (its default): `proxy_condition` of the latents (fused
   LCDM and G(token)), `decoder_loss` under bf16 autocast, backward, AdamW. images/s = batch / median step time over
   the timed steps after warm-up, CUDA synchronised around each step. FLOPs: one more step under
   `torch.utils.flop_counter.FlopCounterMode`, counted apart for the conditioning, the loss's forward and the
   backward; MFU = decoder forward + backward FLOPs / median step time / the device's peak dense bf16 FLOP/s
   (--peak-tflops; default from `PEAK_TFLOPS` by `torch.cuda.get_device_name()`, n/a on a CPU or an unknown device).
   Peak memory: `torch.cuda.max_memory_allocated` over the part. Batch 32 by default: a 256px step saves about
   1.4 GiB of activations per image (measured in fp32 on a CPU), so 64 would not fit an 80 GB card.
2. Decode: decode.py's `decode_times`: `DCDDPipeline` from logits at 1, 2 and 8 Euler steps, the VQ decoder alone
   (the reference, fp32) and LCDM alone, DCDD decoder weights in bf16, rounds interleaved; ms/image medians and the
   ratio to the VQ decoder.
3. LCDM: lcdm.py's cases at Janus-Pro sizes (B=16 images of N=576 tokens, K=16384, D=8, fp32, the package's chunk
   sizes): the fused `lcdm_from_latents` ("fused sdpa", its default, and "fused chunked") against the dense proxy
   path ("proxy dense": (B,N,K) `proxy_logits`, then `lcdm`), and the streamed `lcdm` against `lcdm_dense` on
   (B,N,K) logits. ms per call: median over rounds, cases interleaved. Peak extra memory: the CUDA allocator's
   high-water mark during one call minus what was allocated before it (on a CPU, lcdm.py's RSS high-water).

Prints a Markdown section for benchmarks/RESULTS.md (the command, the machine, one table per part, ratios measured
in the same run); --out FILE also writes it to FILE and the raw numbers to FILE with the suffix .json.
"""
import argparse, contextlib, json, math, os, platform, statistics, sys, warnings
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from dcdd_nb.decoder import decoder_loss, proxy_condition
import decode, lcdm as lcdm_bench  # the sibling benchmark scripts

PEAK_TFLOPS = [("H200 NVL", 835), ("H200", 989), ("H100 PCIe", 756), ("H100 NVL", 835), ("H100", 989),
               ("A100", 312)]  # dense bf16 TFLOP/s (no sparsity); the first name contained in the device's wins
MODES = {"full": dict(config="janus256", batch_size=32, warmup=5, steps=20, decode_batch=16, repeats=5,
                      lcdm=dict(B=16, N=576, K=16384, D=8), lcdm_reps=5),
         "reduced": dict(config="demo", batch_size=4, warmup=1, steps=2, decode_batch=4, repeats=5,
                         lcdm=dict(B=2, N=64, K=512, D=8), lcdm_reps=3)}
DECODE_STEPS = (1, 2, 8)
LCDM_CASES = {"proxy dense": None, "fused chunked": "proxy dense", "fused sdpa": "proxy dense",
              "dense": None, "streamed": "dense"}  # case -> the case it is compared with

def training(m, device, batch_size, peak_tflops):
    "Part 1: step times, FLOPs (conditioning, forward, backward), MFU and peak memory of decoder training."
    torch.manual_seed(0)
    tok, dec, _ = decode.build(m["config"], device, torch.float32)
    dec.train(); c = dec.config
    x = torch.rand(batch_size, c.in_channels, c.sample_size, c.sample_size, device=device) * 2 - 1  # (B,C,H,W)
    with torch.no_grad(): z = tok.encode(x)                                  # (B,D,h,w) the cached latents
    opt = torch.optim.AdamW(dec.parameters(), 1e-4)
    amp = lambda: torch.autocast("cuda", torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    def step(i, count=(contextlib.nullcontext(),) * 3):
        with count[0]: cm, vq = proxy_condition(z, tok, dec, lcdm_bench.T_PROXY)  # (B,Cm,h,w), (B,C,H,W)
        with count[1], amp(): loss = decoder_loss(dec, x, cm, vq, torch.Generator(device).manual_seed(i))
        with count[2]: loss.backward()
        opt.step(); opt.zero_grad(set_to_none=True)
    if device.type == "cuda": torch.cuda.reset_peak_memory_stats()
    n = m["warmup"] + m["steps"]
    ts = [decode.timed(lambda: step(i), device) for i in range(n)][m["warmup"]:]
    counters = [FlopCounterMode(display=False) for _ in range(3)]
    step(n, counters)
    cond, fwd, bwd = (fc.get_total_flops() for fc in counters)
    t = statistics.median(ts)
    return dict(batch_size=batch_size, warmup=m["warmup"], step_s=ts, median_step_s=t, images_per_s=batch_size / t,
                block_out_channels=list(c.block_out_channels), decoder_params=sum(p.numel() for p in dec.parameters()),
                flops_conditioning=cond, flops_forward=fwd, flops_backward=bwd, achieved_tflops=(fwd + bwd) / t / 1e12,
                peak_tflops=peak_tflops, mfu=(fwd + bwd) / t / (peak_tflops * 1e12) if peak_tflops else None,
                peak_memory_gib=torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None)

def decoding(m, device, dtype):
    "Part 2: ms/image of the VQ decoder, LCDM alone and the pipeline at `DECODE_STEPS` steps, per round."
    with warnings.catch_warnings():  # decode.py passes no emitted tokens (the hard code is the argmax), as it did
        warnings.filterwarnings("ignore", message="logits without tokens")
        times, _, _ = decode.decode_times(m["config"], device, dtype, m["decode_batch"], DECODE_STEPS, m["repeats"])
    return {k: dict(ms_per_image=1e3 * statistics.median(v), rounds_ms=[1e3 * t for t in v]) for k, v in times.items()}

def cuda_extra_mb(f):
    "The CUDA allocator's high-water mark during f() minus what was allocated before it, in MB."
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); before = torch.cuda.memory_allocated()
    f(); torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - before) / 2**20

def lcdm_paths(m, device):
    "Part 3: ms per call (per round, interleaved) and peak extra memory of each of `LCDM_CASES`."
    a = argparse.Namespace(**m["lcdm"], chunk_size=64, block_k=4096, latent_chunk=128,  # the package's defaults
                           threads=torch.get_num_threads())
    fs = {c: lcdm_bench.runner(a, c, device) for c in LCDM_CASES}
    for f in fs.values(): f()  # warm-up round
    ts = {c: [] for c in fs}
    for _ in range(m["lcdm_reps"]):
        for c, f in fs.items(): ts[c].append(1e3 * decode.timed(f, device))
    mem = {c: cuda_extra_mb(f) if device.type == "cuda" else lcdm_bench.measure_memory(a, c)["extra_mb"]
           for c, f in fs.items()}
    return {c: dict(ms=statistics.median(ts[c]), rounds_ms=ts[c], peak_extra_mb=mem[c], reference=LCDM_CASES[c])
            for c in fs}

def machine(device):
    "One line naming the device, torch and the CPUs."
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        return (f"{p.name} ({p.total_memory / 2**30:.0f} GiB), CUDA {torch.version.cuda}, torch {torch.__version__}, "
                f"{os.cpu_count()} CPUs")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.machine()) if os.path.exists("/proc/cpuinfo") else platform.machine()
    return (f"{cpu}, {torch.get_num_threads()} thread(s) of {os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}, "
            f"torch {torch.__version__}, no CUDA")

def na(x, fmt): return "n/a" if x is None else format(x, fmt)

def table(head, rows):
    "Markdown table lines: the header, the alignment row (first column left), the rows."
    return [f"| {' | '.join(head)} |", "|---|" + "---:|" * (len(head) - 1), *(f"| {' | '.join(r)} |" for r in rows)]

def lcdm_row(case, v, ref):
    "A row of part 3: the case's time and memory, and its ratios to its reference `ref` (None: it is one)."
    row = [case, f"{v['ms']:.2f}", f"{v['peak_extra_mb']:.1f}"]
    if ref is None: return row + ["-", "", ""]
    mem = v["peak_extra_mb"] / ref["peak_extra_mb"] if ref["peak_extra_mb"] else None
    return row + [v["reference"], f"{ref['ms'] / v['ms']:.2f}x", na(mem, ".3f")]

def markdown(r):
    "The RESULTS.md section of the results `r`: what ran where, then one table per part."
    t, d, l, m = r["train"], r["decode"], r["lcdm"], MODES[r["mode"]]
    cfg, per, vq = decode.CONFIGS[m["config"]], 1e9 * t["batch_size"], d["VQ decoder (argmax)"]["ms_per_image"]
    s, mb = m["lcdm"], math.prod(m["lcdm"][k] for k in "BNK") * 4 / 2**20  # one (B,N,K) fp32 tensor
    reduced = " Reduced sizes: this checks the code paths; the figures mean nothing." if r["mode"] == "reduced" else ""
    return "\n".join([
        f"## Training, decode and LCDM on one device (`benchmarks/gpu.py`, {r['mode']} mode)", "",
        f"`$ {r['command']}`", "", f"Machine: {r['machine']}.", "",
        f"Config `{m['config']}`: {cfg['dec']['sample_size']}px, {cfg['tok']['in_channels']} channel(s), TinyVQ "
        f"stand-in f={cfg['dec']['downsample']} K={cfg['tok']['num_codes']} D={cfg['tok']['code_dim']} (random "
        f"weights), decoder `ROWS[\"lcdm\"]` {tuple(t['block_out_channels'])}, {t['decoder_params'] / 1e6:.2f}M "
        f"parameters.{reduced}", "",
        f"### 1. Decoder training, {r['precision']} (a step: conditioning of cached latents, loss, backward, "
        "AdamW)", "",
        *table(["batch", f"s/step (median of {len(t['step_s'])} after {t['warmup']} warm-up)", "images/s",
                "GFLOP/image fwd+bwd (fwd)", "conditioning GFLOP/image", "achieved TFLOP/s", "peak TFLOP/s", "MFU",
                "peak CUDA memory GiB"],
               [[str(t["batch_size"]), f"{t['median_step_s']:.4f}", f"{t['images_per_s']:.1f}",
                 f"{(t['flops_forward'] + t['flops_backward']) / per:.2f} ({t['flops_forward'] / per:.2f})",
                 f"{t['flops_conditioning'] / per:.3f}", f"{t['achieved_tflops']:.2f}", na(t["peak_tflops"], ".0f"),
                 na(t["mfu"], ".1%"), na(t["peak_memory_gib"], ".2f")]]), "",
        f"### 2. Decode time per image (batch {m['decode_batch']}, DCDD decoder {r['decode_dtype']}, VQ decoder fp32, "
        f"median of {m['repeats']} interleaved rounds)", "",
        *table(["decode", "ms / image", "x VQ decoder"],
               [[k, f"{v['ms_per_image']:.3f}", f"{v['ms_per_image'] / vq:.1f}"] for k, v in d.items()]), "",
        f"### 3. LCDM paths (B={s['B']}, N={s['N']}, K={s['K']}, D={s['D']}, fp32; median of {m['lcdm_reps']} "
        f"interleaved rounds; one (B,N,K) fp32 tensor = {mb:.3g} MB; peak extra memory by "
        + ("the CUDA allocator)" if r["device"] == "cuda" else "RSS high-water in-process, coarse)"), "",
        *table(["case", "ms / call", "peak extra MB", "against", "speed-up", "memory, x against"],
               [lcdm_row(c, v, l.get(v["reference"])) for c, v in l.items()])]) + "\n"

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reduced", action="store_true", help="tiny sizes, a few repeats (automatic without CUDA)")
    ap.add_argument("--out", type=Path, help="also write the Markdown to this file, the raw numbers beside it (.json)")
    ap.add_argument("--batch-size", type=int, help="training batch (default 32; 4 reduced)")
    ap.add_argument("--peak-tflops", type=float, help="the device's peak dense bf16 TFLOP/s for MFU "
                                                      "(default: from PEAK_TFLOPS by device name)")
    a = ap.parse_args()
    if a.batch_size is not None and a.batch_size < 1: ap.error(f"--batch-size must be >= 1, got {a.batch_size}")
    if a.peak_tflops is not None and not (math.isfinite(a.peak_tflops) and a.peak_tflops > 0):
        ap.error(f"--peak-tflops must be a finite number > 0, got {a.peak_tflops}")
    cuda = torch.cuda.is_available()
    device, mode = torch.device("cuda" if cuda else "cpu"), "reduced" if a.reduced or not cuda else "full"
    m = MODES[mode]
    name = torch.cuda.get_device_name() if cuda else ""
    peak = a.peak_tflops or next((p for k, p in PEAK_TFLOPS if k in name), None)
    r = dict(command=" ".join([".venv/bin/python benchmarks/gpu.py", *sys.argv[1:]]), machine=machine(device),
             device=device.type, mode=mode, config=m["config"], precision="bf16 autocast" if cuda else "fp32",
             decode_dtype="bf16" if cuda else "fp32")
    r["train"] = training(m, device, a.batch_size or m["batch_size"], peak)
    r["decode"] = decoding(m, device, torch.bfloat16 if cuda else torch.float32)
    r["lcdm"] = lcdm_paths(m, device)
    md = markdown(r)
    print(md, end="")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(md); a.out.with_suffix(".json").write_text(json.dumps(r, indent=1) + "\n")

if __name__ == "__main__":
    main()
