"""Cell lifting, for the enumerator: a task whose grids are cut into cells by separator
lines, and whose outputs fill whole cells, is searched once more one cell a pixel.

For such a task every input becomes the small grid of its cells' main foreground colours
(``summarize_parts(img, 'fg')``), every output the small grid of the colours filling its
cells (cut where its input is cut). A program found on the small grids is wrapped so that
it runs on the task as it is::

    def task(img):
        x = summarize_parts(img, 'fg')
        x = connect(x, 'hv')           # the program found, one cell a pixel
        img = fill_parts(img, x)
        return img

The lift applies only when it is exact on every train pair: each output is its input with
every cell filled by one colour, the separators unchanged; each test input must be cut into
cells too.
"""

from __future__ import annotations

import numpy as np

from solver.arc.grids import Grid, Pair, Task
from solver.dsl.parts import fill_parts, part_spans, summarize_parts
from solver.search.rewrite import as_array, as_grid, wrapped


def _filled(inp: np.ndarray, out: np.ndarray) -> np.ndarray | None:
    """The colour of each of ``inp``'s cells in ``out`` when ``out`` is ``inp`` with every
    cell filled by one colour; None otherwise."""
    if inp.shape != out.shape:
        return None
    rows, cols = part_spans(inp)
    small = np.zeros((len(rows), len(cols)), dtype=inp.dtype)
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            cell = out[r0:r1, c0:c1]
            if not (cell == cell.flat[0]).all():
                return None
            small[i, j] = cell.flat[0]
    return small if (fill_parts(inp, small) == out).all() else None


def lifted_task(task: Task) -> Task | None:
    """The task one cell a pixel, or None when the lift does not apply."""
    try:
        train = []
        for p in task.train:
            inp = as_array(p.input)
            small = _filled(inp, as_array(p.output))
            if small is None:
                return None
            train.append(Pair(as_grid(summarize_parts(inp, "fg")), as_grid(small)))
        test = []
        for p in task.test:
            inp = as_array(p.input)
            out = None if p.output is None else _filled(inp, as_array(p.output))
            test.append(Pair(as_grid(summarize_parts(inp, "fg")), None if out is None else as_grid(out)))
    except ValueError:  # a grid with no separator lines
        return None
    if all(p.input == p.output for p in train):
        return None
    return Task(task.id, tuple(train), tuple(test))


def back(grid: Grid | None, ref: Grid) -> Grid | None:
    """A lifted program's output on input ``ref``, filled back into ``ref``'s cells."""
    if grid is None:
        return None
    try:
        return as_grid(fill_parts(as_array(ref), as_array(grid)))
    except ValueError:
        return None


def wrap_code(code: str) -> str:
    """A program for the lifted task, as a program for the task itself."""
    return wrapped(code, "x = summarize_parts(img, 'fg')", "img = fill_parts(img, x)")
