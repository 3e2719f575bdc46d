"""Fault injection: every failure and weak point of issue 19 ends in a clean state or a named error.

Each test damages, interrupts or misuses one thing the way a user or a crash would, then checks that the library
(or the `dcdd` command) says what is wrong, naming the argument or the file, and that nothing on disk claims more
than is there. Tiny models on the CPU: the whole file runs in well under a minute.
"""
import json, os, pickle, signal, subprocess, sys, time, warnings
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from dcdd_nb import demo as dm
from dcdd_nb.checkpoints import run_lock
from dcdd_nb.cli import main
from dcdd_nb.decoder import DCDDecoder, codebook_fingerprint
from dcdd_nb.pipeline import DCDDPipeline
from dcdd_nb.lcdm import lcdm
from dcdd_nb.metrics import psnr, ssim
from dcdd_nb.tokenizers import TinyVQ
from dcdd_nb.train import train
from dcdd_nb.vlm import TinyPrior, PriorConfig

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    "A tiny saved tokenizer (16 px images, 4x4 tokens of 32 codes)."
    torch.manual_seed(0)
    t = TinyVQ(channels=(8, 16), num_codes=32, code_dim=4).eval()
    t.save(tmp_path_factory.mktemp("tok") / "tok")
    return t


def tiny_decoder(t):
    return DCDDecoder(sample_size=16, code_dim=4, downsample=4, block_out_channels=(16, 32), norm_num_groups=8,
                      codebook_fingerprint=codebook_fingerprint(t.codebook))


def tiny_run(tmp, t, name, **kw):
    "A TrainConfig dict of a tiny decoder run (a few seconds)."
    tok_dir = tmp / "tok"
    if not tok_dir.exists(): t.save(tok_dir)
    return dict(run_dir=str(tmp / name), tokenizer=str(tok_dir), resolution=16, limit=32, batch_size=8, steps=4,
                checkpoint_every=2, log_every=1, warmup_steps=1, lr=1e-3, sample_steps=1,
                cache_dir=str(tmp / "latents"), decoder={"block_out_channels": [16, 32], "norm_num_groups": 8},
                **kw)


def cli(argv, capsys):
    "Run `dcdd argv` in-process: its exit code and stderr (a traceback would fail the test)."
    rc = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return rc, err


# -- 1. a stage record never says "done" while its outputs are gone ------------------------------------------------

def fake_runners(fail_in=None):
    "Stage runners that each write one file into their folder; `fail_in` raises half-way through its stage."
    def runner(stage):
        def run(r):
            (r.dir(stage) / "out.txt").write_text(stage)
            if stage == fail_in: raise ValueError(f"{stage} broke half-way")
            return {"stage": stage}
        run.__doc__ = stage
        return run
    return {s: runner(s) for s in dm.STAGES}


def test_failed_stage_leaves_no_record_and_damaged_outputs_rerun(tmp_path, capsys):
    out = tmp_path / "run"
    with patch("dcdd_nb.demo._runners", return_value=fake_runners()):
        dm.demo(out, log=lambda *_: None)
    run = dm.DemoRun(out)
    assert all(run.done(s) for s in dm.STAGES)
    with patch("dcdd_nb.demo._runners", return_value=fake_runners(fail_in="evaluation")):
        rc, err = cli(["evaluate", "--run", str(out)], capsys)
    assert rc == 1 and "dcdd: error: evaluation broke half-way" in err
    recs = json.loads((out / "stages.json").read_text())
    assert "evaluation" not in recs and "report" in recs       # the failed stage's record went first
    assert not dm.DemoRun(out).done("evaluation") and not dm.DemoRun(out).done("report")
    (out / "data" / "out.txt").unlink()                         # an output deleted behind the record's back
    assert dm.DemoRun(out).missing("data") == ["out.txt"] and not dm.DemoRun(out).done("data")
    calls = []
    def counted(stage):
        def run(r): calls.append(stage); (r.dir(stage) / "out.txt").write_text(stage); return {}
        return run
    with patch("dcdd_nb.demo._runners", return_value={s: counted(s) for s in dm.STAGES}):
        dm.demo(out, log=lambda *_: None)
    assert calls == dm.STAGES                                    # everything downstream of data runs again


def test_damaged_stage_records_and_settings_name_their_file(tmp_path, capsys):
    out = tmp_path / "run"
    with patch("dcdd_nb.demo._runners", return_value=fake_runners()):
        dm.demo(out, log=lambda *_: None)
    (out / "stages.json").write_text('{"data": {"finger')
    rc, err = cli(["evaluate", "--run", str(out)], capsys)
    assert rc == 1 and f"{out / 'stages.json'} is not a readable stage record file" in err
    (out / "demo.yaml").write_text("seed: [1\n")
    rc, err = cli(["evaluate", "--run", str(out)], capsys)
    assert rc == 1 and "demo.yaml is not a readable demo settings file" in err
    rc, err = cli(["evaluate", "--run", str(tmp_path / "nowhere")], capsys)
    assert rc == 1 and "has no demo.yaml" in err


