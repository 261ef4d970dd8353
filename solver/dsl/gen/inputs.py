"""Input grids that look like ARC's: mostly a black background (sometimes another colour),
sparse objects of several shapes, lines, and noise pixels.

A :class:`Scene` is a grid under construction that remembers which cells are taken (with a
margin, so placed objects do not touch unless asked to) and what was placed. Everything is
drawn from the ``rng`` passed in; nothing here reads global state.

The DSL's background rule (:func:`solver.dsl.ops.bg_of`: colour 0 when the grid has a 0,
else its most common colour) shapes two rules here: on a background other than 0 no cell
is ever 0, and foreground stays a minority of the cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.dsl.ops import border_reach

DTYPE = np.int8
SHAPES = ("rect", "blob", "blob", "frame", "line", "plus", "ell", "tee", "diag", "sym")


def pick_bg(rng: np.random.Generator, p_black: float = 0.8) -> int:
    """The background: black with probability ``p_black``, else another colour."""
    return 0 if rng.random() < p_black else int(rng.integers(1, 10))


def colors_for(bg: int) -> list[int]:
    """The colours an object may take on background ``bg`` (never 0 on a coloured one)."""
    return [c for c in range(1, 10) if c != bg]


def palette(rng: np.random.Generator, bg: int, k: int, avoid=()) -> list[int]:
    """``k`` distinct object colours for background ``bg``, none of ``avoid``."""
    free = [c for c in colors_for(bg) if c not in set(avoid)]
    return [int(c) for c in rng.permutation(free)[:k]]


def side(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A side in lo..hi, uniformly."""
    lo = max(1, lo)
    return int(rng.integers(lo, max(lo, hi) + 1))


def shape(rng: np.random.Generator, lo: int, hi: int, square: bool = False) -> tuple[int, int]:
    h = side(rng, lo, hi)
    return (h, h) if square else (h, side(rng, lo, hi))


