"""solver.lm.dialects: prompts, answer prefixes, stop rules, extraction and training targets
per dialect; solver.json (dialect, presets); the digit-token check belonging to encoders;
and, per dialect, a tiny checkpoint (Llama with a Llama-3-like tokenizer for barc, Qwen2
for python; byte-level BPE tokenizers and chat templates built here) that learns one
program, loads in 4-bit, samples it, and runs it in the sandbox through the dialect's
entry point and input type."""

from __future__ import annotations

import json

import pytest

import tiny
from solver.arc.grids import Pair, Task
from solver.lm import dialects as D
from solver.lm import model as M
from solver.lm.prompt import PromptConfig, build_prompt, build_target, extract_code

def _task() -> Task:
    """Blue and red swap places; the output is the grid's first column (x = 0)."""
    train = [((1, 0, 2), (0, 1, 0), (2, 2, 1)), ((2, 1), (1, 0))]
    pairs = tuple(Pair(g, tuple((_swap(row[0]),) for row in g)) for g in train)
    return Task("swap", pairs, (Pair(((2, 0), (1, 1), (0, 2))),))


def _swap(v: int) -> int:
    return {1: 2, 2: 1}.get(v, v)


BARC_CODE = '''from common import *
import numpy as np
from typing import *

# concepts:
# colour swap, cropping

# description:
# Swap blue and red, then keep the leftmost column.

def transform(input_grid):
    return first_column(swap(input_grid))

def swap(grid):
    out = grid.copy()
    out[grid == Color.BLUE] = Color.RED
    out[grid == Color.RED] = Color.BLUE
    return out

def first_column(grid):
    return grid[:1, :]
'''

PYTHON_CODE = '''import numpy as np

def transform(grid_lst: list[list[int]]) -> list[list[int]]:
    grid = np.array(grid_lst)
    out = grid.copy()
    out[grid == 1] = 2
    out[grid == 2] = 1
    return [[int(row[0])] for row in out]
'''

CODES = {"barc": BARC_CODE, "python": PYTHON_CODE}