# -- 2. numbers are checked, never replaced by a default -----------------------------------------------------------

@pytest.mark.parametrize("kw, msg", [
    (dict(logit_temperature=0.0), "logit_temperature must be a finite number > 0, got 0.0"),
    (dict(logit_temperature=float("inf")), "logit_temperature must be a finite number > 0"),
    (dict(proxy_temperature=0.0), "proxy_temperature must be a finite number > 0, got 0.0"),
    (dict(batch_size=0), "batch_size must be an int >= 1, got 0"),
    (dict(num_inference_steps=0), "num_inference_steps must be an int >= 1"),
])
def test_pipeline_refuses_bad_numbers(tok, kw, msg):
    pipe = DCDDPipeline(tiny_decoder(tok), tok)
    with pytest.raises(ValueError) as e:
        if "proxy_temperature" in kw: pipe(latents=torch.randn(1, 4, 4, 4), num_inference_steps=1, **kw)
        else: pipe(logits=torch.randn(1, 16, 32), tokens=torch.zeros(1, 16, dtype=torch.long),
                   **{"num_inference_steps": 1, **kw})
    assert msg in str(e.value), str(e.value)


@pytest.mark.parametrize("logits, msg", [
    (torch.full((1, 2, 8), float("nan")), "must not contain NaN or +inf"),
    (torch.zeros(1, 2, 8).index_fill_(2, torch.tensor([3]), float("inf")), "must not contain NaN or +inf"),
    (torch.full((1, 2, 8), float("-inf")), "whose K logits are all -inf"),
    (torch.zeros(0, 2, 8), "must hold at least one token"),
    (np.zeros((1, 2, 8), np.float32), "must be a torch tensor, got numpy.ndarray"),
])
def test_lcdm_refuses_silent_nan(logits, msg):
    with pytest.raises(ValueError) as e: lcdm(logits, torch.randn(8, 3))
    assert msg in str(e.value) and "logits" in str(e.value)


def test_lcdm_refuses_bad_temperature_and_warns_on_absurd_logits():
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        lcdm(torch.randn(1, 2, 8), torch.randn(8, 3), temperature=float("inf"))
    with pytest.warns(UserWarning, match="beyond MAX_LOGIT"):
        lcdm(torch.randn(1, 2, 8) * 3e28, torch.randn(8, 3))


def test_metrics_and_guidance_refuse_nan():
    x = torch.zeros(2, 1, 16, 16)
    for f in (psnr, ssim):
        with pytest.raises(ValueError, match="a must be finite images"): f(x.clone().fill_(float("nan")), x)
        with pytest.raises(ValueError, match="b must be finite images"): f(x, x.clone().fill_(float("inf")))
    prior = TinyPrior(PriorConfig(num_codes=32, height=4, width=4, dim=16, depth=1, heads=2))
    with pytest.raises(ValueError, match="guidance_scale"): prior.generate(labels=[0], guidance_scale=float("nan"))
    with pytest.raises(ValueError, match="temperature"): prior.generate(labels=[0], temperature=float("inf"))


# -- 3. checkpoints: pruning keeps intact ones, nothing intact stops ----------------------------------------------

def test_all_checkpoints_damaged_stops_and_restart_is_explicit(tmp_path, tok):
    cfg = tiny_run(tmp_path, tok, "r")
    assert train(cfg)["status"] == "finished"
    ckpts = sorted((tmp_path / "r" / "checkpoints").iterdir())
    for c in ckpts: (c / "counters.json").write_text("{broken")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="no checkpoint in .* can be resumed from .*restart=True"): train(cfg)
    assert sorted((tmp_path / "r" / "checkpoints").iterdir()) == ckpts        # the damaged ones stay to be seen
    assert train(cfg, restart=True)["status"] == "finished"


def test_malicious_state_is_named_and_never_runs(tmp_path, tok):
    cfg = tiny_run(tmp_path, tok, "m")
    train(cfg)
    marker = tmp_path / "pwned"
    class Evil:
        def __reduce__(self): return (os.system, (f"touch {marker}",))
    newest = sorted((tmp_path / "m" / "checkpoints").iterdir())[-1]
    (newest / "state.pt").write_bytes(pickle.dumps(Evil()))
    from dcdd_nb.checkpoints import _sha256, _FILES
    (newest / "manifest.json").write_text(json.dumps({f: _sha256(newest / f) for f in _FILES}))  # consistent
    with pytest.warns(UserWarning, match=f"{newest / 'state.pt'} does not load"):
        assert train(cfg)["status"] == "finished"                               # fell back to the one before
    assert not marker.exists()


