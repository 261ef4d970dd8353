"""What the views of a task share (:mod:`solver.search.lift`, :mod:`solver.search.normalize`):
grids as arrays and back, and a program found on a rewritten task wrapped so that it runs
on the task itself: its image renamed ``x``, between a line that rewrites the input and a
line that brings the result back."""

from __future__ import annotations

import re

import numpy as np

from solver.arc.grids import Grid


def as_array(grid: Grid) -> np.ndarray:
    """A grid as the int8 array primitives take."""
    return np.array(grid, dtype=np.int8)


def as_grid(a: np.ndarray) -> Grid:
    """An array as a grid of tuples."""
    return tuple(tuple(int(v) for v in row) for row in a.tolist())


def wrapped(code: str, enter: str, leave: str) -> str:
    """``code`` (``def task(img): ... return img``) on ``x``, after the line ``enter``
    (``x = ...(img)``) and before the line ``leave`` (``img = ...(x, img)``)."""
    lines = code.strip("\n").split("\n")
    if not (lines[0].startswith("def task(img):") and lines[-1].strip() == "return img"):
        raise ValueError(f"not a program of the DSL's form: {code!r}")
    body = [re.sub(r"\bimg\b", "x", line) for line in lines[1:-1]]
    return (f"def task(img):\n    {enter}\n" + "".join(f"{b}\n" for b in body)
            + f"    {leave}\n    return img\n")
