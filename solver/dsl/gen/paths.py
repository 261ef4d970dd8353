"""``lines2``: lines that depend on where they go or what they meet: a single diagonal ray
(``ul``, ``ur``, ``dl``, ``dr``; sometimes two colours, each its own diagonal), ``ray_to``
(axis lines drawn only when they end on a shape) and ``path_l`` (an elbow path from each
cell of one colour to the nearest cell of another)."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step
from solver.dsl.gen.geometry import _choice
from solver.dsl.ops import RAY_DIRECTIONS, bg_of, ray

DIAGONALS = ("ul", "ur", "dl", "dr")
ORDERS = ("hv", "vh")


def _colors(grids) -> list[int]:
    return sorted({int(v) for g in grids for v in np.unique(g)})


def _fg_colors(grids) -> list[int]:
    """The colours the grids show, but their backgrounds (a line from every background
    cell is no rival)."""
    bgs = {bg_of(g) for g in grids}
    return [c for c in _colors(grids) if c not in bgs]


def line_alternatives(all_inputs, train_outputs):
    """Every ray (colour x direction), ray_to (colour x paint), path_l (start x end x paint
    x order), lines_through and connect / connect_with over the colours the task shows;
    paints only from the train outputs' colours (another paint never fits)."""
    seen = _fg_colors(all_inputs)
    paints = _colors(train_outputs)
    for c in seen:
        for d in RAY_DIRECTIONS:
            yield (Step("ray", (c, d)),)
        for p in paints:
            yield (Step("ray_to", (c, p)),)
        for d in ("h", "v", "hv"):
            yield (Step("lines_through", (c, d)),)
    for d in ("h", "v", "hv"):
        yield (Step("connect", (d,)),)
        for p in paints:
            yield (Step("connect_with", (d, p)),)
    for s in seen:
        for e in seen:
            if s != e:
                for p in paints:
                    for o in ORDERS:
                        yield (Step("path_l", (s, e, p, o)),)


def lines2(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """ray(c, ul|ur|dl|dr): one diagonal from every cell of c (sometimes a second colour with
    its own diagonal); ray_to(c, paint): from every cell of c, axis lines drawn only when
    they end on a shape; path_l(start, end, paint, order): an elbow path from each start
    cell to the nearest end cell."""
    kind = str(rng.choice(["diag", "ray_to", "path_l"], p=[0.35, 0.35, 0.3]))
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(2, 4), n_obj=(0, 3),
                       obj_side=int(rng.integers(1, 4)))
    if kind == "diag":
        return _diag(rng, ctx, st)
    if kind == "ray_to":
        return _ray_to(rng, ctx, st)
    return _path_l(rng, ctx, st)


def _diag(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> Draft:
    two = len(st.colors) >= 3 and rng.random() < 0.35
    srcs = st.colors[:2] if two else st.colors[:1]
    dirs = [str(d) for d in rng.permutation(DIAGONALS)[:len(srcs)]]
    others = [c for c in st.colors if c not in srcs]
    blocks = rng.random() < 0.3  # sources are small squares (each cell shoots its ray)
    most = int(rng.integers(1, 4))

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        for c in srcs:
            for _ in range(int(rng.integers(1, most + 1))):
                k = int(rng.integers(1, 3)) if blocks else 1
                gi.put(s, rng, np.ones((k, k), dtype=bool), c, margin=1)
        if others:
            gi.scatter(s, rng, int(rng.integers(0, st.n_obj[1] + 1)), others, st.obj_side + 1,
                       ("rect", "line", "blob"))
        ok = all((s.grid == c).any() for c in srcs) and gi.well_formed(s.grid, st.bg)
        return s.grid if ok else None

    prog = tuple(Step("ray", (c, d)) for c, d in zip(srcs, dirs))

    def check(inp, out):  # each ray draws something on every pair
        img = inp
        for step in prog:
            nxt = ray(img, *step.args)
            if (nxt == img).all():
                return "a ray draws nothing"
            img = nxt
        return None

    inputs = ctx.collect(rng, prog, new_input, check)

    def rivals(all_inputs, train_outputs):
        singles = [alt[0] for alt in line_alternatives(all_inputs, train_outputs)]
        if len(prog) == 1:
            yield from ((s,) for s in singles)
            return
        rays = [s for s in singles if s.op == "ray"]
        for i in range(len(prog)):
            for s in rays:
                yield prog[:i] + (s,) + prog[i + 1:]
        yield prog[::-1]

    return ctx.draft(prog, inputs, rivals, check)


def _ray_to(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> Draft:
    src = st.colors[0]
    targets = st.colors[1:]
    paint = src if rng.random() < 0.5 else int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors)
                                                      or [src]))
    walls = rng.random() < 0.25  # full lines are targets too

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        if walls:
            gi.full_lines(s, rng, int(rng.integers(1, 3)), targets)
        n_t = int(rng.integers(1, 4))
        for _ in range(n_t):
            th, tw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
            gi.put(s, rng, gi.sprite(rng, str(_choice(rng, ("rect", "rect", "blob"))), th, tw),
                   int(_choice(rng, targets)), margin=1)
        placed = [p for p in s.objects]
        for _ in range(int(rng.integers(2, 6))):
            at = None
            if placed and rng.random() < 0.6:  # aligned with a target, in its rows or columns
                p = placed[int(rng.integers(0, len(placed)))]
                ph, pw = p.mask.shape
                if rng.random() < 0.5:
                    r = p.top + int(rng.integers(0, ph))
                    at = (r, int(rng.integers(0, w)))
                else:
                    at = (int(rng.integers(0, h)), p.left + int(rng.integers(0, pw)))
            gi.put(s, rng, np.ones((1, 1), dtype=bool), src, margin=1, at=at)
        if not (s.grid == src).any() or not gi.well_formed(s.grid, st.bg):
            return None
        return s.grid

    def check(inp, out):  # some ray runs to the border (ray_to is not ray(c, 'hv') there)
        if ((ray(inp, src, "hv") != inp) == (out != inp)).all():
            return "every ray ends on a shape"
        return None

    prog = (Step("ray_to", (src, paint)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input, check), line_alternatives, check)


def _path_l(rng: np.random.Generator, ctx: Ctx, st: gi.Style) -> Draft:
    start, end = st.colors[0], st.colors[1]
    others = st.colors[2:]
    paint = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or [start]))
    order = str(_choice(rng, ORDERS))

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        k = int(rng.integers(1, 4))
        for _ in range(k):
            a = gi.put(s, rng, np.ones((1, 1), dtype=bool), start, margin=1)
            b = gi.put(s, rng, np.ones((1, 1), dtype=bool), end, margin=1)
            if a is None or b is None:
                return None
        if others and rng.random() < 0.4:
            gi.scatter(s, rng, int(rng.integers(1, 3)), others, 2, ("rect", "blob"))
        if not gi.well_formed(s.grid, st.bg):
            return None
        ends = np.argwhere(s.grid == end)
        bent = False
        for r, c in np.argwhere(s.grid == start):
            d = np.abs(ends - (r, c)).sum(axis=1)
            if (d == d.min()).sum() > 1:
                return "a start has two nearest ends"
            ey, ex = ends[int(d.argmin())]
            bent |= bool(ey != r and ex != c)
        return s.grid if bent else "no path bends"

    prog = (Step("path_l", (start, end, paint, order)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), line_alternatives)
