"""DSL v2, shapes replaced by what the train pairs show: each object whose shape is in a
table (its bounding-box mask) is repainted with that entry's patch::

    def task(img):
        img = replace_shapes(img, ((((1, 1, 1), (1, 0, 1), (1, 1, 1)),
                                    ((-1, 2, -1), (2, 2, 2), (-1, 2, -1))),), 8)
        return img

A patch has the mask's size; its entries are a colour, -1 (keep the cell as it is) or -2
(the object's own colour), so one entry serves objects of every colour.
"""

from __future__ import annotations

import numpy as np

from solver.dsl.objects import find_objects
from solver.dsl.ops import Img, _arr

KEEP, OWN = -1, -2


def shape_mask(obj) -> tuple[tuple[int, ...], ...]:
    """An object's bounding-box mask as rows of 0/1 (the table's key)."""
    return tuple(tuple(int(v) for v in row) for row in obj.mask().astype(int).tolist())


def replace_shapes(img: Img, table: tuple, conn: int) -> Img:
    """Each single-colour object whose bounding-box mask is a key of ``table`` (``((mask rows, patch rows), ...)``) repainted with its patch over its bounding box: a colour, -1 keeps the cell, -2 the object's colour."""
    a = _arr(img)
    patches = {}
    for mask, patch in table:
        p = np.asarray(patch, dtype=np.int64)
        if p.shape != np.asarray(mask).shape or p.min() < OWN or p.max() > 9:
            raise ValueError("replace_shapes: a patch must have its mask's shape, entries -2..9")
        patches[tuple(map(tuple, mask))] = p
    out = a.copy()
    for o in find_objects(a, conn, False):
        p = patches.get(shape_mask(o))
        if p is None:
            continue
        t, l, b, r = o.bbox
        window = out[t:b + 1, l:r + 1]
        window[p == OWN] = o.color
        window[p >= 0] = p[p >= 0]
    return out


SHAPE_OPS = (replace_shapes,)
