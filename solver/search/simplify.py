"""Simplifying train-exact drawing programs before they become attempts.

A program found by search is often right on the train pairs for the wrong reason: repair
may paint a line and then erase part of it with a second line in the background colour
of the train input. On a test input with another background that "eraser" leaves wrong
cells. :func:`simplify_draws` rewrites such a program into one that paints only where its
paint shows, keeping every train output unchanged:

- a draw none of whose cells shows is deleted;
- a line or rectangle is trimmed to the span of its cells that show (cells a later draw
  paints over change nothing, whoever painted them first);
- an eraser (a draw in the background colour of every train input) is removed when the
  lines it cut are split into the runs of cells that show, if that makes the program
  cheaper (fewer draws, then fewer painted cells).

It works on programs in the DSL's literal form (:func:`solver.dsl.program.parse_program`);
other programs are returned unchanged. Every rewrite is verified by drawing on every train
input; nothing generated is executed here.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from solver.arc.grids import Grid
from solver.dsl import draw as dsl
from solver.dsl.program import Draw, legal_angle, parse_program, program_code

_BLANK = -1  # a value no colour has: what a draw paints on a blank canvas is its footprint


def _paint(grid: np.ndarray, draws: Sequence[Draw]) -> np.ndarray:
    img = grid.copy()
    for d in draws:
        d.apply(img)
    return img


def footprint(d: Draw, shape: tuple[int, int]) -> np.ndarray:
    """The cells ``d`` paints on an image of ``shape`` (clipped), as a boolean mask."""
    canvas = np.full(shape, _BLANK, dtype=dsl.DTYPE)
    d.apply(canvas)
    return canvas != _BLANK


def _line_cells(d: Draw) -> list[tuple[int, int]]:
    """The cells of a legal (0/45/90 degree) ``draw_line``, from its first point."""
    (r0, c0), (r1, c1) = d.args[0], d.args[1]
    n = max(abs(r1 - r0), abs(c1 - c0))
    sr, sc = np.sign(r1 - r0), np.sign(c1 - c0)
    return [(r0 + i * sr, c0 + i * sc) for i in range(n + 1)]


def _segment(cells: list[tuple[int, int]], a: int, b: int, color: int) -> Draw:
    """The draw painting ``cells[a..b]``: a pixel for one cell, else a line."""
    if a == b:
        return Draw("draw_pixel", (tuple(int(v) for v in cells[a]), color))
    return Draw("draw_line", (tuple(int(v) for v in cells[a]), tuple(int(v) for v in cells[b]),
                              color))


class _Canvas:
    """The train inputs a program draws on, and checks against its outputs there."""

    def __init__(self, inputs: Sequence[Grid], draws: Sequence[Draw]):
        self.inputs = [np.array(g, dtype=dsl.DTYPE) for g in inputs]
        self.targets = [_paint(g, draws) for g in self.inputs]

    def same(self, draws: Sequence[Draw]) -> bool:
        return all(np.array_equal(_paint(g, draws), t) for g, t in zip(self.inputs, self.targets))

    def shows(self, draws: Sequence[Draw]) -> list[list[np.ndarray]]:
        """Per draw, per input: the cells where that draw is the last painter."""
        out = [[] for _ in draws]
        for g in self.inputs:
            owner = np.full(g.shape, -1)
            masks = [footprint(d, g.shape) for d in draws]
            for i, m in enumerate(masks):
                owner[m] = i
            for i in range(len(draws)):
                out[i].append(owner == i)
        return out

    def cost(self, draws: Sequence[Draw]) -> tuple[int, int]:
        return len(draws), sum(int(footprint(d, g.shape).sum()) for d in draws for g in self.inputs)

    def background(self) -> int | None:
        """The most common colour shared by every train input, if they agree."""
        bgs = {int(np.bincount(g.ravel().astype(np.int64), minlength=10).argmax()) for g in self.inputs}
        return bgs.pop() if len(bgs) == 1 else None


def _prune(canvas: _Canvas, draws: list[Draw]) -> list[Draw]:
    i = 0
    while i < len(draws):
        trial = draws[:i] + draws[i + 1:]
        if canvas.same(trial):
            draws = trial
        else:
            i += 1
    return draws


def _shown_runs(d: Draw, shown: list[np.ndarray]) -> list[tuple[int, int]] | None:
    """For a line: the runs (first, last index along the line) of cells that show on
    every input's grid where they show on any; None when ``d`` is not a line."""
    if d.fn != "draw_line" or not legal_angle(d.args[0], d.args[1]):
        return None
    cells = _line_cells(d)
    show = [any(0 <= r < m.shape[0] and 0 <= c < m.shape[1] and m[r, c] for m in shown)
            for r, c in cells]
    runs, start = [], None
    for i, s in enumerate(show + [False]):
        if s and start is None:
            start = i
        elif not s and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _trim(d: Draw, shown: list[np.ndarray]) -> Draw:
    """``d`` cut down to the span of its cells that show (lines and rectangles)."""
    runs = _shown_runs(d, shown)
    if runs:
        a, b = runs[0][0], runs[-1][1]
        return _segment(_line_cells(d), a, b, d.args[-1])
    if d.fn == "draw_rectangle":
        cells = [np.nonzero(m) for m in shown]
        rows = [v for rr, _ in cells for v in (rr.min(), rr.max()) if rr.size]
        cols = [v for _, cc in cells for v in (cc.min(), cc.max()) if cc.size]
        if rows:
            return Draw("draw_rectangle", ((int(min(rows)), int(min(cols))),
                                           (int(max(rows)), int(max(cols))), d.args[-1]))
    return d


