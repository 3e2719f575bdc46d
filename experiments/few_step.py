"""Few-step decoding (issue 21): validation FD against network evaluations, per sampler setting, for trained rows.

    python experiments/few_step.py --run runs/full [--steps 1 2 4 8] [--shifts 0.5 1 3] [--rows token lcdm-lc lcdm-tf]
                                    [--images 400] [--out DIR]
    python experiments/few_step.py --run runs/full --scored --steps 2 --shifts 0.5 --rows lcdm-tf   # once, at the end
    python experiments/few_step.py --run runs/full --rows lcdm-tf --student DIR   # a distilled student beside its teacher
    python experiments/few_step.py --run runs/full --scored --steps 2 --shifts 0.25 --rows lcdm-tf --decoder-seeds 0 1 2 \
                                    --student DIR0 DIR1 DIR2   # one student per decoder seed, pooled like the seeds
    python experiments/few_step.py --run runs/full --scored --steps 2 --shifts 0.25 --rows lcdm-tf --decoder-seeds 0 1 2

A trained run's EMA decoders (first decoder seed, the tau chosen on validation) decode validation data with
diffusers' flow-matching Euler scheduler at each number of steps and time shift (`shift` < 1 spends the steps near
the data, > 1 near the noise): the prior's validation samples (generation) and held-out training images through
the encoder (reconstruction). The reference of each row is its own 25-step, shift-1 decoding (the
evaluation's own setting is `eval_steps`); each setting's FD minus the reference's, on the same images and the
same starting noise, carries a paired bootstrap interval, in both feature spaces, against the validation images.
Validation data only: nothing the evaluation scores is touched. Decoded features are cached in `--out`, so an
interrupted run resumes. `--scored` runs one setting, chosen on validation, and the reference once on the evaluation's
own data (the scored samples against the reference images, the test images reconstructed against their originals)
into `--out`/scored. `--student DIR` (a training run folder, e.g. `experiments/reflow.py`'s) decodes every setting
with that decoder's EMA weights as well, beside the teacher's, both paired to the teacher's own reference decoding,
and each student setting also to the teacher's at the same setting (`vs_teacher*`; one row only); with
`--decoder-seeds`, one student per seed (each distilled from that seed's decoder), in the same order.
"""
import argparse, json, time
from pathlib import Path
import pandas as pd, torch
from dcdd_nb.decoder import ROWS, DCDDecoder
from dcdd_nb.demo import DemoRun
from dcdd_nb.evaluate import to_markdown
from dcdd_nb.metrics import paired_fd_bootstrap
from dcdd_nb.protocol import SPACES, FeatureSpaces, decode_run
from dcdd_nb.lcdm import FIELDS, CodeDistribution
from dcdd_nb.stages import (run_images, load_run_tokenizer, generation_conditions, row_pipeline, row_train_config,
                            chosen_taus, trainable_rows, teacher_distribution, reconstruction_conditions)
from dcdd_nb.vlm import TinyPrior

REF = (25, 1.0)  # (steps, shift) of each row's reference decoding


