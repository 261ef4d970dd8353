"""The helper library BARC-trained models call: ``from common import *`` in the sandbox.

Written here from the documented behaviour of the functions those models use (names,
arguments, what they return); no code of the original is used. Programs of that dialect
index grids as ``grid[x, y]``: ``x`` is the first axis (the column of the grid as it is
drawn, see the ``barc`` dialect in :mod:`solver.lm.dialects`), ``y`` the second; a
position is ``(x, y)``, a size ``(width, height)`` along those axes, and "upper" means a
small ``y``. Colours are ints (:class:`Color`).

Objects are grids of the same shape as the scene with everything but the object set to
the background colour; sprites are the cropped objects. Functions that draw (``flood_fill``,
``draw_line``, ``blit_*``) change the grid in place.

Left out on purpose: the random generators that make *inputs* for synthetic tasks
(random sprites, scattered points, free locations, random intervals) and the plotting
helpers; a program that solves a task never needs them.
"""

from __future__ import annotations

import random  # noqa: F401 - programs get it through ``from common import *``
from collections import deque
from typing import Callable, Iterable, Sequence

import numpy as np

from solver.dsl.draw import fill_region as _fill_region
from solver.dsl.draw import neighbour_steps as _steps

Grid = np.ndarray


class Color:
    """The ten ARC colours as ints, with the names the models use (and their aliases)."""

    BLACK = 0
    BLUE = 1
    RED = 2
    GREEN = 3
    YELLOW = 4
    GRAY = 5
    GREY = 5
    PINK = 6
    ORANGE = 7
    PURPLE = 8
    TEAL = 8
    BROWN = 9
    MAROON = 9
    ALL_COLORS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    NOT_BLACK = [1, 2, 3, 4, 5, 6, 7, 8, 9]


# ---------------------------------------------------------------- small internals


def _labels(mask: np.ndarray, connectivity: int) -> list[list[tuple[int, int]]]:
    """The connected groups of True cells of ``mask``, each in scan order, ordered by their
    first cell in scan order (first axis outer)."""
    steps = _steps(connectivity)
    w, h = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    groups = []
    for x0, y0 in zip(*np.nonzero(mask)):
        x0, y0 = int(x0), int(y0)
        if seen[x0, y0]:
            continue
        seen[x0, y0] = True
        cells, queue = [], deque([(x0, y0)])
        while queue:
            x, y = queue.popleft()
            cells.append((x, y))
            for dx, dy in steps:
                nx, ny = x + dx, y + dy
                if 0 <= nx < w and 0 <= ny < h and mask[nx, ny] and not seen[nx, ny]:
                    seen[nx, ny] = True
                    queue.append((nx, ny))
        groups.append(sorted(cells))
    return groups


def _colors(values: int | Iterable[int] | None) -> set[int]:
    if values is None:
        return set()
    if isinstance(values, (int, np.integer)):
        return {int(values)}
    return {int(v) for v in values}


def _mask(grid: Grid, background: int) -> np.ndarray:
    return np.asarray(grid) != background


# ---------------------------------------------------------------- drawing


def flood_fill(grid: Grid, x: int, y: int, color: int, connectivity: int = 4) -> None:
    """Recolour, in place, the region of ``grid[x, y]``'s colour connected to (x, y)."""
    w, h = grid.shape
    x, y = int(x), int(y)
    if not (0 <= x < w and 0 <= y < h):
        return
    old = grid[x, y]
    if old == color:
        return
    _fill_region(grid, x, y, old, color, _steps(connectivity))


