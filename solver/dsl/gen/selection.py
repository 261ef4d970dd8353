"""Families over objects: select objects by a property and keep, remove or recolour them;
recolour every object by a property's value; stamp a template on marker cells."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step
from solver.dsl.gen.geometry import _choice, selector_scene
from solver.dsl.objects import SELECTORS, find_objects, prop, select

# ---------------------------------------------------------------- keep / remove / recolour


OBJECT_WEIGHTS = {  # how often each selector is the task's; ARC favours size, colour, holes, noise
    "largest": 3, "smallest": 2, "tallest": 1, "widest": 1, "most_colors": 1, "unique_color": 2,
    "unique_shape": 1, "common_shape": 1, "touches_border": 2, "inner": 2, "has_hole": 2,
    "no_hole": 1, "rectangle": 2, "not_rectangle": 1, "single": 3, "not_single": 2,
    "symmetric": 1, "asymmetric": 1, "top": 1, "bottom": 1, "left": 1, "right": 1,
    "most_minor": 1,
}


def object_alternatives(op: str, which: str, color: int | None, conn: int, mc: bool):
    """Every selector with the task's connectivity and colour mode, for keeping, removing (or
    recolouring), and the task's selector under the other three modes."""
    def step(o, w, cn, m):
        return Step(o, (w, color, cn, m) if o == "recolor_objects" else (w, cn, m))

    ops = ("recolor_objects",) if op == "recolor_objects" else ("keep_objects", "remove_objects")
    alts = [(step(o, w, conn, mc),) for o in ops for w in SELECTORS]
    alts += [(step(op, which, cn, m),) for cn in (4, 8) for m in (False, True) if (cn, m) != (conn, mc)]
    return alts


def objects(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """keep_objects / remove_objects / recolor_objects with a selector (largest, single,
    has_hole, touches_border, unique_color, ...): the picked objects are some but not all."""
    ws = np.array([OBJECT_WEIGHTS[s] for s in SELECTORS], dtype=float)
    which = str(SELECTORS[int(rng.choice(len(SELECTORS), p=ws / ws.sum()))])
    op = str(rng.choice(["keep_objects", "remove_objects", "recolor_objects"], p=[0.35, 0.3, 0.35]))
    conn = 8 if rng.random() < 0.75 else 4
    mc = which in ("most_colors", "most_minor") or rng.random() < 0.1
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 4), n_obj=(2, 6),
                       obj_side=int(rng.integers(2, 6)), multicolor=0.3 if mc else 0.0)
    if which in ("single", "not_single"):  # denoising: noise pixels are the single ones
        st.noise = float(rng.uniform(0.02, 0.08))
        st.noise_colors = st.colors if rng.random() < 0.5 else gi.palette(rng, st.bg, 1, avoid=st.colors)
        st.kinds = tuple(k for k in gi.SHAPES if k != "line")
    color = None
    if op == "recolor_objects":
        color = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or gi.colors_for(st.bg)))

    def new_input(rng):
        s = selector_scene(rng, st, which)
        if s is None:
            return None
        objs = find_objects(s.grid, conn, mc)
        picked = select(objs, which)
        if not 0 < len(picked) < len(objs):
            return "selector picks none or all"
        return s.grid

    args = (which, color, conn, mc) if color is not None else (which, conn, mc)
    prog = (Step(op, args),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), object_alternatives(op, which, color, conn, mc))


# ---------------------------------------------------------------- recolour by a property


BY_PROPS = ("size", "size_rank", "size_rank_asc", "height", "width", "holes", "rectangle",
            "shape_count", "symmetric", "border")
FIT_PROPS = ("size", "size_rank", "size_rank_asc", "height", "width", "holes", "border",
             "rectangle", "shape_count", "symmetric")


