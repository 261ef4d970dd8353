"""DSL v2, objects: the connected shapes of a grid, their properties, selection by a
property, actions on each, and colour readers.

An object is a connected set of foreground cells (background: :func:`solver.dsl.ops.bg_of`),
4- or 8-connected, of one colour (``multicolor=False``) or of any foreground colours
(``multicolor=True``). :func:`find_objects` lists them in reading order of their first cell.
Primitives take a selector (``which``, one of :data:`SELECTORS`) and act on the objects it
picks; readers (``bg_color(img)``, ...) return a colour so programs can read colours from
the input instead of hard-coding them.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from solver.dsl.ops import ANY, DIRECTIONS, RAY_DIRECTIONS, _arr, _from_down, _to_down, bg_of

Img = np.ndarray

SELECTORS = ("largest", "smallest", "single", "not_single", "unique_color", "touches_border",
             "inner", "has_hole", "no_hole", "rectangle", "not_rectangle", "unique_shape",
             "common_shape", "most_colors", "tallest", "widest", "symmetric", "asymmetric",
             "top", "bottom", "left", "right", "most_minor")
PROPERTIES = ("size_rank", "size_rank_asc", "size", "height", "width", "holes", "border",
              "rectangle", "shape_count", "symmetric")


@dataclass(eq=False)
class Obj:
    """One object: its cells (absolute rows and cols), colours, bounding box."""

    rows: np.ndarray
    cols: np.ndarray
    colors: np.ndarray
    grid_shape: tuple[int, int]
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive."""
        box = self._cache.get("bbox")
        if box is None:
            box = self._cache["bbox"] = (int(self.rows.min()), int(self.cols.min()),
                                         int(self.rows.max()), int(self.cols.max()))
        return box

    @property
    def height(self) -> int:
        t, _, b, _ = self.bbox
        return b - t + 1

    @property
    def width(self) -> int:
        _, l, _, r = self.bbox
        return r - l + 1

    @property
    def color(self) -> int:
        """The most common colour of the object (smallest on a tie)."""
        c = self._cache.get("color")
        if c is None:
            c = self._cache["color"] = int(np.bincount(self.colors.astype(np.int64), minlength=10).argmax())
        return c

    @property
    def n_colors(self) -> int:
        n = self._cache.get("n_colors")
        if n is None:
            n = self._cache["n_colors"] = len(set(self.colors.tolist()))
        return n

    def mask(self) -> np.ndarray:
        """Bounding-box-sized boolean mask of the object's cells."""
        if "mask" not in self._cache:
            t, l, _, _ = self.bbox
            m = np.zeros((self.height, self.width), dtype=bool)
            m[self.rows - t, self.cols - l] = True
            self._cache["mask"] = m
        return self._cache["mask"]

    def patch(self, bg: int) -> np.ndarray:
        """Bounding-box-sized colours, ``bg`` outside the object."""
        t, l, _, _ = self.bbox
        p = np.full((self.height, self.width), bg, dtype=np.int64)
        p[self.rows - t, self.cols - l] = self.colors
        return p

    def shape_key(self) -> bytes:
        m = self.mask()
        return bytes(m.shape) + np.packbits(m).tobytes()

    def touches_border(self) -> bool:
        h, w = self.grid_shape
        t, l, b, r = self.bbox
        return t == 0 or l == 0 or b == h - 1 or r == w - 1

    def holes(self) -> int:
        """Number of 4-connected regions of non-object cells inside the bounding box not reaching its edge."""
        if "holes" not in self._cache:
            free = ~self.mask()
            labels, n = _label(free.astype(np.int64), free, 4)
            edge = set(labels[0].tolist()) | set(labels[-1].tolist()) | set(labels[:, 0].tolist()) \
                | set(labels[:, -1].tolist())
            self._cache["holes"] = len(set(range(1, n + 1)) - edge)
        return self._cache["holes"]

    def is_rectangle(self) -> bool:
        return self.size == self.height * self.width

    def is_symmetric(self) -> bool:
        m = self.mask()
        return bool((m == m[:, ::-1]).all() or (m == m[::-1]).all())


def _label(values: np.ndarray, fg: np.ndarray, conn: int) -> tuple[np.ndarray, int]:
    """Connected components of ``fg`` cells whose ``values`` are equal (-1 everywhere for
    any value): labels 1..n in reading order of first cell, 0 outside ``fg``."""
    h, w = fg.shape
    labels = np.zeros((h, w), dtype=np.int64)
    steps = ((1, 0), (-1, 0), (0, 1), (0, -1))
    if conn == 8:
        steps += ((1, 1), (1, -1), (-1, 1), (-1, -1))
    vals = values.tolist()
    fgl = fg.tolist()
    lab = labels.tolist()
    n = 0
    for r in range(h):
        for c in range(w):
            if fgl[r][c] and not lab[r][c]:
                n += 1
                v = vals[r][c]
                lab[r][c] = n
                stack = [(r, c)]
                while stack:
                    y, x = stack.pop()
                    for dy, dx in steps:
                        ny, nx = y + dy, x + dx
                        if 0 <= ny < h and 0 <= nx < w and fgl[ny][nx] and not lab[ny][nx] \
                                and vals[ny][nx] == v:
                            lab[ny][nx] = n
                            stack.append((ny, nx))
    return np.array(lab, dtype=np.int64).reshape(h, w), n


