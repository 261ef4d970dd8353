"""Families that move or resize the whole grid: rigid transforms, scaling, tiling, crops."""

from __future__ import annotations

from typing import Callable

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Drop, Reader, Step
from solver.dsl.objects import SELECTORS, find_objects, least_common_color, select

RIGID = ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose")
READERS = ("bg_color", "most_common_color", "least_common_color", "most_common_fg_color",
           "largest_object_color", "smallest_object_color")


def _choice(rng: np.random.Generator, seq):
    return seq[int(rng.integers(0, len(seq)))]


# ---------------------------------------------------------------- rigid


def rigid(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """One of the 8 symmetries of the square (not the identity) on a scene of objects."""
    op = _choice(rng, RIGID)
    hi = ctx.hi(int(rng.choice([6, 10, 15, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(2), hi, n_colors=(1, 4), noise=0.08, multicolor=0.3,
                       n_obj=(1, 6), obj_side=int(rng.integers(2, 6)), square=rng.random() < 0.4,
                       lines=2 if rng.random() < 0.2 else 0)
    dense = rng.random() < 0.35  # small dense patterns, as in many ARC rigid tasks

    def new_input(rng):
        if dense:
            h, w = st.shape(rng)
            return gi.pattern(rng, h, w, st.bg, st.colors, rng.uniform(0.3, 0.7))
        s = gi.object_scene(rng, st)
        return None if s is None else s.grid

    prog = (Step(op),)
    inputs = ctx.collect(rng, prog, new_input)
    return ctx.draft(prog, inputs, [(Step(o),) for o in RIGID])


# ---------------------------------------------------------------- scale and tile


def _shape_alternatives(fy: int, fx: int):
    """The whole-grid ops that make the same output shape from the same factors."""
    return [(Step(op, (fy, fx)),) for op in ("upscale", "tile", "tile_mirror")]


def scale(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """upscale by (fy, fx), or downscale a grid made of uniform blocks (a minority of noise
    pixels inside blocks when they are 3 or more cells wide)."""
    f = int(rng.choice([2, 3, 4, 5], p=[0.45, 0.35, 0.13, 0.07]))
    fy, fx = f, f
    if rng.random() < 0.2:
        fy, fx = (f, int(rng.integers(1, 4))) if rng.random() < 0.5 else (int(rng.integers(1, 4)), f)
        if fy == fx == 1:
            fy = 2
    cap = ctx.cfg.max_side // max(fy, fx)
    if cap < 1:
        raise Drop("grid too small for the factor")
    st = gi.make_style(rng, ctx.lo(1), ctx.hi(min(cap, 8)), n_colors=(1, 4))
    density = rng.uniform(0.3, 0.7)
    if rng.random() < 0.5:  # upscale
        def new_input(rng):
            h, w = st.shape(rng)
            return gi.with_min_colors(gi.pattern(rng, h, w, st.bg, st.colors, density), 2)

        prog = (Step("upscale", (fy, fx)),)
        inputs = ctx.collect(rng, prog, new_input)
        return ctx.draft(prog, inputs, _shape_alternatives(fy, fx))

    noisy = min(fy, fx) >= 3 and rng.random() < 0.5

    def new_input(rng):
        h, w = st.shape(rng)
        small = gi.with_min_colors(gi.pattern(rng, h, w, st.bg, st.colors, density), 2)
        if small is None:
            return None
        g = np.repeat(np.repeat(small, fy, axis=0), fx, axis=1)
        if noisy:  # one stray pixel in some blocks: the block's majority still wins
            for i in range(h):
                for j in range(w):
                    if rng.random() < 0.3:
                        g[i * fy + int(rng.integers(0, fy)), j * fx + int(rng.integers(0, fx))] = \
                            int(_choice(rng, st.colors))
        return g if gi.well_formed(g, st.bg) else None

    prog = (Step("downscale", (fy, fx)),)
    inputs = ctx.collect(rng, prog, new_input)
    alts = [(Step("downscale", (a, b)),) for a in range(1, 6) for b in range(1, 6)]
    return ctx.draft(prog, inputs, alts)


SELF_TILE = ("fg", "bg", "color")


def tile(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """tile or tile_mirror a small pattern ny x nx times, or self_tile it; or the inverse,
    crop_to_period: the repeating tile of a grid."""
    kind = rng.choice(["tile", "tile_mirror", "self_tile", "period"], p=[0.35, 0.25, 0.25, 0.15])
    st = gi.make_style(rng, ctx.lo(2), ctx.hi(6), n_colors=(1, 3), p_fixed=0.5)
    alts = [(Step("self_tile", (m,)),) for m in SELF_TILE]
    if kind == "period":  # the inverse: a grid tiled (cut at the edges) gives back its tile
        density = rng.uniform(0.4, 0.8)
        hi = ctx.hi(int(rng.choice([10, 16, 24])))

        def new_input(rng):
            th, tw = gi.shape(rng, 1, 5)
            if th * tw < 2:
                return None
            t = gi.with_min_colors(gi.pattern(rng, th, tw, st.bg, st.colors, density), 2)
            if t is None:
                return None
            h, w = gi.shape(rng, max(2 * th, ctx.lo(3)), hi)
            if 2 * th > h or 2 * tw > w:
                return None
            return np.tile(t, (h // th + 1, w // tw + 1))[:h, :w]

        prog = (Step("crop_to_period"),)

        def rivals(all_inputs, train_outputs):
            yield (Step("crop_bbox"),)
            yield from window_alternatives(all_inputs, train_outputs)

        return ctx.draft(prog, ctx.collect(rng, prog, new_input), rivals)
    if kind == "self_tile":
        mode = str(_choice(rng, SELF_TILE))
        cap = min(5, int(ctx.cfg.max_side ** 0.5))
        if cap < 2:
            raise Drop("grid too small for self_tile")
        st.sides = (min(st.sides[0], cap), min(st.sides[1], cap))
        st.fixed = None if rng.random() < 0.5 else gi.shape(rng, *st.sides)
        density = rng.uniform(0.3, 0.6)

        def new_input(rng):
            h, w = st.shape(rng)
            return gi.with_min_colors(gi.pattern(rng, h, w, st.bg, st.colors, density), 2)

        prog = (Step("self_tile", (mode,)),)
        inputs = ctx.collect(rng, prog, new_input)
        return ctx.draft(prog, inputs, alts)
    ny, nx = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if ny == nx == 1:
        ny = 2
    cap = min(ctx.cfg.max_side // ny, ctx.cfg.max_side // nx, 8)
    if cap < 1:
        raise Drop("grid too small for the tiling")
    st.sides = (min(st.sides[0], cap), min(st.sides[1], cap))
    st.fixed = None if st.fixed is None else gi.shape(rng, *st.sides)
    density = rng.uniform(0.3, 0.7)

    def new_input(rng):
        h, w = st.shape(rng)
        return gi.with_min_colors(gi.pattern(rng, h, w, st.bg, st.colors, density), 2)

    prog = (Step(str(kind), (ny, nx)),)
    inputs = ctx.collect(rng, prog, new_input)
    return ctx.draft(prog, inputs, _shape_alternatives(ny, nx) + alts)


# ---------------------------------------------------------------- crops


CROP_SELECTORS = ("largest", "smallest", "tallest", "widest", "most_colors", "unique_color",
                  "unique_shape", "has_hole", "rectangle", "not_rectangle", "symmetric",
                  "asymmetric", "top", "bottom", "left", "right")


def selector_scene(rng: np.random.Generator, st: gi.Style, which: str) -> gi.Scene | None:
    """A scene biased so that selector ``which`` has something to pick (checked by the caller)."""
    h, w = st.shape(rng)
    s = gi.new_scene(h, w, st.bg)
    n = int(rng.integers(max(2, st.n_obj[0]), max(3, st.n_obj[1]) + 1))
    cols = st.colors
    side_ = st.obj_side
    if which == "unique_color":
        a, b = cols[0], cols[1 % len(cols)]
        sprites = [(gi.random_sprite(rng, side_, side_, st.kinds), b)]
        sprites += [(gi.random_sprite(rng, side_, side_, st.kinds), a) for _ in range(n - 1)]
    elif which in ("unique_shape", "common_shape"):
        m = gi.random_sprite(rng, side_, side_, st.kinds, min_side=2)
        sprites = [(gi.random_sprite(rng, side_, side_, st.kinds), _choice(rng, cols))]
        sprites += [(m, _choice(rng, cols)) for _ in range(n - 1)]
    elif which in ("has_hole", "no_hole"):
        sprites = [(gi.sprite(rng, "frame", int(rng.integers(3, side_ + 2)), int(rng.integers(3, side_ + 2))),
                    _choice(rng, cols))]
        sprites += [(gi.random_sprite(rng, side_, side_, ("rect", "blob", "line", "ell", "tee", "plus")),
                     _choice(rng, cols)) for _ in range(n - 1)]
    elif which == "most_colors":
        m = gi.random_sprite(rng, side_, side_, ("rect", "blob", "plus", "sym"), min_side=2)
        multi = np.array(cols + gi.palette(rng, st.bg, 2, avoid=cols))[rng.integers(0, len(cols) + 2, size=m.shape)]
        sprites = [(m, multi)] + [(gi.random_sprite(rng, side_, side_, st.kinds), _choice(rng, cols))
                                  for _ in range(n - 1)]
    elif which in ("rectangle", "not_rectangle"):
        one = "rect" if which == "rectangle" else "blob"
        rest = ("blob", "ell", "tee", "plus") if which == "rectangle" else ("rect", "line")
        sprites = [(gi.sprite(rng, one, int(rng.integers(2, side_ + 1)), int(rng.integers(2, side_ + 1))),
                    _choice(rng, cols))]
        sprites += [(gi.random_sprite(rng, side_, side_, rest), _choice(rng, cols)) for _ in range(n - 1)]
    elif which in ("symmetric", "asymmetric"):
        one = "sym" if which == "symmetric" else "blob"
        rest = ("blob", "ell", "diag") if which == "symmetric" else ("sym", "rect", "plus")
        sprites = [(gi.sprite(rng, one, int(rng.integers(2, side_ + 1)), int(rng.integers(3, side_ + 2))),
                    _choice(rng, cols))]
        sprites += [(gi.random_sprite(rng, side_, side_, rest, min_side=2), _choice(rng, cols))
                    for _ in range(n - 1)]
    else:
        sprites = [(gi.random_sprite(rng, side_, side_, st.kinds), _choice(rng, cols)) for _ in range(n)]
    placed = 0
    for i, (m, c) in enumerate(sprites):  # the first is the one the selector is about
        if gi.put(s, rng, m, c, margin=1) is not None:
            placed += 1
        elif i == 0:
            return None
    if placed < 2:
        return None
    if st.noise:
        gi.noise(s, rng, st.noise, st.noise_colors or st.colors)
    return s if gi.well_formed(s.grid, st.bg) else None


def _picks(grid: np.ndarray, which: str, conn: int, multicolor: bool) -> tuple[int, int]:
    """(objects picked, objects in all) for selector ``which``."""
    objs = find_objects(grid, conn, multicolor)
    return len(select(objs, which)), len(objs)


def crop_alternatives(colors: list[int]):
    alts = [(Step("crop_bbox"),), (Step("fg_row"),)]
    alts += [(Step("crop_to_color", (c,)),) for c in colors]
    alts += [(Step("crop_to_color", (Reader(r),)),) for r in READERS[1:]]
    alts += [(Step("crop_inside_color", (c,)),) for c in colors]
    alts += [(Step("crop_to_object", (w, conn, mc)),) for w in SELECTORS
             for conn in (8, 4) for mc in (False, True)]
    return alts


def crop(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """Crop to: the foreground's bounding box, one colour's, the inside of a frame of one
    colour, the one object a selector picks (largest, has a hole, unique colour, ...), a
    fixed window; or read the foreground cells out as one row."""
    kind = rng.choice(["bbox", "color", "inside", "object", "window", "fg_row"],
                      p=[0.14, 0.18, 0.18, 0.35, 0.09, 0.06])
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(2, 4), noise=0.06 if kind != "bbox" else 0.0,
                       n_obj=(2, 5), obj_side=int(rng.integers(2, 6)))
    colors_all = list(range(10))
    prog, new_input = CROP_KINDS[str(kind)](rng, ctx, st)
    inputs = ctx.collect(rng, prog, new_input)

    def alternatives(all_inputs, train_outputs):
        yield from crop_alternatives(colors_all)
        yield from window_alternatives(all_inputs, train_outputs)

    return ctx.draft(prog, inputs, alternatives)


# Each crop kind: (program, new_input) for the style ``st`` (which it may adjust), drawing
# from ``rng`` after :func:`crop` has drawn the kind and the style.
CropKind = tuple[tuple[Step, ...], Callable]


def _crop_bbox(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """A cluster of objects (they may touch) within a window: crop to its bounding box."""
    st.n_obj = (1, 3)

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(*st.n_obj)) + 1
        # a cluster: objects may touch, all within a window
        wh, ww = int(rng.integers(2, min(h, 8) + 1)), int(rng.integers(2, min(w, 8) + 1))
        top, left = int(rng.integers(0, h - wh + 1)), int(rng.integers(0, w - ww + 1))
        sub = gi.new_scene(wh, ww, st.bg)
        gi.scatter(sub, rng, n, st.colors, max(2, min(wh, ww)), st.kinds, 0.3, margin=0)
        s.grid[top:top + wh, left:left + ww] = sub.grid
        return s.grid if (s.grid != st.bg).any() and gi.well_formed(s.grid, st.bg) else None

    return (Step("crop_bbox"),), new_input


def _crop_color(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """One sprite of a colour no other object has (a fixed one, or read as the least
    common colour): crop to that colour's bounding box."""
    target = st.colors[0]
    use_reader = rng.random() < 0.3
    st.noise_colors = [c for c in (st.noise_colors or []) if c != target]
    if not st.noise_colors:
        st.noise = 0.0

    def new_input(rng):
        s = gi.object_scene(rng, gi.Style(**{**st.__dict__, "colors": st.colors[1:] or [target]}))
        if s is None:
            return None
        m = gi.random_sprite(rng, st.obj_side + 1, st.obj_side + 1, st.kinds, min_side=2)
        c = int(_choice(rng, [c for c in gi.colors_for(st.bg)])) if use_reader else target
        if use_reader and (s.grid == c).any():
            return None
        if gi.put(s, rng, m, c) is None:
            return None
        if use_reader and least_common_color(s.grid) != c:
            return "reader misses the colour"
        return s.grid if gi.well_formed(s.grid, st.bg) else None

    arg = Reader("least_common_color") if use_reader else target
    return (Step("crop_to_color", (arg,)),), new_input


def _crop_inside(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """A frame of one colour around a pattern, objects and noise outside: crop to the
    inside of the frame."""
    frame_c = st.colors[0]
    inner = st.colors[1:] or gi.palette(rng, st.bg, 1, avoid=[frame_c])
    st.noise_colors = [c for c in (st.noise_colors or inner) if c != frame_c]

    def new_input(rng):
        h, w = st.shape(rng)
        fh, fw = int(rng.integers(4, max(5, h) + 1)), int(rng.integers(4, max(5, w) + 1))
        if fh > h or fw > w:
            return None
        s = gi.new_scene(h, w, st.bg)
        t, l = int(rng.integers(0, h - fh + 1)), int(rng.integers(0, w - fw + 1))
        s.grid[t:t + fh, l:l + fw][gi.sprite(rng, "frame", fh, fw)] = frame_c
        content = gi.pattern(rng, fh - 2, fw - 2, st.bg, inner, rng.uniform(0.2, 0.6))
        if content is None:
            content = np.full((fh - 2, fw - 2), st.bg, dtype=gi.DTYPE)
        s.grid[t + 1:t + fh - 1, l + 1:l + fw - 1] = content
        s.taken[max(t - 1, 0):t + fh + 1, max(l - 1, 0):l + fw + 1] = True
        gi.scatter(s, rng, int(rng.integers(0, 4)), inner, st.obj_side, st.kinds)
        if st.noise:
            gi.noise(s, rng, st.noise, st.noise_colors or inner)
        return s.grid if gi.well_formed(s.grid, st.bg) else None

    return (Step("crop_inside_color", (frame_c,)),), new_input


def _crop_fg_row(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """A few scattered pixels, read out in reading order."""
    most = int(rng.integers(2, 9))

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        for _ in range(int(rng.integers(2, most + 1))):
            gi.put(s, rng, np.ones((1, 1), dtype=bool), int(_choice(rng, st.colors)))
        return s.grid if gi.well_formed(s.grid, st.bg) else None

    return (Step("fg_row"),), new_input


def _crop_window(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """A fixed window (often a corner) of inputs of varying sizes."""
    wh, ww = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    corner = rng.random() < 0.6
    top, left = (0, 0) if corner else (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
    st.sides = (max(st.sides[0], top + wh + 1, left + ww + 1), max(st.sides[1], top + wh + 1, left + ww + 1))
    st.fixed = None
    density = rng.uniform(0.2, 0.6)

    def new_input(rng):
        h, w = st.shape(rng)
        return gi.with_min_colors(gi.pattern(rng, h, w, st.bg, st.colors, density), 2)

    prog = (Step("crop", (top, left, wh, ww)),)
    if max(st.sides) > ctx.cfg.max_side:
        raise Drop("grid too small for the window")
    return prog, new_input


def _crop_object(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> CropKind:
    """A scene where a selector (largest, has a hole, unique colour, ...) picks exactly one
    object of at least two: crop to it."""
    which = str(_choice(rng, CROP_SELECTORS))
    conn = 8 if rng.random() < 0.7 else 4
    multicolor = which == "most_colors" or rng.random() < 0.15
    st.multicolor = 0.3 if multicolor else 0.0
    st.noise = 0.0 if which in ("smallest", "unique_shape", "unique_color", "symmetric",
                                "top", "bottom", "left", "right") else st.noise

    def new_input(rng):
        s = selector_scene(rng, st, which)
        if s is None:
            return None
        picked, total = _picks(s.grid, which, conn, multicolor)
        return s.grid if picked == 1 and total >= 2 else "selector does not pick one object"

    return (Step("crop_to_object", (which, conn, multicolor)),), new_input


CROP_KINDS: dict[str, Callable[[np.random.Generator, Ctx, gi.Style], CropKind]] = {
    "bbox": _crop_bbox, "color": _crop_color, "inside": _crop_inside, "object": _crop_object,
    "window": _crop_window, "fg_row": _crop_fg_row}


def window_alternatives(all_inputs, train_outputs):
    """Fixed windows of the train outputs' shape (when they share one), at every place that
    fits every input."""
    shapes = {o.shape for o in train_outputs}
    if len(shapes) != 1:
        return
    a, b = shapes.pop()
    h = min(g.shape[0] for g in all_inputs)
    w = min(g.shape[1] for g in all_inputs)
    for t in range(0, h - a + 1):
        for l in range(0, w - b + 1):
            yield (Step("crop", (t, l, a, b)),)
