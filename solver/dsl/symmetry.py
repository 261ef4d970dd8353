"""DSL v2, symmetry and repetition: make a grid symmetric, or fill unknown cells from the
mirror symmetries or the repeating pattern that the known cells follow.

Pure functions ``prim(img, *args) -> img`` like :mod:`solver.dsl.ops` (same background rule,
``ValueError`` when a primitive cannot apply).
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import Img, _arr, bg_of

SYMMETRIES = ("lr", "ud", "both", "diag", "rot")




def symmetrize(img: Img, kind: str) -> Img:
    """Make the grid symmetric ('lr', 'ud', 'both', 'diag' or 'rot' four-fold): background cells take the mirrored cell's colour."""
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    if kind in ("lr", "both"):
        m = out[:, ::-1]
        out = np.where(out == bg, m, out)
    if kind in ("ud", "both"):
        m = out[::-1]
        out = np.where(out == bg, m, out)
    if kind in ("diag", "rot"):
        if a.shape[0] != a.shape[1]:
            raise ValueError("symmetrize: diag and rot need a square grid")
        turns = (out.T,) if kind == "diag" else (np.rot90(out, 1), np.rot90(out, 2), np.rot90(out, 3))
        for m in turns:
            out = np.where(out == bg, m, out)
    if kind not in SYMMETRIES:
        raise ValueError(f"symmetrize: kind must be one of {SYMMETRIES}, got {kind!r}")
    return out.astype(a.dtype)


def _mirror_maps(h: int, w: int):
    """Candidate symmetries as index maps (name, rows, cols) over the whole grid."""
    ii, jj = np.indices((h, w))
    for s in range(1, 2 * w - 2):  # left-right about column s/2
        yield ii, s - jj
    for s in range(1, 2 * h - 2):  # up-down about row s/2
        yield s - ii, jj
    for k in range(-(h - 2), w - 1):  # main diagonal j - i = k
        yield jj - k, ii + k
    for s in range(1, h + w - 2):  # anti-diagonal i + j = s
        yield s - jj, s - ii
    for si in range(h - 1, h + 1):
        for sj in range(w - 1, w + 1):
            yield si - ii, sj - jj  # half turn about the centre (and near it)


def complete_symmetry(img: Img, color: int) -> Img:
    """Cells of ``color`` are unknown: fill them from the grid's mirror symmetries (any axis position) found on the known cells."""
    a = _arr(img)
    h, w = a.shape
    unknown = a == color
    if not unknown.any() or 2 * unknown.sum() > unknown.size:
        raise ValueError("complete_symmetry: no cell of that colour, or most cells are")
    out = a.copy()
    known = ~unknown
    accepted = []
    for mi, mj in _mirror_maps(h, w):
        inside = (mi >= 0) & (mi < h) & (mj >= 0) & (mj < w)
        ci, cj = np.where(inside, mi, 0), np.where(inside, mj, 0)
        both = inside & known & known[ci, cj]
        n = int(both.sum())
        if n < max(4, known.sum() // 3):
            continue
        if (a[both] != a[ci, cj][both]).any():
            continue
        accepted.append((inside, ci, cj))
    if not accepted:
        raise ValueError("complete_symmetry: no symmetry found")
    for _ in range(4):
        changed = False
        for inside, ci, cj in accepted:
            take = unknown & inside & ~unknown[ci, cj]
            if take.any():
                out[take] = out[ci, cj][take]
                unknown = unknown & ~take
                changed = True
        if not changed or not unknown.any():
            break
    return out


def symmetry_patch(img: Img, color: int) -> Img:
    """What lies under the cells of ``color`` once the grid's symmetry is completed (cropped to their bounding box)."""
    a = _arr(img)
    full = complete_symmetry(a, color)
    rows, cols = np.nonzero(a == color)
    return full[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()


def _pattern_keys(h: int, w: int):
    """Candidate periodic lattices as (classes, class-index array), smallest period first:
    row/column periods (shorter than the side, or the whole side) and diagonal stripes."""
    ii, jj = np.indices((h, w))
    sizes = []
    for py in range(1, h + 1):
        for px in range(1, w + 1):
            if (py, px) != (h, w):
                sizes.append((py * px, 0, py, px))
    for p in range(2, max(h, w)):
        sizes += [(p, 1, p, 0), (p, 2, p, 0)]
    for n, kind, py, px in sorted(set(sizes)):
        if kind == 0:
            yield n, (ii % py) * px + jj % px
        else:
            yield n, (ii + jj) % py if kind == 1 else (ii - jj) % py


def complete_pattern(img: Img, color: int) -> Img:
    """Cells of ``color`` are unknown: fill them from the smallest repeating pattern (row/column periods or diagonal stripes) that the known cells follow."""
    a = _arr(img)
    h, w = a.shape
    unknown = a == color
    if not unknown.any() or unknown.all():
        raise ValueError("complete_pattern: nothing to complete")
    vals = a.astype(np.int64)
    for n, keys in _pattern_keys(h, w):
        k = keys[~unknown]
        v = vals[~unknown]
        lo = np.full(n, 99)
        hi = np.full(n, -1)
        np.minimum.at(lo, k, v)
        np.maximum.at(hi, k, v)
        if (hi[k] != lo[k]).any() or (hi[keys[unknown]] < 0).any():
            continue
        out = a.copy()
        out[unknown] = hi[keys[unknown]]
        return out
    raise ValueError("complete_pattern: no repeating pattern")


def symmetrize_about(img: Img, color: int, kind: str) -> Img:
    """Make the grid symmetric ('lr', 'ud' or 'both') about the centre of the box around the cells of ``color``: background cells take the mirrored cell's colour (mirrors that fall outside the grid are dropped)."""
    a = _arr(img)
    if kind not in ("lr", "ud", "both"):
        raise ValueError(f"symmetrize_about: kind must be lr, ud or both, got {kind!r}")
    ys, xs = np.nonzero(a == color)
    if ys.size == 0:
        raise ValueError(f"symmetrize_about: no cell of colour {color}")
    rows, cols = int(ys.min() + ys.max()), int(xs.min() + xs.max())  # twice the centre
    bg = bg_of(a)
    h, w = a.shape
    out = a.copy()
    fy, fx = np.nonzero(a != bg)
    maps = {"lr": [(fy, cols - fx)], "ud": [(rows - fy, fx)],
            "both": [(fy, cols - fx), (rows - fy, fx), (rows - fy, cols - fx)]}[kind]
    for my, mx in maps:
        inside = (my >= 0) & (my < h) & (mx >= 0) & (mx < w)
        y, x, src = my[inside], mx[inside], a[fy[inside], fx[inside]]
        free = out[y, x] == bg
        out[y[free], x[free]] = src[free]
    return out


def repeat_band(img: Img, axis: str) -> Img:
    """The band of rows ('rows') or columns ('cols') from the first to the last holding a foreground cell, repeated over the whole grid in step with where it is."""
    a = _arr(img)
    if axis not in ("rows", "cols"):
        raise ValueError(f"repeat_band: axis must be rows or cols, got {axis!r}")
    b = a if axis == "rows" else a.T
    used = np.nonzero((b != bg_of(a)).any(axis=1))[0]
    if used.size == 0:
        raise ValueError("repeat_band: no foreground")
    start, period = int(used[0]), int(used[-1] - used[0] + 1)
    out = b[start + (np.arange(b.shape[0]) - start) % period]
    return np.ascontiguousarray(out if axis == "rows" else out.T)


SYMMETRY_OPS = (symmetrize, complete_symmetry, symmetry_patch, complete_pattern, symmetrize_about,
                repeat_band)
