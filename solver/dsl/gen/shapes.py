"""``shapes``: objects changed by their shape. ``replace_shapes`` repaints every object of a
given shape (its bounding-box mask) with a patch (the shape recoloured, its box filled, a
new pattern over its box); ``map_objects`` flips, turns, hollows or fills every object in
place."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step
from solver.dsl.gen.geometry import _choice
from solver.dsl.gen.paint import paint_alternatives
from solver.dsl.objects import OBJECT_MAPS, find_objects
from solver.dsl.shapes import KEEP, OWN, shape_mask

KINDS = ("rect", "blob", "frame", "plus", "ell", "tee", "diag", "sym")


def _rows(a: np.ndarray) -> tuple:
    return tuple(tuple(int(v) for v in row) for row in a)


def shape_alternatives(table: tuple, conn: int, colors: list[int]):
    """The table with one entry left out; a patch's own-colour cells (-2) written as each
    colour the objects have, or its cells of one colour as -2; the other connectivity."""
    alts = [(Step("replace_shapes", (table, 12 - conn)),)]
    for i, (mask, patch) in enumerate(table):
        rest = table[:i] + table[i + 1:]
        if rest:
            alts.append((Step("replace_shapes", (rest, conn)),))
        p = np.array(patch)
        variants = [np.where(p == OWN, c, p) for c in colors if (p == OWN).any()]
        variants += [np.where(p == c, OWN, p) for c in colors if (p == c).any()]
        variants += [np.where(np.array(mask, dtype=bool) & (p == KEEP), OWN, p)]
        for v in variants:
            if not np.array_equal(v, p):
                new = table[:i] + ((mask, _rows(v)),) + table[i + 1:]
                alts.append((Step("replace_shapes", (new, conn)),))
    return alts


def shapes(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """replace_shapes(table, conn): one or two shapes, each with its patch, among other
    shapes that stay; map_objects(op, conn, multicolor): every object transformed in place."""
    if rng.random() < 0.4:
        return _map_objects(rng, ctx)
    return _replace(rng, ctx)


def _patch(rng: np.random.Generator, mask: np.ndarray, bg: int, avoid: list[int]) -> np.ndarray:
    new = int(_choice(rng, gi.palette(rng, bg, 1, avoid=avoid) or gi.colors_for(bg)))
    style = str(rng.choice(["recolor", "box", "pattern"], p=[0.35, 0.3, 0.35]))
    if style == "recolor":  # the shape in a new colour
        return np.where(mask, new, KEEP)
    if style == "box":  # the shape kept, the rest of its box filled
        return np.where(mask, OWN, new)
    for _ in range(10):  # a new pattern over the box: new colour, own colour, background, kept
        p = np.array([new, OWN, bg, KEEP])[rng.choice(4, size=mask.shape, p=[0.35, 0.2, 0.2, 0.25])]
        if (p == new).any():
            return p
    return np.where(mask, new, KEEP)


def _replace(rng: np.random.Generator, ctx: Ctx) -> Draft:
    hi = ctx.hi(int(rng.choice([10, 14, 18, 24], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 3), n_obj=(2, 6), obj_side=int(rng.integers(2, 4)))
    conn = 8 if rng.random() < 0.7 else 4
    keys: list[np.ndarray] = []
    for _ in range(int(rng.integers(1, 3))):
        for _ in range(10):
            m = gi.random_sprite(rng, st.obj_side + 1, st.obj_side + 1, KINDS, min_side=2)
            if m.sum() > 1 and not any(k.shape == m.shape and (k == m).all() for k in keys):
                keys.append(m)
                break
    table = tuple(sorted((_rows(k.astype(int)), _rows(_patch(rng, k, st.bg, st.colors))) for k in keys))
    key_set = {mask for mask, _ in table}

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(st.n_obj[0], st.n_obj[1] + 1))
        for i in range(n):
            if i < len(keys) or rng.random() < 0.4:
                m = keys[i % len(keys)] if i < len(keys) else keys[int(rng.integers(0, len(keys)))]
            else:
                m = gi.random_sprite(rng, st.obj_side + 1, st.obj_side + 1, KINDS)
            gi.put(s, rng, m, int(_choice(rng, st.colors)), margin=1)
        g = s.grid
        if not gi.well_formed(g, st.bg):
            return None
        objs = find_objects(g, conn, False)
        hit = sum(shape_mask(o) in key_set for o in objs)
        return g if 0 < hit < len(objs) else "shapes all or none in the table"

    prog = (Step("replace_shapes", (table, conn)),)
    inputs = ctx.collect(rng, prog, new_input)

    def check_task(inputs, outputs, n_train):
        shown = {shape_mask(o) for g in inputs[:n_train] for o in find_objects(g, conn, False)}
        return None if key_set <= shown else "a table entry is not shown"

    colors = sorted({int(v) for g in inputs for v in np.unique(g)})
    return ctx.draft(prog, inputs, shape_alternatives(table, conn, colors), check_task=check_task)


def map_alternatives():
    """Every map_objects op, connectivity and colour mode; whole-grid flips; paints."""
    alts = [(Step("map_objects", (op, conn, mc)),) for op in OBJECT_MAPS for conn in (4, 8)
            for mc in (False, True)]
    alts += [(Step(op),) for op in ("flip_lr", "flip_ud", "rot180")]
    return alts + paint_alternatives()


def _map_objects(rng: np.random.Generator, ctx: Ctx) -> Draft:
    op = str(_choice(rng, tuple(OBJECT_MAPS)))
    conn = 8 if rng.random() < 0.75 else 4
    mc = rng.random() < 0.3
    hi = ctx.hi(int(rng.choice([10, 14, 18, 24], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 3), n_obj=(1, 5), obj_side=int(rng.integers(3, 6)),
                       multicolor=0.6 if mc else 0.0)
    if op == "hollow":
        st.kinds = ("rect", "rect", "plus", "blob")
    elif op == "fill_holes":
        st.kinds = ("frame", "frame", "rect")
    elif op == "transpose":
        st.kinds = ("ell", "tee", "blob", "diag")
    else:
        st.kinds = ("ell", "tee", "blob", "diag", "sym")

    def new_input(rng):
        s = gi.object_scene(rng, st)
        return None if s is None else s.grid

    prog = (Step("map_objects", (op, conn, mc)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), map_alternatives())
