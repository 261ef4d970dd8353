"""``layers``: programs over two images (docs/DSL.md, Two images).

- A transformed copy of the input (a flip, a turn, a shift; sometimes recoloured) kept in
  ``p1`` and combined with the input: laid over it (``layer``), under it (``underlay``),
  or used as a mask (``mask_by``, ``mask_out``); sometimes two copies laid in turn::

      def task(img):
          p1 = flip_lr(img)
          img = layer(img, p1)
          return img

- The enumerator's stacks with a delta piece: an edit of the input kept as what it
  changed (``changes``), laid over another edit of the input::

      def task(img):
          p1 = ray(img, 3, 'down')
          p1 = changes(p1, img)
          img = recolor_objects(img, 'largest', 2, 8, False)
          img = layer(img, p1)
          return img

  Both edits are made on the input itself, so the result is not what either order of the
  two edits in a row gives; a draft whose pairs cannot tell it from one of those chains
  is dropped ("layers equal a chain"), one that shows both edits in every pair is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.compose import COMMON_SELECTORS
from solver.dsl.gen.core import Ctx, Draft, Drop, Program, Step, Var, run, same
from solver.dsl.gen.geometry import RIGID, _choice
from solver.dsl.objects import SELECTORS
from solver.dsl.ops import DIRECTIONS, HALO_SHAPES, bg_of
from solver.dsl.symmetry import SYMMETRIES

KEEP_SHAPE = ("flip_lr", "flip_ud", "rot180")  # transforms that keep any grid's shape
COMBINE = ("layer", "underlay", "mask_by", "mask_out")
SHIFTS = tuple((dy, dx) for dy in range(-3, 4) for dx in range(-3, 4) if dy or dx)


def copy_program(transforms: list[Step], combine: str, recolor: tuple[int, int] | None = None) -> Program:
    """``pK = T(img)`` (and ``pK = recolor(pK, a, b)``) a copy, then ``img = combine(img, pK)``
    a copy, in order."""
    lines: list[Step] = []
    for k, t in enumerate(transforms, 1):
        lines.append(Step(t.op, t.args, out=f"p{k}", src="img"))
        if recolor is not None:
            lines.append(Step("recolor", recolor, out=f"p{k}"))
    lines += [Step(combine, (Var(f"p{k}"),)) for k in range(1, len(transforms) + 1)]
    return tuple(lines)


def _transforms(square: bool) -> list[Step]:
    ops = RIGID if square else KEEP_SHAPE
    return [Step(o) for o in ops] + [Step("shift", s) for s in SHIFTS]


def copy_alternatives(transforms: list[Step], combine: str, recolor, square: bool):
    """Every transform (rigid ones that keep the shape, shifts up to 3) under every
    combination, for either copy; the copies in the other order; one copy alone;
    symmetrize of every kind."""
    alts: list[Program] = []
    pool = _transforms(square)
    for i in range(len(transforms)):
        for t in pool:
            for comb in (COMBINE if len(transforms) == 1 else (combine,)):
                ts = list(transforms)
                ts[i] = t
                alts.append(copy_program(ts, comb, recolor))
    if len(transforms) > 1:
        alts.append(copy_program(transforms[::-1], combine, recolor))
        alts += [copy_program([t], combine, recolor) for t in transforms]
    if recolor is not None:
        alts.append(copy_program(transforms, combine, None))
    alts += [(Step("symmetrize", (k,)),) for k in SYMMETRIES]
    return alts


def layers(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """A transformed copy combined with the input (laid over or under it, or as a mask;
    sometimes two copies), or a delta piece (what one edit of the input changed) laid over
    another edit of the input."""
    if rng.random() < 0.4:  # (about half the delta drafts are dropped as chains)
        return _copy(rng, ctx)
    return _delta(rng, ctx)


# ---------------------------------------------------------------- a transformed copy


def _copy(rng: np.random.Generator, ctx: Ctx) -> Draft:
    square = rng.random() < 0.4
    hi = ctx.hi(int(rng.choice([8, 12, 16, 22], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(4), hi, n_colors=(1, 3), n_obj=(1, 4), square=square,
                       obj_side=int(rng.integers(2, 5)), multicolor=0.2)
    two = rng.random() < 0.2
    combine = "layer" if two else str(rng.choice(COMBINE, p=[0.55, 0.2, 0.125, 0.125]))
    shift = not two and rng.random() < 0.2
    if shift:
        dy, dx = SHIFTS[int(rng.integers(0, len(SHIFTS)))]
        transforms = [Step("shift", (int(dy), int(dx)))]
    else:
        ops = RIGID if square else KEEP_SHAPE
        transforms = [Step(str(o)) for o in rng.permutation(ops)[:2 if two else 1]]
    recolor = None
    if combine in ("layer", "underlay") and rng.random() < 0.3:  # the copy in a colour of its own
        old = st.colors[0]
        recolor = (old, int(_choice(rng, gi.palette(rng, st.bg, 1, avoid=st.colors) or [old])))
        if recolor[1] == old:
            recolor = None
        st.multicolor = 0.0
    half = combine in ("layer", "underlay") and not shift and rng.random() < 0.5  # objects in one half:
    # the copy fills the other

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        if half:  # the other half (of the copy's first transform) reserved
            t = transforms[0].op
            s.taken[:, (w + 1) // 2:] = t in ("flip_lr", "rot90", "rot270", "rot180", "transpose")
            if t in ("flip_ud", "anti_transpose"):
                s.taken[(h + 1) // 2:, :] = True
        n = int(rng.integers(st.n_obj[0], st.n_obj[1] + 1))
        first = [recolor[0]] if recolor else []
        if gi.scatter(s, rng, n, st.colors, st.obj_side, st.kinds, st.multicolor, 1, first) == 0:
            return None
        g = s.grid
        if recolor and not (g == recolor[0]).any():
            return "a touched colour is absent"
        return g if gi.well_formed(g, st.bg) else None

    prog = copy_program(transforms, combine, recolor)

    def check(inp, out):
        if combine in ("mask_by", "mask_out") and (out == bg_of(out)).all():
            return "output empty"
        return None

    inputs = ctx.collect(rng, prog, new_input, check)
    return ctx.draft(prog, inputs, copy_alternatives(transforms, combine, recolor, square), check)


# ---------------------------------------------------------------- a delta piece over a base


@dataclass(frozen=True)
class Edit:
    """An edit of the input that keeps its shape: how to draw one, and its rivals."""

    op: str
    sample: Callable[[np.random.Generator, list[int], int], tuple]  # (rng, palette, bg) -> args
    space: Callable[[tuple, list[int]], list[tuple]]  # (args, colours seen) -> rivals' args
    additive: bool = True  # only adds or recolours cells (can be a delta piece)


def _new_color(rng, pal, bg):
    return int(_choice(rng, gi.palette(rng, bg, 1, avoid=pal) or gi.colors_for(bg)))


EDITS = (
    Edit("recolor_objects",
         lambda rng, pal, bg: (str(_choice(rng, COMMON_SELECTORS)), _new_color(rng, pal, bg), 8, False),
         lambda a, seen: [(w, a[1], 8, False) for w in SELECTORS]),
    Edit("outline_objects",
         lambda rng, pal, bg: (str(_choice(rng, COMMON_SELECTORS)), _new_color(rng, pal, bg), 8, False),
         lambda a, seen: [(w, a[1], 8, False) for w in SELECTORS]),
    Edit("ray",
         lambda rng, pal, bg: (pal[-1], str(_choice(rng, (*DIRECTIONS, "ul", "ur", "dl", "dr")))),
         lambda a, seen: [(c, d) for c in seen for d in (*DIRECTIONS, "ul", "ur", "dl", "dr", "h", "v",
                                                          "hv", "diag", "all")]),
    Edit("halo",
         lambda rng, pal, bg: (pal[-1], str(_choice(rng, tuple(HALO_SHAPES))), _new_color(rng, pal, bg)),
         lambda a, seen: [(c, s, a[2]) for c in seen for s in HALO_SHAPES]),
    Edit("fill_enclosed",
         lambda rng, pal, bg: (_new_color(rng, pal, bg),),
         lambda a, seen: [a]),
    Edit("remove_objects",
         lambda rng, pal, bg: (str(_choice(rng, COMMON_SELECTORS)), 8, False),
         lambda a, seen: [(w, 8, False) for w in SELECTORS], additive=False),
)
EDIT = {e.op: e for e in EDITS}
# (piece, base) pairs of edits that often meet (a ray stopped by what the other edit drew,
# an object recoloured or removed before a ray or an outline would see it); other pairs
# mostly give what a chain of the two gives, and are dropped
COMBOS = (("ray", "ray"), ("ray", "recolor_objects"), ("ray", "outline_objects"),
          ("ray", "remove_objects"), ("ray", "fill_enclosed"), ("halo", "ray"),
          ("halo", "outline_objects"), ("halo", "recolor_objects"), ("halo", "remove_objects"),
          ("recolor_objects", "ray"), ("recolor_objects", "halo"), ("recolor_objects", "remove_objects"),
          ("outline_objects", "ray"), ("outline_objects", "remove_objects"))


def delta_program(piece: Step, base: Step) -> Program:
    return (Step(piece.op, piece.args, out="p1", src="img"),
            Step("changes", (Var("img"),), out="p1"),
            base,
            Step("layer", (Var("p1"),)))


def _edits_show(piece: Step, base: Step) -> Callable[[np.ndarray, np.ndarray], str | None]:
    """Both edits change the input, and the result is neither edit alone."""
    def check(inp, out):
        a, b = run((piece,), inp), run((base,), inp)
        if a is None or b is None:
            return "an edit fails"
        if same(a, inp) or same(b, inp):
            return "an edit changes nothing"
        if same(out, a) or same(out, b):
            return "an edit does not show"
        return None
    return check


def _not_a_chain(piece: Step, base: Step):
    """Some train pair tells the stack from both chains of the two edits."""
    def check_task(inputs, outputs, n_train):
        for chain in ((piece, base), (base, piece)):
            if all(same(run(chain, i), o) for i, o in zip(inputs[:n_train], outputs[:n_train])):
                return "layers equal a chain"
        return None
    return check_task


def delta_alternatives(piece: Step, base: Step, seen: list[int]):
    """Either edit replaced by another of its kind (other selector, colour, direction),
    the two edits swapped (piece and base), the two chains, either edit alone."""
    alts: list[Program] = []
    for args in EDIT[piece.op].space(piece.args, seen):
        alts.append(delta_program(Step(piece.op, args), base))
    for args in EDIT[base.op].space(base.args, seen):
        alts.append(delta_program(piece, Step(base.op, args)))
    if EDIT[base.op].additive:
        alts.append(delta_program(base, piece))
    alts += [(piece, base), (base, piece), (piece,), (base,)]
    return alts


def _delta(rng: np.random.Generator, ctx: Ctx) -> Draft:
    hi = ctx.hi(int(rng.choice([10, 14, 18, 24], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(2, 4), n_obj=(2, 6),
                       obj_side=int(rng.integers(2, 5)))
    pal = [int(c) for c in rng.permutation(st.colors)]
    pe, be = (EDIT[o] for o in COMBOS[int(rng.integers(0, len(COMBOS)))])
    piece = Step(pe.op, pe.sample(rng, pal, st.bg))
    base = Step(be.op, be.sample(rng, pal[::-1], st.bg))
    if piece == base:
        raise Drop("the two edits are one")
    dot_colors = [a.args[0] for a in (piece, base) if a.op in ("ray", "halo")]
    frames = "fill_enclosed" in (piece.op, base.op)

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        for c in dot_colors:  # the cells rays and halos start from
            for _ in range(int(rng.integers(1, 4))):
                gi.put(s, rng, np.ones((1, 1), dtype=bool), c, margin=1)
        if frames:
            for _ in range(int(rng.integers(1, 3))):
                oh, ow = int(rng.integers(3, 6)), int(rng.integers(3, 6))
                gi.put(s, rng, gi.sprite(rng, "frame", oh, ow), int(_choice(rng, pal)), margin=1)
        others = [c for c in pal if c not in dot_colors] or pal
        gi.scatter(s, rng, int(rng.integers(st.n_obj[0], st.n_obj[1] + 1)), others, st.obj_side, st.kinds)
        return s.grid if gi.well_formed(s.grid, st.bg) else None

    prog = delta_program(piece, base)
    check = _edits_show(piece, base)
    inputs = ctx.collect(rng, prog, new_input, check)
    seen = sorted({int(v) for g in inputs for v in np.unique(g)})
    return ctx.draft(prog, inputs, delta_alternatives(piece, base, seen), check,
                     check_task=_not_a_chain(piece, base))
