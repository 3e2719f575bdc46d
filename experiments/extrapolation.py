"""A training-free second-order lever at 2 network evaluations (issue 21): data-space extrapolation, validation only.

    python experiments/extrapolation.py --run runs/full [--weights 0 0.25 0.5] [--steps 2] [--shifts 0.125 0.25]
                                        [--rows lcdm-tf]

Euler on the flow is the first-order data-prediction solver: each step moves x_t toward D_i = x_t - t v(x_t, t), the
model's estimate of the image. DPM-Solver++(2M) (Lu et al. 2022) replaces D_i with the extrapolation
D_i + w (D_i - D_{i-1}), w = 1/(2r) from the log-SNR step ratio r; diffusers' multistep schedulers fall back to first
order on a last step that ends at t = 0, where r -> 0 and w diverges, so at 2 steps they are Euler. Here w is a free
weight, chosen on validation like the shift: w = 0 is Euler exactly (the cached Euler decodings are re-derived and
must match). Each weight runs `few_step.py` with this sampler patched in, into its own folder (`--out`/w{w}), the
rows' 25-step, shift-1 reference decodings linked from `few_step.py`'s cache; the per-weight tables are joined into
`--out`/extrapolation.csv, with each weight's difference to Euler (w = 0) at the same setting, paired on the same
images and noise (`vs_euler*`). The cost at a given number of steps is unchanged (one UNet pass a step).
"""
import argparse, sys
from pathlib import Path
import pandas as pd, torch
from diffusers.utils.torch_utils import randn_tensor
import dcdd_nb.pipeline
from dcdd_nb.decoder import _model_fn, flow_scheduler, flow_times
from dcdd_nb.evaluate import to_markdown
from dcdd_nb.demo import DemoRun
from dcdd_nb.metrics import paired_fd_bootstrap
from dcdd_nb.protocol import SPACES, FeatureSpaces
from dcdd_nb.stages import run_images
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
import few_step


def extrapolating_sample(weight:float):
    "`dcdd_nb.decoder.sample`'s signature; steps toward D_i + weight (D_i - D_{i-1}) instead of D_i."
    @torch.no_grad()
    def sample(decoder, cond_map, vq_image=None, num_inference_steps=8, generator=None, shift=None, tile=None,
               tile_overlap=None, scheduler=None, on_step=None):
        c, (B, _, h, w) = decoder.config, cond_map.shape
        noise = randn_tensor((B, c.in_channels, h * c.downsample, w * c.downsample), generator=generator,
                             device=decoder.device, dtype=decoder.dtype)
        vq_image = None if vq_image is None else vq_image.to(decoder.device, decoder.dtype)
        model = _model_fn(decoder, cond_map.to(decoder.device, decoder.dtype), vq_image, tile, tile_overlap)
        ts = flow_times(num_inference_steps, flow_scheduler(scheduler, shift).config.shift).tolist()
        x, prev = noise, None
        for t, tn in zip(ts[:-1], ts[1:]):
            d = x - t * model(x, torch.full((B,), t, device=x.device, dtype=x.dtype))   # the image estimate D_i
            dx = d if prev is None else d + weight * (d - prev)
            x, prev = (tn / t) * x + (1 - tn / t) * dx, d                               # Euler when weight = 0
            if on_step is not None: on_step()
        return x
    return sample


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/full"); ap.add_argument("--out", default=None)
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    ap.add_argument("--steps", type=int, nargs="+", default=[2])
    ap.add_argument("--shifts", type=float, nargs="+", default=[0.125, 0.25])
    ap.add_argument("--rows", nargs="+", default=["lcdm-tf"])
    a = ap.parse_args()
    if 0.0 not in a.weights: raise SystemExit("--weights must include 0 (Euler, the baseline of every weight)")
    cache = Path(a.run) / "experiments" / "few-step"
    out = Path(a.out or Path(a.run) / "experiments" / "extrapolation")
    tables = []
    for w in a.weights:
        folder = out / f"w{w:g}"; folder.mkdir(parents=True, exist_ok=True)
        for ref in cache.glob(f"*-{few_step.REF[0]}-{few_step.REF[1]:g}.safetensors"):   # the 25-step references
            if not (folder / ref.name).exists(): (folder / ref.name).symlink_to(ref.resolve())
        dcdd_nb.pipeline.sample = extrapolating_sample(w)
        sys.argv = ["few_step.py", "--run", a.run, "--out", str(folder), "--steps", *map(str, a.steps),
                    "--shifts", *map(str, a.shifts), "--rows", *a.rows]
        few_step.main()
        tables.append(pd.read_csv(folder / "few_step.csv").assign(weight=w))
    t = pd.concat(tables)
    t = t[(t.steps != few_step.REF[0]) | (t.weight == 0)].reset_index(drop=True)   # the reference once
    run = DemoRun(a.run); ref = FeatureSpaces(run_images(run, "val")[0]).reference   # few_step's validation reference
    vs = {}
    for row, task, steps, shift in {(r, k, s, h) for r in a.rows for k in ("generation", "reconstruction")
                                    for s in a.steps for h in a.shifts}:
        feats = {w: load_file(str(out / f"w{w:g}" / f"{row}-{task}-{steps}-{1.0 if steps == 1 else shift:g}.safetensors"))
                 for w in a.weights}
        for space in SPACES:
            p = paired_fd_bootstrap({f"w{w:g}": [f[space]] for w, f in feats.items()}, ref[space], ["w0"],
                                    n_boot=run.cfg.n_boot, seed=run.cfg.seed)
            for _, line in p[p.baseline == "w0"].iterrows():
                vs[(task, space, steps, shift, float(line.decoder[1:]))] = (line["diff"], line.diff_lo, line.diff_hi)
    key = lambda r: (r.task, r.space, r.steps, r.shift, r.weight)
    for i, col in enumerate(["vs_euler", "vs_euler_lo", "vs_euler_hi"]):
        t[col] = [vs.get(key(r), (None,) * 3)[i] for r in t.itertuples()]
    t.to_csv(out / "extrapolation.csv", index=False)
    cols = ["row", "task", "space", "steps", "shift", "weight", "fd", "diff", "diff_lo", "diff_hi", "rel", "vs_euler",
            "vs_euler_lo", "vs_euler_hi"]
    print(to_markdown(t[cols].round(4)))


if __name__ == "__main__": main()
