"""Families that paint around, inside or from what is there: outline / hollow / border,
fill enclosed / fill bounding boxes, rays / connect, gravity / move until contact."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step
from solver.dsl.gen.geometry import _choice
from solver.dsl.ops import DIRECTIONS, HALO_SHAPES, KEEP, RAY_DIRECTIONS

PAINT_OPS = ("outline", "hollow", "draw_border", "fill_enclosed", "fill_bbox")


def paint_alternatives():
    return [(Step(op, (c,)),) for op in PAINT_OPS for c in range(10)]


def _sizes(rng: np.random.Generator, ctx: Ctx, lo: int = 5) -> int:
    return ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))


# ---------------------------------------------------------------- outline / hollow / border


def outline(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """outline(c): a ring around every object; hollow(c): the insides of solid shapes;
    draw_border(c): the grid's edge; halo(c, shape, new): marks around the cells of c;
    stamp_around(stamps): a 3x3 pattern around the single cells of one or two colours."""
    kind = rng.choice(["outline", "hollow", "draw_border", "halo", "stamp"],
                      p=[0.25, 0.25, 0.15, 0.2, 0.15])
    st = gi.make_style(rng, ctx.lo(4), _sizes(rng, ctx), n_colors=(1, 3),
                       n_obj=(1, 5), obj_side=int(rng.integers(3, 7)))
    if kind == "stamp":
        return _stamp(rng, ctx, st)
    if kind == "halo":  # marks around single cells of one colour, other objects untouched
        src = st.colors[0]
        new = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or st.colors))
        shape = str(_choice(rng, tuple(HALO_SHAPES)))
        others = st.colors[1:]

        def new_input(rng):
            h, w = st.shape(rng)
            s = gi.new_scene(h, w, st.bg)
            for _ in range(int(rng.integers(1, 5))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), src, margin=2)
            if others:
                gi.scatter(s, rng, int(rng.integers(0, 4)), others, st.obj_side, st.kinds)
            return s.grid if (s.grid == src).any() and gi.well_formed(s.grid, st.bg) else None

        prog = (Step("halo", (src, shape, new)),)
        alts = paint_alternatives() + [(Step("halo", (c, sh, new)),) for c in range(10) for sh in HALO_SHAPES]
        return ctx.draft(prog, ctx.collect(rng, prog, new_input), alts)
    if kind == "outline":
        color = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or st.colors))
        margin = 2
    elif kind == "hollow":
        st.kinds = ("rect", "rect", "blob", "plus", "sym")
        color = st.bg if rng.random() < 0.5 else int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors)))
        margin = 1
    else:
        color = int(_choice(rng, gi.colors_for(st.bg)))
        st.noise = 0.04 if rng.random() < 0.5 else 0.0
        st.noise_colors = st.colors
        margin = 1

    def new_input(rng):
        s = gi.object_scene(rng, st, margin=margin)
        return None if s is None else s.grid

    prog = (Step(str(kind), (color,)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), paint_alternatives())


def _stamp(rng: np.random.Generator, ctx: Ctx, st) -> Draft:
    """stamp_around: single cells of one or two centre colours, each with its own random
    3x3 pattern (a few marks, the centre kept or recoloured), other objects untouched."""
    centres = st.colors[:int(rng.integers(1, min(2, len(st.colors)) + 1))]
    others = [c for c in st.colors if c not in centres]
    stamps = []
    for c in centres:
        pattern = np.full((3, 3), KEEP)
        marks = rng.choice(8, size=int(rng.integers(2, 9)), replace=False)
        ring = [(y, x) for y in range(3) for x in range(3) if (y, x) != (1, 1)]
        for m in marks:
            pattern[ring[m]] = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=[c]) or [c]))
        if rng.random() < 0.3:  # the centre itself changes (to the background or a colour)
            pattern[1, 1] = int(_choice(rng, [st.bg, *gi.palette(rng, st.bg, 1, avoid=[c])]))
        stamps.append((c, tuple(tuple(int(v) for v in row) for row in pattern)))

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        for c in centres:
            for _ in range(int(rng.integers(1, 4))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), c, margin=2)
        if others:
            gi.scatter(s, rng, int(rng.integers(0, 3)), others, st.obj_side, st.kinds)
        ok = all((s.grid == c).any() for c in centres) and gi.well_formed(s.grid, st.bg)
        return s.grid if ok else None

    prog = (Step("stamp_around", (tuple(stamps),)),)
    alts = paint_alternatives() + [(Step("halo", (c, sh, n)),) for c in centres
                                   for sh in HALO_SHAPES for n in range(10)]
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), alts)


# ---------------------------------------------------------------- fill


def _loop(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A closed ring (8-connected, so closed for 4-connected background) around a random blob."""
    inner = gi.sprite(rng, str(_choice(rng, ("blob", "rect", "sym", "plus"))), max(1, h - 2), max(1, w - 2))
    p = np.pad(inner, 1)
    return gi._dilate(p, 1) & ~p