def corpus(dialect: D.Dialect) -> list[str]:
    task = _task()
    texts = [dialect.user_text(task), dialect.system, dialect.answer_prefix, CODES[dialect.name]]
    return texts * 3


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread (and far slower on two of a busy machine)."""
    with tiny.torch_threads(1):
        yield


@pytest.fixture(scope="module")
def llama_tok():
    return tiny.make_bpe_tokenizer(corpus(D.BARC) + corpus(D.PYTHON), digits="grouped",
                                   style="llama3")


@pytest.fixture(scope="module")
def qwen_tok():
    return tiny.make_bpe_tokenizer(corpus(D.PYTHON) + corpus(D.BARC), digits="single",
                                   style="qwen")


# ---------------------------------------------------------------- prompts


def test_barc_prompt_is_a_llama3_chat_with_colour_names(llama_tok):
    task = _task()
    text = D.BARC.prompt(task, llama_tok)
    head = D.BARC.head(task, llama_tok)
    assert text == head + D.BARC.answer_prefix
    assert text.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                           + D.BARC.system + "<|eot_id|><|start_header_id|>user")
    assert head.endswith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    user = D.BARC.user_text(task)
    assert ("Example 1\nInput:\nBlue Black Red\nBlack Blue Black\nRed Red Blue\n"
            "Output:\nRed\nBlack\nBlue\n\nExample 2\nInput:\nRed Blue\nBlue Black\n") in user
    assert "Test\nInput:\nRed Black\nBlue Blue\nBlack Red\n\n" in user  # the test input shown
    assert "`transform`" in user and user in text
    assert D.BARC.answer_prefix.endswith("```python\n")
    # several test inputs are numbered
    two = Task("t", task.train, task.test * 2)
    assert "Test 1\nInput:" in D.BARC.user_text(two) and "Test 2\nInput:" in D.BARC.user_text(two)
    # without a chat template: plain text, system message first
    plain = D.BARC.prompt(task, None)
    assert plain.startswith(D.BARC.system + "\n\n") and plain.endswith(D.BARC.answer_prefix)


def test_python_prompt_is_a_qwen_chat_with_digit_rows(qwen_tok):
    task = _task()
    text = D.PYTHON.prompt(task, qwen_tok)
    assert text.startswith("<|im_start|>system\n" + D.PYTHON.system + "<|im_end|>\n<|im_start|>user\n")
    assert text.endswith("<|im_end|>\n<|im_start|>assistant\n```python\n")
    assert "Example 1\nInput:\n102\n010\n221\nOutput:\n2\n0\n1\n" in text
    assert "Test\nInput:\n20\n11\n02\n" in text
    assert "transform(grid_lst: list[list[int]]) -> list[list[int]]" in text
    lists = D.PYTHON.with_overrides(grid_format="lists")
    assert "Input:\n[[1, 0, 2],\n [0, 1, 0],\n [2, 2, 1]]\n" in lists.prompt(task, qwen_tok)


def test_dsl_dialect_is_the_prompt_module_unchanged():
    task = _task()
    cfg = PromptConfig(encoder="sparse", chat=False)
    assert D.DSL.prompt(task, None, cfg) == build_prompt(task, cfg)
    code = "def task(img):\n    draw_pixel(img, (0, 0), 1)\n    return img\n"
    assert D.DSL.example(task, code, None, cfg) == (build_prompt(task, cfg), build_target(code))
    assert D.DSL.extract("    return img\nprint(1)\n") == extract_code("    return img\nprint(1)\n")
    assert D.DSL.prefix(None, cfg) == "def task(img):\n"
    assert D.DSL.head(task, None, cfg) + D.DSL.prefix(None, cfg) == D.DSL.prompt(task, None, cfg)


def test_the_dsl_layout_is_a_dialect_class_of_its_own():
    """DslDialect writes the dsl layout, Dialect the examples layout; the classes survive
    solver.json overrides, and the dsl dialect reads its own grid format and chat fields."""
    task = _task()
    assert type(D.DSL) is D.DslDialect and type(D.BARC) is type(D.PYTHON) is D.Dialect
    assert (D.DSL.layout, D.BARC.layout) == ("dsl", "examples")
    tuned = D.from_solver_json({"dialect": {"name": "dsl", "grid_format": "sparse", "chat": False}})
    assert type(tuned) is D.DslDialect
    assert tuned.prompt(task) == build_prompt(task, PromptConfig(encoder="sparse", chat=False))
    with pytest.raises(ValueError, match="dsl layout writes"):
        D.DSL.with_overrides(stop="fence")
    with pytest.raises(ValueError, match="unknown dialect field"):
        D.from_solver_json({"dialect": {"name": "barc", "layout": "dsl"}})


def test_prompt_joins_tokenize_as_when_sampled(llama_tok, qwen_tok):
    """The training example is tokenized in two parts (prompt, target) and sampling sees
    prompt + prefix in one: both end at a newline, where these tokenizers never merge."""
    task = _task()
    for dialect, tok in ((D.BARC, llama_tok), (D.PYTHON, qwen_tok)):
        prompt, target = dialect.example(task, CODES[dialect.name], tok)
        whole = tok.encode(prompt + target, add_special_tokens=False)
        parts = (tok.encode(prompt, add_special_tokens=False)
                 + tok.encode(target, add_special_tokens=False))
        assert whole == parts, dialect.name
        sampled = tok.encode(dialect.prompt(task, tok), add_special_tokens=False)
        assert whole[:len(sampled)] == sampled


# ---------------------------------------------------------------- answers and extraction


def test_fence_extraction_keeps_imports_and_helpers_after_the_entry_point():
    completion = BARC_CODE + "```\nThat program swaps the colours.\n```python\nx = 1\n```"
    assert D.BARC.extract(completion) == BARC_CODE
    assert D.PYTHON.extract(PYTHON_CODE + "\n\n```") == PYTHON_CODE
    assert D.BARC.extract(BARC_CODE + "\n\n") == BARC_CODE  # no fence: budget ran out
    assert D.BARC.extract("```") == ""
    # the body rule would have cut it at the first unindented line
    assert "def swap" not in extract_code(BARC_CODE)


def test_training_targets_are_the_full_response_or_the_body(llama_tok):
    task = _task()
    prompt, target = D.BARC.example(task, BARC_CODE, llama_tok)
    assert prompt == D.BARC.head(task, llama_tok)
    assert target == D.BARC.answer_prefix + BARC_CODE + "```"
    assert D.BARC.extract(target[len(D.BARC.answer_prefix):]) == BARC_CODE  # round trip
    body = D.BARC.with_overrides(target="body")
    prompt, target = body.example(task, BARC_CODE, llama_tok)
    assert prompt == D.BARC.prompt(task, llama_tok) and target == BARC_CODE + "```"
    with pytest.raises(ValueError):
        D.BARC.example(task, "x = '```'\n", llama_tok)


def test_fence_stop_tracker_across_token_pieces(llama_tok):
    stops = M._FenceStop(llama_tok, {llama_tok.eos_token_id})
    ids = llama_tok.encode("def f():\n    return 1\n\ndef g():\n    pass\n``", add_special_tokens=False)
    state = 0
    for tid in ids:
        state, done = stops.advance(state, tid)
        assert not done
    for piece in ("`", "\n"):
        (tid,) = llama_tok.encode(piece, add_special_tokens=False)
        state, done = stops.advance(state, tid)
        if piece == "`":
            assert done
    assert stops.advance(0, llama_tok.eos_token_id) == (0, True)
    assert M._FenceStop.trim("x = 1\n```\nmore") == "x = 1\n"
    assert M._StopTracker.trim("    x = 1\nprint") == "    x = 1\n"


# ---------------------------------------------------------------- solver.json


def test_solver_json_dialect_presets_and_overrides(tmp_path):
    data = D.with_preset({"preset": "barc-llama3.1-8b-induction", "max_new_tokens": 2048})
    assert data["dialect"] == "barc" and data["max_new_tokens"] == 2048
    assert data["context_length"] == 8192
    assert D.from_solver_json(data) is D.BARC
    assert D.from_solver_json({}) is D.DSL
    tuned = D.from_solver_json({"dialect": {"name": "barc", "top_p": 0.9,
                                            "temperatures": [0.7, 1.0],
                                            "lora_targets": ["q_proj"]}})
    assert (tuned.top_p, tuned.temperatures, tuned.lora_targets) == (0.9, (0.7, 1.0), ("q_proj",))
    assert tuned.entry == "transform" and tuned.input_type == "int64_xy"
    with pytest.raises(ValueError, match="unknown preset"):
        D.with_preset({"preset": "nope"})
    with pytest.raises(ValueError, match="dialect must be one of"):
        D.from_solver_json({"dialect": "klingon"})
    with pytest.raises(ValueError, match="unknown dialect field"):
        D.from_solver_json({"dialect": {"name": "barc", "temperature": 1.0}})
    with pytest.raises(ValueError, match="stop must be one of"):
        D.from_solver_json({"dialect": {"name": "python", "stop": "eos"}})
    for name, preset in D.PRESETS.items():
        assert D.from_solver_json(D.with_preset({"preset": name})).name == preset["dialect"]


def test_defaults_of_the_public_checkpoint_dialects():
    for d in (D.BARC, D.PYTHON):
        assert (d.temperatures, d.top_p) == ((1.0,), 0.95)
        assert (d.lora_r, d.lora_rslora, d.lora_targets, d.lr) == (
            16, True, ("q_proj", "k_proj", "v_proj", "o_proj"), 1e-5)
        assert d.target == "response" and d.stop == "fence" and d.entry == "transform"
        assert not d.dsl_constraints
    assert (D.BARC.input_type, D.PYTHON.input_type, D.DSL.input_type) == ("int64_xy", "list", "int8")
    assert D.DSL.target == "body" and D.DSL.entry == "task"


# ---------------------------------------------------------------- loading: digits per encoder


def test_llama3_digit_grouping_loads_under_barc_only(tmp_path, llama_tok):
    assert len(llama_tok.encode("345", add_special_tokens=False)) == 1  # digits grouped
    folders = {}
    for name, sj in (("barc", {"dialect": "barc"}), ("dsl", {}),
                     ("python", {"dialect": "python"}),
                     ("python-lists", {"dialect": {"name": "python", "grid_format": "lists"}}),
                     ("dsl-sparse", {"prompt": {"encoder": "sparse"}})):
        folders[name] = tiny.make_tiny_checkpoint(tmp_path / name, llama_tok, arch="llama",
                                                  solver_json=sj)
    m = M.load(M.ModelConfig(path=str(folders["barc"]), device="cpu"))
    assert m.dialect is D.BARC and m.max_new_tokens == 1024 and m.uses_chat
    assert M.load(M.ModelConfig(path=str(folders["python-lists"]), device="cpu")).dialect.grid_format == "lists"
    assert M.load(M.ModelConfig(path=str(folders["dsl-sparse"]), device="cpu")).dialect is D.DSL
    for name in ("dsl", "python"):  # dense and digit rows need one token per digit
        with pytest.raises(M.ModelLoadError, match=f"{name}: tokenizer does not keep digits"):
            M.load(M.ModelConfig(path=str(folders[name]), device="cpu"))


def test_the_command_lines_dialect_replaces_the_folders(tmp_path, llama_tok):
    """--dialect (ModelConfig.dialect): a Llama-3 checkpoint with no solver.json loads under
    barc when asked to (dsl would refuse its digit-grouping tokenizer); a bad name is one
    error that names the flag."""
    folder = tiny.make_tiny_checkpoint(tmp_path / "plain", llama_tok, arch="llama")
    with pytest.raises(M.ModelLoadError, match="tokenizer does not keep digits"):
        M.load(M.ModelConfig(path=str(folder), device="cpu"))
    assert M.load(M.ModelConfig(path=str(folder), device="cpu", dialect="barc")).dialect is D.BARC
    with pytest.raises(M.ModelLoadError, match=r"--dialect: dialect must be one of"):
        M.load(M.ModelConfig(path=str(folder), device="cpu", dialect="soar"))


def test_solver_json_errors_name_the_file(tmp_path, qwen_tok):
    folder = tiny.make_tiny_checkpoint(tmp_path / "bad", qwen_tok, arch="qwen2",
                                       solver_json={"dialect": {"name": "barc", "lr": -1}})
    with pytest.raises(M.ModelLoadError, match=r"solver\.json: dialect: .*positive"):
        M.load(M.ModelConfig(path=str(folder), device="cpu"))
    (folder / "solver.json").write_text(json.dumps({"preset": "unknown"}))
    with pytest.raises(M.ModelLoadError, match=r"solver\.json: unknown preset"):
        M.load(M.ModelConfig(path=str(folder), device="cpu"))


# ---------------------------------------------------------------- end to end per dialect


def _learned_checkpoint(folder, tok, dialect: D.Dialect, arch: str):
    """A tiny model that has learned the dialect's answer to _task() (full-response
    target, fp32), written as a checkpoint whose solver.json names the dialect."""
    import torch

    from solver.lm import train as T

    task = _task()
    model = tiny.make_causal_lm(tok, arch=arch, hidden=64, layers=2, init_std=0.02)
    example = dialect.example(task, CODES[dialect.name], tok)
    torch.manual_seed(0)
    stats = T.train(model, tok, [example], T.TrainConfig(
        lr=3e-3, steps=120, warmup_steps=0, schedule="constant", bf16=False, progress=False))
    assert stats.last_loss < 0.05, stats
    return tiny.make_tiny_checkpoint(folder, tok, model=model,
                                     solver_json={"dialect": dialect.name, "max_new_tokens": 400})


@pytest.mark.parametrize("name,arch", [("barc", "llama"), ("python", "qwen2")])
def test_end_to_end_4bit_sample_and_sandbox(tmp_path, llama_tok, qwen_tok, name, arch):
    from solver.sandbox.executor import Executor

    dialect = D.get(name)
    tok = llama_tok if arch == "llama" else qwen_tok
    folder = _learned_checkpoint(tmp_path / name, tok, dialect, arch)
    m = M.load(M.ModelConfig(path=str(folder), quantization="4bit", device="cpu"))
    assert m.dialect is dialect and m.uses_chat
    task = _task()
    prompt = m.prompt_for(task)
    assert prompt.endswith(dialect.answer_prefix)
    samples = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,), seed=1))
    code = samples[0].code
    assert code == CODES[name], samples[0].text
    assert samples[0].n_tokens < 400  # stopped at the closing fence, not the budget
    assert "```" not in samples[0].text
    inputs = [p.input for p in task.train] + [p.input for p in task.test]
    with Executor(workers=1, timeout_s=dialect.timeout_s, entry=dialect.entry,
                  input_type=dialect.input_type, preload=dialect.preload) as ex:
        (res,) = ex.run([code], inputs)
    assert res.ok, res.status
    assert res.outputs[:2] == [p.output for p in task.train]
    assert res.outputs[2] == ((1,), (2,), (0,))
    # the training pair for hindsight, in the model's dialect
    assert m.example_for(task, code) == dialect.example(task, code, tok)


# ---------------------------------------------------------------- augmentation (undone on outputs)


def test_augmentations_are_undone_exactly():
    import random

    from solver.arc.augment import Augmentation, random_augmentation, rigid

    g = ((1, 2, 3), (4, 5, 6))
    assert rigid(g, 1) == ((4, 1), (5, 2), (6, 3))  # a quarter turn clockwise
    assert rigid(g, 4) == ((3, 2, 1), (6, 5, 4))  # a left-right flip
    assert len({rigid(g, k) for k in range(8)}) == 8
    rng = random.Random(0)
    for _ in range(50):
        a = random_augmentation(rng)
        assert a.colors[0] == 0 and a.undo(a.do(g)) == g
    swap = Augmentation(2, (0, 2, 1, 3, 4, 5, 6, 7, 8, 9))
    task = _task()
    aug = swap.task(task)
    assert aug.train[0].input == ((2, 1, 1), (0, 2, 0), (1, 0, 2))  # turned half, 1<->2
    assert swap.undo(aug.train[0].output) == task.train[0].output
    assert aug.test[0].output is None and Augmentation().is_identity
    with pytest.raises(ValueError):
        Augmentation(8)
