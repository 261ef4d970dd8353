"""``denoise``: noise removed. ``stripes`` restores a grid of one-colour rows (or columns)
sprinkled with other colours; ``heal`` gives each cell of a noise colour the most common
other colour around it (solid shapes and a background sprinkled with that colour)."""

from __future__ import annotations

import numpy as np

from solver.dsl.denoise import heal, stripes
from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step
from solver.dsl.gen.geometry import _choice


def denoise_alternatives(all_inputs, train_outputs):
    """stripes either way; heal, remove_color, keep_color in every colour the inputs show,
    and recolouring one of them into another; removing the single cells."""
    seen = sorted({int(v) for g in all_inputs for v in np.unique(g)})
    alts = [(Step("stripes", (a,)),) for a in ("rows", "cols")]
    for c in seen:
        alts += [(Step("heal", (c,)),), (Step("remove_color", (c,)),), (Step("keep_color", (c,)),)]
        alts += [(Step("recolor", (c, x)),) for x in seen if x != c]
    alts += [(Step("remove_objects", ("single", conn, False)),) for conn in (4, 8)]
    return alts


def denoise(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """stripes(axis): one-colour rows or columns with noise of other colours; heal(c):
    solid shapes on a background, both sprinkled with cells of a noise colour c."""
    if rng.random() < 0.4:
        return _stripes(rng, ctx)
    return _heal(rng, ctx)


def _stripes(rng: np.random.Generator, ctx: Ctx) -> Draft:
    axis = str(_choice(rng, ("rows", "cols")))
    hi = ctx.hi(int(rng.choice([8, 12, 16, 22], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(4), hi, n_colors=(2, 4), p_black=0.6)
    colors = [st.bg, *st.colors]
    noise_c = gi.palette(rng, st.bg, 2, avoid=st.colors) or st.colors
    density = rng.uniform(0.05, 0.25)
    bands = rng.random() < 0.5  # stripes several lines wide

    def new_input(rng):
        h, w = st.shape(rng)
        n = h if axis == "rows" else w
        line = []
        while len(line) < n:
            c = int(_choice(rng, colors))
            line += [c] * (int(rng.integers(1, 4)) if bands else 1)
        line = np.array(line[:n], dtype=gi.DTYPE)
        clean = np.repeat(line[:, None], w, axis=1) if axis == "rows" else np.repeat(line[None, :], h, axis=0)
        if len(np.unique(clean)) < 2:
            return None
        g = clean.copy()
        spots = rng.random((h, w)) < density
        g[spots] = np.array(noise_c + st.colors, dtype=gi.DTYPE)[rng.integers(0, len(noise_c) + len(st.colors),
                                                                                size=int(spots.sum()))]
        if st.bg != 0 and (g == 0).any():
            return None
        return g if np.array_equal(stripes(g, axis), clean) else "noise wins a line"

    prog = (Step("stripes", (axis,)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), denoise_alternatives)


def _heal(rng: np.random.Generator, ctx: Ctx) -> Draft:
    hi = ctx.hi(int(rng.choice([10, 14, 18, 24], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 3), n_obj=(1, 4), obj_side=int(rng.integers(4, 9)))
    noise_c = int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or st.colors))
    density = rng.uniform(0.04, 0.15)
    dense = rng.random() < 0.3  # shapes cover most of the grid (a mosaic of blocks)

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(st.n_obj[0], st.n_obj[1] + 1)) * (3 if dense else 1)
        for _ in range(n):
            m = gi.sprite(rng, "rect", int(rng.integers(3, st.obj_side + 1)), int(rng.integers(3, st.obj_side + 1)))
            gi.put(s, rng, m, int(_choice(rng, st.colors)), margin=0 if dense else 1)
        if not s.objects:
            return None
        clean = s.grid.copy()
        g = clean.copy()
        spots = (rng.random((h, w)) < density)
        g[spots] = noise_c
        for _ in range(3):  # noise that would heal to another colour (in a clump, on a
            if not (g == noise_c).any():  # shape's corner) is taken back
                return None
            wrong = heal(g, noise_c) != clean
            if not wrong.any():
                break
            g[wrong] = clean[wrong]
        if not gi.well_formed(g, st.bg):
            return None
        return g if np.array_equal(heal(g, noise_c), clean) else "noise not healed back"

    prog = (Step("heal", (noise_c,)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), denoise_alternatives)
