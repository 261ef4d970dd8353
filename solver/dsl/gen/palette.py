"""``palette``: one rule in other colours on every pair, written for colour roles: the
input's colours renamed by how common they are (``norm_colors``), the rule on the roles,
the result renamed back (``unnorm_colors``)::

    def task(img):
        x = norm_colors(img)
        x = swap_colors(x, 1, 2)
        img = unnorm_colors(x, img)
        return img

Each pair has its own colours (their counts all differ, so the roles are clear), and the
train pairs do not all share one renaming (else the rule needs no roles)."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.colors import COLOR_READERS
from solver.dsl.gen.core import Ctx, Draft, Program, Reader, Step, Var
from solver.dsl.gen.geometry import _choice
from solver.dsl.ops import HALO_SHAPES
from solver.dsl.palette import color_order

RAY_DIRS = ("up", "down", "left", "right", "ul", "ur", "dl", "dr", "h", "v", "hv")


def by_roles(op: Step) -> Program:
    return (Step("norm_colors", (), out="x", src="img"),
            Step(op.op, op.args, out="x"),
            Step("unnorm_colors", (Var("img"),), out="img", src="x"))


def role_ops(k: int) -> list[Step]:
    """The rules on roles 1..k (the background 0): swaps, recolourings (to the background
    too), keep or remove one role, rays and halos from one role in another."""
    roles = range(1, k + 1)
    ops = [Step("swap_colors", (a, b)) for a in roles for b in roles if a < b]
    ops += [Step("recolor", (a, b)) for a in roles for b in range(0, k + 1) if a != b]
    ops += [Step(o, (a,)) for o in ("keep_color", "remove_color") for a in roles]
    ops += [Step("ray", (a, d)) for a in roles for d in RAY_DIRS]
    ops += [Step("halo", (a, s, b)) for a in roles for s in HALO_SHAPES for b in roles if a != b]
    return ops


def palette_alternatives(op: Step, k: int):
    """Every other rule on the roles; the colour rules with readers instead of roles."""
    alts = [by_roles(o) for o in role_ops(k) if o != op]
    readers = [Reader(r) for r in COLOR_READERS]
    alts += [(Step("recolor", (a, b)),) for a in readers for b in readers if a != b]
    alts += [(Step("recolor", (a, Reader("bg_color"))),) for a in readers]
    alts += [(Step(o, (a,)),) for o in ("keep_color", "remove_color") for a in readers]
    return alts


def palette(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """A colour rule (swap, recolour, keep, remove) or a drawing rule (ray, halo) on colour
    roles, every pair in colours of its own."""
    k = int(rng.integers(2, 4))
    kind = str(rng.choice(["swap", "recolor", "filter", "ray", "halo"], p=[0.3, 0.25, 0.15, 0.15, 0.15]))
    roles = [int(r) for r in rng.permutation(np.arange(1, k + 1))]
    if kind == "swap":
        op = Step("swap_colors", tuple(sorted(roles[:2])))
    elif kind == "recolor":
        op = Step("recolor", (roles[0], int(_choice(rng, [0, *roles[1:]]))))
    elif kind == "filter":
        op = Step(str(_choice(rng, ("keep_color", "remove_color"))), (roles[0],))
    elif kind == "ray":
        op = Step("ray", (k, str(_choice(rng, RAY_DIRS))))  # from the least common colour's cells
    else:
        op = Step("halo", (k, str(_choice(rng, tuple(HALO_SHAPES))), roles[0] if roles[0] != k else roles[1]))
    hi = ctx.hi(int(rng.choice([8, 12, 16, 22], p=[0.3, 0.35, 0.2, 0.15])))
    bg = gi.pick_bg(rng, 0.85)
    st = gi.make_style(rng, ctx.lo(5), hi, bg=bg, n_colors=(k, k), n_obj=(k, k + 3),
                       obj_side=int(rng.integers(2, 5)))
    dots = kind in ("ray", "halo")

    def new_input(rng):
        cols = gi.palette(rng, bg, k)  # this pair's own colours
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, bg)
        if dots:  # the least common colour: a few single cells
            for _ in range(int(rng.integers(1, 3))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), cols[-1], margin=1)
            gi.scatter(s, rng, int(rng.integers(k, k + 3)), cols[:-1], st.obj_side, st.kinds,
                       first=cols[:-1], margin=1)
        else:
            gi.scatter(s, rng, int(rng.integers(k, k + 3)), cols, st.obj_side, st.kinds, first=cols, margin=1)
        g = s.grid
        if not gi.well_formed(g, bg):
            return None
        counts = np.bincount(g.ravel().astype(np.int64), minlength=10)
        fg = sorted((int(counts[c]) for c in range(10) if c != bg and counts[c]), reverse=True)
        if len(fg) != k or len(set(fg)) != k:
            return "colour counts tie"
        if dots and fg[-1] >= fg[-2]:
            return "colour counts tie"
        return g

    prog = by_roles(op)

    def check_task(inputs, outputs, n_train):
        orders = {tuple(color_order(g)[:k + 1]) for g in inputs[:n_train]}
        return "one renaming on every train pair" if len(orders) < 2 else None

    inputs = ctx.collect(rng, prog, new_input)
    return ctx.draft(prog, inputs, palette_alternatives(op, k), check_task=check_task)