# -- 4. loading never imports a module named by a file -------------------------------------------------------------

def test_pipeline_json_cannot_import_code(tmp_path, tok):
    pipe = DCDDPipeline(tiny_decoder(tok), tok)
    pipe.save_pretrained(tmp_path / "p")
    marker = tmp_path / "ran"
    (tmp_path / "p" / "tokenizer_impl.py").write_text(f"import pathlib; pathlib.Path({str(marker)!r}).touch()\n")
    meta = json.loads((tmp_path / "p" / "model_index.json").read_text())
    (tmp_path / "p" / "model_index.json").write_text(json.dumps({**meta, "tokenizer": ["tokenizer_impl", "Evil"]}))
    old = os.getcwd(); os.chdir(tmp_path / "p")
    try:
        with pytest.raises(ValueError, match=r"names tokenizer=\['tokenizer_impl', 'Evil'\]"):
            DCDDPipeline.from_pretrained(tmp_path / "p")
    finally: os.chdir(old)
    assert not marker.exists() and "tokenizer_impl" not in sys.modules
    (tmp_path / "p" / "model_index.json").write_text("{not json")
    with pytest.raises(ValueError, match="model_index.json is not a readable pipeline index file"):
        DCDDPipeline.from_pretrained(tmp_path / "p")


# -- 5. a run folder belongs to one config, one process and one codebook -------------------------------------------

def test_run_folder_refuses_another_config_and_a_second_process(tmp_path, tok, capsys):
    cfg = tiny_run(tmp_path, tok, "c")
    train(cfg)
    with pytest.raises(ValueError, match=r"another config \(steps: 4 -> 6\)"): train({**cfg, "steps": 6})
    with pytest.raises(ValueError, match="variant: 'lcdm' -> 'token'"): train({**cfg, "variant": "token"})
    (tmp_path / "c.yaml").write_text(json.dumps(cfg))
    with run_lock(tmp_path / "c"):
        r = subprocess.run([sys.executable, "-m", "dcdd_nb.cli", "train", "--config", str(tmp_path / "c.yaml")],
                           capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 1 and f"is in use by process {os.getpid()}" in r.stderr, r.stderr[-500:]
    assert "Traceback" not in r.stderr


def test_decoder_refuses_another_codebook(tok):
    other = TinyVQ(channels=(8, 16), num_codes=32, code_dim=4)      # same sizes, another codebook
    with pytest.raises(ValueError, match="was trained for the codebook with fingerprint"):
        DCDDPipeline(tiny_decoder(tok), other)


# -- 6. files that do not load name themselves ---------------------------------------------------------------------

def test_damaged_files_are_named(tmp_path, tok, capsys):
    bad_tok = tmp_path / "tok-bad"; tok.save(bad_tok)
    (bad_tok / "model.safetensors").write_bytes(b"\x00" * 7)
    with pytest.raises(ValueError, match="model.safetensors is not a readable tokenizer weights file"):
        TinyVQ.load(bad_tok)
    (tmp_path / "logits.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with patch("dcdd_nb.stages.DemoRun", side_effect=AssertionError("the file is read first")):
        rc, err = cli(["decode", "--run", "R", "--logits", str(tmp_path / "logits.safetensors"), "--out",
                       str(tmp_path / "o")], capsys)
    assert rc == 1 and "logits.safetensors is not a readable logits file" in err
    data = tmp_path / "data" / "fashion-mnist"; data.mkdir(parents=True)
    (data / "MANIFEST.json").write_text("{")
    r = subprocess.run([sys.executable, "-c", "from dcdd_nb.data import load_bundled; load_bundled(limit=1)"],
                       capture_output=True, text=True, env={**ENV, "DCDD_DATA": str(tmp_path / "data")})
    assert "MANIFEST.json is not a readable bundled data manifest" in r.stderr, r.stderr[-400:]


# -- 7. Ctrl-C and SIGTERM: one line, exit 130 ---------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_anywhere_is_one_line(sig):
    slow = ("import sys, time; from unittest.mock import patch; from dcdd_nb.cli import main\n"
            "with patch('dcdd_nb.demo.run_stage', side_effect=lambda *a, **k: time.sleep(60)):\n"
            "    print('ready', flush=True); sys.exit(main(['generate', '--run', 'R']))")
    # as from a terminal: a shell that runs jobs in the background (CI) starts them with SIGINT ignored
    p = subprocess.Popen([sys.executable, "-c", slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=ENV, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.3); p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines() == [
        "dcdd: interrupted; what was saved is kept, and the same command resumes from there"], err