# Recent find_objects results by (grid bytes, shape, conn, multicolor): the enumerator asks
# for the same objects many times. Cached cell arrays are read-only; callers get a new list.
_RECENT: dict = {}
_RECENT_MAX = 512  # a few nodes of the enumerator; small in a sandbox worker


def recent(store: dict, limit: int, a: np.ndarray, extra: tuple, make) -> list:
    """``make()`` for grid ``a`` and the arguments ``extra``, kept in ``store`` (cleared at
    ``limit`` entries) so that asking again for the same grid costs a lookup; the caller
    gets a new list of the same (read-only) items."""
    key = (a.tobytes(), a.shape, a.dtype.str, *extra)
    hit = store.get(key)
    if hit is None:
        if len(store) >= limit:
            store.clear()
        hit = store[key] = tuple(make())
    return list(hit)


def find_objects(img: Img, conn: int = 8, multicolor: bool = False) -> list[Obj]:
    """The objects of a grid (background excluded), in reading order of their first cell."""
    a = _arr(img)
    if conn not in (4, 8):
        raise ValueError(f"conn must be 4 or 8, got {conn}")
    return recent(_RECENT, _RECENT_MAX, a, (conn, bool(multicolor)),
                  lambda: _find_objects(a, conn, multicolor))


def _find_objects(a: np.ndarray, conn: int, multicolor: bool) -> list[Obj]:
    bg = bg_of(a)
    fg = a != bg
    values = np.zeros(a.shape, dtype=np.int64) if multicolor else a.astype(np.int64)
    labels, n = _label(values, fg, conn)
    return components(a, labels, n)


def components(a: np.ndarray, labels: np.ndarray, n: int) -> list[Obj]:
    """One :class:`Obj` of ``a``'s cells for each label 1..``n`` of ``labels`` (from
    :func:`_label`), in label order, its cell arrays read-only (they may be cached)."""
    if n == 0:
        return []
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    starts = np.cumsum(np.bincount(flat, minlength=n + 1))
    objs = []
    cells = a.ravel()
    w = a.shape[1]
    for k in range(1, n + 1):
        idx = order[starts[k - 1]:starts[k]]
        rows, cols, colors = idx // w, idx % w, cells[idx].copy()
        for arr in (rows, cols, colors):
            arr.flags.writeable = False
        objs.append(Obj(rows, cols, colors, a.shape))
    return objs


def select(objs: list[Obj], which: str) -> list[Obj]:
    """The objects a selector picks (every one tied for an extreme)."""
    if not objs:
        return []

    def extreme(key, best=max):
        vals = [key(o) for o in objs]
        b = best(vals)
        return [o for o, v in zip(objs, vals) if v == b]

    if which == "largest":
        return extreme(lambda o: o.size)
    if which == "smallest":
        return extreme(lambda o: o.size, min)
    if which == "tallest":
        return extreme(lambda o: o.height)
    if which == "widest":
        return extreme(lambda o: o.width)
    if which == "most_colors":
        return extreme(lambda o: o.n_colors)
    if which == "most_minor":  # the most cells not of the object's own main colour
        return extreme(lambda o: int((o.colors != o.color).sum()))
    if which == "unique_color":
        counts = Counter(o.color for o in objs)
        return [o for o in objs if counts[o.color] == 1]
    if which in ("unique_shape", "common_shape"):
        counts = Counter(o.shape_key() for o in objs)
        if which == "unique_shape":
            return [o for o in objs if counts[o.shape_key()] == 1]
        top = max(counts.values())
        return [o for o in objs if counts[o.shape_key()] == top and top > 1]
    preds = {
        "touches_border": Obj.touches_border, "inner": lambda o: not o.touches_border(),
        "has_hole": lambda o: o.holes() > 0, "no_hole": lambda o: o.holes() == 0,
        "rectangle": Obj.is_rectangle, "not_rectangle": lambda o: not o.is_rectangle(),
        "single": lambda o: o.size == 1, "not_single": lambda o: o.size > 1,
        "symmetric": Obj.is_symmetric, "asymmetric": lambda o: not o.is_symmetric(),
    }
    if which in preds:
        return [o for o in objs if preds[which](o)]
    sides = {"top": (lambda o: o.bbox[0], min), "bottom": (lambda o: o.bbox[2], max),
             "left": (lambda o: o.bbox[1], min), "right": (lambda o: o.bbox[3], max)}
    if which in sides:
        return extreme(*sides[which])
    raise ValueError(f"selector must be one of {SELECTORS}, got {which!r}")


def prop(obj: Obj, name: str, objs: list[Obj]) -> int:
    """An integer property of ``obj`` among ``objs`` (one of :data:`PROPERTIES`)."""
    if name == "size":
        return obj.size
    if name in ("size_rank", "size_rank_asc"):
        sizes = sorted({o.size for o in objs}, reverse=name == "size_rank")
        return sizes.index(obj.size) + 1
    if name == "height":
        return obj.height
    if name == "width":
        return obj.width
    if name == "holes":
        return obj.holes()
    if name == "border":
        return int(obj.touches_border())
    if name == "rectangle":
        return int(obj.is_rectangle())
    if name == "shape_count":
        key = obj.shape_key()
        return sum(o.shape_key() == key for o in objs)
    if name == "symmetric":
        return int(obj.is_symmetric())
    raise ValueError(f"property must be one of {PROPERTIES}, got {name!r}")


def _paint(out: np.ndarray, objs: list[Obj], color: int | None = None) -> None:
    for o in objs:
        out[o.rows, o.cols] = o.colors if color is None else color


# ---------------------------------------------------------------- primitives


