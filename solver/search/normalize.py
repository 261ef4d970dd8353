"""Colour normalisation of a whole task, for the enumerator: search once more on the task
with every grid's colours renamed by role (:mod:`solver.dsl.palette`), and wrap what it
finds so that it runs on the task as it is.

A pair's input and output are renamed with the *input's* renaming (the output's new colours
are what the program must paint, in the input's roles); each test input with its own. A
program found there becomes::

    def task(img):
        x = norm_colors(img)
        x = ...            # the program found, on x
        img = unnorm_colors(x, img)
        return img

It is worth a search only when the renamings differ between the task's inputs: when they
are all the same, the renamed task is the task with its colours relabelled once, and the
search would find the same programs.
"""

from __future__ import annotations

import numpy as np

from solver.arc.grids import Grid, Pair, Task
from solver.dsl.palette import color_order, norm_colors, unnorm_colors
from solver.search.rewrite import as_array, as_grid, wrapped


def worth_it(task: Task) -> bool:
    """Whether the task's inputs (train and test) are not all renamed alike."""
    orders = {tuple(color_order(as_array(p.input)).tolist()) for p in (*task.train, *task.test)}
    return len(orders) > 1


def _rename(grid: Grid, ref: Grid) -> Grid:
    """``grid`` renamed with the renaming of ``ref``."""
    order = color_order(as_array(ref))
    lut = np.empty(10, dtype=np.int64)
    lut[order] = np.arange(10)
    return as_grid(lut[as_array(grid).astype(np.int64)])


def normalized_task(task: Task) -> Task:
    """The task with every pair renamed by its input's renaming."""
    train = tuple(Pair(as_grid(norm_colors(as_array(p.input))), _rename(p.output, p.input))
                  for p in task.train)
    test = tuple(Pair(as_grid(norm_colors(as_array(p.input))),
                      None if p.output is None else _rename(p.output, p.input))
                 for p in task.test)
    return Task(task.id, train, test)


def back(grid: Grid | None, ref: Grid) -> Grid | None:
    """A normalised program's output on input ``ref``, renamed back."""
    return None if grid is None else as_grid(unnorm_colors(as_array(grid), as_array(ref)))


def wrap_code(code: str) -> str:
    """A program for the normalised task, as a program for the task itself."""
    return wrapped(code, "x = norm_colors(img)", "img = unnorm_colors(x, img)")