def draw_line(grid: Grid, x: int, y: int, end_x: int | None = None, end_y: int | None = None,
              length: int | None = None, direction: Sequence[int] | None = None,
              color: int | None = None, stop_at_color: Iterable[int] | int = ()
              ) -> tuple[int, int]:
    """Draw in place from (x, y) one cell per step along ``direction`` (each of dx, dy in
    -1, 0, 1) for ``length`` cells, or to (end_x, end_y), or (no length, no end) to the
    grid's edge; the line stops before the first cell whose colour is in ``stop_at_color``.
    Returns the last cell drawn ((x, y) minus one step when none was)."""
    if color is None:
        raise ValueError("draw_line needs a color")
    x, y = int(x), int(y)
    if end_x is not None or end_y is not None:
        ex = x if end_x is None else int(end_x)
        ey = y if end_y is None else int(end_y)
        dx, dy = int(np.sign(ex - x)), int(np.sign(ey - y))
        n = max(abs(ex - x), abs(ey - y)) + 1
        if length is not None:
            n = min(n, int(length))
    else:
        dx, dy = (1, 0) if direction is None else (int(np.sign(direction[0])),
                                                    int(np.sign(direction[1])))
        n = None if length is None else int(length)
    stops = _colors(stop_at_color)
    w, h = grid.shape
    last = (x - dx, y - dy)
    i = 0
    while n is None or i < n:
        px, py = x + i * dx, y + i * dy
        if not (0 <= px < w and 0 <= py < h) or int(grid[px, py]) in stops:
            break
        grid[px, py] = color
        last = (px, py)
        if dx == 0 and dy == 0:
            break
        i += 1
    return last


def blit_object(grid: Grid, obj: Grid, background: int = Color.BLACK) -> Grid:
    """Copy, in place, the non-background cells of ``obj`` (a grid of the same shape)."""
    obj = np.asarray(obj)
    keep = obj != background
    grid[keep] = obj[keep]
    return grid


def blit_sprite(grid: Grid, sprite: Grid, x: int, y: int, background: int = Color.BLACK
                ) -> Grid:
    """Copy, in place, the non-background cells of ``sprite`` with its corner (0, 0) at
    (x, y); whatever falls outside the grid is clipped."""
    sprite = np.asarray(sprite)
    x, y = int(x), int(y)
    sw, sh = sprite.shape
    w, h = grid.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + sw, w), min(y + sh, h)
    if x0 >= x1 or y0 >= y1:
        return grid
    part = sprite[x0 - x:x1 - x, y0 - y:y1 - y]
    region = grid[x0:x1, y0:y1]
    keep = part != background
    region[keep] = part[keep]
    return grid


# ---------------------------------------------------------------- objects


def find_connected_components(grid: Grid, background: int = Color.BLACK, connectivity: int = 4,
                              monochromatic: bool = True) -> list[Grid]:
    """The objects of ``grid``: each connected group of non-background cells (of one colour
    when ``monochromatic``) as a grid of the same shape, background elsewhere. Ordered by
    colour (monochromatic) then by first cell in scan order."""
    grid = np.asarray(grid)
    masks = ([grid == c for c in sorted(set(np.unique(grid).tolist()) - {background})]
             if monochromatic else [grid != background])
    out = []
    for mask in masks:
        for cells in _labels(mask, connectivity):
            obj = np.full_like(grid, background)
            xs, ys = zip(*cells)
            obj[list(xs), list(ys)] = grid[list(xs), list(ys)]
            out.append(obj)
    return out


def detect_objects(grid: Grid, _=None, predicate: Callable[[Grid], bool] | None = None,
                   background: int = Color.BLACK, monochromatic: bool = False,
                   connectivity: int | None = None,
                   allowed_dimensions: Iterable[tuple[int, int]] | None = None,
                   colors: Iterable[int] | None = None, can_overlap: bool = False) -> list[Grid]:
    """The connected objects that pass the filters: bounding box (width, height) in
    ``allowed_dimensions``, every colour in ``colors``, ``predicate(sprite)`` true.
    ``connectivity`` None: 4 or 8, whichever lets the kept objects cover more cells
    (8 on a tie). Objects never overlap here, whatever ``can_overlap`` says."""
    dims = None if allowed_dimensions is None else {(int(a), int(b)) for a, b in allowed_dimensions}
    allowed = None if colors is None else _colors(colors)

    def keep(obj: Grid) -> bool:
        if dims is not None and bounding_box(obj, background)[2:] not in dims:
            return False
        if allowed is not None and not set(object_colors(obj, background)) <= allowed:
            return False
        return predicate is None or bool(predicate(crop(obj, background)))

    def found(conn: int) -> list[Grid]:
        return [o for o in find_connected_components(grid, background, conn, monochromatic)
                if keep(o)]

    if connectivity is not None:
        return found(connectivity)
    by8, by4 = found(8), found(4)
    covered = [sum(int(_mask(o, background).sum()) for o in objs) for objs in (by8, by4)]
    return by4 if covered[1] > covered[0] else by8


