"""DSL v2, whole-grid operations: primitives that READ their input grid.

Every primitive here is a pure function ``prim(img, *args) -> img``: it never changes its
input and returns a new 2-D integer array (the input's dtype). Arguments are literals (ints,
small tuples, short string enums) so a program stays one ``img = prim(img, ...)`` a line.

The background of a grid (:func:`bg_of`) is colour 0 when the grid has any 0, else its most
common colour; "foreground" cells are all the others. Primitives that cannot apply (parts of
unequal shapes, a colour that is absent, ...) raise ``ValueError``: in the sandbox that is
an ``error`` status, in the enumerator a candidate dropped.
"""

from __future__ import annotations

import numpy as np

Img = np.ndarray

DIRECTIONS = ("up", "down", "left", "right")
RAY_DIRECTIONS = {
    "up": ((-1, 0),), "down": ((1, 0),), "left": ((0, -1),), "right": ((0, 1),),
    "ul": ((-1, -1),), "ur": ((-1, 1),), "dl": ((1, -1),), "dr": ((1, 1),),
    "h": ((0, -1), (0, 1)), "v": ((-1, 0), (1, 0)),
    "hv": ((-1, 0), (1, 0), (0, -1), (0, 1)),
    "diag": ((-1, -1), (-1, 1), (1, -1), (1, 1)),
    "all": ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)),
}


# ---------------------------------------------------------------- helpers (not primitives)


def bg_of(img: Img) -> int:
    """The background: 0 when present, else the most common colour."""
    a = np.asarray(img)
    if a.size == 0 or (a == 0).any():
        return 0
    return int(np.bincount(a.ravel().astype(np.int64), minlength=10).argmax())


def _arr(img: Img) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D grid, got {a.ndim} dimensions")
    return a


def _to_down(a: np.ndarray, direction: str) -> np.ndarray:
    """A view rotated so that ``direction`` points down."""
    k = {"down": 0, "right": -1, "up": 2, "left": 1}[direction]
    return np.rot90(a, k)


def _from_down(a: np.ndarray, direction: str) -> np.ndarray:
    k = {"down": 0, "right": -1, "up": 2, "left": 1}[direction]
    return np.ascontiguousarray(np.rot90(a, -k))


# ---------------------------------------------------------------- rigid transforms


def rot90(img: Img) -> Img:
    """Rotate a quarter turn clockwise."""
    return np.ascontiguousarray(np.rot90(_arr(img), -1))


def rot180(img: Img) -> Img:
    """Rotate a half turn."""
    return np.ascontiguousarray(np.rot90(_arr(img), 2))


def rot270(img: Img) -> Img:
    """Rotate a quarter turn counter-clockwise."""
    return np.ascontiguousarray(np.rot90(_arr(img), 1))


def flip_lr(img: Img) -> Img:
    """Mirror left-right (columns reversed)."""
    return np.ascontiguousarray(_arr(img)[:, ::-1])


def flip_ud(img: Img) -> Img:
    """Mirror upside-down (rows reversed)."""
    return np.ascontiguousarray(_arr(img)[::-1, :])


def transpose(img: Img) -> Img:
    """Mirror across the main diagonal (rows become columns)."""
    return np.ascontiguousarray(_arr(img).T)


def anti_transpose(img: Img) -> Img:
    """Mirror across the anti-diagonal."""
    return np.ascontiguousarray(_arr(img)[::-1, ::-1].T)


# ---------------------------------------------------------------- colours


def recolor(img: Img, old: int, new: int) -> Img:
    """Every cell of colour ``old`` becomes ``new``."""
    a = _arr(img)
    out = a.copy()
    out[a == old] = new
    return out


def swap_colors(img: Img, a: int, b: int) -> Img:
    """Exchange colours ``a`` and ``b``."""
    g = _arr(img)
    out = g.copy()
    out[g == a] = b
    out[g == b] = a
    return out


def map_colors(img: Img, mapping: tuple[tuple[int, int], ...]) -> Img:
    """Recolour by ``((old, new), ...)`` pairs, all at once; other colours stay."""
    g = _arr(img)
    lut = np.arange(max(10, int(g.max(initial=0)) + 1), dtype=np.int64)
    for old, new in mapping:
        lut[int(old)] = int(new)
    return lut[g.astype(np.int64)].astype(g.dtype)