def crop_to_object(img: Img, which: str, conn: int, multicolor: bool) -> Img:
    """Crop to the bounding box of the one object ``which`` picks."""
    a = _arr(img)
    picked = select(find_objects(a, conn, multicolor), which)
    if len(picked) != 1:
        raise ValueError(f"crop_to_object: {len(picked)} objects are {which}")
    t, l, b, r = picked[0].bbox
    return a[t:b + 1, l:r + 1].copy()


def keep_objects(img: Img, which: str, conn: int, multicolor: bool) -> Img:
    """Only the objects ``which`` picks stay; every other foreground cell becomes background."""
    a = _arr(img)
    out = np.full_like(a, bg_of(a))
    _paint(out, select(find_objects(a, conn, multicolor), which))
    return out


def filter_objects(img: Img, name: str, values: tuple[int, ...], keep: bool, conn: int) -> Img:
    """The single-colour objects whose property ``name`` is one of ``values`` stay (``keep``) or become background (not ``keep``); the others the other way."""
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    objs = find_objects(a, conn, False)
    wanted = set(values)
    _paint(out, [o for o in objs if (prop(o, name, objs) in wanted) != keep], bg)
    return out


def remove_objects(img: Img, which: str, conn: int, multicolor: bool) -> Img:
    """The objects ``which`` picks become background."""
    a = _arr(img)
    out = a.copy()
    _paint(out, select(find_objects(a, conn, multicolor), which), bg_of(a))
    return out


def recolor_objects(img: Img, which: str, color: int, conn: int, multicolor: bool) -> Img:
    """The objects ``which`` picks become ``color``."""
    a = _arr(img)
    out = a.copy()
    _paint(out, select(find_objects(a, conn, multicolor), which), color)
    return out


def outline_objects(img: Img, which: str, color: int, conn: int, multicolor: bool) -> Img:
    """Background cells touching (8 neighbours) the objects ``which`` picks become ``color``."""
    a = _arr(img)
    bg = bg_of(a)
    mask = np.zeros(a.shape, dtype=bool)
    for o in select(find_objects(a, conn, multicolor), which):
        mask[o.rows, o.cols] = True
    h, w = a.shape
    p = np.pad(mask, 1)
    near = np.zeros_like(mask)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    out = a.copy()
    out[near & (a == bg)] = color
    return out


def _fill_holes(patch: np.ndarray, bg: int) -> np.ndarray:
    """Background cells of a patch not 4-connected to its edge take the patch's main colour."""
    free = patch == bg
    labels, n = _label(free.astype(np.int64), free, 4)
    edge = set(labels[0].tolist()) | set(labels[-1].tolist()) | set(labels[:, 0].tolist()) \
        | set(labels[:, -1].tolist())
    inside = np.isin(labels, [k for k in range(1, n + 1) if k not in edge])
    fg = patch[~free]
    out = patch.copy()
    if fg.size:
        out[inside] = np.bincount(fg.astype(np.int64), minlength=10).argmax()
    return out


def _hollow(patch: np.ndarray, bg: int) -> np.ndarray:
    """Object cells whose 4 neighbours are all object cells become background."""
    m = np.pad(patch != bg, 1)
    inner = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    out = patch.copy()
    out[inner] = bg
    return out


OBJECT_MAPS = {
    "flip_lr": lambda p, bg: p[:, ::-1], "flip_ud": lambda p, bg: p[::-1],
    "rot180": lambda p, bg: p[::-1, ::-1], "transpose": lambda p, bg: p.T,
    "hollow": _hollow, "fill_holes": _fill_holes,
}


def map_objects(img: Img, op: str, conn: int, multicolor: bool) -> Img:
    """Each object, cut out with its bounding box, transformed by ``op`` (flip_lr, flip_ud, rot180, transpose, hollow, fill_holes) and put back at its top-left corner (clipped at the border)."""
    a = _arr(img)
    if op not in OBJECT_MAPS:
        raise ValueError(f"map_objects: op must be one of {tuple(OBJECT_MAPS)}, got {op!r}")
    bg = bg_of(a)
    objs = find_objects(a, conn, multicolor)
    out = a.copy()
    _paint(out, objs, bg)
    h, w = a.shape
    for o in objs:
        new = OBJECT_MAPS[op](o.patch(bg), bg)
        t, l, _, _ = o.bbox
        ph, pw = min(new.shape[0], h - t), min(new.shape[1], w - l)
        window = out[t:t + ph, l:l + pw]
        part = new[:ph, :pw]
        window[part != bg] = part[part != bg]
    return out


ALTERNATE_ANCHORS = ("object", "tl", "tr", "bl", "br")  # where the parities count from