def bounding_box(grid: Grid, background: int = Color.BLACK) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the smallest box holding every non-background cell
    ((0, 0, 0, 0) when there is none)."""
    xs, ys = np.nonzero(_mask(grid, background))
    if len(xs) == 0:
        return 0, 0, 0, 0
    x0, y0 = int(xs.min()), int(ys.min())
    return x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1


def bounding_box_mask(grid: Grid, background: int = Color.BLACK) -> np.ndarray:
    """A bool grid, True inside the bounding box of the non-background cells."""
    grid = np.asarray(grid)
    out = np.zeros(grid.shape, dtype=bool)
    x, y, w, h = bounding_box(grid, background)
    out[x:x + w, y:y + h] = True
    return out


def crop(grid: Grid, background: int = Color.BLACK) -> Grid:
    """The part of ``grid`` inside the bounding box of its non-background cells (a copy)."""
    grid = np.asarray(grid)
    x, y, w, h = bounding_box(grid, background)
    return grid[x:x + w, y:y + h].copy()


def translate(obj: Grid, x: int, y: int, background: int = Color.BLACK) -> Grid:
    """A new grid of the same shape with ``obj`` moved by (x, y); cells moved off the grid
    are lost and uncovered cells are background."""
    obj = np.asarray(obj)
    out = np.full_like(obj, background)
    return blit_sprite(out, obj, int(x), int(y), background)


def object_position(obj: Grid, background: int = Color.BLACK, anchor: str = "upper left"
                    ) -> tuple[int, int]:
    """(x, y) of a point of the object's bounding box: ``anchor`` is upper/lower left/right,
    center, upper/lower center or left/right center (centres rounded down)."""
    x, y, w, h = bounding_box(obj, background)
    x1, y1 = x + max(w, 1) - 1, y + max(h, 1) - 1
    cx, cy = (x + x1) // 2, (y + y1) // 2
    points = {"upper left": (x, y), "upper right": (x1, y), "lower left": (x, y1),
              "lower right": (x1, y1), "center": (cx, cy), "upper center": (cx, y),
              "lower center": (cx, y1), "left center": (x, cy), "right center": (x1, cy)}
    key = anchor.lower().strip()
    if key not in points:
        raise ValueError(f"unknown anchor {anchor!r}; one of {', '.join(points)}")
    return points[key]


def object_colors(obj: Grid, background: int = Color.BLACK) -> list[int]:
    """The distinct colours of the object, smallest first (background left out)."""
    return sorted(set(np.unique(np.asarray(obj)).tolist()) - {background})


def _placed(object1: Grid, object2: Grid, x1: int, y1: int, x2: int, y2: int,
            background: int) -> tuple[np.ndarray, np.ndarray]:
    """Both objects' masks on one canvas that holds them at their offsets."""
    m1, m2 = _mask(object1, background), _mask(object2, background)
    lo_x, lo_y = min(x1, x2), min(y1, y2)
    w = max(x1 + m1.shape[0], x2 + m2.shape[0]) - lo_x
    h = max(y1 + m1.shape[1], y2 + m2.shape[1]) - lo_y
    a = np.zeros((w + 2, h + 2), dtype=bool)  # one spare cell on each side for contact
    b = np.zeros_like(a)
    a[x1 - lo_x + 1:x1 - lo_x + 1 + m1.shape[0], y1 - lo_y + 1:y1 - lo_y + 1 + m1.shape[1]] = m1
    b[x2 - lo_x + 1:x2 - lo_x + 1 + m2.shape[0], y2 - lo_y + 1:y2 - lo_y + 1 + m2.shape[1]] = m2
    return a, b


def collision(_=None, object1: Grid | None = None, object2: Grid | None = None, x1: int = 0,
              y1: int = 0, x2: int = 0, y2: int = 0, background: int = Color.BLACK) -> bool:
    """Whether the objects share a non-background cell with object1's corner at (x1, y1)
    and object2's at (x2, y2)."""
    a, b = _placed(object1, object2, int(x1), int(y1), int(x2), int(y2), background)
    return bool((a & b).any())


