"""DSL v2, noise removed: stripes restored to their majority colour, the cells of a noise
colour healed from their neighbours, and cells outside solid blocks erased::

    def task(img):
        img = heal(img, 8)          # each 8 takes the most common colour around it
        img = keep_blocks(img, 2)   # a cell stays only inside a 2x2 square of its colour
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import Img, _arr, bg_of


def stripes(img: Img, axis: str) -> Img:
    """Each row ('rows') or column ('cols') filled with its most common colour (the smaller on a tie)."""
    a = _arr(img)
    if axis not in ("rows", "cols"):
        raise ValueError(f"stripes: axis must be rows or cols, got {axis!r}")
    b = a if axis == "rows" else a.T
    major = np.array([np.bincount(row.astype(np.int64), minlength=10).argmax() for row in b])
    out = np.repeat(major[:, None], b.shape[1], axis=1).astype(a.dtype)
    return out if axis == "rows" else np.ascontiguousarray(out.T)


def heal(img: Img, color: int) -> Img:
    """Each cell of ``color`` takes the most common other colour among its 8 neighbours (background included; the smaller on a tie), all at once."""
    a = _arr(img)
    if not (a == color).any():
        raise ValueError(f"heal: no cell of colour {color}")
    h, w = a.shape
    p = np.pad(a.astype(np.int64), 1, constant_values=color)
    counts = np.zeros((h, w, 10), dtype=np.int64)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                n = p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
                np.add.at(counts, (*np.indices((h, w)), n), 1)
    counts[..., color] = 0
    best = counts.argmax(axis=2)
    out = a.copy()
    noisy = (a == color) & (counts.max(axis=2) > 0)
    out[noisy] = best[noisy]
    return out


def keep_blocks(img: Img, side: int) -> Img:
    """Each foreground cell kept only when some ``side`` x ``side`` square of cells all of its colour covers it; every other cell becomes the background."""
    a = _arr(img)
    h, w = a.shape
    if not 1 <= side <= min(h, w):
        raise ValueError(f"keep_blocks: side must be in 1..{min(h, w)}, got {side}")
    same = np.ones((h - side + 1, w - side + 1), dtype=bool)  # squares of one colour, by corner
    for dy in range(side):
        for dx in range(side):
            same &= a[dy:dy + h - side + 1, dx:dx + w - side + 1] == a[:h - side + 1, :w - side + 1]
    covered = np.zeros((h, w), dtype=bool)
    for dy in range(side):
        for dx in range(side):
            covered[dy:dy + h - side + 1, dx:dx + w - side + 1] |= same
    out = a.copy()
    out[~covered] = bg_of(a)
    return out


DENOISE_OPS = (stripes, heal, keep_blocks)
