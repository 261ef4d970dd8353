"""``cells``: grids cut into cells by separator lines, changed one cell a pixel: the cells
summarised into a small grid (``summarize_parts``), an operation on it, and the cells
filled back (``fill_parts``), in the form the enumerator's cell lift writes::

    def task(img):
        x = summarize_parts(img, 'fg')
        x = connect(x, 'hv')
        img = fill_parts(img, x)
        return img

or each cell filled by a colour chosen by its number of foreground cells
(``summarize_parts(img, 'count')`` and a count->colour map)."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Drop, Program, Step, Var, table_not_shown
from solver.dsl.gen.geometry import _choice
from solver.dsl.gen.parts import _assemble
from solver.dsl.ops import DIRECTIONS
from solver.dsl.parts import part_spans, summarize_parts

LIFTED = ("connect", "ray", "rigid", "gravity", "symmetrize")


def lifted(op: Step, mode: str = "fg") -> Program:
    return (Step("summarize_parts", (mode,), out="x", src="img"),
            Step(op.op, op.args, out="x"),
            Step("fill_parts", (Var("x"),)))


def _small_ops(colors: list[int], square: bool) -> list[Step]:
    ops = [Step("connect", (d,)) for d in ("h", "v", "hv")]
    ops += [Step("ray", (c, d)) for c in colors for d in (*DIRECTIONS, "ul", "ur", "dl", "dr", "h", "v", "hv")]
    ops += [Step(o) for o in (("flip_lr", "flip_ud", "rot180", "rot90", "rot270", "transpose", "anti_transpose")
                              if square else ("flip_lr", "flip_ud", "rot180"))]
    ops += [Step("gravity", (d,)) for d in DIRECTIONS]
    ops += [Step("symmetrize", (k,)) for k in ("lr", "ud", "both")]
    return ops


def lifted_alternatives(op: Step, colors: list[int], square: bool):
    """The lifted program with every other operation of the pool (connect, rays of every
    colour and direction, rigid transforms, gravity, symmetrize); the cells read by their
    main colour (background included); the operation on the whole grid, unlifted."""
    alts = [lifted(other) for other in _small_ops(colors, square)]
    return alts + [lifted(op, "majority"), (op,)]


def cells(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """A grid of cells (each empty or filled with one colour; sometimes a sparse pattern of
    it): an operation on the grid one cell a pixel; or the cells coloured by how many
    foreground cells each has."""
    if rng.random() < 0.3:
        return _count(rng, ctx)
    return _lift(rng, ctx)


def _layout(rng: np.random.Generator, ctx: Ctx, lo: int = 3, hi: int = 7, square: bool = False):
    """(rows, cols, cell height, cell width) that fit the largest side, or Drop."""
    ph, pw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if square:
        pw = ph
    for _ in range(10):
        r = int(rng.integers(lo, hi + 1))
        c = r if square else int(rng.integers(lo, hi + 1))
        if r * (ph + 1) - 1 <= ctx.cfg.max_side and c * (pw + 1) - 1 <= ctx.cfg.max_side:
            return r, c, ph, pw
    raise Drop("grid too small for cells")


def _grid(rng, small: np.ndarray, ph: int, pw: int, sep: int, bg: int, sparse: bool) -> np.ndarray:
    """The big grid of ``small``: each cell ph x pw, filled with its colour (or a sparse
    pattern of it, the colour the most common foreground one), separator lines between."""
    blocks = []
    for v in small.ravel():
        b = np.full((ph, pw), v, dtype=gi.DTYPE)
        if sparse and v != bg and ph * pw > 1:
            keep = rng.random((ph, pw)) < 0.6
            keep.flat[int(rng.integers(0, ph * pw))] = True
            b = np.where(keep, v, bg).astype(gi.DTYPE)
        blocks.append(b)
    return _assemble(blocks, True, sep, small.shape[0]) if small.shape[0] > 1 else _assemble(blocks, True, sep)


def _cut_right(g: np.ndarray, shape: tuple[int, int]) -> bool:
    try:
        rows, cols = part_spans(g)
    except ValueError:
        return False
    return (len(rows), len(cols)) == shape


def _lift(rng: np.random.Generator, ctx: Ctx) -> Draft:
    kind = str(_choice(rng, LIFTED))
    square = kind == "rigid" and rng.random() < 0.4
    r, c, ph, pw = _layout(rng, ctx, square=square)
    bg = gi.pick_bg(rng, 0.85)
    cols = gi.palette(rng, bg, 4)
    sep, inner = cols[0], cols[1:int(rng.integers(2, 4)) + 1]
    sparse = ph * pw > 1 and rng.random() < 0.3
    if kind == "connect":
        op = Step("connect", (str(_choice(rng, ("h", "v", "hv"))),))
    elif kind == "ray":
        op = Step("ray", (inner[0], str(_choice(rng, (*DIRECTIONS, "ul", "ur", "dl", "dr", "hv")))))
    elif kind == "rigid":
        op = Step(str(_choice(rng, ("flip_lr", "flip_ud", "rot180", "rot90", "transpose") if square
                              else ("flip_lr", "flip_ud", "rot180"))))
    elif kind == "gravity":
        op = Step("gravity", (str(_choice(rng, DIRECTIONS)),))
    else:
        op = Step("symmetrize", (str(_choice(rng, ("lr", "ud", "both"))),))
    density = rng.uniform(0.15, 0.4)

    def new_input(rng):
        small = gi.pattern(rng, r, c, bg, inner, density)
        if small is None:
            return None
        if kind == "connect":  # pairs of one colour in a row or column, a few loners
            small = np.full((r, c), bg, dtype=gi.DTYPE)
            for _ in range(int(rng.integers(1, 4))):
                col = int(_choice(rng, inner))
                y, x = int(rng.integers(0, r)), int(rng.integers(0, c))
                d = op.args[0] if op.args[0] != "hv" else str(_choice(rng, ("h", "v")))
                y2, x2 = (y, int(rng.integers(0, c))) if d == "h" else (int(rng.integers(0, r)), x)
                if abs(y2 - y) + abs(x2 - x) >= 2 and small[y, x] == bg and small[y2, x2] == bg:
                    small[y, x] = small[y2, x2] = col
            if (small != bg).sum() == 0:
                return None
        if kind == "ray" and not (small == op.args[0]).any():
            small.flat[int(rng.integers(0, small.size))] = op.args[0]
        g = _grid(rng, small, ph, pw, sep, bg, sparse)
        if not gi.well_formed(g, bg) or not _cut_right(g, (r, c)):
            return "cells not found"
        return g

    prog = lifted(op)
    inputs = ctx.collect(rng, prog, new_input)
    return ctx.draft(prog, inputs, lifted_alternatives(op, [sep, *inner], square))


def _count(rng: np.random.Generator, ctx: Ctx) -> Draft:
    r, c, _, _ = _layout(rng, ctx, 2, 5)
    ph, pw = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    if r * (ph + 1) - 1 > ctx.cfg.max_side or c * (pw + 1) - 1 > ctx.cfg.max_side:
        raise Drop("grid too small for cells")
    bg = gi.pick_bg(rng, 0.9)
    cols = gi.palette(rng, bg, 5)
    sep, dot = cols[0], cols[1]
    counts = sorted(int(v) for v in rng.choice(np.arange(1, min(5, ph * pw) + 1), size=2, replace=False))
    table = {k: int(t) for k, t in zip(counts, cols[2:])}
    fill = rng.random() < 0.6  # the cells filled back, else the small grid of colours is the answer
    mapping = tuple(sorted(table.items()))
    if fill:
        prog = (Step("summarize_parts", ("count",), out="x", src="img"),
                Step("map_colors", (mapping,), out="x"),
                Step("fill_parts", (Var("x"),)))
    else:
        prog = (Step("summarize_parts", ("count",)), Step("map_colors", (mapping,)))

    def new_input(rng):
        blocks = []
        for _ in range(r * c):
            k = int(_choice(rng, [0, *counts, *counts]))
            b = np.full((ph, pw), bg, dtype=gi.DTYPE)
            b.flat[rng.choice(ph * pw, size=k, replace=False)] = dot
            blocks.append(b)
        g = _assemble(blocks, True, sep, r) if r > 1 else _assemble(blocks, True, sep)
        if not gi.well_formed(g, bg) or not _cut_right(g, (r, c)):
            return "cells not found"
        return g

    inputs = ctx.collect(rng, prog, new_input)

    def rivals(all_inputs, train_outputs):
        for mode in ("fg", "majority"):
            yield tuple(Step(s.op, (mode,), s.out, s.src) if s.op == "summarize_parts" else s for s in prog)
        for k in table:  # an entry left out: that count stays its digit
            rest = tuple((a, b) for a, b in mapping if a != k)
            if rest:
                yield tuple(Step(s.op, (rest,), s.out, s.src) if s.op == "map_colors" else s for s in prog)

    def check_task(inputs, outputs, n_train):
        seen = [set(np.unique(summarize_parts(g, "count")).tolist()) for g in inputs]
        return table_not_shown(seen, table, n_train)

    return ctx.draft(prog, inputs, rivals, check_task=check_task)
