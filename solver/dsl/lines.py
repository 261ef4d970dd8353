"""DSL v2, lines that depend on what they meet: rays that are drawn only when they hit
something, elbow paths from one colour to another, and lines whose crossings are marked.

They paint only background cells, in a colour of their own (a literal or a reader), so the
cells they start from keep their colour::

    def task(img):
        img = ray_to(img, 4, 4)          # from each 4, towards the shape it is aligned with
        img = path_l(img, 2, 3, 8, 'hv')  # from each 2 to the nearest 3: across, then down/up
        img = cross_lines(img, 2)        # rows and columns through every cell, crossings in 2
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import DIRECTIONS, RAY_DIRECTIONS, Img, _arr, bg_of

AXES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def ray_to(img: Img, color: int, paint: int) -> Img:
    """From every cell of ``color``, in each of the four axis directions, a line of ``paint`` over background that is drawn only when it ends on a non-background cell (not the border)."""
    a = _arr(img)
    bg = bg_of(a)
    h, w = a.shape
    out = a.copy()
    for r, c in zip(*np.nonzero(a == color)):
        for dy, dx in AXES:
            y, x, cells = r + dy, c + dx, []
            while 0 <= y < h and 0 <= x < w and a[y, x] == bg:
                cells.append((y, x))
                y, x = y + dy, x + dx
            if cells and 0 <= y < h and 0 <= x < w:
                ys, xs = zip(*cells)
                out[list(ys), list(xs)] = paint
    return out


def path_l(img: Img, start: int, end: int, paint: int, order: str) -> Img:
    """From every cell of ``start`` to the nearest cell of ``end`` (city-block distance), an elbow path of ``paint`` over background: along the row first, then the column ('hv'), or the column first ('vh')."""
    a = _arr(img)
    if order not in ("hv", "vh"):
        raise ValueError(f"path_l: order must be 'hv' or 'vh', got {order!r}")
    ends = np.argwhere(a == end)
    if not len(ends):
        raise ValueError(f"path_l: no cell of colour {end}")
    bg = bg_of(a)
    out = a.copy()
    for r, c in np.argwhere(a == start):
        ey, ex = min(ends.tolist(), key=lambda e: (abs(e[0] - r) + abs(e[1] - c), e[0], e[1]))
        corner = (r, ex) if order == "hv" else (ey, c)
        for (y0, x0), (y1, x1) in (((r, c), corner), (corner, (ey, ex))):
            ys = range(min(y0, y1), max(y0, y1) + 1)
            xs = range(min(x0, x1), max(x0, x1) + 1)
            for y in ys:
                for x in xs:
                    if a[y, x] == bg:
                        out[y, x] = paint
    return out


def cross_lines(img: Img, paint: int) -> Img:
    """The whole row and column through every foreground cell drawn over background in the cell's colour; a background cell on the lines of two colours or more gets ``paint``."""
    a = _arr(img)
    bg = bg_of(a)
    colours = [int(c) for c in np.unique(a) if c != bg]
    if not colours:
        raise ValueError("cross_lines: no foreground cell")
    count = np.zeros(a.shape, dtype=np.int64)
    last = np.full(a.shape, bg, dtype=a.dtype)
    for c in colours:
        cells = a == c
        line = cells.any(axis=1)[:, None] | cells.any(axis=0)[None, :]
        count += line
        last[line] = c
    out = a.copy()
    free = a == bg
    out[free & (count == 1)] = last[free & (count == 1)]
    out[free & (count > 1)] = paint
    return out


def dashed_ray(img: Img, direction: str, paint: int) -> Img:
    """From every foreground cell, a ray over background towards ``direction`` (up, down, left, right) to the border or a non-background cell, alternating ``paint`` and the cell's own colour (``paint`` first)."""
    a = _arr(img)
    if direction not in DIRECTIONS:
        raise ValueError(f"dashed_ray: direction must be one of {DIRECTIONS}, got {direction!r}")
    ((dy, dx),) = RAY_DIRECTIONS[direction]
    bg = bg_of(a)
    h, w = a.shape
    out = a.copy()
    for r, c in zip(*np.nonzero(a != bg)):
        y, x, k = r + dy, c + dx, 0
        while 0 <= y < h and 0 <= x < w and a[y, x] == bg:
            out[y, x] = paint if k % 2 == 0 else a[r, c]
            y, x, k = y + dy, x + dx, k + 1
    return out


def mark_crossings(img: Img, paint: int, rows_at: str, cols_at: str) -> Img:
    """Every background cell in a row marked on the ``rows_at`` edge ('left', 'right') and in a column marked on the ``cols_at`` edge ('top', 'bottom') becomes ``paint`` (marked: a foreground cell on that edge)."""
    a = _arr(img)
    if rows_at not in ("left", "right") or cols_at not in ("top", "bottom"):
        raise ValueError("mark_crossings: rows_at must be left or right, cols_at top or bottom")
    fg = a != bg_of(a)
    rows = fg[:, 0 if rows_at == "left" else -1]
    cols = fg[0 if cols_at == "top" else -1]
    out = a.copy()
    out[rows[:, None] & cols[None, :] & ~fg] = paint
    return out


MIDPOINT_SHAPES = {"dot": ((0, 0),), "cross": ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))}


def mark_midpoints(img: Img, color: int, paint: int, shape: str) -> Img:
    """For every two cells of ``color`` in one row or one column with a cell halfway between them, ``shape`` ('dot', 'cross') of ``paint`` drawn over background around that cell."""
    a = _arr(img)
    if shape not in MIDPOINT_SHAPES:
        raise ValueError(f"mark_midpoints: shape must be one of {tuple(MIDPOINT_SHAPES)}, got {shape!r}")
    bg = bg_of(a)
    h, w = a.shape
    cells = list(zip(*np.nonzero(a == color)))
    out = a.copy()
    for i, (r1, c1) in enumerate(cells):
        for r2, c2 in cells[i + 1:]:
            if (r1 != r2 and c1 != c2) or (r1 + r2) % 2 or (c1 + c2) % 2:
                continue
            my, mx = (r1 + r2) // 2, (c1 + c2) // 2
            for dy, dx in MIDPOINT_SHAPES[shape]:
                y, x = my + dy, mx + dx
                if 0 <= y < h and 0 <= x < w and a[y, x] == bg:
                    out[y, x] = paint
    return out


LINE_OPS = (ray_to, path_l, cross_lines, mark_midpoints, mark_crossings, dashed_ray)
