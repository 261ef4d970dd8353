"""The embedded model on DSL v2 tasks (solver.lm.base with ``tasks="v2"``): the stream's
examples are the solver's own prompts and verified programs, the v2 tokenizer is exact,
the sandbox scores sampled programs, a tiny run checkpoints, resumes and evaluates; the
drawing runs are unchanged."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

from solver import dsl
from solver.dsl.gen import GENERATORS, generate_v2
from solver.lm import base, dialects
from solver.lm.prompt import PROGRAM_HEAD, PromptConfig, extract_code
from solver.sandbox.executor import Executor

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def tok():
    return base.build_tokenizer(tasks="v2")


def tiny_v2(**kw) -> base.BaseConfig:
    d = dict(tasks="v2", hidden=32, layers=2, heads=2, intermediate=64, batch_tokens=2048,
             steps=4, warmup_steps=0, eval_every=0, eval_tasks=3, eval_samples=2,
             max_new_tokens=24, save_every=2, keep_steps=(2,), curriculum_steps=0,
             v2_max_side=6, v2_max_steps=2, max_positions=1024, pool_steps=2)
    d.update(kw)
    return base.BaseConfig(**d)


def test_v2_stream_examples_are_the_solvers_prompts_and_verified_programs(tok):
    c = tiny_v2()
    counts = base.new_counts()
    pool = base.make_pool(0, 0, c, tok, counts=counts)
    got = [ex for batch in pool for ex in batch]
    assert counts["examples"] == len(got) > 0
    # the same tasks, in stream order: each example is its task's prompt and program
    tasks = base.v2_stream(0, 0, c)
    want = []
    for _ in range(counts["examples"] + counts["too_long"]):
        vt = next(tasks)
        prompt, target = base.v2_example(vt, c.encoder)
        # the prompt is the one the solver samples from (the dsl dialect, train pairs only)
        assert prompt == dialects.DSL.prompt(vt.task, None, PromptConfig(encoder="runs", chat=False))
        assert prompt.endswith(PROGRAM_HEAD) and "input 0\n" in prompt
        code = PROGRAM_HEAD + target
        assert extract_code(target) == code == vt.program  # the solver's extraction round-trips
        ast.parse(code)
        for pair in (*vt.task.train, *vt.task.test):  # our own ground truth: run in-process
            assert dsl.run_trusted(code, pair.input) == pair.output
        assert len(vt.task.train) >= 2
        if len(tok.encode(prompt + target, add_special_tokens=False)) + 1 <= c.max_positions:
            want.append((prompt, target))
    assert sorted(got) == sorted(want)


def test_v2_stream_drops_and_counts_examples_over_the_context(tok):
    counts = base.new_counts()
    pool = base.make_pool(0, 0, tiny_v2(max_positions=400, v2_max_side=12), tok, counts=counts)
    assert counts["too_long"] > 0 and counts["examples"] > 0
    for batch in pool:
        for p, t in batch:
            assert len(tok.encode(p + t, add_special_tokens=False)) + 1 <= 400


def test_v2_curriculum_grows_sides_and_operations():
    c = tiny_v2(curriculum_steps=100, v2_start_max_side=10, v2_max_side=30,
                v2_start_max_steps=1, v2_max_steps=3)
    assert base.curriculum_v2(0, c) == (10, 1)
    assert base.curriculum_v2(50, c) == (20, 2)
    assert base.curriculum_v2(100, c) == (30, 3)
    assert base.curriculum_v2(10, tiny_v2(curriculum_steps=0, v2_max_side=25)) == (25, 2)


def test_family_weights_parse_and_errors():
    names, p = base.family_weights("random-v2=4,rigid=0")
    assert "rigid" not in names and len(names) == len(GENERATORS) - 1
    assert p[names.index("random-v2")] == pytest.approx(4 / (len(names) - 1 + 4))
    with pytest.raises(ValueError, match="v2_families"):
        base.family_weights("nosuch=1")
    with pytest.raises(ValueError, match="v2_families"):
        base.family_weights("rigid=x")


def test_v2_tokenizer_roundtrips_programs_and_prompts_byte_for_byte(tok):
    unk = tok.unk_token_id
    for fam in GENERATORS:
        made, _ = generate_v2(fam, 2, seed=3)
        for vt in made:
            prompt, target = base.v2_example(vt, "runs")
            ids = tok.encode(prompt + target, add_special_tokens=False)
            assert unk not in ids
            assert tok.decode(ids) == prompt + target
            # the solver's encode (special tokens on) adds nothing: training sees the same ids
            assert tok.encode(prompt) == tok.encode(prompt, add_special_tokens=False)
    for name in dsl.V2_PRIMITIVES:
        assert len(tok.encode(name, add_special_tokens=False)) == 1, name
    line = "    img = recolor_objects(img, 'largest', bg_color(img), 8, False)\n"
    assert tok.convert_ids_to_tokens(tok.encode(line, add_special_tokens=False)) == [
        "    ", "img = ", "recolor_objects", "(img, ", "'largest'", ", ", "bg_color", "(img)",
        ", ", "8", ", ", "False", ")", "\n"]


def test_drawings_tokenizer_is_unchanged():
    from transformers import AutoTokenizer

    shipped = AutoTokenizer.from_pretrained(str(Path(dsl.__file__).parents[1] / "models"
                                                / "default"))
    assert base.build_tokenizer().get_vocab() == shipped.get_vocab()
    assert base.build_tokenizer(tasks="drawings").get_vocab() == shipped.get_vocab()
    assert len(base.build_tokenizer(tasks="v2")) > len(shipped)


def test_v2_scoring_runs_programs_in_the_sandbox():
    vt = generate_v2("rigid", 1, seed=5)[0][0]
    codes = [vt.program, "def task(img):\n    return img\n",
             "def task(img):\n    return 1 / 0\n", "def task(img):\n    while True: pass\n"]
    with Executor(workers=1, timeout_s=0.25) as ex:
        s = base.score_programs_v2(codes, vt.task, ex)
    assert [x["legal"] for x in s] == [True, True, False, False]
    assert [x["solved"] for x in s] == [True, False, False, False]
    assert s[0]["accuracy"] == 1.0 and s[1]["accuracy"] < 1.0
    assert s[2]["status"] == "error" and s[3]["status"] == "timeout"


def test_tiny_v2_run_checkpoints_resumes_and_evaluates(tmp_path):
    from solver.lm.model import ModelConfig, load

    logs = []
    half = base.train_base(tmp_path, tiny_v2(), progress=False, log=logs.append, stop_at=2)
    assert half["step"] == 2 and half["stream"]["examples"] > 0
    assert (tmp_path / "ckpt" / "optimizer.pt").exists()
    assert any("held-out: 3 v2 tasks" in m for m in logs)
    state = base.train_base(tmp_path, resume=True, progress=False, log=logs.append)
    assert state["step"] == 4 and state["config"]["tasks"] == "v2"
    assert [r["step"] for r in state["curve"]] == [2, 4]
    row = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[-1])
    assert sum(f["tasks"] for f in row["families"].values()) == row["tasks"] == 3
    assert 0 <= row["legal_rate"] <= 1 and row["stream"]["examples"] > 0
    assert any("per family" in m for m in logs)
    ckpt = tmp_path / "ckpt"
    assert json.loads((ckpt / "solver.json").read_text()) == {
        "prompt": {"encoder": "runs", "chat": False}, "max_new_tokens": 512}  # no drawing grammar
    m = load(ModelConfig(path=str(ckpt), device="cpu"))  # the solver loads it with its vocabulary
    assert m.context_length == 1024 and m.grammar is None
    assert len(m.tokenizer.encode("crop_to_object", add_special_tokens=False)) == 1


def test_v2_stream_is_the_same_in_worker_processes(tok):
    from solver.lm.train import encode_example

    c = tiny_v2()
    here = base.batch_stream(c, tok, 1, 0, {})
    expected = [[encode_example(tok, p, t) for p, t in next(here)] for _ in range(3)]
    counts = base.new_counts()
    there = base.batch_stream(tiny_v2(workers=1), tok, 1, 0, {}, counts)
    try:
        assert [next(there) for _ in range(3)] == expected
    finally:
        there.close()
    assert counts["examples"] > 0


def test_cli_flags_for_v2():
    from solver.cli.main import build_parser
    from solver.cli.settings import given

    args = build_parser().parse_args(["train-base", "--out", "o", "--tasks", "v2",
                                      "--max-positions", "1024", "--v2-families", "rigid=2"])
    assert given(base.BaseConfig, args) == {"tasks": "v2", "max_positions": 1024,
                                            "v2_families": "rigid=2"}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train-base", "--out", "o", "--tasks", "nope"])


def test_drawings_runs_keep_their_settings_and_model_shape():
    shipped = json.loads((Path(dsl.__file__).parents[1] / "models" / "default"
                          / "training.json").read_text())
    c = base.BaseConfig.from_dict(shipped["config"])
    assert c.tasks == "drawings" and c.max_positions == 2048
    assert base.solver_json(c)["grammar"] == "dsl"
    tok = base.build_tokenizer()
    assert base.new_model(c, tok).config.max_position_embeddings == 2048


def test_a_sketch_run_learns_sketches_in_the_compact_encoding(tmp_path, tok):
    """``--v2-target sketch``: the targets keep only each line's operation, the prompts are
    in the encoder asked for (rle-diff), the held-out score is the right operations in
    order, and the exported solver.json declares a sketch-writing dsl dialect, so the
    loop's test-time targets are sketches too."""
    from solver.lm.model import ModelConfig, load
    from solver.lm.prompt import sketch_code
    from solver.search.guide import sketch_of

    c = tiny_v2(v2_target="sketch", encoder="rle-diff")
    vt = next(base.v2_stream(0, 0, c))
    prompt, target = base.v2_example(vt, c.encoder, c.v2_target)
    assert prompt.startswith("input\n") and prompt.endswith(PROGRAM_HEAD)
    assert PROGRAM_HEAD + target == sketch_code(vt.program) != vt.program
    assert sketch_of(PROGRAM_HEAD + target) == sketch_of(vt.program)  # the guide reads the same
    assert all(line.strip().endswith("(img)") for line in target.splitlines()[:-1])
    with pytest.raises(ValueError, match="v2_target sketch needs tasks v2"):
        base.check_stream(base.BaseConfig(v2_target="sketch"))
    state = base.train_base(tmp_path, c, progress=False, log=lambda m: None, stop_at=2)
    assert state["config"]["v2_target"] == "sketch" and state["stream"]["examples"] > 0
    ckpt = tmp_path / "ckpt"
    assert json.loads((ckpt / "solver.json").read_text())["dialect"] == {"name": "dsl",
                                                                         "sketches": True}
    m = load(ModelConfig(path=str(ckpt), device="cpu"))
    assert m.dialect.sketches
    _, relabeled = m.dialect.example(vt.task, vt.program, m.tokenizer)
    assert relabeled == target
