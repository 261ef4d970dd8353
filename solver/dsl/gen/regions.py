"""``regions``: the background's regions and the roles of an object's cells.
``recolor_regions_by`` colours the holes of shapes by their size, height, width, rank or
whether they are rectangles (only the enclosed ones), or the rooms of a grid cut by full
lines by their size rank; ``paint_roles`` paints the corners, edges and insides of
one-colour shapes."""

from __future__ import annotations

import numpy as np

from solver.dsl.gen import inputs as gi
from solver.dsl.gen.core import Ctx, Draft, Step, table_not_shown
from solver.dsl.gen.geometry import _choice
from solver.dsl.gen.paint import paint_alternatives
from solver.dsl.objects import PROPERTIES, prop
from solver.dsl.ops import bg_of, border_reach
from solver.dsl.regions import KEEP, background_regions, cell_roles

HOLE_PROPS = ("size", "height", "width", "rectangle", "size_rank", "size_rank_asc")


def _regions(g: np.ndarray, enclosed: bool, cache: dict) -> list:
    key = (id(g), enclosed)
    if key not in cache:
        cache[key] = (g, background_regions(g, enclosed))  # the grid kept: its id stays its own
    return cache[key][1]


def fit_regions(name: str, enclosed: bool, inputs, outputs, cache: dict | None = None):
    """The value->colour table ``recolor_regions_by(name, ..., enclosed)`` would need on
    these pairs and the values it leaves as they are, or None when no table fits."""
    cache = {} if cache is None else cache
    table: dict[int, int] = {}
    kept: set[int] = set()
    for inp, out in zip(inputs, outputs):
        if inp.shape != out.shape:
            return None
        bg = bg_of(inp)
        regions = _regions(inp, enclosed, cache)
        for r in regions:
            got = out[r.rows, r.cols]
            c = int(got[0])
            if (got != c).any():
                return None
            v = prop(r, name, regions)
            if c == bg:
                if v in table:
                    return None
                kept.add(v)
            elif v in kept or table.get(v, c) != c:
                return None
            else:
                table[v] = c
    return (tuple(sorted(table.items())), kept) if table else None


def region_alternatives(all_inputs, train_outputs):
    """Tables fitted on the train pairs for every property, enclosed or not (a table
    competes only when every test region's value is one the train pairs showed), and
    fill_enclosed / fill_bbox in the outputs' colours."""
    k = len(train_outputs)
    cache: dict = {}
    for name in PROPERTIES:
        for enclosed in (True, False):
            fit = fit_regions(name, enclosed, all_inputs[:k], train_outputs, cache)
            if fit is None:
                continue
            table, kept = fit
            known = {v for v, _ in table} | kept
            if all(prop(r, name, regs) in known for g in all_inputs[k:]
                   for regs in [_regions(g, enclosed, cache)] for r in regs):
                yield (Step("recolor_regions_by", (name, table, enclosed)),)
    seen = sorted({int(v) for g in train_outputs for v in np.unique(g)})
    for c in seen:
        yield (Step("fill_enclosed", (c,)),)
        yield (Step("fill_bbox", (c,)),)


def regions(rng: np.random.Generator, ctx: Ctx) -> Draft:
    """recolor_regions_by(name, table, True): the holes of shapes coloured by their size,
    height, width, size rank or rectangularity (open shapes as distractors);
    recolor_regions_by(size rank, table, False): the rooms of a grid cut by full lines;
    paint_roles(corner, edge, inside): the cells of one-colour shapes by their role."""
    kind = str(rng.choice(["holes", "rooms", "roles"], p=[0.4, 0.25, 0.35]))
    if kind == "roles":
        return _roles(rng, ctx)
    if kind == "rooms":
        return _rooms(rng, ctx)
    return _holes(rng, ctx)