def parities(a: np.ndarray, anchor: str, period: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's row and column index modulo ``period`` (its parity when 2), counted from
    ``anchor``: the top-left corner of the single-colour 8-connected object it belongs to
    (``object``; background cells from the grid's), or a corner of the grid (``tl``, ``tr``,
    ``bl``, ``br``)."""
    h, w = a.shape
    rows = np.broadcast_to(np.arange(h)[:, None], a.shape).copy()
    cols = np.broadcast_to(np.arange(w)[None, :], a.shape).copy()
    if anchor == "object":
        for o in find_objects(a, 8, False):
            t, l, _, _ = o.bbox
            rows[o.rows, o.cols] -= t
            cols[o.rows, o.cols] -= l
    elif anchor in ALTERNATE_ANCHORS:
        rows = rows if anchor[0] == "t" else h - 1 - rows
        cols = cols if anchor[1] == "l" else w - 1 - cols
    else:
        raise ValueError(f"anchor must be one of {ALTERNATE_ANCHORS}, got {anchor!r}")
    return rows % period, cols % period


def recolor_alternate(img: Img, src: int, dst: int, rows: int | None, cols: int | None,
                      anchor: str, period: int) -> Img:
    """Cells of colour ``src`` (ANY: every foreground colour) whose row and column indices modulo ``period``, counted from ``anchor`` (see parities), are ``rows`` and ``cols`` (None: any) recoloured ``dst``."""
    a = _arr(img)
    if period < 2:
        raise ValueError(f"recolor_alternate: period must be at least 2, got {period}")
    mask = a != bg_of(a) if src == ANY else a == src
    r, c = parities(a, anchor, period)
    if rows is not None:
        mask &= r == rows
    if cols is not None:
        mask &= c == cols
    out = a.copy()
    out[mask] = dst
    return out


def recolor_nearest(img: Img, src: int) -> Img:
    """Each cell of colour ``src`` takes the colour of the nearest cell (Manhattan distance) of any colour but the background and ``src``; a cell with two colours at its nearest distance keeps its own."""
    a = _arr(img)
    bg = bg_of(a)
    ys, xs = np.nonzero(a == src)
    oy, ox = np.nonzero((a != src) & (a != bg))
    out = a.copy()
    if ys.size == 0 or oy.size == 0:
        return out
    dist = np.abs(ys[:, None] - oy[None, :]) + np.abs(xs[:, None] - ox[None, :])
    best = dist.min(axis=1)
    colours = a[oy, ox]
    for k in range(ys.size):
        near = np.unique(colours[dist[k] == best[k]])
        if near.size == 1:
            out[ys[k], xs[k]] = near[0]
    return out


def _gap(o: Obj, m: Obj) -> int:
    """The Manhattan distance between the nearest cells of two objects."""
    return int((np.abs(o.rows[:, None] - m.rows[None, :])
                + np.abs(o.cols[:, None] - m.cols[None, :])).min())


def _base_line(o: Obj) -> tuple[int, int]:
    """(axis, index) of an object's base: the row (axis 0) or column (axis 1) holding most of
    its cells (a row on a tie)."""
    rows = np.bincount(o.rows)
    cols = np.bincount(o.cols)
    return (0, int(rows.argmax())) if rows.max() >= cols.max() else (1, int(cols.argmax()))


def reflect_over(img: Img, color: int, mirror: int) -> Img:
    """Each object of ``color`` (single-colour, 8-connected) moved to its mirror image across the base line (the row or column holding most of its cells) of the nearest object of colour ``mirror``; cells that fall outside the grid are lost."""
    a = _arr(img)
    bg = bg_of(a)
    mirrors = find_objects(np.where(a == mirror, a, bg), 8, False)
    if not mirrors:
        raise ValueError(f"reflect_over: no object of colour {mirror}")
    out = a.copy()
    out[a == color] = bg
    h, w = a.shape
    for o in find_objects(np.where(a == color, a, bg), 8, False):
        near = min(mirrors, key=lambda m: _gap(o, m))
        axis, k = _base_line(near)
        rows, cols = (2 * k - o.rows, o.cols) if axis == 0 else (o.rows, 2 * k - o.cols)
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        out[rows[inside], cols[inside]] = color
    return out


def _enclosed_by(a: np.ndarray, color: int) -> np.ndarray:
    """The cells that cells of ``color`` cut off from the border (4-connected paths through
    the other cells)."""
    free = a != color
    labels, _ = _label(np.zeros(a.shape, dtype=np.int64), free, 4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return free & ~np.isin(labels, edge)


def recolor_like_framed(img: Img) -> Img:
    """Each object (single-colour, 8-connected) with the shape of an object framed by another colour (cut off from the border by it) takes the framed one's colour (when the framed ones of that shape have one colour)."""
    a = _arr(img)
    objs = find_objects(a, 8, False)
    inner = {c: _enclosed_by(a, c) for c in {o.color for o in objs}}
    framed = [o for o in objs
              if any(c != o.color and m[o.rows, o.cols].all() for c, m in inner.items())]
    colours: dict[bytes, set[int]] = {}
    for o in framed:
        colours.setdefault(o.shape_key(), set()).add(o.color)
    out = a.copy()
    for o in objs:
        found = colours.get(o.shape_key(), set())
        if len(found) == 1:
            out[o.rows, o.cols] = next(iter(found))
    return out


def table_of(mapping: tuple) -> tuple[dict[int, int], int | None]:
    """A ``((value, colour), ...)`` table as a dict, and its default: the colour of a
    ``(None, colour)`` entry (every value without an entry of its own), else None."""
    table = {int(k): int(v) for k, v in mapping if k is not None}
    default = [int(v) for k, v in mapping if k is None]
    return table, (default[0] if default else None)


def recolor_by(img: Img, name: str, mapping: tuple[tuple[int | None, int], ...], conn: int) -> Img:
    """Recolour each single-colour object by its property ``name``: ``((value, colour), ...)``, a ``(None, colour)`` entry for every other value; other objects stay."""
    a = _arr(img)
    out = a.copy()
    table, default = table_of(mapping)
    objs = find_objects(a, conn, False)
    for o in objs:
        c = table.get(prop(o, name, objs), default)
        if c is not None:
            out[o.rows, o.cols] = c
    return out


def fill_bbox(img: Img, color: int) -> Img:
    """Background cells inside each object's bounding box (8-connected, any colours) become ``color``."""
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    for o in find_objects(a, 8, True):
        t, l, b, r = o.bbox
        box = out[t:b + 1, l:r + 1]
        box[a[t:b + 1, l:r + 1] == bg] = color
    return out


def fill_color_boxes(img: Img) -> Img:
    """Background cells inside the box around all the cells of a colour become that colour, for every foreground colour (in colour order)."""
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    for c in np.unique(a).tolist():
        if c == bg:
            continue
        ys, xs = np.nonzero(a == c)
        box = out[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        box[box == bg] = c
    return out


def recolor_in_bbox(img: Img, anchor: int, src: int, dst: int, whole: bool) -> Img:
    """Inside the bounding box of each object of colour ``anchor`` (one colour, 8-connected), or with ``whole`` inside the one box around every ``anchor`` cell, cells of colour ``src`` become ``dst``; ``src`` -1 (ANY): every colour but the anchor's and the background."""
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    if whole:
        ys, xs = np.nonzero(a == anchor)
        boxes = [(ys.min(), xs.min(), ys.max(), xs.max())] if len(ys) else []
    else:
        boxes = [o.bbox for o in find_objects(a, 8, False) if o.color == anchor]
    for t, l, b, r in boxes:
        inside = a[t:b + 1, l:r + 1]
        hit = (inside != anchor) & (inside != bg) if src == ANY else inside == src
        out[t:b + 1, l:r + 1][hit] = dst
    return out


def fill_squares(img: Img, side: int, src: int, dst: int) -> Img:
    """Every ``side`` x ``side`` square of cells all of colour ``src`` becomes ``dst``, taken in reading order of their top-left cells; a square that overlaps one already taken is left as it is."""
    a = _arr(img)
    h, w = a.shape
    if not 1 <= side <= min(h, w):
        raise ValueError(f"fill_squares: side must be in 1..{min(h, w)}, got {side}")
    sums = np.pad((a == src).astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    k = side
    full = (sums[k:, k:] - sums[:-k, k:] - sums[k:, :-k] + sums[:-k, :-k]) == k * k
    paint = np.zeros(a.shape, dtype=bool)
    for y, x in zip(*np.nonzero(full)):  # reading order; a square overlapping one taken is not
        if not paint[y:y + k, x:x + k].any():
            paint[y:y + k, x:x + k] = True
    out = a.copy()
    out[paint] = dst
    return out


def _contact_steps(a: np.ndarray, color: int, direction: str) -> tuple[int, bool]:
    """How far the ``color`` cells move towards ``direction``, and whether they then touch
    another foreground cell (else the border stopped them)."""
    bg = bg_of(a)
    d = _to_down(a, direction)
    mine = d == color
    other = (d != bg) & ~mine
    rows, cols = np.nonzero(mine)
    h = d.shape[0]
    step = 0
    while rows.max() + step + 1 < h and not other[rows + step + 1, cols].any():
        step += 1
    return step, rows.max() + step + 1 < h


def move_until_contact(img: Img, color: int, direction: str) -> Img:
    """All cells of ``color`` move together towards ``direction`` (or 'toward': the nearest direction where they meet another shape) until the next step would hit another foreground cell or leave the grid."""
    a = _arr(img)
    if direction not in (*DIRECTIONS, "toward"):
        raise ValueError(f"direction must be one of {DIRECTIONS} or toward, got {direction!r}")
    if not (a == color).any():
        raise ValueError("move_until_contact: no cell of that colour")
    if direction == "toward":
        hits = [(_contact_steps(a, color, d), d) for d in DIRECTIONS]
        hits = [(steps, d) for (steps, touch), d in hits if touch]
        if not hits:
            raise ValueError("move_until_contact: nothing to move toward")
        direction = min(hits)[1]
    step, _ = _contact_steps(a, color, direction)
    bg = bg_of(a)
    d = _to_down(a, direction)
    mine = d == color
    rows, cols = np.nonzero(mine)
    out = np.where(mine, bg, d)
    out[rows + step, cols] = color
    return _from_down(out.astype(a.dtype), direction)


def step_toward(img: Img, color: int, target: int) -> Img:
    """All cells of ``color`` move together one cell toward the cells of ``target`` (on each axis, toward the centre of their bounding box, unless already level with it; diagonally when both), onto background only."""
    a = _arr(img)
    ys, xs = np.nonzero(a == color)
    ty, tx = np.nonzero(a == target)
    if not len(ys) or not len(ty) or color == target:
        raise ValueError("step_toward: needs cells of two colours")
    dy = int(np.sign((ty.min() + ty.max()) - (ys.min() + ys.max())))
    dx = int(np.sign((tx.min() + tx.max()) - (xs.min() + xs.max())))
    bg = bg_of(a)
    out = a.copy()
    out[ys, xs] = bg
    ny, nx = ys + dy, xs + dx
    h, w = a.shape
    if ny.min() < 0 or nx.min() < 0 or ny.max() >= h or nx.max() >= w or (out[ny, nx] != bg).any():
        return a.copy()  # no room: it stays
    out[ny, nx] = color
    return out


ATTRACT_TO = ("same", "any")
ATTRACT_MAX_SINGLES = 40  # more single cells than this is noise, not cells to move


def attract(img: Img, to, drop: bool, take_color: bool, diagonal: bool = False) -> Img:
    """Each single cell moves along its row or column (and, ``diagonal``, its diagonals) toward the nearest target in line with it until it touches it (the nearest first: a placed cell joins its target, so cells in line pile up), taking the target's colour when ``take_color``; a cell with none in line is erased (``drop``) or stays. ``to``: 'same', a larger object of its colour; 'any', a larger object of any colour; a tuple of colours, any cell of those colours (the cells of those colours do not move). More than ``ATTRACT_MAX_SINGLES`` single cells is noise: a ValueError."""
    return _pull(img, to, drop, take_color, False, "attract", diagonal)


def reach(img: Img, to: str) -> Img:
    """Each single cell draws a line of its colour along its row or column to the nearest larger object in line with it (``to``: 'same' of its colour, 'any' of any colour), stopping where it touches it (lines are not objects to reach); a cell with none in line stays as it is. More than ``ATTRACT_MAX_SINGLES`` single cells is noise: a ValueError."""
    return _pull(img, to, False, False, True, "reach")


def _targets(a: np.ndarray, to, name: str) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """For :func:`_pull`: the colour of the target at each cell (-1: none) and the single
    cells that move, (row, col, colour) each."""
    colours = None
    if isinstance(to, tuple):
        colours = set(to)
        if not colours or not all(isinstance(c, (int, np.integer)) for c in colours):
            raise ValueError(f"{name}: to must be one of {ATTRACT_TO} or a tuple of colours, got {to!r}")
    elif to not in ATTRACT_TO:
        raise ValueError(f"{name}: to must be one of {ATTRACT_TO} or a tuple of colours, got {to!r}")
    objs = find_objects(a, 4, False)
    owner = np.full(a.shape, -1, dtype=np.int64)
    if colours is None:
        for o in objs:
            if o.size >= 2:
                owner[o.rows, o.cols] = o.color
    else:
        for c in colours:
            owner[a == c] = c
    singles = [(int(o.rows[0]), int(o.cols[0]), o.color) for o in objs
               if o.size == 1 and (colours is None or o.color not in colours)]
    if len(singles) > ATTRACT_MAX_SINGLES:
        raise ValueError(f"{name}: {len(singles)} single cells (at most {ATTRACT_MAX_SINGLES})")
    return owner, singles


def _pull(img: Img, to, drop: bool, take_color: bool, trail: bool, name: str,
          diagonal: bool = False) -> Img:
    """Single cells toward the nearest target in line: moved (``attract``) or drawn as a
    line that stays (``trail``, ``reach``)."""
    a = _arr(img)
    bg = bg_of(a)
    h, w = a.shape
    owner, singles = _targets(a, to, name)
    out = a.copy()
    if not trail:
        for r, c, _ in singles:
            out[r, c] = bg
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    if diagonal:
        steps += ((-1, -1), (-1, 1), (1, -1), (1, 1))

    def target(r: int, c: int, color: int):
        best = None
        for dy, dx in steps:
            y, x, k = r + dy, c + dx, 1
            while 0 <= y < h and 0 <= x < w:
                if owner[y, x] >= 0 and (to == "same" and owner[y, x] == color or to != "same"):
                    if best is None or k < best[0]:
                        best = (k, y - dy, x - dx, int(owner[y, x]))
                    break
                y, x, k = y + dy, x + dx, k + 1
        return best

    # The nearest first (ties: the earlier cell). A placed cell joins its object, so only
    # the cells in its row or column can find a nearer target: only they are re-aimed.
    heap = []
    aim: dict[int, tuple] = {}

    def push(i: int) -> None:
        r, c, color = singles[i]
        best = target(r, c, color)
        aim[i] = (best is None, best or (), i)
        heapq.heappush(heap, aim[i])

    for i in range(len(singles)):
        push(i)
    while heap:
        key = heapq.heappop(heap)
        i = key[2]
        if aim.get(i) != key:
            continue  # re-aimed since, or already placed
        del aim[i]
        r, c, color = singles[i]
        if key[0]:
            if not drop:
                out[r, c] = color
            continue
        _, y, x, owner_color = key[1]
        if trail:  # the cell's line, from it to where it touches; a line is not a target
            out[min(r, y):max(r, y) + 1, min(c, x):max(c, x) + 1] = color
            continue
        out[y, x] = owner_color if take_color else color
        owner[y, x] = owner_color
        for j in [j for j in aim if diagonal or singles[j][0] == y or singles[j][1] == x]:
            push(j)
    return out


DIAGONALS = {"ul": (-1, -1), "ur": (-1, 1), "dl": (1, -1), "dr": (1, 1)}
DIAGONAL_SOURCES = ("tails", "notches")


def _cast(out: np.ndarray, a: np.ndarray, bg: int, y: int, x: int, dy: int, dx: int,
          color: int) -> None:
    """Paint ``color`` from (y, x) along (dy, dx) over the background of ``a``, until the
    edge or a coloured cell of ``a``."""
    h, w = a.shape
    while 0 <= y < h and 0 <= x < w and a[y, x] == bg:
        out[y, x] = color
        y, x = y + dy, x + dx


def extend_diagonals(img: Img, source: str) -> Img:
    """Diagonal rays in an object's colour over the background, to the edge or the first coloured cell. ``source`` 'tails': from each cell of a one-colour 8-connected object whose only neighbour in it is diagonal, onward, away from that neighbour; 'notches': from each object that fills its bounding box but one corner cell (three cells of a 2 x 2 box, a square short of a corner), beyond that corner, outward (the corner stays empty)."""
    if source not in DIAGONAL_SOURCES:
        raise ValueError(f"extend_diagonals: source must be one of {DIAGONAL_SOURCES}, got {source!r}")
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    for o in find_objects(a, 8, False):
        if source == "tails":
            cells = set(zip(o.rows.tolist(), o.cols.tolist()))
            for y, x in cells:
                near = [(y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                        if (dy or dx) and (y + dy, x + dx) in cells]
                if len(near) == 1 and near[0][0] != y and near[0][1] != x and len(cells) > 1:
                    dy, dx = y - near[0][0], x - near[0][1]
                    _cast(out, a, bg, y + dy, x + dx, dy, dx, o.color)
            continue
        t, l, b, r = o.bbox
        if o.size != o.height * o.width - 1 or o.size < 3:
            continue
        for y, x in ((t, l), (t, r), (b, l), (b, r)):
            if a[y, x] == bg:
                dy, dx = (-1 if y == t else 1), (-1 if x == l else 1)
                _cast(out, a, bg, y + dy, x + dx, dy, dx, o.color)
    return out


def corner_rays(img: Img, table: tuple) -> Img:
    """Each one-colour 8-connected object whose colour has an entry ``(colour, direction)`` in ``table`` casts a diagonal ray of its colour from the corner of its bounding box in that direction ('ul', 'ur', 'dl', 'dr'), over the background, to the edge or the first coloured cell."""
    dirs = dict(table)
    if any(d not in DIAGONALS for d in dirs.values()):
        raise ValueError(f"corner_rays: directions must be in {tuple(DIAGONALS)}, got {table!r}")
    a = _arr(img)
    bg = bg_of(a)
    out = a.copy()
    for o in find_objects(a, 8, False):
        d = dirs.get(o.color)
        if d is None:
            continue
        dy, dx = DIAGONALS[d]
        t, l, b, r = o.bbox
        y, x = (t if dy < 0 else b), (l if dx < 0 else r)
        _cast(out, a, bg, y + dy, x + dx, dy, dx, o.color)
    return out


def gravity_objects(img: Img, direction: str) -> Img:
    """Objects (8-connected, any colours) fall as rigid shapes towards ``direction`` until they rest on the border or another object."""
    a = _arr(img)
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    bg = bg_of(a)
    d = np.ascontiguousarray(_to_down(a, direction))
    objs = sorted(find_objects(d, 8, True), key=lambda o: -int(o.rows.max()))
    out = np.full_like(d, bg)
    h = d.shape[0]
    for o in objs:
        step = 0
        while o.rows.max() + step + 1 < h and (out[o.rows + step + 1, o.cols] == bg).all():
            step += 1
        out[o.rows + step, o.cols] = o.colors
    return _from_down(out, direction)


def _placed(a: np.ndarray, moves: list[tuple[Obj, int, int]]) -> np.ndarray:
    """``a`` with each object moved by its ``(dy, dx)``: every moved object lifted first,
    then drawn at its new place (cells beyond the border are lost)."""
    bg = bg_of(a)
    out = a.copy()
    for o, _, _ in moves:
        out[o.rows, o.cols] = bg
    h, w = a.shape
    for o, dy, dx in moves:
        rows, cols = o.rows + dy, o.cols + dx
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        out[rows[inside], cols[inside]] = o.colors[inside]
    return out


def align_objects(img: Img, anchor: int, edge: str) -> Img:
    """Every object (single-colour, 8-connected) not of colour ``anchor`` moved straight so that its ``edge`` ('top', 'bottom', 'left', 'right') lines up with the same edge of the ``anchor`` object (the first in reading order)."""
    a = _arr(img)
    sides = ("top", "left", "bottom", "right")
    if edge not in sides:
        raise ValueError(f"align_objects: edge must be one of {sides}, got {edge!r}")
    objs = find_objects(a, 8, False)
    anchors = [o for o in objs if o.color == anchor]
    if not anchors:
        raise ValueError(f"align_objects: no object of colour {anchor}")
    k = sides.index(edge)
    target = anchors[0].bbox[k]
    moves = [(o, target - o.bbox[k], 0) if k in (0, 2) else (o, 0, target - o.bbox[k])
             for o in objs if o.color != anchor]
    return _placed(a, moves)


def move_by_size(img: Img, direction: str) -> Img:
    """Every object (8-connected, any colours) moved towards ``direction`` by its own height (up or down) or width (left or right)."""
    a = _arr(img)
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    ((dy, dx),) = RAY_DIRECTIONS[direction]
    moves = [(o, dy * o.height, dx * o.width) for o in find_objects(a, 8, True)]
    return _placed(a, moves)


def _gap_box(o: Obj, p: Obj, inset: int) -> tuple[int, int, int, int] | None:
    """The box between two objects side by side (or one above the other), across the rows
    (columns) they share less ``inset`` at each end: (top, left, bottom, right), the bottom
    and right excluded; None when they share none or overlap."""
    (t1, l1, b1, r1), (t2, l2, b2, r2) = o.bbox, p.bbox
    top, bottom = max(t1, t2) + inset, min(b1, b2) - inset
    if top <= bottom and (r1 < l2 or r2 < l1):
        left, right = (r1 + 1, l2) if r1 < l2 else (r2 + 1, l1)
        return top, left, bottom + 1, right
    left, right = max(l1, l2) + inset, min(r1, r2) - inset
    if left <= right and (b1 < t2 or b2 < t1):
        top, bottom = (b1 + 1, t2) if b1 < t2 else (b2 + 1, t1)
        return top, left, bottom, right + 1
    return None


def bridge(img: Img, paint: int, inset: int) -> Img:
    """Between every two objects (single-colour, 8-connected) side by side or one above the other with only background between them, the gap across their shared rows or columns (less ``inset`` at each end) painted ``paint``."""
    a = _arr(img)
    bg = bg_of(a)
    objs = find_objects(a, 8, False)
    out = a.copy()
    for i, o in enumerate(objs):
        for p in objs[i + 1:]:
            box = _gap_box(o, p, inset)
            if box is not None:
                t, l, b, r = box
                if (a[t:b, l:r] == bg).all():
                    out[t:b, l:r] = paint
    return out


def mark_centres(img: Img, paint: int, edge: str) -> Img:
    """Each object (single-colour, 8-connected) of odd width (height) marked with ``paint`` on the ``edge`` row ('top', 'bottom') or column ('left', 'right') of the grid, in line with its centre."""
    a = _arr(img)
    if edge not in ("top", "bottom", "left", "right"):
        raise ValueError(f"mark_centres: edge must be top, bottom, left or right, got {edge!r}")
    out = a.copy()
    for o in find_objects(a, 8, False):
        t, l, b, r = o.bbox
        if edge in ("top", "bottom") and (l + r) % 2 == 0:
            out[0 if edge == "top" else -1, (l + r) // 2] = paint
        elif edge in ("left", "right") and (t + b) % 2 == 0:
            out[(t + b) // 2, 0 if edge == "left" else -1] = paint
    return out


COUNT_LAYOUTS = ("row", "column", "diagonal")


def count_objects(img: Img, layout: str) -> Img:
    """The number n of objects (single-colour, 8-connected) drawn in their most common colour: a row of n cells ('row'), a column ('column'), or the diagonal of an n x n grid of background ('diagonal')."""
    a = _arr(img)
    if layout not in COUNT_LAYOUTS:
        raise ValueError(f"count_objects: layout must be one of {COUNT_LAYOUTS}, got {layout!r}")
    objs = find_objects(a, 8, False)
    if not objs:
        raise ValueError("count_objects: no object")
    n = len(objs)
    color = Counter(o.color for o in objs).most_common(1)[0][0]
    if layout == "diagonal":
        out = np.full((n, n), bg_of(a), dtype=a.dtype)
        out[np.arange(n), np.arange(n)] = color
        return out
    return np.full((1, n) if layout == "row" else (n, 1), color, dtype=a.dtype)


def stamp_template(img: Img, marker: int) -> Img:
    """Copy the largest object not of colour ``marker`` (8-connected, any colours) centred on every single cell of ``marker``."""
    a = _arr(img)
    bg = bg_of(a)
    objs = find_objects(a, 8, True)
    templates = [o for o in objs if marker not in set(o.colors.tolist())]
    picked = select(templates, "largest")
    if len(picked) != 1:
        raise ValueError("stamp_template: no unique template")
    patch = picked[0].patch(bg)
    ph, pw = patch.shape
    out = a.copy()
    h, w = a.shape
    for r, c in zip(*np.nonzero(a == marker)):
        t, l = r - ph // 2, c - pw // 2
        for y in range(ph):
            for x in range(pw):
                if patch[y, x] != bg and 0 <= t + y < h and 0 <= l + x < w:
                    out[t + y, l + x] = patch[y, x]
    return out


# ---------------------------------------------------------------- colour readers


def bg_color(img: Img) -> int:
    """The background colour: 0 when present, else the most common colour."""
    return bg_of(_arr(img))


def most_common_color(img: Img) -> int:
    """The most common colour (smallest on a tie)."""
    return int(np.bincount(_arr(img).ravel().astype(np.int64), minlength=10).argmax())


def least_common_color(img: Img) -> int:
    """The least common colour present (smallest on a tie)."""
    counts = np.bincount(_arr(img).ravel().astype(np.int64), minlength=10).astype(float)
    counts[counts == 0] = np.inf
    return int(counts.argmin())


def most_common_fg_color(img: Img) -> int:
    """The most common foreground colour (the background when there is none)."""
    a = _arr(img)
    bg = bg_of(a)
    counts = np.bincount(a.ravel().astype(np.int64), minlength=10)
    counts[bg] = -1
    return int(counts.argmax()) if counts.max() > 0 else bg


def largest_object_color(img: Img) -> int:
    """The colour of the largest single-colour 8-connected object (the first on a tie)."""
    picked = select(find_objects(_arr(img), 8, False), "largest")
    return picked[0].color if picked else bg_of(_arr(img))


def smallest_object_color(img: Img) -> int:
    """The colour of the smallest single-colour 8-connected object (the first on a tie)."""
    picked = select(find_objects(_arr(img), 8, False), "smallest")
    return picked[0].color if picked else bg_of(_arr(img))


OBJECT_OPS = (crop_to_object, keep_objects, remove_objects, recolor_objects, outline_objects,
              recolor_by, map_objects, recolor_alternate, recolor_nearest, reflect_over,
              recolor_like_framed, filter_objects, attract, reach, extend_diagonals,
              recolor_in_bbox, fill_squares, step_toward,
              corner_rays,
              fill_bbox, move_until_contact, gravity_objects, align_objects, move_by_size,
              count_objects, bridge, fill_color_boxes, mark_centres, stamp_template)
READERS = (bg_color, most_common_color, least_common_color, most_common_fg_color,
           largest_object_color, smallest_object_color)
