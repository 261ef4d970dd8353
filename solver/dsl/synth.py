"""Seeded generators of drawing tasks: the base model's training distribution (``random``)
and the research note's out-of-distribution families with N objects.

A synthetic task has one train pair and one test pair with the same input: an empty grid
of a background colour. The output is that grid with the task's drawing on it, and the
ground-truth program is ``def task(img):`` followed by one DSL call per draw.

Every generator verifies what it emits (the rendered program reproduces the output, the
output differs from the input, no draw is invisible) and counts what it drops. Generation
is deterministic per (seed, task index), independent of how many tasks are asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from solver.dsl import draw as dsl
from solver.dsl.program import Draw, canonical_order, program_code, prune, render  # noqa: F401
from solver.arc.grids import Grid, Pair, Task

FAMILIES = ("random", "vertical-lines", "squares", "overlapping-squares")
DEFAULT_DRAWS = {"random": 5, "vertical-lines": 9, "squares": 9, "overlapping-squares": 6}


@dataclass
class SynthTask:
    task: Task
    program: str
    draws: list[Draw]
    shape: tuple[int, int]
    bg: int


@dataclass
class SynthStats:
    made: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    pruned_draws: int = 0

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


# ---------------------------------------------------------------- draw samplers


def _color(rng: np.random.Generator, bg: int) -> int:
    c = int(rng.integers(0, 9))
    return c + 1 if c >= bg else c  # uniform over the 9 colours other than bg


def _point(rng: np.random.Generator, shape) -> tuple[int, int]:
    return int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))


def _legal_line(rng: np.random.Generator, shape) -> tuple[tuple[int, int], tuple[int, int]]:
    """A segment of length >= 2 at 0, 45 or 90 degrees, fully inside the grid."""
    rows, cols = shape
    while True:
        p = _point(rng, shape)
        kind = int(rng.integers(0, 4))
        dr, dc = [(0, 1), (1, 0), (1, 1), (1, -1)][kind]
        max_len = min(rows - p[0] if dr else 10**9,
                      (cols - p[1]) if dc == 1 else (p[1] + 1) if dc == -1 else 10**9)
        if max_len >= 2:
            n = int(rng.integers(1, max_len))
            return p, (p[0] + dr * n, p[1] + dc * n)


def random_draw(rng: np.random.Generator, shape, bg: int) -> Draw:
    kind = rng.choice(["pixel", "line", "hline", "vline", "rect", "fill"],
                      p=[0.2, 0.2, 0.15, 0.15, 0.22, 0.08])
    color = _color(rng, bg)
    if kind == "pixel":
        return Draw("draw_pixel", (_point(rng, shape), color))
    if kind == "line":
        return Draw("draw_line", (*_legal_line(rng, shape), color))
    if kind == "hline":
        return Draw("draw_horizontal_line", (int(rng.integers(0, shape[0])), color))
    if kind == "vline":
        return Draw("draw_vertical_line", (int(rng.integers(0, shape[1])), color))
    if kind == "rect":
        a, b = _point(rng, shape), _point(rng, shape)
        return Draw("draw_rectangle", ((min(a[0], b[0]), min(a[1], b[1])),
                                       (max(a[0], b[0]), max(a[1], b[1])), color))
    return Draw("flood_fill", (_point(rng, shape), color))


# ---------------------------------------------------------------- families


DRAW_WEIGHTS = ("uniform", "linear")


def check_draw_weights(weights: str) -> None:
    if weights not in DRAW_WEIGHTS:
        raise ValueError(f"unknown draw_weights {weights!r}: {' or '.join(DRAW_WEIGHTS)}")


def _random(rng, n: int, min_side: int, max_side: int, weights: str = "uniform"):
    """1..n draws: uniformly, or (``linear``) with p(k) proportional to k, so that
    many-object drawings, the hard ones, make up more of a training stream."""
    shape = (int(rng.integers(min_side, max_side + 1)), int(rng.integers(min_side, max_side + 1)))
    bg = int(rng.integers(0, 10))
    if weights == "linear":
        p = np.arange(1, n + 1, dtype=float)
        k = int(rng.choice(np.arange(1, n + 1), p=p / p.sum()))
    else:
        k = int(rng.integers(1, n + 1))
    return shape, bg, [random_draw(rng, shape, bg) for _ in range(k)]


def _vertical_lines(rng, n: int, min_side: int, max_side: int):
    shape = (int(rng.integers(min_side, max_side + 1)), n)
    bg = int(rng.integers(0, 10))
    colors = [c for c in range(10) if c != bg]
    rng.shuffle(colors)
    return shape, bg, [Draw("draw_vertical_line", (x, colors[x % 9])) for x in range(n)]


def _squares(rng, n: int, min_side: int, max_side: int):
    """n non-overlapping squares (sides 1..3); touching squares get different colours."""
    side = max(min_side, min(max_side, math.ceil(math.sqrt(n * 4.5))))
    shape = (int(rng.integers(side, max_side + 1)), int(rng.integers(side, max_side + 1)))
    bg = int(rng.integers(0, 10))
    owner = np.full(shape, -1)
    colors: list[int] = []
    draws = []
    for i in range(n):
        for _ in range(200):
            s = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25]))
            r, c = int(rng.integers(0, shape[0] - s + 1)), int(rng.integers(0, shape[1] - s + 1))
            if (owner[r:r + s, c:c + s] >= 0).any():
                continue
            near = owner[max(r - 1, 0):r + s + 1, max(c - 1, 0):c + s + 1]
            taken = {colors[j] for j in np.unique(near) if j >= 0}
            free = [col for col in range(10) if col != bg and col not in taken]
            color = int(rng.choice(free))
            owner[r:r + s, c:c + s] = i
            colors.append(color)
            draws.append(Draw("draw_rectangle", ((r, c), (r + s - 1, c + s - 1), color)))
            break
        else:
            return None  # could not place every square
    return shape, bg, draws


def _overlapping_squares(rng, n: int, min_side: int, max_side: int):
    """n squares (sides 2..4), each overlapping at least one drawn before it."""
    shape = (int(rng.integers(max(min_side, 6), max_side + 1)),
             int(rng.integers(max(min_side, 6), max_side + 1)))
    bg = int(rng.integers(0, 10))
    boxes: list[tuple[int, int, int]] = []
    draws = []
    for i in range(n):
        for _ in range(200):
            s = int(rng.integers(2, 5))
            r, c = int(rng.integers(0, shape[0] - s + 1)), int(rng.integers(0, shape[1] - s + 1))
            overlaps = any(r < r2 + s2 and r2 < r + s and c < c2 + s2 and c2 < c + s
                           for r2, c2, s2 in boxes)
            if i == 0 or overlaps:
                break
        else:
            return None
        prev = draws[-1].args[2] if draws else bg
        color = _color(rng, bg)
        while color == prev:
            color = _color(rng, bg)
        boxes.append((r, c, s))
        draws.append(Draw("draw_rectangle", ((r, c), (r + s - 1, c + s - 1), color)))
    return shape, bg, draws


GENERATORS: dict[str, Callable] = {
    "random": _random,
    "vertical-lines": _vertical_lines,
    "squares": _squares,
    "overlapping-squares": _overlapping_squares,
}


def make_task(family: str, rng: np.random.Generator, task_id: str, n: int,
              min_side: int = 3, max_side: int = 10,
              stats: SynthStats | None = None, order: str = "generated",
              draw_weights: str = "uniform") -> SynthTask | None:
    """One verified task of ``family`` with ``n`` draws (at most n for ``random``, drawn
    by ``draw_weights``: see :func:`_random`), or None (counted in ``stats``) when the draw
    could not be verified. ``order``: the program's draws as generated, or ``canonical``
    (:func:`canonical_order`)."""
    if order not in ("generated", "canonical"):
        raise ValueError(f"unknown order {order!r}: generated or canonical")
    check_draw_weights(draw_weights)
    stats = stats if stats is not None else SynthStats()
    if family == "random":
        made = _random(rng, n, min_side, max_side, draw_weights)
    else:
        made = GENERATORS[family](rng, n, min_side, max_side)
    if made is None:
        stats.drop("placement failed")
        return None
    shape, bg, draws = made
    kept = prune(shape, bg, draws)
    stats.pruned_draws += len(draws) - len(kept)
    if family != "random" and len(kept) != len(draws):
        stats.drop("an object was hidden")  # the family promises exactly n visible objects
        return None
    if not kept:
        stats.drop("output equals input")
        return None
    if order == "canonical":
        kept = canonical_order(shape, bg, kept)
    inp = render(shape, bg, [])
    out = render(shape, bg, kept)
    program = program_code(kept)
    if dsl.run_trusted(program, inp) != out:  # the program text must reproduce the output
        stats.drop("program does not reproduce output")
        return None
    stats.made += 1
    task = Task(task_id, (Pair(inp, out),), (Pair(inp, out),))
    return SynthTask(task, program, kept, shape, bg)


def generate(family: str, n_tasks: int, seed: int, draws: int | None = None,
             min_side: int = 3, max_side: int = 10,
             max_tries: int = 20) -> tuple[list[SynthTask], SynthStats]:
    """``n_tasks`` verified tasks; task i is drawn from its own rng seeded by (seed, i)."""
    if family not in GENERATORS:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    if not 1 <= min_side <= max_side <= 30:
        raise ValueError(f"grid sides must satisfy 1 <= min_side <= max_side <= 30, "
                         f"got {min_side}..{max_side}")
    n = draws if draws is not None else DEFAULT_DRAWS[family]
    if n < 1:
        raise ValueError(f"draws must be >= 1, got {n}")
    if family == "vertical-lines" and n > 30:
        raise ValueError("vertical-lines: at most 30 lines (one per column, width <= 30)")
    stats = SynthStats()
    tasks = []
    for i in range(n_tasks):
        for attempt in range(max_tries):
            rng = np.random.default_rng([seed, i, attempt])
            made = make_task(family, rng, f"{family}-{n}-s{seed}-{i:04d}", n,
                             min_side, max_side, stats)
            if made:
                tasks.append(made)
                break
        else:
            raise RuntimeError(f"{family}: no valid task after {max_tries} tries "
                               f"(n={n}, sides {min_side}..{max_side}); dropped {stats.dropped}")
    return tasks, stats


def with_new_test_input(st: SynthTask, rng: np.random.Generator, resize: bool = True,
                        max_side: int = 10) -> SynthTask | None:
    """The same task with a test input the train pair does not show: an empty grid of
    another background colour (one no draw uses) and, with ``resize``, another size that
    still holds every draw (sides up to ``max_side``). The test output is the task's
    program run on that input, so a program that fits the train pair only by painting
    the train background, or by hard-coding the train size, gets it wrong. None when no
    such input exists (every colour is taken) or the program draws nothing visible there."""
    used = {int(d.args[-1]) for d in st.draws} | {st.bg}
    free = [c for c in range(10) if c not in used]
    if not free:
        return None
    bg = int(rng.choice(free))
    shape = st.shape
    if resize:
        need = [1, 1]
        for d in st.draws:  # every point, row and column a draw names must stay inside
            for a in d.args[:-1]:
                if isinstance(a, tuple):
                    need = [max(need[0], a[0] + 1), max(need[1], a[1] + 1)]
                elif d.fn == "draw_horizontal_line":
                    need[0] = max(need[0], a + 1)
                elif d.fn == "draw_vertical_line":
                    need[1] = max(need[1], a + 1)
        shape = (int(rng.integers(max(need[0], 3), max_side + 1)),
                 int(rng.integers(max(need[1], 3), max_side + 1)))
    inp = render(shape, bg, [])
    out = dsl.run_trusted(st.program, inp)
    if out == inp:
        return None
    task = Task(st.task.id, st.task.train, (Pair(inp, out),))
    return SynthTask(task, st.program, st.draws, st.shape, st.bg)