def keep_color(img: Img, color: int) -> Img:
    """Only cells of ``color`` stay; the rest become background."""
    a = _arr(img)
    return np.where(a == color, a, bg_of(a)).astype(a.dtype)


def remove_color(img: Img, color: int) -> Img:
    """Cells of ``color`` become background."""
    a = _arr(img)
    return np.where(a == color, bg_of(a), a).astype(a.dtype)


# ---------------------------------------------------------------- scale and tile


def upscale(img: Img, fy: int, fx: int) -> Img:
    """Each cell becomes an ``fy`` x ``fx`` block."""
    a = _arr(img)
    return np.repeat(np.repeat(a, int(fy), axis=0), int(fx), axis=1)


def upscale_by_colors(img: Img) -> Img:
    """Upscale by the number of foreground colours (each cell becomes a k x k block)."""
    a = _arr(img)
    k = len(set(np.unique(a).tolist()) - {bg_of(a)})
    if k < 1:
        raise ValueError("upscale_by_colors: no foreground")
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def downscale(img: Img, fy: int, fx: int) -> Img:
    """Each ``fy`` x ``fx`` block becomes one cell of its most common colour."""
    a = _arr(img)
    fy, fx = int(fy), int(fx)
    h, w = a.shape
    if fy < 1 or fx < 1 or h % fy or w % fx:
        raise ValueError(f"downscale: {h}x{w} is not divisible by {fy}x{fx}")
    blocks = a.reshape(h // fy, fy, w // fx, fx).transpose(0, 2, 1, 3).reshape(h // fy, w // fx, -1)
    counts = np.stack([(blocks == c).sum(axis=2) for c in range(10)], axis=2)
    return counts.argmax(axis=2).astype(a.dtype)


def tile(img: Img, ny: int, nx: int) -> Img:
    """Repeat the grid ``ny`` times down and ``nx`` times across."""
    return np.tile(_arr(img), (int(ny), int(nx)))


def tile_mirror(img: Img, ny: int, nx: int) -> Img:
    """Tile ``ny`` x ``nx`` copies, mirroring every other copy (odd rows upside-down, odd columns left-right)."""
    a = _arr(img)
    rows = []
    for i in range(int(ny)):
        r = a[::-1] if i % 2 else a
        rows.append(np.concatenate([r[:, ::-1] if j % 2 else r for j in range(int(nx))], axis=1))
    return np.concatenate(rows, axis=0)


def self_tile(img: Img, mode) -> Img:
    """Each cell becomes a block the size of the grid: a copy where the cell is foreground ('fg'), background ('bg'), or of the colour ``mode`` (an int), or the grid's shape in the cell's colour ('color')."""
    a = _arr(img)
    bg = bg_of(a)
    h, w = a.shape
    out = np.full((h * h, w * w), bg, dtype=a.dtype)
    fg = a != bg
    for i in range(h):
        for j in range(w):
            if mode == "fg":
                block = a if fg[i, j] else None
            elif mode == "bg":
                block = a if not fg[i, j] else None
            elif mode == "color":
                block = np.where(fg, a[i, j], bg) if fg[i, j] else None
            elif isinstance(mode, (int, np.integer)) and not isinstance(mode, bool):
                block = a if a[i, j] == mode else None
            else:
                raise ValueError(f"self_tile: mode must be fg, bg, color or a colour, got {mode!r}")
            if block is not None:
                out[i * h:(i + 1) * h, j * w:(j + 1) * w] = block
    return out


def tile_rotations(img: Img) -> Img:
    """A 2x2 arrangement of the grid turned: itself, a quarter turn clockwise (right), counter-clockwise (below), a half turn (diagonal)."""
    a = _arr(img)
    if a.shape[0] != a.shape[1]:
        raise ValueError("tile_rotations: the grid must be square")
    top = np.concatenate([a, np.rot90(a, -1)], axis=1)
    bottom = np.concatenate([np.rot90(a, 1), np.rot90(a, 2)], axis=1)
    return np.ascontiguousarray(np.concatenate([top, bottom], axis=0))


def compress(img: Img) -> Img:
    """Collapse runs of identical adjacent rows, then of identical adjacent columns, to one."""
    a = _arr(img)
    keep_r = np.ones(a.shape[0], dtype=bool)
    keep_r[1:] = (a[1:] != a[:-1]).any(axis=1)
    a = a[keep_r]
    keep_c = np.ones(a.shape[1], dtype=bool)
    keep_c[1:] = (a[:, 1:] != a[:, :-1]).any(axis=0)
    return a[:, keep_c].copy()


def color_sequence(img: Img, direction: str) -> Img:
    """The colours in order of first appearance from the left ('h': one row) or from the top ('v': one column), background left out when the grid has a 0; 'auto': 'h' when the first row holds every colour, else 'v'."""
    a = _arr(img)
    if direction not in ("h", "v", "auto"):
        raise ValueError(f"color_sequence: direction must be h, v or auto, got {direction!r}")
    if direction == "auto":
        direction = "h" if set(np.unique(a[0]).tolist()) == set(np.unique(a).tolist()) else "v"
    view = a.T if direction == "h" else a
    skip = {0} if (a == 0).any() else set()
    order = list(dict.fromkeys(v for v in view.ravel().tolist() if v not in skip))
    if not order:
        raise ValueError("color_sequence: no colour")
    out = np.array([order], dtype=a.dtype)
    return out if direction == "h" else out.T.copy()


def colors_by_count(img: Img, order: str) -> Img:
    """The foreground colours as one column, most cells first ('desc') or fewest first ('asc'); ties by colour."""
    a = _arr(img)
    if order not in ("desc", "asc"):
        raise ValueError(f"colors_by_count: order must be desc or asc, got {order!r}")
    bg = bg_of(a)
    counts = np.bincount(a.ravel().astype(np.int64), minlength=10)
    colors = [c for c in range(len(counts)) if counts[c] and c != bg]
    if not colors:
        raise ValueError("colors_by_count: no foreground")
    colors.sort(key=lambda c: (-counts[c] if order == "desc" else counts[c], c))
    return np.array(colors, dtype=a.dtype).reshape(-1, 1)


def histogram(img: Img) -> Img:
    """One column per colour but 0, most cells first (ties by colour), filled from the top with as many cells of the colour as the grid has; the rest 0."""
    a = _arr(img)
    counts = np.bincount(a.ravel().astype(np.int64), minlength=10)
    colors = sorted((c for c in range(1, len(counts)) if counts[c]), key=lambda c: (-counts[c], c))
    if not colors:
        raise ValueError("histogram: no colour but 0")
    out = np.zeros((int(counts[colors[0]]), len(colors)), dtype=a.dtype)
    for j, c in enumerate(colors):
        out[:counts[c], j] = c
    return out


# ---------------------------------------------------------------- crop and shift


def crop(img: Img, top: int, left: int, height: int, width: int) -> Img:
    """The ``height`` x ``width`` window whose top-left cell is (top, left)."""
    a = _arr(img)
    top, left, height, width = int(top), int(left), int(height), int(width)
    if top < 0 or left < 0 or height < 1 or width < 1 or top + height > a.shape[0] \
            or left + width > a.shape[1]:
        raise ValueError("crop: window outside the grid")
    return a[top:top + height, left:left + width].copy()


def _bbox_crop(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if not mask.any():
        raise ValueError("crop: nothing to crop to")
    rows, cols = np.nonzero(mask)
    return a[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()


def crop_bbox(img: Img) -> Img:
    """Crop to the bounding box of the foreground."""
    a = _arr(img)
    return _bbox_crop(a, a != bg_of(a))


def crop_to_color(img: Img, color: int) -> Img:
    """Crop to the bounding box of the cells of ``color``."""
    a = _arr(img)
    return _bbox_crop(a, a == color)


def crop_inside_color(img: Img, color: int) -> Img:
    """Crop to the inside of the bounding box of ``color`` (a frame's contents, frame excluded)."""
    a = _arr(img)
    rows, cols = np.nonzero(a == color)
    if len(rows) == 0 or rows.max() - rows.min() < 2 or cols.max() - cols.min() < 2:
        raise ValueError("crop_inside_color: no frame of that colour")
    return a[rows.min() + 1:rows.max(), cols.min() + 1:cols.max()].copy()


def crop_to_period(img: Img) -> Img:
    """The smallest top-left block whose repetition (partial at the edges) gives the whole grid."""
    a = _arr(img)
    h, w = a.shape
    for py, px in sorted(((y, x) for y in range(1, h + 1) for x in range(1, w + 1)),
                         key=lambda s: (s[0] * s[1], s)):
        if (py, px) == (h, w):
            break
        reps = np.tile(a[:py, :px], (-(-h // py), -(-w // px)))[:h, :w]
        if (reps == a).all():
            return a[:py, :px].copy()
    raise ValueError("crop_to_period: the grid does not repeat")


def canvas(img: Img, height: int, width: int, color: int) -> Img:
    """A new ``height`` x ``width`` grid of one colour (read it from the input with a reader)."""
    a = _arr(img)
    if not (1 <= int(height) <= 30 and 1 <= int(width) <= 30):
        raise ValueError("canvas: sides must be 1..30")
    return np.full((int(height), int(width)), int(color), dtype=a.dtype)


def pad_edges(img: Img, width: int, corner: int) -> Img:
    """The grid grown by ``width`` cells on every side, each new cell a copy of the nearest edge cell, the new corners of colour ``corner``."""
    a = _arr(img)
    width = int(width)
    if not 1 <= width or max(a.shape) + 2 * width > 30:
        raise ValueError("pad_edges: width must be at least 1 and the result at most 30 a side")
    out = np.pad(a, width, mode="edge")
    for rows in (slice(0, width), slice(-width, None)):
        for cols in (slice(0, width), slice(-width, None)):
            out[rows, cols] = corner
    return out


def enlarge(img: Img, rows: int, cols: int) -> Img:
    """The grid in the top-left corner of a background canvas ``rows`` times as high and ``cols`` times as wide."""
    a = _arr(img)
    h, w = a.shape
    if not (rows >= 1 and cols >= 1 and h * rows <= 30 and w * cols <= 30):
        raise ValueError("enlarge: factors must be at least 1 and the result at most 30 a side")
    out = np.full((h * rows, w * cols), bg_of(a), dtype=a.dtype)
    out[:h, :w] = a
    return out


def shift(img: Img, dy: int, dx: int) -> Img:
    """Translate by (dy, dx); cells moved in are background, cells moved out are lost."""
    a = _arr(img)
    h, w = a.shape
    out = np.full_like(a, bg_of(a))
    dy, dx = int(dy), int(dx)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            a[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def fg_row(img: Img) -> Img:
    """The foreground cells in reading order, as one row."""
    a = _arr(img)
    vals = a[a != bg_of(a)]
    if vals.size == 0:
        raise ValueError("fg_row: no foreground")
    return vals.reshape(1, -1).copy()


# ---------------------------------------------------------------- outline, fill, lines


def _neighbours8(mask: np.ndarray) -> np.ndarray:
    p = np.pad(mask, 1)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                out |= p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    return out


def outline(img: Img, color: int) -> Img:
    """Background cells touching the foreground (8 neighbours) become ``color``."""
    a = _arr(img)
    bg = bg_of(a)
    fg = a != bg
    out = a.copy()
    out[~fg & _neighbours8(fg)] = color
    return out


def hollow(img: Img, color: int) -> Img:
    """Foreground cells whose 4 neighbours all have their colour (inside a shape) become ``color``."""
    a = _arr(img)
    bg = bg_of(a)
    p = np.pad(a, 1, constant_values=-1)
    inner = (a != bg)
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        inner &= p[1 + dy:1 + dy + a.shape[0], 1 + dx:1 + dx + a.shape[1]] == a
    out = a.copy()
    out[inner] = color
    return out


def spread4(reach: np.ndarray, free: np.ndarray) -> np.ndarray:
    """``reach`` grown 4-connectedly through the True cells of ``free`` until it stops."""
    while True:
        p = np.pad(reach, 1)
        grown = (p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:] | reach) & free
        if (grown == reach).all():
            return reach
        reach = grown


def border_reach(free: np.ndarray) -> np.ndarray:
    """The True cells of ``free`` that reach the border through True cells (4-connected)."""
    reach = np.zeros_like(free)
    reach[0, :], reach[-1, :], reach[:, 0], reach[:, -1] = free[0, :], free[-1, :], free[:, 0], free[:, -1]
    return spread4(reach, free)


def fill_enclosed(img: Img, color: int) -> Img:
    """Background cells that cannot reach the border through background (4-connected) become ``color``."""
    a = _arr(img)
    bg = bg_of(a)
    free = a == bg
    reach = border_reach(free)
    out = a.copy()
    out[free & ~reach] = color
    return out


def fill_touching(img: Img, color: int) -> Img:
    """Background regions (4-connected) that touch a cell of ``color`` take that colour."""
    a = _arr(img)
    bg = bg_of(a)
    free = a == bg
    seed = np.pad(a == color, 1)
    h, w = a.shape
    reach = free & (seed[:-2, 1:-1] | seed[2:, 1:-1] | seed[1:-1, :-2] | seed[1:-1, 2:])
    reach = spread4(reach, free)
    out = a.copy()
    out[reach] = color
    return out


def draw_border(img: Img, color: int) -> Img:
    """Paint the outermost rows and columns with ``color``."""
    out = _arr(img).copy()
    out[0, :] = out[-1, :] = color
    out[:, 0] = out[:, -1] = color
    return out


CONNECT_DIRECTIONS = ("h", "v", "hv", "d", "all")


def _join_runs(src: np.ndarray, dst: np.ndarray, bg: int) -> None:
    """In each row of ``src``, paint into ``dst`` the background between two cells of one
    colour with no other foreground between them."""
    for r in range(src.shape[0]):
        idx = np.nonzero(src[r] != bg)[0]
        for p, q in zip(idx[:-1], idx[1:]):
            if q > p + 1 and src[r, p] == src[r, q]:
                dst[r, p + 1:q] = src[r, p]


def _join_diagonals(a: np.ndarray, out: np.ndarray, bg: int) -> None:
    """Along every diagonal and anti-diagonal of ``a``: paint into ``out`` the background
    between two cells of one colour with no other foreground between them."""
    rows, cols = np.nonzero(a != bg)
    for sign in (1, -1):  # r - c constant (down-right), r + c constant (down-left)
        lines: dict[int, list[tuple[int, int]]] = {}
        for r, c in zip(rows.tolist(), cols.tolist()):  # reading order: rows ascending
            lines.setdefault(r - sign * c, []).append((r, c))
        for cells in lines.values():
            for (r1, c1), (r2, c2) in zip(cells[:-1], cells[1:]):
                if r2 > r1 + 1 and a[r1, c1] == a[r2, c2]:
                    k = np.arange(1, r2 - r1)
                    out[r1 + k, c1 + sign * k] = a[r1, c1]


def connect(img: Img, direction: str) -> Img:
    """Join pairs of same-colour cells in a row ('h'), a column ('v'), both ('hv'), a diagonal ('d') or any of them ('all') when only background lies between them."""
    a = _arr(img)
    if direction not in CONNECT_DIRECTIONS:
        raise ValueError(f"connect: direction must be one of {CONNECT_DIRECTIONS}, got {direction!r}")
    bg = bg_of(a)
    out = a.copy()
    if direction in ("h", "hv", "all"):
        _join_runs(a, out, bg)
    if direction in ("v", "hv", "all"):
        _join_runs(a.T, out.T, bg)
    if direction in ("d", "all"):
        _join_diagonals(a, out, bg)
    return out


def ray(img: Img, color: int, direction: str) -> Img:
    """From every cell of ``color`` (ANY: every foreground cell, in its own colour), extend lines of it over background in ``direction`` (up, down, left, right, ul, ur, dl, dr, h, v, hv, diag, all) until a non-background cell or the border."""
    a = _arr(img)
    if direction not in RAY_DIRECTIONS:
        raise ValueError(f"ray: direction must be one of {tuple(RAY_DIRECTIONS)}, got {direction!r}")
    bg = bg_of(a)
    h, w = a.shape
    out = a.copy()
    for r, c in zip(*np.nonzero(a != bg if color == ANY else a == color)):
        for dy, dx in RAY_DIRECTIONS[direction]:
            y, x = r + dy, c + dx
            while 0 <= y < h and 0 <= x < w and a[y, x] == bg:
                out[y, x] = a[r, c]
                y, x = y + dy, x + dx
    return out


HALO_SHAPES = {
    "cross": ((-1, 0), (1, 0), (0, -1), (0, 1)),
    "x": ((-1, -1), (-1, 1), (1, -1), (1, 1)),
    "box": ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)),
}


def halo(img: Img, color: int, shape: str, new: int) -> Img:
    """Around every cell of ``color``, paint the background neighbours of ``shape`` ('cross', 'x' or 'box') with ``new``."""
    a = _arr(img)
    if shape not in HALO_SHAPES:
        raise ValueError(f"halo: shape must be one of {tuple(HALO_SHAPES)}, got {shape!r}")
    bg = bg_of(a)
    h, w = a.shape
    src = np.pad(a == color, 1)
    near = np.zeros((h, w), dtype=bool)
    for dy, dx in HALO_SHAPES[shape]:
        near |= src[1 - dy:1 - dy + h, 1 - dx:1 - dx + w]
    out = a.copy()
    out[near & (a == bg)] = new
    return out


KEEP = -1  # a stamp cell that leaves the grid as it is
ANY = -1  # a stamps key: every foreground colour without an entry of its own
SELF = -2  # a stamp cell painted in the stamping cell's own colour


def stamp_around(img: Img, stamps: tuple) -> Img:
    """Around every cell of each colour ``c`` in ``stamps`` (``((c, 3x3 rows), ...)``; ``c`` = -1: every other foreground colour), paint its 3x3 pattern: -1 keeps a cell, -2 paints the stamping cell's own colour, the centre entry recolours the cell itself, the others paint only background."""
    a = _arr(img)
    bg = bg_of(a)
    h, w = a.shape
    out = a.copy()
    listed = {int(c) for c, _ in stamps if c != ANY}
    for color, rows in stamps:
        pattern = np.asarray(rows, dtype=np.int64)
        if pattern.shape != (3, 3) or pattern.min() < SELF or pattern.max() > 9:
            raise ValueError(f"stamp_around: colour {color}'s pattern must be 3x3 colours, "
                             "-1 or -2")
        mine = (a != bg) & ~np.isin(a, list(listed)) if color == ANY else a == color
        for r, c in zip(*np.nonzero(mine)):
            own = int(a[r, c])
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    v, y, x = int(pattern[dy + 1, dx + 1]), r + dy, c + dx
                    if v != KEEP and 0 <= y < h and 0 <= x < w and (
                            (dy == 0 and dx == 0) or a[y, x] == bg):
                        out[y, x] = own if v == SELF else v
    return out


def lines_through(img: Img, color: int, direction: str) -> Img:
    """Paint the whole row ('h'), column ('v') or both ('hv') through every cell of ``color``, over everything."""
    a = _arr(img)
    if direction not in ("h", "v", "hv"):
        raise ValueError(f"lines_through: direction must be h, v or hv, got {direction!r}")
    rows, cols = np.nonzero(a == color)
    out = a.copy()
    if direction != "v":
        out[np.unique(rows), :] = color
    if direction != "h":
        out[:, np.unique(cols)] = color
    return out


def connect_with(img: Img, direction: str, color: int) -> Img:
    """Like ``connect``, but the joining cells get ``color``."""
    a = _arr(img)
    joined = connect(a, direction)
    out = a.copy()
    out[joined != a] = color
    return out


# ---------------------------------------------------------------- gravity


def gravity(img: Img, direction: str) -> Img:
    """Foreground cells fall towards ``direction`` (up, down, left, right), each line on its own, keeping their order."""
    a = _arr(img)
    if direction not in DIRECTIONS:
        raise ValueError(f"gravity: direction must be one of {DIRECTIONS}, got {direction!r}")
    bg = bg_of(a)
    d = _to_down(a, direction)
    out = np.full_like(d, bg)
    for c in range(d.shape[1]):
        col = d[:, c]
        vals = col[col != bg]
        if len(vals):
            out[-len(vals):, c] = vals
    return _from_down(out, direction)


OPS = (rot90, rot180, rot270, flip_lr, flip_ud, transpose, anti_transpose,
       recolor, swap_colors, map_colors, keep_color, remove_color,
       upscale, upscale_by_colors, downscale, tile, tile_mirror, self_tile, tile_rotations, compress, color_sequence,
       colors_by_count, histogram,
       crop, crop_bbox, crop_to_color, crop_inside_color, crop_to_period, canvas, pad_edges, enlarge, shift,
       fg_row,
       outline, hollow, fill_enclosed, fill_touching, draw_border, connect, connect_with, ray, halo,
       stamp_around, lines_through, gravity)
