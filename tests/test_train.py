"""The training loop (solver.lm.train) and the base-model driver (solver.lm.base): loss falls,
prompt tokens are masked, schedules, adapters, resume, tokenizer and program legality."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from solver.lm import base
from solver.dsl import program, synth
from solver.lm.prompt import check_digit_tokens
from solver.lm.train import (TrainConfig, batch_loss, collate, encode_example, length_batches,
                          lr_at, run_steps, train)

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def tok():
    return base.build_tokenizer()


# A tiny model and a short, quick run: the flags the CLI tests share.
TINY_CLI = ["--hidden", "32", "--layers", "1", "--heads", "2", "--intermediate", "32",
            "--batch-tokens", "1024", "--eval-samples", "1", "--max-new-tokens", "4",
            "--curriculum-steps", "0", "--warmup-steps", "0"]


def tiny_config(**kw) -> base.BaseConfig:
    d = dict(hidden=32, layers=2, heads=2, intermediate=64, batch_tokens=2048, steps=6,
             warmup_steps=0, eval_every=0, eval_tasks=2, eval_samples=2, max_new_tokens=8,
             save_every=3, keep_steps=(3,), curriculum_steps=0, max_side=5, max_draws=2)
    d.update(kw)
    return base.BaseConfig(**d)


def examples(n: int, seed: int = 0, encoder: str = "runs"):
    made, _ = synth.generate("random", n, seed, draws=2, max_side=5)
    return [base.example(m, encoder) for m in made]


def test_tokenizer_roundtrip_and_single_digit_tokens(tok):
    check_digit_tokens(tok)
    for p, t in examples(20):
        ids = tok.encode(p + t, add_special_tokens=False)
        assert tok.decode(ids) == p + t
    target = "    draw_pixel(img, (3, 4), 5)\n"
    toks = tok.convert_ids_to_tokens(tok.encode(target, add_special_tokens=False))
    assert toks == ["    ", "draw_pixel", "(img, ", "(", "3", ", ", "4", ")", ", ", "5", ")", "\n"]
    odd = "weird ü text"  # characters outside the vocabulary become <unk>, nothing crashes
    assert tok.decode(tok.encode(odd, add_special_tokens=False)).startswith("weird")


def test_loss_is_masked_to_target_tokens(tok):
    enc = [encode_example(tok, "input 0\nshape 3x3 bg 0\n", "    return img\n"),
           encode_example(tok, "in", "    return img\n")]
    ids, mask, labels = collate(enc, tok.pad_token_id)
    for r, (seq, n_prompt) in enumerate(enc):
        assert seq[-1] == tok.eos_token_id
        assert (labels[r, :n_prompt] == -100).all()
        assert labels[r, n_prompt:len(seq)].tolist() == seq[n_prompt:]
        assert (labels[r, len(seq):] == -100).all() and (mask[r, len(seq):] == 0).all()
    # the loss equals a cross-entropy taken by hand over the target positions only
    torch.manual_seed(0)
    model = base.new_model(tiny_config(), tok)
    loss, n = batch_loss(model, ids, mask, labels)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
    manual, count = 0.0, 0
    for r, (seq, n_prompt) in enumerate(enc):
        for pos in range(n_prompt, len(seq)):
            manual += float(torch.nn.functional.cross_entropy(logits[r, pos - 1:pos], torch.tensor([seq[pos]])))
            count += 1
    assert n == count
    assert float(loss) == pytest.approx(manual / count, rel=1e-4)
    # right padding: without a mask (as the training loop runs) the loss is the same
    assert float(batch_loss(model, ids, None, labels)[0]) == pytest.approx(float(loss), rel=1e-5)


def test_prompt_only_changes_do_not_count_as_targets(tok):
    # two examples that differ only in the prompt have the same number of target tokens
    a = encode_example(tok, "shape 3x3 bg 0\n" * 5, "    return img\n")
    b = encode_example(tok, "x", "    return img\n")
    assert len(a[0]) - a[1] == len(b[0]) - b[1]


def test_a_few_steps_lower_the_loss(tok):
    torch.manual_seed(0)
    model = base.new_model(tiny_config(), tok)
    ex = examples(24)
    stats = train(model, tok, ex, TrainConfig(lr=3e-3, steps=40, batch_tokens=1024,
                                              warmup_steps=2, progress=False))
    assert stats.steps == 40 and stats.tokens > 0 and stats.tokens_per_s > 0
    first = sum(stats.losses[:5]) / 5
    last = sum(stats.losses[-5:]) / 5
    assert last < 0.6 * first, (first, last)


def test_lr_schedules():
    c = TrainConfig(lr=1.0, warmup_steps=10, schedule="cosine", min_lr_ratio=0.1)
    assert lr_at(0, 100, c) == pytest.approx(0.1)
    assert lr_at(9, 100, c) == pytest.approx(1.0)
    assert lr_at(10, 100, c) == pytest.approx(1.0)
    assert lr_at(99, 100, c) == pytest.approx(0.1)
    assert lr_at(54, 100, c) == pytest.approx(0.55, abs=0.02)
    lin = TrainConfig(lr=1.0, warmup_steps=0, schedule="linear", min_lr_ratio=0.0)
    assert lr_at(50, 101, lin) == pytest.approx(0.5)
    const = TrainConfig(lr=2.0, warmup_steps=4, schedule="constant")
    assert lr_at(80, 100, const) == 2.0
    assert lr_at(0, 5, TrainConfig(lr=1.0, warmup_steps=10)) == 1.0  # warmup capped at steps/10
    with pytest.raises(ValueError):
        TrainConfig(schedule="exp")
    restart = TrainConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1, schedule_start=1000)
    assert lr_at(1000, 1100, restart) == pytest.approx(0.1)  # warmup again from the restart
    assert lr_at(1054, 1100, restart) == pytest.approx(lr_at(54, 100, c))
    assert lr_at(1099, 1100, restart) == pytest.approx(0.1)


def test_length_batches_respect_the_token_budget():
    lengths = [5, 50, 7, 49, 20, 21, 100]
    groups = length_batches(lengths, 100, 8)
    assert sorted(i for g in groups for i in g) == list(range(7))
    for g in groups:
        assert len(g) == 1 or len(g) * max(lengths[i] for i in g) <= 100


def test_only_trainable_params_change_and_lora_leaves_base_intact(tok):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    model = base.new_model(tiny_config(), tok)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    stats = train(peft_model, tok, examples(8), TrainConfig(lr=1e-2, epochs=1, progress=False))
    assert stats.steps >= 1
    lora = {k: v for k, v in peft_model.state_dict().items() if "lora_B" in k}
    assert lora and any(v.abs().sum() > 0 for v in lora.values())  # the adapter learned
    base_model = peft_model.unload()
    for k, v in base_model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_paused_steps_are_left_out_of_the_timing(tok):
    torch.manual_seed(0)
    model = base.new_model(tiny_config(), tok)
    calls = {"n": 0}
    forward = model.forward

    def forward_with_pause(*a, **kw):  # the process is "continued" during steps 2 and 3
        calls["n"] += 1
        if calls["n"] in (2, 3):
            os.kill(os.getpid(), signal.SIGCONT)
        return forward(*a, **kw)

    model.forward = forward_with_pause
    ex = examples(4)
    stats = run_steps(model, tok, [ex] * 5, TrainConfig(steps=5, progress=False), 5)
    assert stats.steps == 5 and len(stats.losses) == 5
    # three timed steps of the same batch: tokens/s counts only those
    n_tokens = collate([encode_example(tok, p, t) for p, t in ex], tok.pad_token_id)[0].numel()
    assert stats.tokens_per_s == pytest.approx(3 * n_tokens / stats.seconds)


def test_parse_program_accepts_only_legal_draw_programs():
    made, _ = synth.generate("random", 50, 3)
    for m in made:
        assert program.parse_program(m.program) == m.draws
    ok = "def task(img):\n    draw_line(img, (0, 0), (2, 2), 3)\n    return img\n"
    assert program.parse_program(ok) == [program.Draw("draw_line", ((0, 0), (2, 2), 3))]
    bad = [
        "def task(img):\n    draw_line(img, (0, 0), (1, 2), 3)\n    return img\n",  # 63 degrees
        "import os\ndef task(img):\n    return img\n",
        "def task(img):\n    os.system('x')\n    return img\n",
        "def task(img):\n    draw_pixel(img, (0, 0), 12)\n    return img\n",  # colour > 9
        "def task(img):\n    draw_pixel(img, (0, 0), c)\n    return img\n",
        "def task(img):\n    draw_pixel(img, (0, 0))\n    return img\n",
        "def task(img):\n    draw_pixel(img, (0, 0), 1)\n",
        "def task(x):\n    return x\n",
        "def task(img):\n    draw_pixel(img, (0, 0), 1\n    return img\n",
    ]
    for code in bad:
        assert program.parse_program(code) is None, code


def test_score_program_runs_legal_programs_only():
    m = synth.generate("random", 1, 4)[0][0]
    s = base.score_program(m.program, m.task)
    assert s == {"legal": True, "accuracy": 1.0, "solved": True}
    empty = base.score_program("def task(img):\n    return img\n", m.task)
    assert empty["legal"] and not empty["solved"] and empty["accuracy"] < 1.0
    assert base.score_program("def task(img):\n    1/0\n    return img\n", m.task)["legal"] is False


def test_curriculum_grows_to_the_full_range():
    c = base.BaseConfig(curriculum_steps=100, start_max_side=4, start_max_draws=1,
                        max_side=10, max_draws=5)
    assert base.curriculum(0, c) == (4, 1)
    assert base.curriculum(50, c) == (7, 3)
    assert base.curriculum(100, c) == (10, 5)
    assert base.curriculum(5000, base.BaseConfig(curriculum_steps=0)) == (10, 5)


def test_resume_continues_the_step_count_and_matches_an_uninterrupted_run(tmp_path):
    from safetensors.torch import load_file

    logs = []
    straight = base.train_base(tmp_path / "a", tiny_config(), progress=False, log=logs.append)
    assert straight["step"] == 6 and straight["curve"][-1]["step"] == 6
    assert (tmp_path / "a" / "steps" / "00003" / "model.safetensors").exists()
    with pytest.raises(ValueError):  # a run folder is never overwritten silently
        base.train_base(tmp_path / "a", tiny_config(), progress=False, log=logs.append)

    half = base.train_base(tmp_path / "b", tiny_config(), progress=False, log=logs.append,
                           stop_at=3)
    assert half["step"] == 3 and (tmp_path / "b" / "ckpt" / "optimizer.pt").exists()
    resumed = base.train_base(tmp_path / "b", resume=True, progress=False, log=logs.append)
    assert resumed["step"] == 6 and any("resuming" in m and "step 3" in m for m in logs)
    assert [r["step"] for r in resumed["curve"]] == [3, 6]
    a = load_file(tmp_path / "a" / "ckpt" / "model.safetensors")
    b = load_file(tmp_path / "b" / "ckpt" / "model.safetensors")
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6), k
    with pytest.raises(ValueError, match="hidden"):  # the shape comes from the checkpoint
        base.train_base(tmp_path / "b", resume=True, progress=False, log=logs.append,
                        overrides={"hidden": 64})
    more = base.train_base(tmp_path / "b", resume=True, progress=False, log=logs.append,
                           overrides={"steps": 8, "threads": 1})
    assert more["step"] == 8 and more["config"]["hidden"] == 32
    assert torch.get_num_threads() == 1  # the resumed run's settings apply, not the defaults
    torch.set_num_threads(2)


def test_cli_train_base_and_resume(tmp_path, capsys, monkeypatch):
    from solver.cli import main
    from solver.lm import quiet

    routed = []  # routing is process-wide: keep pytest's own process as it is
    monkeypatch.setattr(quiet, "route_library_noise", routed.append)
    monkeypatch.setattr(quiet, "route_transformers", lambda: None)

    args = ["train-base", "--out", str(tmp_path), "--no-progress", *TINY_CLI, "--eval-tasks", "2"]
    assert main(args + ["--steps", "4", "--stop-at", "2"]) == 0
    assert "step 2: pass@1" in capsys.readouterr().out
    assert main(["train-base", "--out", str(tmp_path), "--resume", "--no-progress"]) == 0
    assert routed == [tmp_path / "library.log"] * 2
    state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert state["step"] == 4 and state["config"]["hidden"] == 32
    solver_json = json.loads((tmp_path / "ckpt" / "solver.json").read_text())
    # the evaluations sample 4 tokens; a model solving tasks gets the test-time budget
    assert solver_json == {"prompt": {"encoder": "runs", "chat": False}, "max_new_tokens": 512,
                           "grammar": "dsl"}


def test_until_never_pulls_a_batch_it_will_not_train():
    pulled, now = [], [0.0]

    def stream():
        for i in range(10):
            pulled.append(i)  # the stream's position moves when a batch is pulled
            yield i

    got = []
    for batch in base._until(stream(), lambda: now[0] >= 3.0):
        got.append(batch)
        now[0] += 1.0  # each step takes a second
    assert got == [0, 1, 2] and pulled == [0, 1, 2]
    assert list(base._until(iter([1, 2]), lambda: False)) == [1, 2]


def test_stop_after_ends_the_call_between_steps_checkpointed(tmp_path):
    logs = []
    c = tiny_config(steps=100_000, save_every=10**6, keep_steps=())
    t0 = time.time()
    base.train_base(tmp_path, c, progress=False, log=logs.append, stop_at=1)
    setup_s = time.time() - t0  # building, one step, a checkpoint and an evaluation
    t0 = time.time()
    state = base.train_base(tmp_path, resume=True, progress=False, log=logs.append,
                            stop_after=setup_s + 3.0)
    took = time.time() - t0
    assert 1 < state["step"] < 100_000  # steps ran, and the deadline (not the schedule) ended them
    assert took < 2 * setup_s + 3.0 + 30  # a step, a checkpoint and an evaluation past it at most
    saved = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert saved["step"] == state["step"] and saved["curve"][-1]["step"] == state["step"]
    more = base.train_base(tmp_path, resume=True, progress=False, log=logs.append,
                           stop_at=state["step"] + 2)
    assert more["step"] == state["step"] + 2  # the resume goes on from the deadline's step


def test_a_stop_request_ends_the_call_between_steps_checkpointed(tmp_path):
    asks = []

    def stop_requested() -> bool:  # asked before each step: yes before the fourth
        asks.append(1)
        return len(asks) > 3

    state = base.train_base(tmp_path, tiny_config(steps=100), progress=False, log=lambda m: None,
                            stop_requested=stop_requested)
    assert state["step"] == 3
    saved = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert saved["step"] == 3 and saved["curve"][-1]["step"] == 3


def test_one_trainer_at_a_time_on_a_run_folder(tmp_path):
    with base.run_lock(tmp_path):  # as if another process were training in tmp_path
        with pytest.raises(ValueError, match=f"{tmp_path} is being trained by pid {os.getpid()}"):
            base.train_base(tmp_path, tiny_config(steps=1), progress=False, log=lambda m: None)
        assert not (tmp_path / "ckpt").exists()  # nothing of the run was written
    state = base.train_base(tmp_path, tiny_config(steps=1), progress=False, log=lambda m: None)
    assert state["step"] == 1  # the lock went with its holder


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_train_base_stops_at_a_checkpoint_on_sigterm_or_ctrl_c(tmp_path, signum):
    """A machine going away sends SIGTERM, a user presses Ctrl-C: the run ends at the next
    step, checkpointed and evaluated, not killed mid-way with everything since the last save
    lost."""
    args = [sys.executable, "-m", "solver", "train-base", "--out", str(tmp_path), "--no-progress",
            *TINY_CLI, "--eval-tasks", "1", "--steps", "100000", "--save-every", "100000",
            "--threads", "1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (tmp_path / "config.json").exists() and time.time() < deadline:
            time.sleep(0.2)  # the run writes its config.json as its first step begins
        time.sleep(2.0)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert f"{signal.Signals(signum).name}: stopping after this step" in err
    step = json.loads((tmp_path / "ckpt" / "state.json").read_text())["step"]
    assert 0 < step < 100_000 and f"step {step}: pass@1" in out  # saved though no save was due


def test_stream_resumes_at_the_same_batch(tok):
    c = tiny_config(pool_steps=3)
    pos = {}
    stream = base.batch_stream(c, tok, 0, 0, pos)
    seen = []
    for _ in range(5):
        seen.append(next(stream))
    saved = dict(pos)
    nxt = next(stream)
    again = next(base.batch_stream(c, tok, saved["pool"], saved["offset"], {}))
    assert again == nxt


def test_worker_processes_make_the_same_stream(tok):
    c = tiny_config(pool_steps=2)
    here = base.batch_stream(c, tok, 3, 1, {})
    expected = [next(here) for _ in range(7)]
    expected = [[encode_example(tok, p, t) for p, t in b] for b in expected]  # encoded there
    pos = {}
    there = base.batch_stream(tiny_config(pool_steps=2, workers=2), tok, 3, 1, pos)
    try:
        assert [next(there) for _ in range(7)] == expected
    finally:
        there.close()  # shuts the worker processes down
    assert pos["pool"] > 3


def test_export_makes_a_model_folder_and_init_continues_its_run(tmp_path):
    from solver.lm.model import ModelConfig, load

    logs = []
    base.train_base(tmp_path / "run", tiny_config(), progress=False, log=logs.append, stop_at=3)
    dest = base.export(tmp_path / "run" / "ckpt", tmp_path / "model")
    assert (dest / "model.safetensors").exists() and not (dest / "optimizer.pt").exists()
    assert json.loads((dest / "training.json").read_text())["step"] == 3
    model = load(ModelConfig(path=str(dest)))  # the model layer reads it
    assert model.prompt_config.encoder == "runs" and model.max_new_tokens == 512
    training = json.loads((dest / "training.json").read_text())
    training["config"].update(device="cuda:7", workers=3)  # as if exported from a GPU machine
    (dest / "training.json").write_text(json.dumps(training))
    state = base.train_base(tmp_path / "next", progress=False, log=logs.append, init=dest)
    assert state["step"] == 6 and state["config"]["hidden"] == 32
    assert state["config"]["device"] == "auto" and state["config"]["workers"] == 0
    assert any("fresh optimizer" in m for m in logs)
    with pytest.raises(ValueError):  # never over an existing run
        base.train_base(tmp_path / "next", progress=False, log=logs.append, init=dest)


def test_cli_train_base_keeps_library_chatter_off_the_console(tmp_path):
    """Each checkpoint save would print transformers' "Writing model shards" bar."""
    args = [sys.executable, "-m", "solver", "train-base", "--out", str(tmp_path), "--no-progress",
            *TINY_CLI, "--eval-tasks", "1", "--steps", "100000", "--stop-after", "3s",
            "--save-every", "1", "--threads", "1"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Writing model shards" not in done.stderr + done.stdout
    step = json.loads((tmp_path / "ckpt" / "state.json").read_text())["step"]
    assert step < 100_000 and f"step {step}: pass@1" in done.stdout  # --stop-after ended it


def test_train_window_script_resumes_the_run_it_packed(tmp_path):
    """tools/train_window.sh: a new run, packed into parts; the next window resumes it."""
    script = Path(__file__).parents[1] / "tools" / "train_window.sh"
    env = {**os.environ, "WINDOW_RUN": str(tmp_path / "run"), "PYTHON": sys.executable}
    tiny = [*TINY_CLI, "--eval-tasks", "1", "--threads", "1", "--steps", "100000"]
    carry, out = tmp_path / "carry", tmp_path / "out"

    def window() -> tuple[int, str]:
        done = subprocess.run(["bash", str(script), str(carry), str(out), "3s", *tiny],
                              capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (out / "train.log").read_text() in done.stdout
        parts = sorted(out.glob("ckpt.tar.part-*"))
        assert parts and all(p.stat().st_size <= 15 * 2**20 for p in parts)
        step = json.loads((tmp_path / "run" / "ckpt" / "state.json").read_text())["step"]
        return step, done.stdout

    first, said = window()
    assert "window: new run" in said
    carry.mkdir()
    for p in out.glob("ckpt.tar.part-*"):
        p.rename(carry / p.name)
    second, said = window()
    assert f"window: resuming the carried run at step {first}" in said
    assert second >= first  # from the carried step on, not from scratch (steps: a machine's speed)
    state = json.loads((tmp_path / "run" / "ckpt" / "state.json").read_text())
    assert state["config"]["hidden"] == 32 and state["curve"][0]["step"] == first


def test_bf16_autocast_only_where_the_cpu_computes_bf16_natively():
    """An AVX2-only CPU emulates bf16 (a matmul ~50x slower than fp32): training there runs
    in fp32; a CPU with AVX512-BF16 or AMX uses bf16 autocast."""
    import torch

    from solver.lm.train import bf16_is_native, cpu_bf16_is_native

    avx2 = "processor : 0\nflags : fpu sse sse2 avx avx2 fma\n"
    assert not cpu_bf16_is_native(avx2)
    assert cpu_bf16_is_native(avx2.replace("fma", "fma avx512f avx512_bf16"))
    assert cpu_bf16_is_native(avx2.replace("fma", "fma amx_bf16 amx_tile"))
    assert not cpu_bf16_is_native("")
    assert bf16_is_native(torch.device("cpu")) == cpu_bf16_is_native()
    assert not bf16_is_native(torch.device("meta"))
