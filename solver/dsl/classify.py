"""DSL v2, answers chosen by a property of the whole input: the output is one of a few fixed
grids, looked up by a count or a colour of the input::

    def task(img):
        img = classify(img, 'n_colors', ((1, ((5, 5, 5), (0, 0, 0), (0, 0, 0))),
                                         (2, ((5, 0, 0), (0, 5, 0), (0, 0, 5)))))
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.objects import find_objects
from solver.dsl.ops import Img, _arr, bg_of

CLASS_PROPS = ("n_colors", "fg_cells", "main_color", "n_objects", "mask")


def class_key(img: Img, prop: str) -> int:
    """A property of the whole grid: its number of colours, of foreground cells, its most common foreground colour, its number of (8-connected, one-colour) objects, or its foreground mask (the cells, whatever their colours, as one number)."""
    a = _arr(img)
    bg = bg_of(a)
    if prop == "n_colors":
        return len(np.unique(a))
    if prop == "fg_cells":
        return int((a != bg).sum())
    if prop == "main_color":
        counts = np.bincount(a.ravel().astype(np.int64), minlength=10)
        counts[bg] = 0
        return int(counts.argmax()) if counts.any() else bg
    if prop == "n_objects":
        return len(find_objects(a, 8, False))
    if prop == "mask":  # the shape above the cells' bits: no two shapes of masks share one
        h, w = a.shape
        bits = int("".join("1" if v else "0" for v in (a != bg).ravel().tolist()), 2)
        return ((h * 31 + w) << (h * w)) | bits
    raise ValueError(f"classify: prop must be one of {CLASS_PROPS}, got {prop!r}")


def classify(img: Img, prop: str, table: tuple) -> Img:
    """The grid ``table`` (``((value, grid rows), ...)``) gives for the input's ``prop`` (n_colors, fg_cells, main_color, n_objects, mask)."""
    a = _arr(img)
    key = class_key(a, prop)
    for value, grid in table:
        if value == key:
            return np.array(grid, dtype=a.dtype)
    raise ValueError(f"classify: no answer for {prop} = {key}")


def constant(img: Img, grid: tuple) -> Img:
    """The grid ``grid`` (rows of colours), whatever the input: the answer when every train output is the same."""
    a = _arr(img)
    return np.array(grid, dtype=a.dtype)


CLASSIFY_OPS = (classify, constant)