def fit_recolor_by(name: str, conn: int, inputs, outputs) -> tuple | None:
    """The value->colour table that recolor_by(name) would need on these pairs, or None."""
    table: dict[int, int] = {}
    kept: set[int] = set()
    for inp, out in zip(inputs, outputs):
        if inp.shape != out.shape:
            return None
        objs = find_objects(inp, conn, False)
        for o in objs:
            got = out[o.rows, o.cols]
            c = int(got[0])
            if (got != c).any():
                return None
            v = prop(o, name, objs)
            if c != o.color:
                if v in kept or table.get(v, c) != c:
                    return None
                table[v] = c
            else:
                if v in table and table[v] != c:
                    return None
                kept.add(v)
    return tuple(sorted(table.items())) if table else None


def _by_sprite(rng: np.random.Generator, name: str, v: int, side_: int) -> np.ndarray | None:
    """A mask whose property ``name`` is ``v`` on its own (ranks and counts come from the scene)."""
    if name == "size":
        for _ in range(10):
            m = gi.crop_mask(gi._grow(rng, min(v, 4), min(v, 4), v))
            if m.sum() == v:
                return m
        return None
    if name in ("height", "width"):
        other = int(rng.integers(1, 4))
        h, w = (v, other) if name == "height" else (other, v)
        return np.ones((h, w), dtype=bool)
    if name == "holes":
        if v == 0:
            return gi.random_sprite(rng, side_, side_, ("rect", "blob", "ell", "tee", "plus"))
        m = np.ones((3, 2 * v + 1), dtype=bool)
        m[1, 1::2] = False
        return m if rng.random() < 0.5 else m.T.copy()
    if name == "rectangle":
        return gi.sprite(rng, "rect", int(rng.integers(1, side_ + 1)), int(rng.integers(1, side_ + 1))) if v \
            else gi.random_sprite(rng, side_, side_, ("ell", "tee", "plus"), 2)
    if name == "symmetric":
        return gi.sprite(rng, "sym", int(rng.integers(2, side_ + 1)), int(rng.integers(2, side_ + 1))) if v \
            else gi.sprite(rng, str(_choice(rng, ("ell", "diag"))), int(rng.integers(2, side_ + 1)),
                           int(rng.integers(3, side_ + 2)))
    return gi.random_sprite(rng, side_, side_, gi.SHAPES)


def recolor_by(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """recolor_by(property, table): every object of the source colour(s) gets the colour its
    property's value maps to (size, size rank, height, width, holes, rectangle, shape count,
    symmetric, touches the border)."""
    name = str(_choice(rng, BY_PROPS))
    conn = 8 if rng.random() < 0.8 else 4
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 2), n_obj=(2, 6), obj_side=int(rng.integers(2, 5)))
    if name in ("size", "height", "width"):
        values = sorted(int(v) for v in rng.choice(np.arange(1, 6), size=int(rng.integers(2, 4)), replace=False))
    elif name in ("size_rank", "size_rank_asc"):
        values = list(range(1, int(rng.integers(2, 4)) + 1))
    elif name == "holes":
        values = [0, 1] if rng.random() < 0.6 else [0, 1, 2]
    elif name == "shape_count":
        values = [1, 2] if rng.random() < 0.6 else [1, 2, 3]
    else:
        values = [0, 1]
    targets = gi.palette(rng, st.bg, len(values), avoid=st.colors)
    table = {v: c for v, c in zip(values, targets)}
    if name in ("rectangle", "symmetric", "border", "holes") and rng.random() < 0.4:
        table.pop(values[0])  # one kind keeps its colour: only the others are recoloured
    if not table:
        table = {values[-1]: targets[-1]}

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(max(2, len(values)), max(3, st.n_obj[1]) + 1))
        if name in ("size_rank", "size_rank_asc"):
            sizes = sorted(int(x) for x in rng.choice(np.arange(1, 10), size=len(values), replace=False))
            want = [sizes[i % len(sizes)] for i in range(len(values))]
            masks = [_by_sprite(rng, "size", v, 0) for v in want]
        elif name == "shape_count":
            masks = []
            shapes = [gi.random_sprite(rng, 3, 3, gi.SHAPES) for _ in values]
            for k, m in zip(values, shapes):
                masks += [m] * k
        elif name == "border":
            masks = [gi.random_sprite(rng, st.obj_side, st.obj_side, gi.SHAPES) for _ in range(n)]
        else:
            vs = list(values) + [values[int(rng.integers(0, len(values)))] for _ in range(n - len(values))]
            masks = [_by_sprite(rng, name, v, st.obj_side) for v in vs]
        if any(m is None for m in masks):
            return None
        for i in rng.permutation(len(masks)):
            if name == "border" and rng.random() < 0.5:
                m = masks[i]
                edge = int(rng.integers(0, 4))
                t = 0 if edge == 0 else h - m.shape[0] if edge == 1 else int(rng.integers(0, max(1, h - m.shape[0] + 1)))
                l = 0 if edge == 2 else w - m.shape[1] if edge == 3 else int(rng.integers(0, max(1, w - m.shape[1] + 1)))
                gi.put(s, rng, m, int(_choice(rng, st.colors)), at=(t, l))
            else:
                gi.put(s, rng, masks[i], int(_choice(rng, st.colors)))
        if not gi.well_formed(s.grid, st.bg):
            return None
        objs = find_objects(s.grid, conn, False)
        got = {prop(o, name, objs) for o in objs}
        if not got <= set(values) or len(got) < 2:
            return "object values outside the table"
        return s.grid

    def check_task(inputs, outputs, n_train):
        seen = [set() for _ in inputs]
        for i, g in enumerate(inputs):
            objs = find_objects(g, conn, False)
            seen[i] = {prop(o, name, objs) for o in objs}
        if not set().union(*seen[n_train:]) <= set().union(*seen[:n_train]):
            return "a test value is not in the train pairs"
        return None

    prog = (Step("recolor_by", (name, tuple(sorted(table.items())), conn)),)
    inputs = ctx.collect(rng, prog, new_input)

    return ctx.draft(prog, inputs, recolor_by_alternatives, check_task=check_task)


