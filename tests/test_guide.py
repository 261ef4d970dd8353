"""search.guide: programs read as sketches, sketches filled by the enumerator's fitters, and
the guide step of the per-task loop (a scripted model, the real sandbox)."""

import numpy as np
import pytest

from solver import dsl
from solver.arc.grids import Pair, Task
from solver.search.config import HerConfig
from solver.search.enumerate import predictions
from solver.search.guide import fill, kinds, sketch_of, sketches_of
from solver.search.loop import solve_task
from test_her import ScriptedModel, Trainer, executor, fake_prompt  # noqa: F401  (fixture)


def lines(*body: str) -> str:
    return "def task(img):\n" + "".join(f"    {b}\n" for b in body) + "    return img\n"


RIGHT = lines("img = gravity(img, 'left')", "img = transpose(img)", "img = outline(img, 4)")
# the right operations in the right order, every literal wrong
WRONG_LITERALS = lines("img = gravity(img, 'up')", "img = transpose(img)", "img = outline(img, 2)")


def _task() -> Task:
    rng = np.random.default_rng(3)

    def scene():
        a = np.zeros((7, 7), dtype=int)
        a[rng.integers(0, 7, 6), rng.integers(0, 7, 6)] = rng.choice([1, 2], 6)
        return tuple(tuple(r) for r in a.tolist())

    pairs = [Pair(g, dsl.run_trusted(RIGHT, g)) for g in (scene() for _ in range(4))]
    return Task("three-lines", tuple(pairs[:3]), (pairs[3],))


def test_a_straight_line_program_is_its_primitives_in_order():
    assert sketch_of(RIGHT) == ("gravity", "transpose", "outline")
    assert sketch_of(lines("img = rot90(img)", "img = recolor(img, most_common_color(img), 3)")) \
        == ("rot90", "recolor")
    # the arguments are the fitters' to choose: malformed ones do not matter
    assert sketch_of(lines("img = ray(img, 1, (((1)), (7)", "img = rot90(img)")) == ("ray", "rot90")


@pytest.mark.parametrize("code", [
    lines("p1 = rot90(img)", "img = layer(img, p1)"),  # named images
    lines("img = draw_line(img, (0, 0), (0, 2), 1)"),  # not a primitive the enumerator fits
    lines("img = rot90(img)", "img = rot90(img)", "img = rot90(img)", "img = rot90(img)",
          "img = rot90(img)"),  # longer than a sketch
    "def task(img):\n    return img\n",  # no lines
    "def task(img):\n    img = rot90(img)\n",  # no return
    "def task(img):\n    for _ in range(2):\n        img = rot90(img)\n    return img\n",
    "def task(img:\n",  # does not parse
])
def test_other_programs_make_no_sketch(code):
    assert sketch_of(code) is None


def test_sketches_are_distinct_by_families_and_the_most_written_come_first():
    a = lines("img = rot90(img)", "img = outline(img, 1)")
    a2 = lines("img = flip_lr(img)", "img = fill_enclosed(img, 3)")  # the same families as a
    b = lines("img = gravity(img, 'down')")
    assert kinds(sketch_of(a)) == kinds(sketch_of(a2)) == ("rigid", "fill")
    assert sketches_of([b, a, a2, "junk", b, a], 8) == [("rot90", "outline"), ("gravity",)]
    assert sketches_of([b, a, a2], 8) == [("rot90", "outline"), ("gravity",)]
    assert sketches_of([b, b, a], 1) == [("gravity",)]


def test_a_sketch_with_wrong_literals_is_filled_with_the_right_ones():
    task = _task()
    found = fill(task, [sketch_of(WRONG_LITERALS), ("tile",)], 60)
    assert [p.output for p in task.test] in predictions(found, 2, task)
    assert found[0].exact and found[0].code == RIGHT


def test_the_loop_solves_a_task_from_samples_that_have_only_the_operations_right(
        monkeypatch, executor):  # noqa: F811
    fake_prompt(monkeypatch)
    task = _task()
    cfg = HerConfig(samples=4, epochs=0, recolor=0, repair=False, enumerate=False)
    rep = solve_task(task, ScriptedModel([[WRONG_LITERALS]]), executor, cfg, trainer=Trainer())
    assert rep.error is None, rep.traceback
    assert rep.status == "exact" and rep.solved_by == "guide"
    r0 = rep.rounds[0]
    assert r0.sketches == 1 and r0.guided >= 1 and r0.best_train_acc < 1.0
    assert rep.attempts[0][0] == task.test[0].output
    off = solve_task(task, ScriptedModel([[WRONG_LITERALS]]), executor,
                     HerConfig(samples=4, epochs=0, recolor=0, repair=False, enumerate=False,
                               guide=False), trainer=Trainer())
    assert off.status != "exact" and off.rounds[0].guided is None


def test_a_sketch_filled_once_is_not_filled_again(monkeypatch, executor):  # noqa: F811
    """Round 1 writes the same wrong sketch as round 0 and one other: only the other is
    filled (what the first made is in the pool already)."""
    fake_prompt(monkeypatch)
    task = _task()
    tiles = lines("img = tile(img, 1, 1)")
    cfg = HerConfig(samples=4, epochs=1, recolor=0, repair=False, enumerate=False,
                    guide_sketches=1)
    rep = solve_task(task, ScriptedModel([[tiles, tiles], [tiles, tiles, WRONG_LITERALS]]),
                     executor, cfg, trainer=Trainer())
    assert rep.error is None, rep.traceback
    assert [r.sketches for r in rep.rounds] == [1, 1]
    assert rep.status == "exact" and rep.solved_by == "guide"  # the other one, in round 1
