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

from . import dsl
from .grids import Grid, Pair, Task

FAMILIES = ("random", "vertical-lines", "squares", "overlapping-squares")
DEFAULT_DRAWS = {"random": 5, "vertical-lines": 9, "squares": 9, "overlapping-squares": 6}


@dataclass(frozen=True)
class Draw:
    """One DSL call: ``fn(img, *args)``."""

    fn: str
    args: tuple

    def code(self) -> str:
        return f"{self.fn}(img, {', '.join(_fmt(a) for a in self.args)})"

    def apply(self, img: dsl.Img) -> None:
        dsl.PRIMITIVES[self.fn](img, *self.args)


def _fmt(a) -> str:
    if isinstance(a, tuple):
        return "(" + ", ".join(str(int(v)) for v in a) + ")"
    return str(int(a))


def program_code(draws: list[Draw]) -> str:
    body = "".join(f"    {d.code()}\n" for d in draws)
    return f"def task(img):\n{body}    return img\n"


def render(shape: tuple[int, int], bg: int, draws: list[Draw]) -> Grid:
    img = dsl.create_img(shape, bg)
    for d in draws:
        d.apply(img)
    return tuple(tuple(int(v) for v in row) for row in img)


def prune(shape: tuple[int, int], bg: int, draws: list[Draw]) -> list[Draw]:
    """Drop every draw whose removal leaves the output unchanged (repeat until stable)."""
    target = render(shape, bg, draws)
    draws = list(draws)
    changed = True
    while changed:
        changed = False
        for i in range(len(draws)):
            trial = draws[:i] + draws[i + 1:]
            if render(shape, bg, trial) == target:
                draws = trial
                changed = True
                break
    return draws


def canonical_order(shape: tuple[int, int], bg: int, draws: list[Draw]) -> list[Draw]:
    """The same drawing with its draws in reading order where the order is free.

    A draw's key is the first cell, in row-major order, that it owns in the output (the
    cells it painted last). Greedily, the next draw is the one with the smallest key
    that can go next without changing the output (the rest following in their given
    order), so independent objects come out in the order a row-by-row reading of the
    output meets them, and draws that must stay ordered (one covering another, a fill
    bounded by a line) keep their order. The output is unchanged by construction.
    """
    target = render(shape, bg, draws)
    img = dsl.create_img(shape, bg)
    owner = np.full(shape, -1)
    for i, d in enumerate(draws):
        before = img.copy()
        d.apply(img)
        owner[img != before] = i
    keys = [owner.size] * len(draws)  # a draw that owns no cell sorts last
    for cell, i in enumerate(owner.ravel().tolist()):
        if i >= 0 and keys[i] == owner.size:
            keys[i] = cell
    rest = list(range(len(draws)))
    done: list[int] = []
    while rest:
        for i in sorted(rest, key=lambda j: (keys[j], j)):
            trial = done + [i] + [j for j in rest if j != i]
            if i == rest[0] or render(shape, bg, [draws[j] for j in trial]) == target:
                done.append(i)
                rest.remove(i)
                break
    return [draws[i] for i in done]


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


# ---------------------------------------------------------------- legality

ARG_KINDS = {  # primitive -> argument kinds after img: 'p' point, 'i' index, 'c' colour
    "draw_pixel": "pc", "draw_line": "ppc", "draw_horizontal_line": "ic",
    "draw_vertical_line": "ic", "draw_rectangle": "ppc", "flood_fill": "pc",
}


def _literal(node, kind: str):
    import ast

    if kind == "p":
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
            return None
        vals = [_literal(e, "i") for e in node.elts]
        return None if None in vals else tuple(vals)
    if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 29:
        return None if kind == "c" and node.value > 9 else node.value
    return None


def legal_angle(p1: tuple[int, int], p2: tuple[int, int]) -> bool:
    """Whether the segment p1-p2 lies at 0, 45 or 90 degrees (the lines the DSL's tasks use)."""
    dr, dc = p2[0] - p1[0], p2[1] - p1[1]
    return dr == 0 or dc == 0 or abs(dr) == abs(dc)


def parse_program(code: str) -> list[Draw] | None:
    """The draws of a program in the synthetic tasks' own form, or None when it is not
    one: ``def task(img):``, then only ``NAME(img, ...)`` calls of drawing primitives with
    literal ints (0..29; colours 0..9) or (row, col) tuples, lines only at 0/45/90 degrees,
    then ``return img``. A program that passes draws exactly as :func:`render` does with
    its draws, so it can be evaluated without executing it."""
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fn = tree.body[0]
    a = fn.args
    if (fn.name != "task" or fn.decorator_list or len(a.args) != 1 or a.args[0].arg != "img"
            or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults):
        return None
    body = fn.body
    if not body or not (isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Name)
                        and body[-1].value.id == "img"):
        return None
    draws = []
    for stmt in body[:-1]:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return None
        call = stmt.value
        if not isinstance(call.func, ast.Name) or call.func.id not in ARG_KINDS or call.keywords:
            return None
        kinds = ARG_KINDS[call.func.id]
        if (len(call.args) != len(kinds) + 1 or not isinstance(call.args[0], ast.Name)
                or call.args[0].id != "img"):
            return None
        args = tuple(_literal(n, k) for n, k in zip(call.args[1:], kinds))
        if None in args:
            return None
        if call.func.id == "draw_line" and not legal_angle(args[0], args[1]):
            return None
        draws.append(Draw(call.func.id, args))
    return draws
