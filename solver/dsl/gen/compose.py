"""``random-v2``: random compositions of 1..3 operations on ARC-like scenes.

Each step comes from a group (rigid, colour, filter, scale, crop, objects, paint, move,
lines, symmetry); consecutive steps come from different groups. Every step must change the
image it gets, on every pair. The alternatives are the programs with one step replaced by
another of its group (other operation or parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.colors import COLOR_READERS
from solver.dsl.gen.core import Ctx, Draft, Drop, Program, Reader, Step, run, same
from solver.dsl.gen.geometry import RIGID, _choice
from solver.dsl.objects import SELECTORS
from solver.dsl.ops import DIRECTIONS, RAY_DIRECTIONS

COMMON_SELECTORS = ("largest", "smallest", "single", "not_single", "touches_border", "inner",
                    "has_hole", "rectangle", "unique_color", "top", "bottom")
PAINT = ("outline", "hollow", "fill_enclosed", "fill_bbox", "draw_border")


@dataclass(frozen=True)
class Group:
    name: str
    sample: Callable[[np.random.Generator, list[int], int], Step]  # (rng, palette, bg) -> step
    space: Callable[[Step, set[int]], list[Step]]  # (step, colours seen) -> its group's steps
    weight: float = 1.0


def _rigid(rng, pal, bg):
    return Step(str(_choice(rng, RIGID)))


def _color(rng, pal, bg):
    if len(pal) >= 2 and rng.random() < 0.3:
        return Step("swap_colors", (pal[0], pal[1]))
    if rng.random() < 0.2:
        return Step("recolor", (Reader(str(_choice(rng, COLOR_READERS))), int(_choice(rng, gi.colors_for(bg)))))
    old = pal[0]
    return Step("recolor", (old, int(_choice(rng, [c for c in [bg, *gi.colors_for(bg)] if c != old]))))


def _color_space(step, seen):
    new = step.args[1] if step.op == "recolor" else None
    out = [Step("recolor", (c, x)) for c in seen for x in range(10) if x != c and (new is None or x == new)]
    out += [Step("recolor", (Reader(r), new if new is not None else step.args[0])) for r in COLOR_READERS]
    out += [Step("swap_colors", (a, b)) for a in seen for b in seen if a < b]
    return out


def _filter(rng, pal, bg):
    return Step(str(_choice(rng, ("keep_color", "remove_color"))), (pal[0],))


def _filter_space(step, seen):
    return [Step(op, (c,)) for op in ("keep_color", "remove_color") for c in range(10)]


SCALES = (("upscale", (2, 2)), ("upscale", (3, 3)), ("upscale", (1, 2)), ("upscale", (2, 1)),
          ("tile", (2, 2)), ("tile", (1, 2)), ("tile", (2, 1)), ("tile_mirror", (2, 2)),
          ("tile_mirror", (1, 2)), ("tile_mirror", (2, 1)))


def _scale(rng, pal, bg):
    op, f = SCALES[int(rng.integers(0, len(SCALES)))]
    return Step(op, f)


def _scale_space(step, seen):
    return [Step(op, step.args) for op in ("upscale", "tile", "tile_mirror")]


def _crop(rng, pal, bg):
    if rng.random() < 0.3:
        return Step("crop_bbox")
    return Step("crop_to_object", (str(_choice(rng, ("largest", "smallest", "has_hole", "unique_color",
                                                     "top", "bottom", "left", "right"))), 8, False))


def _crop_space(step, seen):
    return [Step("crop_bbox")] + [Step("crop_to_object", (w, 8, False)) for w in SELECTORS] \
        + [Step("crop_to_color", (c,)) for c in seen]


def _objects(rng, pal, bg):
    which = str(_choice(rng, COMMON_SELECTORS))
    op = str(_choice(rng, ("keep_objects", "remove_objects", "recolor_objects")))
    if op == "recolor_objects":
        return Step(op, (which, int(_choice(rng, gi.colors_for(bg))), 8, False))
    return Step(op, (which, 8, False))


def _objects_space(step, seen):
    if step.op == "recolor_objects":
        return [Step("recolor_objects", (w, step.args[1], 8, False)) for w in SELECTORS]
    return [Step(op, (w, 8, False)) for op in ("keep_objects", "remove_objects") for w in SELECTORS]


def _paint(rng, pal, bg):
    avoid = gi.palette(rng, bg, 1, avoid=pal) or pal
    return Step(str(_choice(rng, PAINT)), (int(avoid[0]),))


def _paint_space(step, seen):
    return [Step(op, (step.args[0],)) for op in PAINT]


def _move(rng, pal, bg):
    return Step(str(_choice(rng, ("gravity", "gravity_objects"))), (str(_choice(rng, DIRECTIONS)),))


def _move_space(step, seen):
    return [Step(op, (d,)) for op in ("gravity", "gravity_objects") for d in DIRECTIONS]


def _lines(rng, pal, bg):
    if rng.random() < 0.25:
        return Step("connect", (str(_choice(rng, ("h", "v", "hv"))),))
    return Step("ray", (pal[-1], str(_choice(rng, tuple(RAY_DIRECTIONS)))))


def _lines_space(step, seen):
    return [Step("ray", (c, d)) for c in seen for d in RAY_DIRECTIONS] \
        + [Step("connect", (d,)) for d in ("h", "v", "hv")]


def _sym(rng, pal, bg):
    return Step("symmetrize", (str(_choice(rng, ("lr", "ud", "both"))),))


def _sym_space(step, seen):
    return [Step("symmetrize", (k,)) for k in ("lr", "ud", "both", "diag", "rot")]


GROUPS: tuple[Group, ...] = (
    Group("rigid", _rigid, lambda s, seen: [Step(o) for o in RIGID], 1.5),
    Group("color", _color, _color_space, 1.5),
    Group("filter", _filter, _filter_space, 0.6),
    Group("scale", _scale, _scale_space, 1.0),
    Group("crop", _crop, _crop_space, 1.0),
    Group("objects", _objects, _objects_space, 1.5),
    Group("paint", _paint, _paint_space, 1.0),
    Group("move", _move, _move_space, 0.8),
    Group("lines", _lines, _lines_space, 0.8),
    Group("symmetry", _sym, _sym_space, 0.5),
)
GROUP = {g.name: g for g in GROUPS}

def _steps_changed(program: Program, inp: np.ndarray) -> str | None:
    img = inp
    for s in program:
        nxt = run((s,), img)
        if nxt is None:
            return "a step fails"
        if same(nxt, img):
            return "a step changes nothing"
        img = nxt
    return None


def random_v2(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """1..max_steps operations from different groups in a row, on a scene of objects."""
    k_max = max(1, ctx.cfg.max_steps)
    p = np.array([0.2, 0.4, 0.4][:k_max])
    k = int(rng.choice(np.arange(1, k_max + 1), p=p / p.sum()))
    hi = ctx.hi(int(rng.choice([10, 15, 20], p=[0.4, 0.4, 0.2])))
    st = gi.make_style(rng, ctx.lo(4), hi, n_colors=(2, 4), n_obj=(2, 6), noise=0.04,
                       obj_side=int(rng.integers(2, 6)), multicolor=0.15,
                       lines=2 if rng.random() < 0.15 else 0)
    pal = list(st.colors)
    weights = np.array([g.weight for g in GROUPS])
    groups: list[Group] = []
    steps: list[Step] = []
    factor = 1
    for _ in range(k):
        w = weights.copy()
        for i, g in enumerate(GROUPS):
            if (groups and g.name == groups[-1].name) or (g.name == "scale" and factor > 1):
                w[i] = 0
        g = GROUPS[int(rng.choice(len(GROUPS), p=w / w.sum()))]
        step = g.sample(rng, [int(c) for c in rng.permutation(pal)], st.bg)
        if g.name == "scale":
            factor = max(step.args)
        groups.append(g)
        steps.append(step)
    if factor > 1:
        cap = ctx.cfg.max_side // factor
        if cap < 2:
            raise Drop("grid too small for the scale step")
        st.sides = (min(st.sides[0], cap), min(st.sides[1], cap))
        st.fixed = None if st.fixed is None else gi.shape(rng, *st.sides)
    prog = tuple(steps)
    need = [a for s in steps for a in s.args[:1] if s.op in ("recolor", "swap_colors", "keep_color",
                                                          "remove_color", "ray") and isinstance(a, int)]

    def new_input(rng):
        s = gi.object_scene(rng, st, first=list(dict.fromkeys(need)))
        return None if s is None else s.grid

    inputs = ctx.collect(rng, prog, new_input, lambda i, o: _steps_changed(prog, i))
    return ctx.draft(prog, inputs, composition_alternatives(prog, groups, inputs),
                     lambda i, o: _steps_changed(prog, i))


def composition_alternatives(prog: Program, groups: list[Group], inputs: list[np.ndarray]):
    """The programs with one step replaced by another of its group."""
    seen = {int(v) for g in inputs for v in np.unique(g)}
    out = []
    for i, (g, s) in enumerate(zip(groups, prog)):
        out += [prog[:i] + (other,) + prog[i + 1:] for other in g.space(s, seen) if other != s]
    return out