def _grow(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """``mask`` plus every cell next to it (the mask has a spare border)."""
    out = mask.copy()
    w, h = mask.shape
    for dx, dy in _steps(connectivity):
        out[max(dx, 0):w + min(dx, 0), max(dy, 0):h + min(dy, 0)] |= \
            mask[max(-dx, 0):w + min(-dx, 0), max(-dy, 0):h + min(-dy, 0)]
    return out


def contact(_=None, object1: Grid | None = None, object2: Grid | None = None, x1: int = 0,
            y1: int = 0, x2: int = 0, y2: int = 0, background: int = Color.BLACK,
            connectivity: int = 4) -> bool:
    """Whether the objects (placed as in :func:`collision`) overlap or touch: a cell of
    one next to a cell of the other (4: sides only, 8: corners too)."""
    a, b = _placed(object1, object2, int(x1), int(y1), int(x2), int(y2), background)
    return bool((_grow(a, connectivity) & b).any())


def _outside(mask: np.ndarray) -> np.ndarray:
    """Cells not in ``mask`` reachable from beyond the grid through non-mask cells
    (4-connected)."""
    padded = np.pad(~mask, 1, constant_values=True)
    reach = np.zeros_like(padded)
    reach[0, 0] = True
    queue = deque([(0, 0)])
    w, h = padded.shape
    while queue:
        x, y = queue.popleft()
        for dx, dy in _steps(4):
            nx, ny = x + dx, y + dy
            if 0 <= nx < w and 0 <= ny < h and padded[nx, ny] and not reach[nx, ny]:
                reach[nx, ny] = True
                queue.append((nx, ny))
    return reach[1:-1, 1:-1]


def object_interior(grid: Grid, background: int = Color.BLACK) -> np.ndarray:
    """A bool grid: the object's cells and every cell they enclose (not reachable from
    outside the grid without crossing the object)."""
    return ~_outside(_mask(grid, background))


def object_boundary(grid: Grid, background: int = Color.BLACK) -> np.ndarray:
    """A bool grid: the cells of the interior that touch (sides or corners) a cell outside
    it or the grid's edge."""
    inside = object_interior(grid, background)
    padded = np.pad(inside, 1, constant_values=False)
    out_near = _grow(~padded, 8)[1:-1, 1:-1]
    return inside & out_near


def object_neighbors(grid: Grid, background: int = Color.BLACK, connectivity: int = 4
                     ) -> np.ndarray:
    """A bool grid: the cells next to the object (4: by a side, 8: or a corner) that are
    not part of it."""
    mask = _mask(grid, background)
    grown = _grow(np.pad(mask, 1, constant_values=False), connectivity)[1:-1, 1:-1]
    return grown & ~mask


def is_contiguous(bitmask: Grid, background: int = Color.BLACK, connectivity: int = 4) -> bool:
    """Whether the non-background cells form exactly one connected group."""
    return len(_labels(_mask(bitmask, background), connectivity)) == 1


def scale_sprite(sprite: Grid, factor: int) -> Grid:
    """Every cell becomes a ``factor`` x ``factor`` block."""
    factor = int(factor)
    return np.repeat(np.repeat(np.asarray(sprite), factor, axis=0), factor, axis=1)


def scale_pattern(pattern: Grid, scale_factor: int) -> Grid:
    """Every cell becomes a ``scale_factor`` x ``scale_factor`` block (as scale_sprite)."""
    return scale_sprite(pattern, scale_factor)


# ---------------------------------------------------------------- symmetry


class TranslationalSymmetry:
    """The shift by (translate_x, translate_y); ``apply`` shifts ``iters`` times."""

    def __init__(self, translate_x: int, translate_y: int):
        self.translate_x, self.translate_y = int(translate_x), int(translate_y)

    def apply(self, x: int, y: int, iters: int = 1) -> tuple[int, int]:
        """(x, y) shifted ``iters`` times (negative: backwards)."""
        return int(x) + iters * self.translate_x, int(y) + iters * self.translate_y

    def __repr__(self) -> str:
        return f"TranslationalSymmetry({self.translate_x}, {self.translate_y})"


class MirrorSymmetry:
    """A reflection across x = mirror_x and/or y = mirror_y (None: that axis is kept;
    half-integers put the axis between two cells)."""

    def __init__(self, mirror_x: float | None, mirror_y: float | None):
        self.mirror_x, self.mirror_y = mirror_x, mirror_y

    def apply(self, x: int, y: int, iters: int = 1) -> tuple[int, int]:
        """(x, y) reflected ``iters`` times (an even count is the identity)."""
        if iters % 2 == 0:
            return int(x), int(y)
        if self.mirror_x is not None:
            x = round(2 * self.mirror_x - x)
        if self.mirror_y is not None:
            y = round(2 * self.mirror_y - y)
        return int(x), int(y)

    def __repr__(self) -> str:
        return f"MirrorSymmetry({self.mirror_x}, {self.mirror_y})"


class RotationalSymmetry:
    """A quarter turn about (center_x, center_y) (floats): ``apply(x, y, 1)`` maps (x, y)
    to (center_x + y - center_y, center_y - x + center_x); ``iters=-1`` turns back."""

    def __init__(self, center_x: float, center_y: float):
        self.center_x, self.center_y = float(center_x), float(center_y)

    def apply(self, x: int, y: int, iters: int = 1) -> tuple[int, int]:
        """(x, y) turned ``iters`` quarter turns."""
        fx, fy = float(x), float(y)
        for _ in range(iters % 4):
            fx, fy = self.center_x + fy - self.center_y, self.center_y - fx + self.center_x
        return int(round(fx)), int(round(fy))

    def __repr__(self) -> str:
        return f"RotationalSymmetry({self.center_x}, {self.center_y})"


def _ignored(grid: np.ndarray, ignore_colors: Iterable[int] | int | None,
             background: int | None) -> np.ndarray:
    ign = _colors(ignore_colors)
    if background is not None:
        ign.add(int(background))
    return np.isin(grid, sorted(ign)) if ign else np.zeros(grid.shape, dtype=bool)


def _shift_agrees(grid: np.ndarray, ignored: np.ndarray, tx: int, ty: int) -> int:
    """How many pairs (cell, cell + (tx, ty)), neither ignored, the shift compares; -1 when
    one pair disagrees."""
    w, h = grid.shape
    a = (slice(max(0, -tx), w - max(0, tx)), slice(max(0, -ty), h - max(0, ty)))
    b = (slice(max(0, tx), w - max(0, -tx)), slice(max(0, ty), h - max(0, -ty)))
    both = ~ignored[a] & ~ignored[b]
    if not (grid[a][both] == grid[b][both]).all():
        return -1
    return int(both.sum())


def detect_translational_symmetry(grid: Grid, ignore_colors: Iterable[int] | None = (0,),
                                  background: int | None = None) -> list[TranslationalSymmetry]:
    """Shifts under which the grid repeats: ``grid[x, y] == grid[x + tx, y + ty]`` wherever
    neither cell has an ignored colour (or ``background``). The smallest period along x
    (at most half the width) and along y (at most half the height); when there is neither,
    the shortest diagonal shift that repeats at least twice. Empty when none is found."""
    grid = np.asarray(grid)
    ignored = _ignored(grid, ignore_colors, background)
    w, h = grid.shape
    out = []
    for tx in range(1, w // 2 + 1):
        if _shift_agrees(grid, ignored, tx, 0) > 0:
            out.append(TranslationalSymmetry(tx, 0))
            break
    for ty in range(1, h // 2 + 1):
        if _shift_agrees(grid, ignored, 0, ty) > 0:
            out.append(TranslationalSymmetry(0, ty))
            break
    if out:
        return out
    shifts = sorted(((tx, ty) for tx in range(-(w // 2), w // 2 + 1)
                     for ty in range(1, h // 2 + 1)), key=lambda s: (abs(s[0]) + s[1], s))
    for tx, ty in shifts:
        if tx != 0 and _shift_agrees(grid, ignored, tx, ty) > 0:
            return [TranslationalSymmetry(tx, ty)]
    return []


def _mirror_agrees(grid: np.ndarray, ignored: np.ndarray, mx: float | None,
                   my: float | None) -> int:
    """Pairs of distinct cells the reflection compares (neither ignored, image inside the
    grid); -1 when one pair disagrees."""
    w, h = grid.shape
    xs, ys = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
    tx = np.rint(2 * mx - xs).astype(int) if mx is not None else xs
    ty = np.rint(2 * my - ys).astype(int) if my is not None else ys
    inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
    sx, sy, dx, dy = xs[inside], ys[inside], tx[inside], ty[inside]
    use = ~ignored[sx, sy] & ~ignored[dx, dy] & ((sx != dx) | (sy != dy))
    if not (grid[sx[use], sy[use]] == grid[dx[use], dy[use]]).all():
        return -1
    return int(use.sum()) // 2


def detect_mirror_symmetry(grid: Grid, ignore_colors: Iterable[int] | None = (0,),
                           background: int | None = None) -> list[MirrorSymmetry]:
    """Reflections that leave the grid unchanged wherever neither cell is ignored:
    ``grid[x, y] == grid[2*mirror_x - x, 2*mirror_y - y]``. At most one across a vertical
    axis (mirror_x), one across a horizontal axis (mirror_y) and, when neither exists, one
    through a point (both); for each, the axis that compares the most pairs, and only one
    that compares at least half the cells that count (an axis near the edge that compares
    two columns is no symmetry)."""
    grid = np.asarray(grid)
    ignored = _ignored(grid, ignore_colors, background)
    w, h = grid.shape

    enough = max(1, int((~ignored).sum()) // 4)  # pairs: half the cells that count

    def best(cands):
        scored = [(_mirror_agrees(grid, ignored, mx, my), mx, my) for mx, my in cands]
        scored = [s for s in scored if s[0] >= enough]
        if not scored:
            return None
        n, mx, my = max(scored, key=lambda s: (s[0], -abs((s[1] or 0) - (w - 1) / 2)
                                               - abs((s[2] or 0) - (h - 1) / 2)))
        return MirrorSymmetry(mx, my)

    out = [m for m in (best([(k / 2, None) for k in range(1, 2 * w - 2)]),
                       best([(None, k / 2) for k in range(1, 2 * h - 2)])) if m is not None]
    if not out:
        point = best([(i / 2, j / 2) for i in range(1, 2 * w - 2) for j in range(1, 2 * h - 2)])
        out = [point] if point is not None else []
    return out


def detect_rotational_symmetry(grid: Grid, ignore_colors: Iterable[int] | None = (0,),
                               background: int | None = None) -> RotationalSymmetry | None:
    """A quarter-turn symmetry (see :class:`RotationalSymmetry`) that holds wherever
    neither cell is ignored, about the centre that compares the most cells (at least about
    half of those that count); None when no centre works."""
    grid = np.asarray(grid)
    ignored = _ignored(grid, ignore_colors, background)
    w, h = grid.shape
    xs, ys = np.meshgrid(np.arange(w), np.arange(h), indexing="ij")
    keep = ~ignored
    if not keep.any():
        return None
    kx, ky = np.nonzero(keep)
    best, best_n = None, max(1, int(keep.sum()) // 2 - 1)  # at least half the cells compared
    # centres inside the box of the cells that count, on the half-cell lattice
    for i in range(2 * int(kx.min()), 2 * int(kx.max()) + 1):
        for j in range(2 * int(ky.min()), 2 * int(ky.max()) + 1):
            cx, cy = i / 2, j / 2
            if (i + j) % 2:  # a quarter turn maps cells to cells only when cx + cy is whole
                continue
            tx = np.rint(cx + ys - cy).astype(int)
            ty = np.rint(cy - xs + cx).astype(int)
            inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
            sx, sy, dx, dy = xs[inside], ys[inside], tx[inside], ty[inside]
            use = keep[sx, sy] & keep[dx, dy] & ((sx != dx) | (sy != dy))
            n = int(use.sum())
            if n >= best_n and (best is None or n > best_n) and (grid[sx[use], sy[use]] == grid[dx[use], dy[use]]).all():
                best, best_n = RotationalSymmetry(cx, cy), n
    return best


def orbit(grid: Grid, x: int, y: int, symmetries: Sequence | object) -> list[tuple[int, int]]:
    """Every cell of ``grid`` that (x, y) reaches by applying the symmetries (and their
    inverses) any number of times, staying inside the grid; (x, y) first."""
    if symmetries is None:
        symmetries = []
    elif not isinstance(symmetries, (list, tuple)):
        symmetries = [symmetries]
    w, h = np.asarray(grid).shape
    start = (int(x), int(y))
    seen = {start}
    order = [start]
    queue = deque([start])
    while queue:
        px, py = queue.popleft()
        for sym in symmetries:
            for it in (1, -1):
                q = sym.apply(px, py, iters=it)
                q = (int(q[0]), int(q[1]))
                if 0 <= q[0] < w and 0 <= q[1] < h and q not in seen:
                    seen.add(q)
                    order.append(q)
                    queue.append(q)
    return order