def fill(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """fill_enclosed(c): background cells closed in by shapes (rings, frames; open frames as
    distractors); fill_bbox(c): background inside each object's bounding box."""
    kind = "fill_enclosed" if rng.random() < 0.7 else "fill_bbox"
    st = gi.make_style(rng, ctx.lo(5), _sizes(rng, ctx), n_colors=(1, 3), n_obj=(1, 5),
                       obj_side=int(rng.integers(3, 8)), noise=0.04 if kind == "fill_enclosed" else 0.0)
    color = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or st.colors))
    st.noise_colors = [c for c in st.noise_colors if c != color]
    p_open = rng.uniform(0.0, 0.4)

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(st.n_obj[0], st.n_obj[1] + 1))
        for _ in range(n):
            oh, ow = int(rng.integers(3, st.obj_side + 1)), int(rng.integers(3, st.obj_side + 1))
            if kind == "fill_enclosed":
                m = gi.sprite(rng, "frame", oh, ow) if rng.random() < 0.5 else _loop(rng, oh, ow)
                if rng.random() < p_open:  # a gap: stays unfilled
                    rows, cols = np.nonzero(m)
                    i = int(rng.integers(0, len(rows)))
                    m = m.copy()
                    m[rows[i], cols[i]] = False
            else:
                m = gi.random_sprite(rng, oh, ow, ("ell", "tee", "plus", "diag", "blob", "frame"), 2)
            gi.put(s, rng, m, int(_choice(rng, st.colors)))
        if st.noise:
            gi.noise(s, rng, st.noise, st.noise_colors or st.colors)
        return s.grid if gi.well_formed(s.grid, st.bg) else None

    prog = (Step(kind, (color,)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), paint_alternatives())


# ---------------------------------------------------------------- rays and connect


def ray_alternatives(link: int | None = None):
    """Every ray and lines_through colour x direction, every connect (connect_with in the
    task's joining colour)."""
    alts = [(Step("ray", (c, d)),) for c in range(10) for d in RAY_DIRECTIONS]
    alts += [(Step("lines_through", (c, d)),) for c in range(10) for d in ("h", "v", "hv")]
    alts += [(Step("connect", (d,)),) for d in ("h", "v", "hv")]
    return alts + [(Step("connect_with", (d, link)),) for d in ("h", "v", "hv") if link is not None]


def rays(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """ray(c, dir): lines from every cell of colour c until something or the border;
    connect(dir): same-colour cells of a row/column joined across background."""
    kind = str(rng.choice(["ray", "connect", "lines_through", "connect_with"], p=[0.5, 0.2, 0.15, 0.15]))
    st = gi.make_style(rng, ctx.lo(5), _sizes(rng, ctx), n_colors=(2, 4), n_obj=(1, 5),
                       obj_side=int(rng.integers(1, 4)))
    if kind in ("ray", "lines_through"):
        src = st.colors[0]
        direction = str(_choice(rng, tuple(RAY_DIRECTIONS) if kind == "ray" else ("h", "v", "hv")))
        others = st.colors[1:]
        most = int(rng.integers(1, 5))  # sources per input
        walls = rng.random() < 0.3  # full lines that stop the rays

        def new_input(rng):
            h, w = st.shape(rng)
            s = gi.new_scene(h, w, st.bg)
            for _ in range(int(rng.integers(1, most + 1))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), src, margin=1)
            if others:
                if walls:
                    gi.full_lines(s, rng, int(rng.integers(0, 3)), others)
                gi.scatter(s, rng, int(rng.integers(0, st.n_obj[1] + 1)), others, st.obj_side + 1,
                           ("rect", "line", "blob"))
            return s.grid if (s.grid == src).any() and gi.well_formed(s.grid, st.bg) else None

        prog = (Step(kind, (src, direction)),)
    else:
        direction = str(_choice(rng, ("h", "v", "hv")))
        link = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or st.colors))

        def new_input(rng):
            h, w = st.shape(rng)
            s = gi.new_scene(h, w, st.bg)
            for _ in range(int(rng.integers(1, 5))):  # pairs of same-colour pixels in a line
                c = int(_choice(rng, st.colors))
                r0, c0 = int(rng.integers(0, h)), int(rng.integers(0, w))
                d = direction if direction != "hv" else str(_choice(rng, ("h", "v")))
                r1, c1 = (r0, int(rng.integers(0, w))) if d == "h" else (int(rng.integers(0, h)), c0)
                if abs(r1 - r0) + abs(c1 - c0) < 2:
                    continue
                if s.grid[r0, c0] == st.bg and s.grid[r1, c1] == st.bg:
                    s.grid[r0, c0] = s.grid[r1, c1] = c
            for _ in range(int(rng.integers(0, 3))):  # loners
                r0, c0 = int(rng.integers(0, h)), int(rng.integers(0, w))
                if s.grid[r0, c0] == st.bg:
                    s.grid[r0, c0] = int(_choice(rng, st.colors))
            return s.grid if gi.well_formed(s.grid, st.bg) else None

        prog = (Step("connect", (direction,)),) if kind == "connect" else \
            (Step("connect_with", (direction, link)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), ray_alternatives(
        prog[0].args[-1] if kind == "connect_with" else None))


