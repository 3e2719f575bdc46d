"""LCDM at Janus-Pro scale: dense reference vs streamed `lcdm`, dense proxy path vs `lcdm_from_latents`.

    python benchmarks/lcdm.py --threads 1     # B=4 N=576 K=16384 D=8, fp32, 5 timed rounds (RESULTS.md)
    python benchmarks/lcdm.py                 # the same on 2 threads
    python benchmarks/lcdm.py --threads 1 --reps 1 --K 1024   # smoke run, seconds

Cases: "dense" is `lcdm_dense` on (B,N,K) logits; "streamed" is `lcdm` on them; "proxy dense" builds the (B,N,K)
proxy logits with `tokenizers.proxy_logits` and runs the streamed `lcdm` on them; "fused chunked" / "fused sdpa"
are `lcdm_from_latents` from z and the codebook alone.

On cores oversubscribed by other jobs, prefer --threads 1: the streamed path runs many mid-sized parallel ops,
and each op's thread barrier stalls whenever the OS has parked one of its threads (see RESULTS.md).

Time: every case runs `--reps` times, interleaved round by round (so load from other jobs on the machine
hits all cases alike), and the medians of wall-clock and of process CPU time are reported; the ratios
compare cases measured in the same run. Memory: each case runs once in a fresh subprocess, after a warm-up
on a tiny input; "peak extra" is the process's resident-set high-water mark during the call minus its
resident set just before it (Linux /proc/self/status VmHWM, reset through /proc/self/clear_refs), so it
counts every byte torch's CPU allocator touched, which tracemalloc would not see.
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

import torch
import torch.nn.functional as F

from dcdd_nb.lcdm import lcdm, lcdm_dense, lcdm_from_latents
from dcdd_nb.tokenizers import proxy_logits

T_PROXY = 0.1  # proxy temperature; the cost does not depend on it


def inputs(a, case):
    "The case's inputs at the benchmark's scale (fp32, seeded): logits for the LCDM cases, z for the proxy ones."
    g = torch.Generator().manual_seed(0)
    C = F.normalize(torch.randn(a.K, a.D, generator=g), dim=-1)  # (K,D) L2-normalised, as LlamaGen/Janus
    if case in ("dense", "streamed") or case.startswith("streamed@"):
        return dict(logits=torch.randn(a.B, a.N, a.K, generator=g).mul_(3.0), codebook=C)  # (B,N,K)
    h = int(round(a.N ** 0.5))
    return dict(z=F.normalize(torch.randn(a.B, a.D, h, a.N // h, generator=g), dim=1), codebook=C)  # (B,D,h,w)


def runner(a, case, device="cpu"):
    "A no-argument function that runs `case` on inputs made once, on `device`."
    x = {k: v.to(device) for k, v in inputs(a, case).items()}
    if case == "dense": return lambda: lcdm_dense(x["logits"], x["codebook"])
    if case == "streamed": return lambda: lcdm(x["logits"], x["codebook"], chunk_size=a.chunk_size, block_k=a.block_k)
    if case.startswith("streamed@"):  # streamed@CHUNK: same with another chunk_size
        return lambda: lcdm(x["logits"], x["codebook"], chunk_size=int(case[9:]), block_k=a.block_k)
    if case == "proxy dense": return lambda: lcdm(proxy_logits(x["z"], x["codebook"], T_PROXY), x["codebook"],
                                                  chunk_size=a.chunk_size, block_k=a.block_k)
    method = case.split()[-1]  # "fused chunked" / "fused sdpa"
    return lambda: lcdm_from_latents(x["z"], x["codebook"], T_PROXY, chunk_size=a.latent_chunk, method=method)


def status_kb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key): return int(line.split()[1])


def measure_memory(a, case):
    "Run in a fresh process: peak resident memory added by one call of `case`, in MB."
    torch.set_num_threads(a.threads)
    small = argparse.Namespace(**{**vars(a), "B": 1, "N": 16, "K": 256})
    runner(small, case)()  # warm-up: lazy init of kernels and thread pools is not the case's memory
    f = runner(a, case)
    try:
        with open("/proc/self/clear_refs", "w") as fh: fh.write("5")  # reset VmHWM to the current RSS
        how = "VmHWM"
    except OSError: how = "ru_maxrss (no reset)"
    before = status_kb("VmRSS")
    f()
    return dict(case=case, extra_mb=(status_kb("VmHWM") - before) / 1024, how=how)


def memory(a, case):
    cmd = [sys.executable, __file__, "--mem-case", case] + [f"--{k.replace('_', '-')}={v}" for k, v in
           dict(B=a.B, N=a.N, K=a.K, D=a.D, threads=a.threads, chunk_size=a.chunk_size, block_k=a.block_k,
                latent_chunk=a.latent_chunk).items()]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def timings(a, cases):
    "Median wall and CPU seconds per case, rounds interleaved."
    fs = {c: runner(a, c) for c in cases}
    for f in fs.values(): f()  # warm-up round
    wall, cpu = {c: [] for c in cases}, {c: [] for c in cases}
    for _ in range(a.reps):
        for c, f in fs.items():
            t0, c0 = time.perf_counter(), time.process_time(); f()
            wall[c].append(time.perf_counter() - t0); cpu[c].append(time.process_time() - c0)
    return {c: (statistics.median(wall[c]), statistics.median(cpu[c])) for c in cases}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--B", type=int, default=4); p.add_argument("--N", type=int, default=576)
    p.add_argument("--K", type=int, default=16384); p.add_argument("--D", type=int, default=8)
    p.add_argument("--threads", type=int, default=2); p.add_argument("--reps", type=int, default=5)
    p.add_argument("--chunk-size", type=int, default=64); p.add_argument("--block-k", type=int, default=4096)
    p.add_argument("--latent-chunk", type=int, default=128)
    p.add_argument("--mem-case", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.mem_case: print(json.dumps(measure_memory(a, a.mem_case))); return
    torch.set_num_threads(a.threads)
    cases = ["dense", "streamed", "proxy dense", "fused chunked", "fused sdpa"]
    full_mb = a.B * a.N * a.K * 4 / 2**20
    print(f"LCDM benchmark: B={a.B} N={a.N} K={a.K} D={a.D} fp32, torch {torch.__version__}, {a.threads} threads, "
          f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}; one (B,N,K) fp32 tensor = {full_mb:.0f} MB")
    print(f"streamed: chunk_size={a.chunk_size} block_k={a.block_k}; fused: chunk_size={a.latent_chunk}; "
          f"time = median of {a.reps} interleaved rounds; memory = RSS high-water in a fresh process per case")
    t = timings(a, cases)
    mem = {c: memory(a, c) for c in cases + ["streamed@16", "streamed@256"]}
    print(f"\n| case | wall ms | CPU ms | peak extra MB |\n|---|---:|---:|---:|")
    for c in cases: print(f"| {c} | {t[c][0] * 1e3:.0f} | {t[c][1] * 1e3:.0f} | {mem[c]['extra_mb']:.1f} |")
    for c in ("streamed@16", "streamed@256"):
        print(f"| {c.replace('@', ' chunk_size=')} | | | {mem[c]['extra_mb']:.1f} |")
    print(f"(memory measured by {mem['dense']['how']})\n")
    checks = [("streamed vs dense", "dense", "streamed", 2.0),
              ("fused chunked vs proxy dense", "proxy dense", "fused chunked", 3.0),
              ("fused sdpa vs proxy dense", "proxy dense", "fused sdpa", 3.0)]
    for name, ref, new, target in checks:
        w, c = t[ref][0] / t[new][0], t[ref][1] / t[new][1]
        print(f"speed-up {name}: {w:.2f}x wall, {c:.2f}x CPU (target >= {target:.0f}x: "
              f"{'met' if min(w, c) >= target else 'MISSED'})")
    for name, ref, new in (("streamed", "dense", "streamed"), ("fused chunked", "proxy dense", "fused chunked"),
                           ("fused sdpa", "proxy dense", "fused sdpa")):
        print(f"peak extra memory {name}: {mem[new]['extra_mb']:.1f} MB vs {mem[ref]['extra_mb']:.1f} MB "
              f"({mem[ref]['extra_mb'] / max(mem[new]['extra_mb'], 1e-3):.0f}x less; "
              f"one (B,N,K) tensor = {full_mb:.0f} MB)")
    s = [mem[c]["extra_mb"] for c in ("streamed@16", "streamed", "streamed@256")]
    buf = [2 * cs * min(a.block_k, a.K) * 4 / 2**20 for cs in (16, a.chunk_size, 256)]
    print(f"streamed peak extra memory at chunk_size 16/{a.chunk_size}/256: {s[0]:.1f}/{s[1]:.1f}/{s[2]:.1f} MB "
          f"(its two buffers, 2*chunk_size*block_k fp32: {buf[0]:.2f}/{buf[1]:.2f}/{buf[2]:.2f} MB)")


if __name__ == "__main__":
    main()