def pipeline_fn(pipe, shift:float, batch_size:int):
    "fn(condition, steps, generator) of a row's pipeline at time shift `shift`: generated logits or latents."
    def fn(cond, steps, generator):
        if "teacher" in cond:
            return pipe(distribution=cond["teacher"], num_inference_steps=steps, generator=generator,
                        batch_size=batch_size, shift=shift).images
        if "logits" in cond:
            return pipe(logits=cond["logits"], tokens=cond["ids"].flatten(1), num_inference_steps=steps,
                        generator=generator, batch_size=batch_size, shift=shift).images
        return pipe(latents=cond["latents"], num_inference_steps=steps, generator=generator, batch_size=batch_size,
                    shift=shift).images
    return fn


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/full"); ap.add_argument("--out", default=None)
    ap.add_argument("--steps", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--shifts", type=float, nargs="+", default=[0.5, 1.0, 3.0])
    ap.add_argument("--rows", nargs="+", default=["token", "lcdm-lc", "lcdm-tf"])
    ap.add_argument("--images", type=int, default=400, help="validation images reconstructed")
    ap.add_argument("--scored", action="store_true", help="one setting on the scored data (after choosing it)")
    ap.add_argument("--student", nargs="+", default=None,
                    help="training run folders whose EMA decoders are decoded beside the row's, one per decoder seed")
    ap.add_argument("--decoder-seeds", nargs="+", type=int, default=None,
                    help="the row's decoder seeds to pool (default: the first); the intervals are pooled over them")
    a = ap.parse_args()
    if a.student and len(a.rows) != 1: raise SystemExit("--student takes one --rows (the student's teacher)")
    if a.scored and len(a.steps) * len(a.shifts) != 1: raise SystemExit("--scored takes one --steps and one --shifts")
    if bad := [r for r in a.rows if r not in trainable_rows()]:
        raise SystemExit(f"--rows must be trainable ROWS keys, got {bad}")
    run = DemoRun(a.run); c = run.cfg
    seeds = a.decoder_seeds or c.decoder_seeds[:1]
    if a.student and len(a.student) != len(seeds):
        raise SystemExit(f"--student takes one folder per decoder seed {seeds}, got {len(a.student)}")
    if bad := [s for s in seeds if s not in c.decoder_seeds]:
        raise SystemExit(f"--decoder-seeds must be among the run's {c.decoder_seeds}, got {bad}")
    out = Path(a.out or run.out / "experiments" / "few-step"); out.mkdir(parents=True, exist_ok=True)
    tok, taus = load_run_tokenizer(run), chosen_taus(run)
    if a.scored:   # the evaluation's own data, as `protocol.score` decodes it
        out = out / "scored"; out.mkdir(exist_ok=True)
        spaces = FeatureSpaces(run_images(run, "reference")[0])
        rec = reconstruction_conditions(run)
        for cond, _ in rec:   # as the evaluation decodes row 5: float fields, the images' own codes as the hard code
            cond["teacher"] = CodeDistribution(**{k: getattr(cond["teacher"], k).float() for k in FIELDS})
            cond["teacher"].token = tok.codebook[cond["ids"].flatten(1)]
        tasks = {"generation": [(b, None) for b in generation_conditions(run, "scored")], "reconstruction": rec}
        refs = {"generation": spaces.reference, "reconstruction": spaces(torch.cat([x for _, x in rec]))}
    else:
        xv = run_images(run, "val")[0]
        spaces = FeatureSpaces(xv)
        xr = xv[:a.images]
        with torch.no_grad(): rec = [({"latents": z, "ids": tok.quantize(z)}, x) for x in xr.split(c.eval_batch)
                                     for z in [tok.encode(x)]]
        tasks = {"generation": [(b, None) for b in generation_conditions(run, "validation")], "reconstruction": rec}
        refs = {"generation": spaces.reference, "reconstruction": spaces.reference}
        if any(ROWS[r].condition == "teacher" for r in a.rows):   # the prior teacher-forced on the reconstructed images
            yr = run_images(run, "val")[1][:a.images]
            tf = teacher_distribution(TinyPrior.load(run.dir("prior")), tok, xr, yr, c.guidance_scale)
            i = 0
            for cond, x in rec:
                d = CodeDistribution(**{k: getattr(tf, k)[i:i + len(x)].float() for k in FIELDS})
                d.token = tok.codebook[cond["ids"].flatten(1)]; cond["teacher"] = d; i += len(x)
    settings = sorted({(s, 1.0 if s == 1 else h) for s in a.steps for h in a.shifts} | {REF})  # one step ignores the shift
    rows = []
    for row in a.rows:
        pipes = {"": [(row_pipeline(run, row_train_config(run, row, s)["run_dir"], tok, row, taus.get(row, 1.0)),
                       out, "" if s == c.decoder_seeds[0] else f"-seed{s}") for s in seeds]}   # label -> per seed:
        if a.student:                                                     # (pipeline, cache folder, file tag)
            pipes["student"] = [(row_pipeline(run, d, tok, row, taus.get(row, 1.0),
                                              decoder=DCDDecoder.from_pretrained(Path(d) / "decoder_ema")),
                                 out / ("student-" + Path(d).parent.name), "") for d in a.student]
        todo = [(lab, k) for lab in pipes for k in settings if not (lab and k == REF)]
        for task, batches in tasks.items():
            if ROWS[row].condition != "teacher":
                batches = [({k: v for k, v in cond.items() if k != "teacher"}, x) for cond, x in batches]
            feats, secs = {}, {}
            for lab, (steps, shift) in todo:
                for p, folder, tag in pipes[lab]:
                    t = time.perf_counter()
                    r = decode_run(pipeline_fn(p, shift, c.eval_batch), batches, steps, 0, spaces,
                                   folder / f"{row}{tag}-{task}-{steps}-{shift:g}.safetensors")
                    feats.setdefault((lab, steps, shift), []).append(r)
                    secs.setdefault((lab, steps, shift), []).append(float(r["seconds_per_image"]))
                    print(f"{lab or row}{tag} {task} steps {steps} shift {shift:g}: {time.perf_counter() - t:.0f} s",
                          flush=True)
            names = {(lab, *k): f"{lab + ': ' if lab else ''}{k[0]} steps, shift {k[1]:g}" for lab, k in todo}
            ref = names[("", *REF)]
            for space in SPACES:
                t = paired_fd_bootstrap({names[k]: [r[space] for r in f] for k, f in feats.items()}, refs[task][space],
                                        [ref] + [names[k] for k in feats if not k[0] and names[k] != ref],
                                        n_boot=c.n_boot, seed=c.seed)
                for k in feats:
                    is_ref = names[k] == ref
                    line = t[(t.decoder == names[k]) & (t.baseline == ("" if is_ref else ref))].iloc[0]
                    fd = float(t[(t.decoder == names[k]) & (t.baseline == "")].fd.iloc[0])
                    vs = t[(t.decoder == names[k]) & (t.baseline == names.get(("", *k[1:])))]   # a student: its teacher
                    vs = dict(zip(["vs_teacher", "vs_teacher_lo", "vs_teacher_hi"],
                                  vs[["diff", "diff_lo", "diff_hi"]].iloc[0] if k[0] and len(vs) else [None] * 3))
                    rows.append(dict(row=ROWS[row].number, decoder=ROWS[row].name, student=k[0] or None, task=task,
                                     space=space, steps=k[1], shift=k[2], nfe=k[1], fd=fd,
                                     diff=None if is_ref else line["diff"], diff_lo=None if is_ref else line.diff_lo,
                                     diff_hi=None if is_ref else line.diff_hi,
                                     rel=None if is_ref else line["diff"] / line.fd_baseline,
                                     ms_per_image=1000 * sum(secs[k]) / len(secs[k]), n_seeds=len(feats[k]), **vs))
    multi = "seeds-" + "-".join(map(str, seeds)) if len(seeds) > 1 else ""
    res = out / ("student-" + Path(a.student[0]).parent.name + (multi and "-" + multi) if a.student else multi or ".")
    t = pd.DataFrame(rows); res.mkdir(parents=True, exist_ok=True); t.to_csv(res / "few_step.csv", index=False)
    (res / "settings.json").write_text(json.dumps(vars(a), indent=1))
    show = t[t.space == "classifier"].round(4)
    print(to_markdown(show.drop(columns=["space"])))


if __name__ == "__main__": main()
