"""Distillation of a trained decoder (issue 21): a student for 1-2 Euler steps, by reflow or progressive distillation.

    python experiments/reflow.py --run runs/full [--row lcdm-tf] [--steps 300] [--lr 2e-4] [--teacher-steps 8]
                                 [--teacher-shift 0.25] [--name NAME]
    python experiments/reflow.py --run runs/full --method progressive --student-steps 2 [--teacher-shift 0.25]
    python experiments/few_step.py --run runs/full --rows lcdm-tf --student runs/full/experiments/METHOD/NAME/run

Rectified-flow "reflow" (Liu et al. 2022, 2-rectified flow): the student starts from the row's trained EMA decoder
(first decoder seed) and is fine-tuned with the usual flow loss, but on pairs that the teacher couples: for each
training condition of the row (its own conditioning, as in its training) a noise z and the teacher's sample x^ drawn
from z with `--teacher-steps` Euler steps at `--teacher-shift`; x_t = (1-t) x^ + t z, target z - x^. The teacher's
paths from z to x^ are straight lines for the student, so one or two Euler steps land where many steps of the
teacher land. Pairs are drawn online, a new batch each step (on this CPU that costs about as many teacher samples as
storing them would). Validation and scoring are `few_step.py --student`, which decodes with the student and pairs
every setting to the teacher's own 25-step decoding on the same images and noise. Each run's folder keeps
checkpoints, so a rerun resumes.

`--method progressive` is the package's `dcdd_nb.distill.ProgressiveDistiller` (progressive distillation, one
halving; `dcdd distill` for users) with the student's grid `--student-steps` at `--teacher-shift`: the student
learns, on the real images' own path, to take in one Euler step what its teacher takes in two. Unlike reflow's,
every pair starts on the data's path, not on the teacher's samples, and the student is only trained at its grid's
times.
"""
import argparse, json, time
from pathlib import Path
import torch
from diffusers.utils.torch_utils import randn_tensor
from dcdd_nb.decoder import DCDDecoder, decoder_loss, euler_flow_sample
from dcdd_nb.distill import ProgressiveDistiller
from dcdd_nb.demo import DemoRun
from dcdd_nb.stages import row_train_config, trainable_rows
from dcdd_nb.train import Trainer, config_from_dict, step_generator


class Reflow(Trainer):
    "A decoder training run on (noise, teacher sample) pairs, starting from the teacher's weights."
    def __init__(self, cfg, teacher:DCDDecoder, steps:int, shift:float, restart:bool=False):
        self.flow_teacher, self.pair_steps, self.pair_shift = teacher.eval().requires_grad_(False), steps, shift
        super().__init__(cfg, restart)
        if self.start == 0:   # a new run starts from the teacher (a resumed one from its checkpoint)
            self.model.load_state_dict(teacher.state_dict())
            self.ema.shadow_params = [p.detach().clone() for p in self.model.parameters()]

    def micro_step(self, m:int) -> float|None:
        "Micro-batch `m`'s flow loss on the teacher's coupling of a noise and its sample, and its backward."
        (x, cm, vq), acc = self.batch(m), self.acc                   # x, the real images, only give the shape
        g = step_generator(self.cfg.seed, m, acc.process_index, acc.device)
        noise = randn_tensor(x.shape, generator=g, device=acc.device, dtype=x.dtype)
        with torch.no_grad():
            x_hat = euler_flow_sample(lambda x, t: self.flow_teacher(x, t, cm, vq), noise, self.pair_steps,
                                      self.pair_shift).clamp(-1, 1)
        with acc.accumulate(self.wrapped):
            with acc.autocast(): loss = decoder_loss(self.fwd, x_hat, cm, vq, generator=g, noise=noise)
            if not torch.isfinite(loss.detach()): return None
            acc.backward(loss)
        return (loss.detach() / self.cfg.grad_accum).float().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/full"); ap.add_argument("--row", default="lcdm-tf")
    ap.add_argument("--steps", type=int, default=300); ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch", type=int, default=32); ap.add_argument("--ema-decay", type=float, default=0.99)
    ap.add_argument("--teacher-steps", type=int, default=8); ap.add_argument("--teacher-shift", type=float, default=0.25)
    ap.add_argument("--method", choices=["reflow", "progressive"], default="reflow")
    ap.add_argument("--student-steps", type=int, default=2, help="progressive: the student's Euler steps")
    ap.add_argument("--decoder-seed", type=int, default=None, help="the teacher's decoder seed (default: the first)")
    ap.add_argument("--name", default=None, help="the run's folder under RUN/experiments/METHOD (default from settings)")
    a = ap.parse_args()
    if a.row not in trainable_rows(): raise SystemExit(f"--row must be one of {trainable_rows()}, got {a.row!r}")
    run = DemoRun(a.run)
    seed = run.cfg.decoder_seeds[0] if a.decoder_seed is None else a.decoder_seed
    if seed not in run.cfg.decoder_seeds:
        raise SystemExit(f"--decoder-seed must be one of the run's {run.cfg.decoder_seeds}, got {seed}")
    base = row_train_config(run, a.row, seed)
    pair_steps = a.teacher_steps if a.method == "reflow" else a.student_steps
    name = a.name or (f"{a.row}-{a.steps}x{a.batch}-lr{a.lr:g}-"
                      + (f"t{a.teacher_steps}" if a.method == "reflow" else f"s{a.student_steps}") + f"@{a.teacher_shift:g}"
                      + ("" if seed == run.cfg.decoder_seeds[0] else f"-seed{seed}"))
    out = run.out / "experiments" / a.method / name
    teacher = DCDDecoder.from_pretrained(Path(base["run_dir"]) / "decoder_ema")
    cfg = config_from_dict({**base, "run_dir": str(out / "run"), "steps": a.steps, "lr": a.lr, "batch_size": a.batch,
                            "warmup_steps": max(1, a.steps // 20), "ema_decay": a.ema_decay,
                            "checkpoint_every": max(1, a.steps // 3), "keep_checkpoints": 2})
    out.mkdir(parents=True, exist_ok=True)
    (out / "settings.json").write_text(json.dumps(vars(a), indent=1))
    t = time.perf_counter()
    summary = {"reflow": Reflow, "progressive": ProgressiveDistiller}[a.method](cfg, teacher, pair_steps,
                                                                               a.teacher_shift).fit()
    print(json.dumps({**summary, "seconds_this_call": round(time.perf_counter() - t, 1), "student": str(out / "run")}))


if __name__ == "__main__": main()