# ---------------------------------------------------------------- gravity


def gravity_alternatives():
    alts = [(Step(op, (d,)),) for op in ("gravity", "gravity_objects") for d in DIRECTIONS]
    alts += [(Step("shift", (dy, dx)),) for dy in range(-4, 5) for dx in range(-4, 5) if dy or dx]
    return alts + [(Step("move_until_contact", (c, d)),) for c in range(10) for d in (*DIRECTIONS, "toward")]


def gravity(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """gravity(dir): cells fall line by line; gravity_objects(dir): objects fall rigidly;
    move_until_contact(c, dir): the cells of c move together until they touch something;
    shift(dy, dx): everything moves by a fixed step."""
    kind = rng.choice(["gravity", "gravity_objects", "move_until_contact", "shift"], p=[0.3, 0.3, 0.25, 0.15])
    direction = str(_choice(rng, DIRECTIONS))
    st = gi.make_style(rng, ctx.lo(4), _sizes(rng, ctx), n_colors=(1, 4), n_obj=(1, 6),
                       obj_side=int(rng.integers(1, 4)))
    if kind == "gravity":
        dense = rng.uniform(0.08, 0.3)

        def new_input(rng):
            h, w = st.shape(rng)
            return gi.pattern(rng, h, w, st.bg, st.colors, dense)

        prog = (Step("gravity", (direction,)),)
    elif kind == "gravity_objects":
        def new_input(rng):
            s = gi.object_scene(rng, st)
            return None if s is None else s.grid

        prog = (Step("gravity_objects", (direction,)),)
    elif kind == "shift":  # everything moves by a fixed step and stays inside
        dy, dx = int(rng.integers(-3, 4)), int(rng.integers(-3, 4))
        if dy == dx == 0:
            dy = 1

        def new_input(rng):
            s = gi.object_scene(rng, st)
            return None if s is None else s.grid

        def check(inp, out):
            return None if (out != st.bg).sum() == (inp != st.bg).sum() else "a cell moved out"

        prog = (Step("shift", (dy, dx)),)
        return ctx.draft(prog, ctx.collect(rng, prog, new_input, check), gravity_alternatives(), check)
    else:
        mover = st.colors[0]
        rest = st.colors[1:] or gi.palette(rng, st.bg, 1, avoid=[mover])
        wall = rng.random() < 0.4

        def new_input(rng):
            h, w = st.shape(rng)
            s = gi.new_scene(h, w, st.bg)
            if wall:  # a full line on the far side
                g = np.rot90(s.grid, {"down": 0, "right": -1, "up": 2, "left": 1}[direction])
                g[-1, :] = rest[0]
            else:
                gi.scatter(s, rng, int(rng.integers(1, 4)), rest, st.obj_side + 2, ("rect", "blob", "line"))
            m = gi.random_sprite(rng, st.obj_side + 1, st.obj_side + 1, ("rect", "blob", "plus", "ell"))
            s.taken |= s.grid != st.bg
            if gi.put(s, rng, m, mover, margin=1) is None:
                return None
            return s.grid if gi.well_formed(s.grid, st.bg) else None

        toward = not wall and rng.random() < 0.3  # the nearest direction where it meets a shape
        prog = (Step("move_until_contact", (mover, "toward" if toward else direction)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), gravity_alternatives())