def _hole_mask(rng: np.random.Generator, name: str, v: int) -> np.ndarray | None:
    """A hole (4-connected mask) whose property ``name`` is ``v`` on its own (ranks come
    from the scene)."""
    if name in ("height", "width"):
        other = int(rng.integers(1, 4))
        return np.ones((v, other) if name == "height" else (other, v), dtype=bool)
    if name == "rectangle":
        if v:
            return np.ones((int(rng.integers(1, 4)), int(rng.integers(1, 4))), dtype=bool)
        for _ in range(10):
            m = gi.crop_mask(gi._grow(rng, 3, 3, int(rng.integers(3, 7))))
            if m.sum() < m.size:
                return m
        return None
    # size (ranks: a size drawn by the caller)
    if rng.random() < 0.5:
        shapes = [(a, v // a) for a in range(1, v + 1) if v % a == 0 and max(a, v // a) <= 4]
        if shapes:
            return np.ones(shapes[int(rng.integers(0, len(shapes)))], dtype=bool)
    for _ in range(10):
        m = gi.crop_mask(gi._grow(rng, min(v, 3), min(v, 3), v))
        if m.sum() == v:
            return m
    return None


def _shell(hole: np.ndarray) -> np.ndarray:
    """The shape around ``hole`` (one cell thick, 8-connected, so the hole is closed for
    4-connected background), with no other hole: the mask of the shape, 2 cells larger."""
    p = np.pad(hole, 1)
    ring = gi._dilate(p, 1) & ~p
    free = ~(ring | p)
    pockets = free & ~border_reach(free)  # cells closed in besides the hole: part of the shape
    return ring | pockets


def _gaps(shape: np.ndarray, hole: np.ndarray) -> list[tuple[int, int]]:
    """The cells of ``shape`` on its outer edge next to a ``hole`` cell (4 neighbours):
    removing one opens the hole to the outside."""
    h, w = shape.shape
    out = []
    for r, c in zip(*np.nonzero(shape)):
        if r in (0, h - 1) or c in (0, w - 1):
            if any(0 <= r + dy < h and 0 <= c + dx < w and hole[r + dy, c + dx]
                   for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))):
                out.append((int(r), int(c)))
    return out


def _holes(rng: np.random.Generator, ctx: Ctx) -> Draft:
    name = str(_choice(rng, HOLE_PROPS))
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.25, 0.35, 0.25, 0.15])))
    st = gi.make_style(rng, ctx.lo(7), hi, n_colors=(1, 2), p_black=0.85)
    if name in ("height", "width"):
        values = sorted(int(v) for v in rng.choice(np.arange(1, 5), size=int(rng.integers(2, 4)), replace=False))
    elif name == "size":
        values = sorted(int(v) for v in rng.choice([1, 2, 3, 4, 6], size=int(rng.integers(2, 4)), replace=False))
    elif name == "rectangle":
        values = [0, 1]
    else:
        values = list(range(1, int(rng.integers(2, 4)) + 1))
    targets = gi.palette(rng, st.bg, len(values), avoid=st.colors)
    table = dict(zip(values, targets))
    if rng.random() < 0.35 and len(table) > 1:  # one kind of hole stays empty
        table.pop(values[int(rng.integers(0, len(values)))])
    p_open = rng.uniform(0.0, 0.3)

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        n = int(rng.integers(max(2, len(values)), max(3, len(values) + 2) + 1))
        if name in ("size_rank", "size_rank_asc"):
            sizes = sorted(int(x) for x in rng.choice(np.arange(1, 10), size=len(values), replace=False))
            vs = [sizes[i % len(sizes)] for i in range(n)]
            holes = [_hole_mask(rng, "size", v) for v in vs]
        else:
            vs = list(values) + [values[int(rng.integers(0, len(values)))] for _ in range(n - len(values))]
            holes = [_hole_mask(rng, name, v) for v in vs]
        if any(m is None for m in holes):
            return None
        for i in rng.permutation(n):
            m = _shell(holes[i])
            if rng.random() < p_open:  # a gap: the hole opens to the outside and stays
                gaps = _gaps(m, np.pad(holes[i], 1))
                if gaps:
                    m = m.copy()
                    m[gaps[int(rng.integers(0, len(gaps)))]] = False
            gi.put(s, rng, m, int(_choice(rng, st.colors)), margin=1)
        if not gi.well_formed(s.grid, st.bg):
            return None
        regs = background_regions(s.grid, True)
        got = {prop(r, name, regs) for r in regs}
        if not got <= set(values) or not got & set(table):
            return "region values outside the table"
        return s.grid

    prog = (Step("recolor_regions_by", (name, tuple(sorted(table.items())), True)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), region_alternatives,
                     check_task=_values_shown(name, True, table))


