"""The colour family: recolour one colour (fixed, or read from the input), swap two, map
several at once, keep or remove one colour."""

from __future__ import annotations

import numpy as np

from solver.dsl import PRIMITIVES
from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Reader, Step
from solver.dsl.gen.geometry import _choice

COLOR_READERS = ("most_common_fg_color", "least_common_color", "largest_object_color",
                 "smallest_object_color")


def _mapping(m: dict[int, int]) -> tuple:
    return tuple(sorted((int(k), int(v)) for k, v in m.items()))


def _as_map(step: Step) -> dict[int, int] | None:
    """The literal colour table of a recolor/swap/map step, or None (a reader argument)."""
    if step.op == "recolor" and not isinstance(step.args[0], Reader):
        return {step.args[0]: step.args[1]}
    if step.op == "swap_colors":
        a, b = step.args
        return {a: b, b: a}
    if step.op == "map_colors":
        return dict(step.args[0])
    return None


def color_alternatives(step: Step, colors_seen: set[int]):
    """Other colour programs: the table plus one more entry or less one, swaps, readers,
    keep/remove one colour."""
    alts = []
    table = _as_map(step)
    if table is not None:
        for c in colors_seen - set(table):
            for x in range(10):
                if x != c:
                    alts.append((Step("map_colors", (_mapping({**table, c: x}),)),))
        for k in table:
            rest = {a: b for a, b in table.items() if a != k}
            if rest:
                alts.append((Step("map_colors", (_mapping(rest),)),))
        for a, b in table.items():
            alts.append((Step("swap_colors", (a, b)),))
            alts.append((Step("map_colors", (_mapping({a: b}),)),))
    new = step.args[1] if step.op == "recolor" else None
    for r in COLOR_READERS:
        for x in ([new] if new is not None else range(10)):
            alts.append((Step("recolor", (Reader(r), x)),))
    for c in range(10):
        alts.append((Step("keep_color", (c,)),))
        alts.append((Step("remove_color", (c,)),))
    return alts


def color_map(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """recolor / swap_colors / map_colors / keep_color / remove_color on a scene in which
    every colour the program touches occurs in every input (readers pick one per input)."""
    kind = rng.choice(["recolor", "reader", "swap", "map", "keep", "remove"],
                      p=[0.25, 0.15, 0.15, 0.25, 0.1, 0.1])
    hi = ctx.hi(int(rng.choice([8, 12, 18, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(3), hi, n_colors=(2, 5), noise=0.05, multicolor=0.2,
                       n_obj=(2, 7), obj_side=int(rng.integers(2, 6)), lines=2 if rng.random() < 0.2 else 0)
    cols = st.colors
    need: list[int] = []
    reader = None
    if kind == "recolor":
        old = cols[0]
        new = int(_choice(rng, [c for c in [st.bg, *gi.colors_for(st.bg)] if c != old]))
        prog = (Step("recolor", (old, new)),)
        need = [old]
    elif kind == "reader":
        reader = str(_choice(rng, COLOR_READERS))
        new = int(_choice(rng, [c for c in gi.colors_for(st.bg) if c not in cols] or cols))
        prog = (Step("recolor", (Reader(reader), new)),)
        st.noise = 0.0
    elif kind == "swap":
        a, b = cols[0], cols[1]
        prog = (Step("swap_colors", (a, b)),)
        need = [a, b]
    elif kind == "map":
        k = int(rng.integers(2, min(4, len(cols)) + 1))
        src = cols[:k]
        dst = [int(_choice(rng, [c for c in gi.colors_for(st.bg) if c != s])) for s in src]
        if rng.random() < 0.4 and k >= 2:  # a permutation of the source colours
            dst = [int(c) for c in rng.permutation(src)]
            if all(a == b for a, b in zip(src, dst)):
                dst = src[1:] + src[:1]
        table = {s: d for s, d in zip(src, dst) if s != d}
        prog = (Step("map_colors", (_mapping(table),)),)
        need = list(table)
    else:
        c = cols[0]
        prog = (Step("keep_color" if kind == "keep" else "remove_color", (c,)),)
        need = [c]
        if kind == "keep" and len(cols) < 2:
            cols = cols + gi.palette(rng, st.bg, 1, avoid=cols)
            st.colors = cols

    dense = rng.random() < 0.25

    def new_input(rng):
        h, w = st.shape(rng)
        if dense or h * w < 36:  # small grids: dense patterns, as in ARC
            g = gi.pattern(rng, h, w, st.bg, cols, rng.uniform(0.3, 0.6))
            for c in need:  # every touched colour somewhere
                if g is not None and not (g == c).any():
                    g[int(rng.integers(0, h)), int(rng.integers(0, w))] = c
            g = g if g is not None and gi.well_formed(g, st.bg) else None
        else:
            s = gi.object_scene(rng, st, hw=(h, w), first=rng.permutation(need).tolist())
            g = None if s is None else s.grid
        if g is None:
            return None
        if any(not (g == c).any() for c in need):
            return "a touched colour is absent"
        if reader is not None and PRIMITIVES[reader](g) == st.bg:
            return "reader reads the background"
        return g

    inputs = ctx.collect(rng, prog, new_input)
    seen = set(int(v) for g in inputs for v in np.unique(g))
    return ctx.draft(prog, inputs, color_alternatives(prog[0], seen))
