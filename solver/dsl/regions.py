"""DSL v2, the parts of objects and of the background: recolour background regions by a
property (holes by their size, rooms by their rank), paint each object's cells by their
role (corner, edge, inside), and fill the largest empty rectangle::

    def task(img):
        img = recolor_regions_by(img, 'size', ((1, 3), (2, 2), (3, 1)), True)
        img = paint_roles(img, 1, 4, 2)
        img = fill_largest_rect(img, 6, 2)
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.objects import PROPERTIES, Obj, _label, components, prop, recent, table_of
from solver.dsl.ops import Img, _arr, bg_of

KEEP = -1  # a role painted -1 keeps its colour


# Recent background_regions results (see solver.dsl.objects.recent): the search asks for
# the same regions once per property.
_RECENT: dict = {}
_RECENT_MAX = 256


def background_regions(img: Img, enclosed: bool) -> list[Obj]:
    """The 4-connected regions of background cells (only those not touching the border when ``enclosed``)."""
    a = _arr(img)
    return recent(_RECENT, _RECENT_MAX, a, (bool(enclosed),), lambda: _regions(a, enclosed))


def _regions(a: np.ndarray, enclosed: bool) -> list[Obj]:
    free = a == bg_of(a)
    labels, n = _label(free.astype(np.int64), free, 4)
    return [o for o in components(a, labels, n) if not (enclosed and o.touches_border())]


def recolor_regions_by(img: Img, name: str, mapping: tuple[tuple[int | None, int], ...],
                       enclosed: bool) -> Img:
    """Recolour each background region (4-connected; only enclosed ones when ``enclosed``) by its property ``name``: ``((value, colour), ...)``, a ``(None, colour)`` entry for every other value; other regions stay."""
    if name not in PROPERTIES:
        raise ValueError(f"property must be one of {PROPERTIES}, got {name!r}")
    a = _arr(img)
    out = a.copy()
    table, default = table_of(mapping)
    regions = background_regions(a, enclosed)
    for r in regions:
        c = table.get(prop(r, name, regions), default)
        if c is not None:
            out[r.rows, r.cols] = c
    return out


def cell_roles(img: Img) -> np.ndarray:
    """For each cell: 0 background, 1 corner, 2 edge, 3 inside of its single-colour object
    (by how many of its 4 neighbours share its colour: 4 inside, 3 edge, fewer corner)."""
    a = _arr(img)
    bg = bg_of(a)
    p = np.pad(a.astype(np.int64), 1, constant_values=-1)
    same = sum((p[1 + dy:1 + dy + a.shape[0], 1 + dx:1 + dx + a.shape[1]] == a).astype(int)
               for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)))
    roles = np.where(same == 4, 3, np.where(same == 3, 2, 1))
    return np.where(a == bg, 0, roles)


def paint_roles(img: Img, corner: int, edge: int, inside: int) -> Img:
    """Paint each foreground cell by its role in its single-colour shape: ``corner`` (two or fewer of its 4 neighbours alike), ``edge`` (three), ``inside`` (four); -1 keeps a role's colour."""
    a = _arr(img)
    for c in (corner, edge, inside):
        if not KEEP <= c <= 9:
            raise ValueError(f"paint_roles: colours must be -1..9, got {c}")
    roles = cell_roles(a)
    out = a.copy()
    for role, color in ((1, corner), (2, edge), (3, inside)):
        if color != KEEP:
            out[roles == role] = color
    return out


def largest_rect(free: np.ndarray, min_side: int = 1) -> tuple[int, int, int, int] | None:
    """``(top, left, bottom, right)`` (bottom and right excluded) of the largest rectangle of
    ``free`` cells at least ``min_side`` high and wide (the topmost, then leftmost, on a tie);
    None when there is none."""
    h, w = free.shape
    heights = np.zeros(w, dtype=np.int64)
    best: tuple = (0, 0, 0, 0, 0)  # (-area, top, left, bottom, right) of the best so far
    for r in range(h):
        heights = np.where(free[r], heights + 1, 0)
        stack: list[int] = []  # columns of increasing heights
        for c in range(w + 1):
            cur = int(heights[c]) if c < w else 0
            while stack and heights[stack[-1]] >= cur:
                top_h = int(heights[stack.pop()])
                left = stack[-1] + 1 if stack else 0
                cand = (-top_h * (c - left), r + 1 - top_h, left, r + 1, c)
                if min(top_h, c - left) >= min_side and cand < best:
                    best = cand
            stack.append(c)
    return best[1:] if best[0] else None


def fill_largest_rect(img: Img, color: int, min_side: int) -> Img:
    """The largest rectangle of background cells at least ``min_side`` high and wide (the topmost, then leftmost, on a tie) filled with ``color``."""
    a = _arr(img)
    box = largest_rect(a == bg_of(a), min_side)
    out = a.copy()
    if box is not None:
        t, l, b, r = box
        out[t:b, l:r] = color
    return out


REGION_OPS = (recolor_regions_by, paint_roles, fill_largest_rect)