def simplify_draws(draws: Sequence[Draw], inputs: Sequence[Grid],
                   seconds: float = 1.0) -> list[Draw]:
    """The simplest rewrite found of ``draws`` that leaves every output on ``inputs``
    unchanged (see the module docstring); the input when nothing is found in time."""
    draws = list(draws)
    if not draws or not inputs or any(d.fn == "flood_fill" for d in draws):
        return draws  # a fill reads what is under it: ownership says nothing there
    deadline = time.monotonic() + seconds
    canvas = _Canvas(inputs, draws)
    draws = _prune(canvas, draws)
    bg = canvas.background()
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        shown = canvas.shows(draws)
        trimmed = [_trim(d, s) for d, s in zip(draws, shown)]
        if trimmed != draws and canvas.same(trimmed):
            draws, changed = _prune(canvas, trimmed), True
            continue
        for e, d in enumerate(draws):  # erasers: a draw in the inputs' background colour
            if bg is None or d.args[-1] != bg or time.monotonic() >= deadline:
                continue
            trial = _without_eraser(draws, e, shown)
            if trial is not None and canvas.same(trial):
                trial = _prune(canvas, trial)
                if canvas.cost(trial) < canvas.cost(draws):
                    draws, changed = trial, True
                    break
    return draws


def _without_eraser(draws: list[Draw], e: int, shown: list[list[np.ndarray]]) -> list[Draw] | None:
    """``draws`` without draw ``e``, each earlier line it cut split into the runs of its
    cells that show; None when no earlier line is cut."""
    out, split = [], False
    for i, d in enumerate(draws):
        if i == e:
            continue
        runs = _shown_runs(d, shown[i]) if i < e else None
        if runs is not None and len(runs) > 1:
            cells = _line_cells(d)
            out += [_segment(cells, a, b, d.args[-1]) for a, b in runs]
            split = True
        else:
            out.append(d)
    return out if split else None


def simplify_program(code: str, inputs: Sequence[Grid], seconds: float = 1.0) -> str:
    """:func:`simplify_draws` on a program's text; other programs come back unchanged, and
    so does a program that is already as simple as this finds."""
    draws = parse_program(code)
    if draws is None:
        return code
    simpler = simplify_draws(draws, inputs, seconds)
    return code if simpler == draws else program_code(simpler)


def hidden_paint(code: str, inputs: Sequence[Grid]) -> int:
    """Cells a drawing program paints that do not show as a change of the input: paint
    covered by later paint, and paint in the colour the cell already had (an eraser). 0 for
    programs not in the DSL's literal form (nothing is known about them)."""
    draws = parse_program(code)
    if not draws:
        return 0
    total = 0
    for g in inputs:
        grid = np.array(g, dtype=dsl.DTYPE)
        painted = sum(int(footprint(d, grid.shape).sum()) for d in draws)
        total += painted - int((_paint(grid, draws) != grid).sum())
    return total
