"""DSL v2, colours read off the border: cells (or whole objects) of one colour take the
colour of the marker at the end of their row or column::

    def task(img):
        img = recolor_from_edge(img, 5, 'left', 'cell')    # each 5 takes its row's first colour
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.objects import find_objects
from solver.dsl.ops import Img, _arr, bg_of

SIDES = ("up", "down", "left", "right")


def _edge_colors(a: np.ndarray, side: str) -> np.ndarray:
    """For each cell, the colour of the grid's border cell on ``side`` in its column or row."""
    h, w = a.shape
    if side == "up":
        return np.broadcast_to(a[0], (h, w))
    if side == "down":
        return np.broadcast_to(a[-1], (h, w))
    if side == "left":
        return np.broadcast_to(a[:, :1], (h, w))
    if side == "right":
        return np.broadcast_to(a[:, -1:], (h, w))
    raise ValueError(f"recolor_from_edge: side must be one of {SIDES}, got {side!r}")


def recolor_from_edge(img: Img, color: int, side: str, mode: str) -> Img:
    """Cells of ``color`` take the colour at the border on ``side`` of their row or column ('cell'), or each object of ``color`` the one such colour its cells see ('object'); background and ``color`` there mean no marker."""
    a = _arr(img)
    if mode not in ("cell", "object"):
        raise ValueError(f"recolor_from_edge: mode must be cell or object, got {mode!r}")
    edge = _edge_colors(a, side)
    bg = bg_of(a)
    marked = (edge != bg) & (edge != color)
    out = a.copy()
    if mode == "cell":
        take = (a == color) & marked
        out[take] = edge[take]
        return out
    for o in find_objects(a, 4, False):
        if o.color != color:
            continue
        seen = set(edge[o.rows, o.cols][marked[o.rows, o.cols]].tolist())
        if len(seen) == 1:
            out[o.rows, o.cols] = seen.pop()
    return out


MARKER_OPS = (recolor_from_edge,)