def _values_shown(name: str, enclosed: bool, table: dict):
    """The train pairs show every entry of the table, and every value a test region has."""
    def check_task(inputs, outputs, n_train):
        seen = []
        for g in inputs:
            regs = background_regions(g, enclosed)
            seen.append({prop(r, name, regs) for r in regs})
        return table_not_shown(seen, table, n_train)
    return check_task


def _rooms(rng: np.random.Generator, ctx: Ctx) -> Draft:
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.25, 0.35, 0.25, 0.15])))
    st = gi.make_style(rng, ctx.lo(7), hi, n_colors=(1, 2), p_black=0.85)
    name = str(_choice(rng, ("size_rank", "size_rank", "size_rank_asc")))
    targets = gi.palette(rng, st.bg, 2, avoid=st.colors)
    table = {1: targets[0]}
    if name == "size_rank" and rng.random() < 0.35:
        table[2] = targets[1]

    def new_input(rng):
        h, w = st.shape(rng)
        s = gi.new_scene(h, w, st.bg)
        c = int(_choice(rng, st.colors))
        for axis in (0, 1):  # 1..3 full lines each way, never side by side nor on the border
            n = h if axis == 0 else w
            spots = [int(k) for k in rng.permutation(np.arange(1, n - 1))]
            want = int(rng.integers(1, 4))
            chosen: list[int] = []
            for k in spots:
                if len(chosen) == want:
                    break
                if all(abs(k - j) > 1 for j in chosen):
                    chosen.append(k)
            for k in chosen:
                if axis == 0:
                    s.grid[k, :] = c
                else:
                    s.grid[:, k] = c
        if not gi.well_formed(s.grid, st.bg):
            return None
        regs = background_regions(s.grid, False)
        vals = [prop(r, name, regs) for r in regs]
        if len(set(vals)) < 2 or len(regs) < 3:
            return "rooms all of one size"
        return s.grid

    prog = (Step("recolor_regions_by", (name, tuple(sorted(table.items())), False)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input), region_alternatives,
                     check_task=_values_shown(name, False, table))


def role_alternatives(prog: Step):
    """paint_roles with one role's colour changed (any colour or kept), hollow and the
    other paint operations in every colour."""
    out = []
    for i in range(3):
        for c in range(KEEP, 10):
            if c != prog.args[i]:
                args = list(prog.args)
                args[i] = c
                if any(a != KEEP for a in args):
                    out.append((Step("paint_roles", tuple(args)),))
    return out + paint_alternatives()


def _roles(rng: np.random.Generator, ctx: Ctx) -> Draft:
    hi = ctx.hi(int(rng.choice([10, 15, 22, 30], p=[0.3, 0.35, 0.2, 0.15])))
    st = gi.make_style(rng, ctx.lo(6), hi, n_colors=(1, 2), n_obj=(1, 5), obj_side=int(rng.integers(3, 7)))
    new = gi.palette(rng, st.bg, 3, avoid=st.colors)
    roles = [int(c) for c in new]
    for i in rng.permutation(3)[:int(rng.choice([0, 1, 2], p=[0.45, 0.4, 0.15]))]:
        roles[int(i)] = KEEP  # some roles keep their colour
    if rng.random() < 0.2:  # a role becomes the background
        roles[int(rng.integers(0, 3))] = st.bg
    kinds = ("rect", "rect", "rect", "plus", "blob") if rng.random() < 0.4 else ("rect",)

    def new_input(rng):
        s = gi.new_scene(*st.shape(rng), st.bg)
        n = int(rng.integers(st.n_obj[0], st.n_obj[1] + 1))
        for _ in range(n):
            m = gi.random_sprite(rng, st.obj_side, st.obj_side, kinds, min_side=2)
            gi.put(s, rng, m, int(_choice(rng, st.colors)), margin=1)
        if not s.objects or not gi.well_formed(s.grid, st.bg):
            return None
        return s.grid

    def check(inp, out):  # every role the program paints occurs in the pair
        present = set(np.unique(cell_roles(inp)).tolist())
        for role, c in zip((1, 2, 3), roles):
            if c != KEEP and role not in present:
                return "a painted role is absent"
        return None

    prog = (Step("paint_roles", tuple(roles)),)
    return ctx.draft(prog, ctx.collect(rng, prog, new_input, check), role_alternatives(prog[0]), check)