def task_sides(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int]:
    """The range of sides of one task's grids: a largest side in the upper half of lo..hi,
    and pairs from 60..100 % of it (ARC's pairs vary in size, within limits)."""
    hi = max(lo, hi)
    top = int(rng.integers(max(lo, (lo + hi + 1) // 2), hi + 1))
    return max(lo, int(round(top * rng.uniform(0.6, 1.0)))), top


# ---------------------------------------------------------------- sprites (boolean masks)


def _grow(rng: np.random.Generator, h: int, w: int, n: int) -> np.ndarray:
    """A random 4-connected set of about ``n`` cells inside h x w."""
    m = np.zeros((h, w), dtype=bool)
    r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
    m[r, c] = True
    frontier = [(r, c)]
    cells = 1
    while cells < n and frontier:
        i = int(rng.integers(0, len(frontier)))
        r, c = frontier[i]
        dr, dc = ((1, 0), (-1, 0), (0, 1), (0, -1))[int(rng.integers(0, 4))]
        y, x = r + dr, c + dc
        if 0 <= y < h and 0 <= x < w and not m[y, x]:
            m[y, x] = True
            frontier.append((y, x))
            cells += 1
        elif rng.random() < 0.15:
            frontier.pop(i)
    return m


def crop_mask(m: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(m)
    return m[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def sprite(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    """A connected boolean mask of about h x w (cropped to its bounding box)."""
    h, w = max(1, h), max(1, w)
    if kind == "rect":
        return np.ones((h, w), dtype=bool)
    if kind == "frame":
        h, w = max(h, 3), max(w, 3)
        m = np.ones((h, w), dtype=bool)
        m[1:-1, 1:-1] = False
        return m
    if kind == "line":
        n = max(h, w, 2)
        return np.ones((1, n), dtype=bool) if rng.random() < 0.5 else np.ones((n, 1), dtype=bool)
    if kind == "plus":
        s = max(3, min(h, w)) | 1
        m = np.zeros((s, s), dtype=bool)
        m[s // 2, :] = m[:, s // 2] = True
        return m
    if kind == "ell":
        h, w = max(h, 2), max(w, 2)
        m = np.zeros((h, w), dtype=bool)
        m[:, 0] = m[-1, :] = True
        return _orient(rng, m)
    if kind == "tee":
        h, w = max(h, 2), max(w, 3) | 1
        m = np.zeros((h, w), dtype=bool)
        m[0, :] = m[:, w // 2] = True
        return _orient(rng, m)
    if kind == "diag":
        n = max(2, min(h, w))
        m = np.eye(n, dtype=bool)
        m[1:, :] |= np.eye(n, dtype=bool)[:-1, :]  # a staircase keeps it 4-connected
        return _orient(rng, m)
    if kind == "sym":
        hw = max(1, (w + 1) // 2)
        half = _grow(rng, h, hw, max(1, int(h * hw * 0.6)))
        half[:, -1] |= half.any(axis=1)  # touches the axis, so both halves join
        m = np.concatenate([half, half[:, ::-1][:, (w % 2):]], axis=1)
        return crop_mask(m)
    n = max(1, int(h * w * rng.uniform(0.45, 0.8)))
    return crop_mask(_grow(rng, h, w, n))


def _orient(rng: np.random.Generator, m: np.ndarray) -> np.ndarray:
    m = np.rot90(m, int(rng.integers(0, 4)))
    return np.ascontiguousarray(m[:, ::-1] if rng.random() < 0.5 else m)


def random_sprite(rng: np.random.Generator, max_h: int, max_w: int, kinds=SHAPES,
                  min_side: int = 1) -> np.ndarray:
    kind = str(kinds[int(rng.integers(0, len(kinds)))])
    h = int(rng.integers(min_side, max(min_side, max_h) + 1))
    w = int(rng.integers(min_side, max(min_side, max_w) + 1))
    return sprite(rng, kind, h, w)


def has_hole(m: np.ndarray) -> bool:
    """Whether some non-mask cell inside the mask's bbox cannot reach the bbox's edge."""
    free = ~m
    return bool((free & ~border_reach(free)).any())


# ---------------------------------------------------------------- scenes


@dataclass
class Placed:
    top: int
    left: int
    mask: np.ndarray
    colors: np.ndarray  # same shape as mask; meaningful where mask


@dataclass
class Scene:
    grid: np.ndarray
    bg: int
    taken: np.ndarray  # cells covered by an object or its margin
    objects: list[Placed] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        return self.grid.shape

    def copy(self) -> "Scene":
        return Scene(self.grid.copy(), self.bg, self.taken.copy(), list(self.objects))


def new_scene(h: int, w: int, bg: int) -> Scene:
    return Scene(np.full((h, w), bg, dtype=DTYPE), bg, np.zeros((h, w), dtype=bool))


def paint(mask: np.ndarray, colors) -> np.ndarray:
    """Colour array for ``mask``: one colour (an int) or a list drawn per cell by the caller."""
    return np.where(mask, colors, 0).astype(DTYPE) if np.ndim(colors) else \
        np.full(mask.shape, int(colors), dtype=DTYPE)


def put(scene: Scene, rng: np.random.Generator, mask: np.ndarray, colors, margin: int = 1,
        at: tuple[int, int] | None = None, overlap: bool = False,
        draw: bool = True) -> Placed | None:
    """Place ``mask`` (coloured ``colors``: an int or a per-cell array) at a random spot (or
    ``at``) where neither it nor a ``margin`` around it meets anything placed; None when
    there is none. With ``draw`` False the cells are only reserved (taken), not painted."""
    h, w = scene.shape
    mh, mw = mask.shape
    if mh > h or mw > w:
        return None
    col = paint(mask, colors)
    if at is not None:
        t, l = at
        if t < 0 or l < 0 or t + mh > h or l + mw > w:
            return None
        if not overlap and not _free(scene.taken, mask, margin, h - mh + 1, w - mw + 1)[t, l]:
            return None
    else:
        free = np.ones((h - mh + 1, w - mw + 1), dtype=bool) if overlap else \
            _free(scene.taken, mask, margin, h - mh + 1, w - mw + 1)
        spots = np.flatnonzero(free)
        if len(spots) == 0:
            return None
        t, l = divmod(int(spots[int(rng.integers(0, len(spots)))]), w - mw + 1)
    if draw:
        view = scene.grid[t:t + mh, l:l + mw]
        view[mask] = col[mask]
    scene.taken[t:t + mh, l:l + mw] |= mask
    p = Placed(t, l, mask, col)
    scene.objects.append(p)
    return p


def _free(taken: np.ndarray, mask: np.ndarray, margin: int, nt: int, nl: int) -> np.ndarray:
    """For every top-left (t, l), whether ``mask`` grown by ``margin`` meets no taken cell."""
    halo = _dilate(np.pad(mask, margin), margin) if margin else mask
    p = np.pad(taken, margin) if margin else taken
    free = np.ones((nt, nl), dtype=bool)
    for dy, dx in zip(*np.nonzero(halo)):
        free &= ~p[dy:dy + nt, dx:dx + nl]
    return free


def _dilate(m: np.ndarray, k: int) -> np.ndarray:
    """``m`` grown by ``k`` cells in the 8 directions (same shape)."""
    out = m.copy()
    for _ in range(k):
        g = out.copy()
        g[1:, :] |= out[:-1, :]
        g[:-1, :] |= out[1:, :]
        g2 = g.copy()
        g2[:, 1:] |= g[:, :-1]
        g2[:, :-1] |= g[:, 1:]
        out = g2
    return out


def scatter(scene: Scene, rng: np.random.Generator, n: int, colors: list[int], max_side: int = 4,
            kinds=SHAPES, multicolor: float = 0.0, margin: int = 1, first=()) -> int:
    """Place up to ``n`` random objects (the first ones coloured ``first`` in order, the
    rest from ``colors``); returns how many were placed."""
    placed = 0
    h, w = scene.shape
    for i in range(max(n, len(first))):
        must = i < len(first)
        for size in ((max_side, 2, 1) if must else (max_side,)):  # required colours shrink to fit
            m = random_sprite(rng, min(size, h), min(size, w), kinds)
            c = int(first[i]) if must else int(colors[int(rng.integers(0, len(colors)))])
            col = c
            if multicolor and not must and rng.random() < multicolor and len(colors) > 1 \
                    and m.sum() > 1:
                col = np.array(colors)[rng.integers(0, len(colors), size=m.shape)]
            if put(scene, rng, m, col, margin=margin):
                placed += 1
                break
    return placed


def noise(scene: Scene, rng: np.random.Generator, density: float, colors: list[int],
          only_free: bool = True) -> int:
    """Sprinkle single pixels of ``colors`` on background cells (not next to objects when
    ``only_free``); returns how many."""
    h, w = scene.shape
    k = int(rng.binomial(h * w, density))
    done = 0
    for _ in range(k):
        r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
        if scene.grid[r, c] != scene.bg:
            continue
        if only_free and scene.taken[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2].any():
            continue
        scene.grid[r, c] = int(colors[int(rng.integers(0, len(colors)))])
        scene.taken[r, c] = True
        done += 1
    return done


def fg_fraction(grid: np.ndarray, bg: int) -> float:
    return float((grid != bg).mean())


def well_formed(grid: np.ndarray, bg: int) -> bool:
    """The DSL reads ``bg`` as this grid's background: a 0 present when bg is 0, none and a
    strict majority of ``bg`` otherwise."""
    if bg == 0:
        return bool((grid == 0).any())
    if (grid == 0).any():
        return False
    counts = np.bincount(grid.ravel().astype(np.int64), minlength=10)
    return int(counts.argmax()) == bg and (counts == counts[bg]).sum() == 1


# ---------------------------------------------------------------- a task's style


@dataclass
class Style:
    """What the inputs of one task share, as in ARC: background, colours, kinds of object,
    how many, how big, the grid sides (or one fixed shape), noise."""

    bg: int
    colors: list[int]
    kinds: tuple[str, ...] = SHAPES
    n_obj: tuple[int, int] = (1, 5)
    obj_side: int = 4
    sides: tuple[int, int] = (3, 15)
    fixed: tuple[int, int] | None = None
    square: bool = False
    noise: float = 0.0
    noise_colors: list[int] = field(default_factory=list)
    multicolor: float = 0.0
    lines: int = 0  # most full-length row/column lines an input may get (drawn first)

    def shape(self, rng: np.random.Generator) -> tuple[int, int]:
        if self.fixed:
            return self.fixed
        return shape(rng, *self.sides, square=self.square)


def make_style(rng: np.random.Generator, lo: int, hi: int, n_colors: tuple[int, int] = (1, 4),
               p_black: float = 0.8, noise: float = 0.0, bg: int | None = None, avoid=(),
               p_fixed: float = 0.3, **kw) -> Style:
    """A task's style with sides in lo..hi; ``noise`` is the largest noise density (a task
    gets noise half the time when it is above 0)."""
    bg = pick_bg(rng, p_black) if bg is None else bg
    k = int(rng.integers(n_colors[0], n_colors[1] + 1))
    colors = palette(rng, bg, k, avoid=avoid)
    sides = task_sides(rng, lo, hi)
    st = Style(bg, colors, sides=sides, **kw)
    if rng.random() < p_fixed:
        st.fixed = shape(rng, *sides, square=st.square)
    if noise > 0 and rng.random() < 0.5:
        st.noise = float(rng.uniform(0.01, noise))
        others = palette(rng, bg, 1, avoid=[*avoid, *colors]) or colors
        st.noise_colors = others if rng.random() < 0.6 else colors
    return st


def object_scene(rng: np.random.Generator, st: Style, n: int | None = None,
                 hw: tuple[int, int] | None = None, margin: int = 1, first=()) -> Scene | None:
    """Objects of the style on its background, then its noise; None when not one object fits
    or the grid would not read ``st.bg`` as its background."""
    h, w = hw or st.shape(rng)
    s = new_scene(h, w, st.bg)
    if st.lines:
        full_lines(s, rng, int(rng.integers(0, st.lines + 1)), st.colors)
    n = n if n is not None else int(rng.integers(st.n_obj[0], st.n_obj[1] + 1))
    if scatter(s, rng, n, st.colors, st.obj_side, st.kinds, st.multicolor, margin, first) == 0:
        return None
    if st.noise:
        noise(s, rng, st.noise, st.noise_colors or st.colors)
    return s if well_formed(s.grid, st.bg) else None


def full_lines(scene: Scene, rng: np.random.Generator, n: int, colors: list[int]) -> int:
    """Up to ``n`` full rows or columns of one colour each, never side by side; returns how many."""
    h, w = scene.shape
    done = 0
    for _ in range(n):
        across = rng.random() < 0.5
        k = int(rng.integers(0, h if across else w))
        band = scene.taken[max(k - 1, 0):k + 2, :] if across else scene.taken[:, max(k - 1, 0):k + 2]
        if band.any():
            continue
        c = int(colors[int(rng.integers(0, len(colors)))])
        if across:
            scene.grid[k, :] = c
            scene.taken[k, :] = True
        else:
            scene.grid[:, k] = c
            scene.taken[:, k] = True
        done += 1
    return done


def pattern(rng: np.random.Generator, h: int, w: int, bg: int, colors: list[int],
            density: float) -> np.ndarray | None:
    """A dense random pattern: each cell one of ``colors`` with probability ``density``."""
    fg = rng.random((h, w)) < density
    g = np.where(fg, np.array(colors, dtype=DTYPE)[rng.integers(0, len(colors), size=(h, w))], bg)
    g = g.astype(DTYPE)
    return g if well_formed(g, bg) else None


def with_min_colors(g: np.ndarray | None, k: int) -> np.ndarray | None:
    """``g`` when it has at least ``k`` distinct colours, else None."""
    return g if g is not None and len(np.unique(g)) >= k else None
