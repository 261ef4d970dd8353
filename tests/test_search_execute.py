"""search.execute: programs run in the sandbox, their statuses counted per round."""

from dataclasses import dataclass

import numpy as np
import pytest
from search_helpers import EMPTY, HALF, grid_with

from solver.sandbox import Executor
from solver.arc.augment import Augmentation
from solver.search.execute import (EXAMPLE_CHARS, Ran, as_grid, outputs_of, run_in_frames,
                                   run_programs, status_counts)


@pytest.fixture(scope="module")
def executor():
    with Executor(workers=1, timeout_s=0.5) as ex:
        yield ex


def test_as_grid():
    assert as_grid([[1, 2], [3, 4]]) == ((1, 2), (3, 4))
    assert as_grid(np.array([[1, 2]], dtype=np.int8)) == ((1, 2),)
    assert as_grid([[1, 2], [3]]) is None  # ragged
    assert as_grid([[10]]) is None  # not a colour
    assert as_grid("img") is None


def test_run_programs_keeps_outputs_and_statuses(executor):
    codes = [HALF, "def task(img:\n", "x = 1\n",
             "def task(img):\n    return img[99, 99]\n",
             "def task(img):\n    while True:\n        pass\n",
             "def task(img):\n    return 'no grid'\n"]
    runs = run_programs(executor, codes, [EMPTY, EMPTY])
    assert runs[0] == Ran((grid_with(((0, 0), 3)),) * 2, "ok")
    assert [r.kind for r in runs] == ["ok", "syntax_error", "no_task", "error", "timeout",
                                      "invalid_output"]
    assert all(r.outputs is None for r in runs[1:])
    assert "IndexError" in runs[3].detail
    assert outputs_of(executor, codes[:2], [EMPTY]) == [(grid_with(((0, 0), 3)),), None]
    assert run_programs(executor, [], [EMPTY]) == []


@dataclass
class FakeResult:
    status: str
    outputs: list | None


class FakeExecutor:
    def __init__(self, results):
        self.results = results

    def run(self, codes, inputs):
        return self.results[:len(codes)]


def test_ok_without_a_grid_per_input_is_invalid_output():
    ex = FakeExecutor([FakeResult("ok", [EMPTY]), FakeResult("ok", [EMPTY, [[1, 2], [3]]]),
                       FakeResult("ok", None)])
    runs = run_programs(ex, ["a", "b", "c"], [EMPTY, EMPTY])
    assert [r.kind for r in runs] == ["invalid_output"] * 3
    assert all(r.outputs is None for r in runs)


def test_status_counts_weight_by_samples_and_keep_one_example_per_kind():
    long = "error:" + "x" * 500
    runs = [Ran(None, "timeout"), Ran((EMPTY,), "ok"), Ran(None, "error:ZeroDivisionError"),
            Ran(None, long), Ran(None, "weird:thing")]
    counts, examples = status_counts(runs, [1, 3, 2, 1, 1])
    assert list(counts.items()) == [("ok", 3), ("error", 3), ("timeout", 1), ("weird", 1)]
    assert examples == {"error": "ZeroDivisionError", "timeout": "timeout", "weird": "thing"}
    assert len(Ran(None, long).detail) == EXAMPLE_CHARS
    assert status_counts([], []) == ({}, {})


def test_kind_and_detail():
    assert Ran(None, "crash:SIGSEGV").kind == "crash"
    assert Ran(None, "crash:SIGSEGV").detail == "SIGSEGV"
    assert Ran(None, "memory").detail == "memory"


def test_run_in_frames_maps_each_frame_back(executor):
    """A program written for an augmented prompt runs on inputs augmented the same way and
    its outputs come back to the task's own frame; the rest run as they are."""
    paint = "def task(img):\n    img[0, 2] = 5\n    img[img == 1] = 2\n    return img\n"
    inputs = [grid_with(((1, 0), 1)), grid_with(((2, 1), 1), ((0, 0), 7))]
    turn = Augmentation(1, (0, 7, 2, 3, 4, 5, 6, 1, 8, 9))  # a quarter turn, 1 <-> 7

    def by_hand(frame, grid):
        a = np.array(frame.do(grid))
        a[0, 2] = 5
        a[a == 1] = 2
        return frame.undo(tuple(map(tuple, a.tolist())))

    runs = run_in_frames(executor, [(paint, turn), (paint, None), ("x = 1\n", turn)], inputs)
    assert runs[0].outputs == tuple(by_hand(turn, g) for g in inputs)
    assert runs[1].outputs == run_programs(executor, [paint], inputs)[0].outputs
    assert runs[0].outputs != runs[1].outputs  # the frame mattered
    assert runs[2].outputs is None and runs[2].kind != "ok"
