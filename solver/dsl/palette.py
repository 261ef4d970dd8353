"""DSL v2, colour normalisation: a program written for colour roles, not colour values.

Many tasks apply one rule in other colours on every pair (grow each cross in its own
colour, give the big shape the colour of the small dot). ``norm_colors`` renames an image's
colours by role: its background (:func:`solver.dsl.ops.bg_of`) becomes 0, then the other
colours by how common they are (the most common 1, the next 2, ...); the program
works on that, and ``unnorm_colors`` renames its result back with the renaming of the
original input::

    def task(img):
        x = norm_colors(img)
        x = map_colors(x, ((1, 2), (2, 0)))
        img = unnorm_colors(x, img)
        return img

The renaming (:func:`color_order`) is a permutation of 0..9: the background of the reference
image, its other colours by decreasing count (the smaller colour first on a tie), then the
absent colours in increasing order. A colour that a program paints and the input lacks maps back to an absent
colour, the same one on every input with the same number of colours.
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import Img, _arr, bg_of


def color_order(ref: Img) -> np.ndarray:
    """The colours 0..9 in normalised order: ``order[k]`` is the colour that becomes ``k``."""
    a = _arr(ref)
    counts = np.bincount(a.ravel().astype(np.int64), minlength=10)[:10]
    bg = bg_of(a)
    present = sorted((c for c in range(10) if counts[c]), key=lambda c: (c != bg, -counts[c], c))
    absent = [c for c in range(10) if not counts[c]]
    return np.array(present + absent, dtype=np.int64)


def norm_colors(img: Img) -> Img:
    """Rename colours by role: the background becomes 0, the other colours 1, 2, ... from the most common."""
    a = _arr(img)
    order = color_order(a)
    lut = np.empty(10, dtype=np.int64)
    lut[order] = np.arange(10)
    return lut[a.astype(np.int64)].astype(a.dtype)


def unnorm_colors(img: Img, ref: Img) -> Img:
    """Undo ``norm_colors(ref)`` on ``img``: colour ``k`` becomes the colour of ``ref`` that ``norm_colors`` made ``k``."""
    a = _arr(img)
    if a.size and (a.min() < 0 or a.max() > 9):
        raise ValueError("unnorm_colors: colours must be 0..9")
    return color_order(ref)[a.astype(np.int64)].astype(a.dtype)


PALETTE_OPS = (norm_colors, unnorm_colors)