def recolor_by_alternatives(all_inputs, train_outputs):
    """Tables fitted on the train pairs, for every property; a table competes only when it
    has a colour for every test object's value (a partial table is no answer)."""
    k = len(train_outputs)
    for nm in FIT_PROPS:
        for cn in (4, 8):
            t = fit_recolor_by(nm, cn, all_inputs[:k], train_outputs)
            if t is None:
                continue
            keys = {v for v, _ in t}
            covered = True
            for g in all_inputs[k:]:
                objs = find_objects(g, cn, False)
                if any(prop(o, nm, objs) not in keys for o in objs):
                    covered = False
                    break
            if covered:
                yield (Step("recolor_by", (nm, t, cn)),)


# ---------------------------------------------------------------- stamp a template


def stamp(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """stamp_template(marker): the largest non-marker object is copied centred on every
    marker cell."""
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(7), hi, n_colors=(2, 4), p_fixed=0.4)
    marker = st.colors[0]
    tcols = st.colors[1:]
    th, tw = int(_choice(rng, (3, 3, 3, 5, 1))), int(_choice(rng, (3, 3, 3, 5, 1)))
    if th == tw == 1:
        th = 3
    fixed_template = rng.random() < 0.5  # the same template in every pair, or a new one
    kinds = ("rect", "plus", "sym", "blob", "frame")

    def template(rng):
        m = gi.sprite(rng, str(_choice(rng, kinds)), th, tw)
        if m.shape != (th, tw) or m.sum() < 3:
            return None
        col = np.array(tcols)[rng.integers(0, len(tcols), size=m.shape)]
        return m, col

    shared = template(rng) if fixed_template else None

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        t = shared or template(rng)
        if t is None:
            return None
        m, col = t
        if gi.put(s, rng, m, col, margin=1) is None:
            return None
        n = int(rng.integers(1, 5))
        halo = np.zeros((th, tw), dtype=bool)
        placed = 0
        for _ in range(n):  # each marker with room for its copy around it
            p = gi.put(s, rng, ~halo, marker, margin=1, draw=False)
            if p is None:
                continue
            s.grid[p.top + th // 2, p.left + tw // 2] = marker
            placed += 1
        return s.grid if placed and gi.well_formed(s.grid, st.bg) else None

    prog = (Step("stamp_template", (marker,)),)
    alts = [(Step("stamp_template", (c,)),) for c in range(10)]
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), alts)
