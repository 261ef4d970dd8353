"""Argument inference for the enumerator (:mod:`solver.search.enumerate`): which primitive
calls are worth trying at a node, given the node's train grids and the train outputs.

Scale and tile factors come from the ratio of shapes; crop windows from where an output
appears in its input; colours from the grids; paint colours are read off the outputs (the
primitive runs once with an out-of-range colour, and the output cells under it give the
colour: a literal when it is the same on every pair, else a reader that returns it on each
input); object selectors are kept one per distinct selection. At the last level, primitives
that cannot turn the grids into the outputs (by the kind of change or the colour counts) are
not tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from solver import dsl
from solver.dsl import classify as cl
from solver.dsl import lines as ln
from solver.dsl import markers as mk
from solver.dsl import objects as ob
from solver.dsl import ops
from solver.dsl import parts as pt
from solver.dsl import regions as rg
from solver.dsl import shapes as sh
from solver.dsl import symmetry as sy

SENTINEL = 10  # an out-of-range colour painted to find where a paint colour lands


@dataclass(frozen=True)
class Reader:
    """A reader call as an argument: ``name(img)`` on the current image."""

    name: str

    def code(self, var: str = "img") -> str:
        return f"{self.name}({var})"


def _colors(a: np.ndarray) -> set[int]:
    return set(np.unique(a).tolist())


class Context:
    """What argument inference knows at one node: the current train grids and the targets."""

    def __init__(self, grids: tuple[np.ndarray, ...], outs: tuple[np.ndarray, ...], final: bool):
        self.grids = grids
        self.outs = outs
        self.final = final
        self.same_shape = all(g.shape == o.shape for g, o in zip(grids, outs))
        sets = [_colors(g) for g in grids]
        self.common = set.intersection(*sets)
        self.any = set.union(*sets)
        self.out_colors = set.union(*[_colors(o) for o in outs])
        self.bgs = [ops.bg_of(g) for g in grids]
        self.selections: dict[str, list] = {}
        self._same_counts: bool | None = None
        self.kinds = _diff_kinds(grids, outs, self.bgs) if self.same_shape else None

    def allowed(self, name: str) -> bool:
        """Whether ``name`` can still be the last step (see :data:`CAN_CHANGE` and
        :data:`KEEPS_COUNTS`)."""
        if not self.final:
            return True
        if name in KEEPS_COUNTS and not self.same_counts:
            return False
        return not (self.kinds and name in CAN_CHANGE and not self.kinds <= CAN_CHANGE[name])

    @property
    def same_counts(self) -> bool:
        """Whether every grid has its output's numbers of cells per colour, up to a renaming
        of the colours (a last colour map may follow)."""
        if self._same_counts is None:
            def counts(a):
                c = np.bincount(a.ravel(), minlength=11)
                return sorted(c[c > 0].tolist())

            self._same_counts = all(g.size == o.size and counts(g) == counts(o)
                                    for g, o in zip(self.grids, self.outs))
        return self._same_counts

    def fg_colors(self) -> list[int]:
        """Colours present in every grid, background excluded."""
        return sorted(self.common - set(self.bgs))

    def ratio(self, up: bool) -> tuple[int, int] | None:
        """The integer (rows, cols) factor from current to target shapes, the same on every pair."""
        found = set()
        for g, o in zip(self.grids, self.outs):
            (a, b), (c, d) = (g.shape, o.shape) if up else (o.shape, g.shape)
            if c % a or d % b:
                return None
            found.add((c // a, d // b))
        return found.pop() if len(found) == 1 else None

    def readers_for(self, values: list[int]) -> list:
        """A literal when ``values`` (one per pair) agree, else the readers that return them."""
        if len(set(values)) == 1:
            return [values[0]]
        return [Reader(r.__name__) for r in ob.READERS
                if all(r(g) == v for g, v in zip(self.grids, values))]

    def paint_colors(self, name: str, *args) -> list:
        """Colours for a primitive's paint argument (the last of ``args`` is the slot)."""
        values = []
        for g, o in zip(self.grids, self.outs):
            try:
                r = dsl.PRIMITIVES[name](g, *args)
            except Exception:  # noqa: BLE001
                return []
            if r.shape != o.shape:
                return [] if self.final else sorted(self.out_colors - set(self.bgs))[:4]
            under = o[r == SENTINEL]
            if under.size == 0:
                values.append(None)
                continue
            vals = np.unique(under)
            if len(vals) != 1:
                return []
            values.append(int(vals[0]))
        known = [v for v in values if v is not None]
        if not known:
            return []
        if len(known) < len(values):
            return [known[0]] if len(set(known)) == 1 else []
        return self.readers_for(values)


def _diff_kinds(grids, outs, bgs) -> frozenset[str]:
    """How the grids differ from the outputs: 'paint' (background to colour), 'erase'
    (colour to background), 'recolor' (colour to another colour)."""
    kinds = set()
    for g, o, bg in zip(grids, outs, bgs):
        d = g != o
        if not d.any():
            continue
        gb, ob_ = g[d] == bg, o[d] == bg
        if (gb & ~ob_).any():
            kinds.add("paint")
        if (~gb & ob_).any():
            kinds.add("erase")
        if (~gb & ~ob_).any():
            kinds.add("recolor")
    return frozenset(kinds)


# What a primitive can change on its own: a last step is skipped when the grids differ
# from the outputs in a way it cannot produce (primitives not listed can do anything).
CAN_CHANGE = {
    "outline": {"paint"}, "fill_enclosed": {"paint"}, "fill_bbox": {"paint"},
    "outline_objects": {"paint"}, "fill_touching": {"paint"},
    "connect": {"paint"}, "ray": {"paint"}, "ray_to": {"paint"}, "path_l": {"paint"}, "symmetrize": {"paint"}, "halo": {"paint"},
    "reach": {"paint"}, "extend_diagonals": {"paint"}, "corner_rays": {"paint"},
    "recolor_in_bbox": {"recolor"}, "mark_centres": {"paint"}, "dashed_ray": {"paint"}, "fill_color_boxes": {"paint"}, "mark_crossings": {"paint"}, "bridge": {"paint"}, "mark_midpoints": {"paint"}, "cross_lines": {"paint"}, "recolor_like_framed": {"recolor"}, "fill_largest_rect": {"paint"}, "recolor_nearest": {"recolor"}, "keep_blocks": {"erase"}, "fill_squares": {"paint", "recolor", "erase"},
    "connect_with": {"paint"},
    "stamp_template": {"paint", "recolor"}, "stamp_around": {"paint", "recolor", "erase"},
    "recolor_objects": {"recolor", "erase"}, "recolor_by": {"recolor", "erase"},
    "filter_objects": {"erase"},
    "recolor_from_edge": {"recolor"},
    "hollow": {"recolor", "erase"},
    "keep_objects": {"erase"}, "remove_objects": {"erase"}, "keep_color": {"erase"},
    "remove_color": {"erase"},
}


# Primitives that keep the number of cells of each colour: never a last step unless the
# grids already have their outputs' colour counts.
KEEPS_COUNTS = {"rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose",
                "anti_transpose", "gravity", "gravity_objects", "move_until_contact", "step_toward",
                "align_objects", "move_by_size"}


def _sub(args: tuple, slot, value) -> tuple:
    return tuple(value if a is slot else a for a in args)


PAINT = object()  # placeholder for an inferred paint colour in an argument tuple
OBJECT_SELECTORS = ob.SELECTORS
PART_SPLITS = pt.SPLITS


def _with_paint(ctx: Context, name: str, args: tuple) -> Iterator[tuple]:
    """``args`` with PAINT replaced by each inferred colour."""
    probe = _sub(args, PAINT, SENTINEL)
    for c in ctx.paint_colors(name, *probe):
        yield _sub(args, PAINT, c)


def candidates(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Every (primitive, args) worth trying at a node, family by family (the order is the
    search's: among equals, what comes first is kept)."""
    for family in (_rigid, _scale, _answers, _crops, _recolors, _symmetry, _fills, _lines,
                   _moves, _objects, _fitted, _marks):
        yield from family(ctx)


def _rigid(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """The eight rigid transforms (the shape-keeping ones, then the transposing ones)."""
    for name in ("rot180", "flip_lr", "flip_ud"):
        if (ctx.same_shape or not ctx.final) and ctx.allowed(name):
            yield name, ()
    transposed = all((g.shape[1], g.shape[0]) == o.shape for g, o in zip(ctx.grids, ctx.outs))
    for name in ("rot90", "rot270", "transpose", "anti_transpose"):
        if (transposed or not ctx.final) and ctx.allowed(name):
            yield name, ()


def _scale(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Scaling and tiling by the factor between the shapes."""
    grids, outs = ctx.grids, ctx.outs
    up = ctx.ratio(up=True)
    if up and up != (1, 1):
        yield "upscale", up
        yield "tile", up
        yield "enlarge", up
        yield "tile_mirror", up
        if up == (2, 2):
            yield "tile_rotations", ()
        if all(o.shape == (g.shape[0] ** 2, g.shape[1] ** 2) for g, o in zip(grids, outs)):
            for mode in ("fg", "bg", "color", *ctx.fg_colors()):
                yield "self_tile", (mode,)
    if all(o.shape[0] > g.shape[0] for g, o in zip(grids, outs)) or not ctx.final:
        yield "upscale_by_colors", ()
    grow = {(o.shape[0] - g.shape[0], o.shape[1] - g.shape[1]) for g, o in zip(grids, outs)}
    if len(grow) == 1 and (k := grow.pop())[0] == k[1] and k[0] > 0 and k[0] % 2 == 0:
        for corner in sorted({int(o[0, 0]) for o in outs}):
            yield "pad_edges", (k[0] // 2, corner)
    down = ctx.ratio(up=False)
    if down and down != (1, 1):
        yield "downscale", down


def _answers(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """A fixed answer looked up by a property of the input; a new grid of one colour."""
    grids, outs = ctx.grids, ctx.outs
    distinct = {o.tobytes() + bytes(o.shape) for o in outs}
    if ctx.final and len(outs) >= 2 and len(distinct) == 1:
        yield "constant", (tuple(map(tuple, outs[0].tolist())),)
    if ctx.final and len(outs) >= 3 and len(distinct) < len(outs):
        for prop in cl.CLASS_PROPS:
            table = _fit_classes(grids, outs, prop)
            if table:
                yield "classify", (prop, table)
    shapes_out = [o.shape for o in outs]
    if len(set(shapes_out)) == 1 and all(len(np.unique(o)) == 1 for o in outs):
        yield from (("canvas", a) for a in _with_paint(ctx, "canvas", (*shapes_out[0], PAINT)))
    if not ctx.final or not ctx.same_shape:
        yield "histogram", ()
    if not ctx.final or all(o.shape[0] == o.shape[1] or 1 in o.shape for o in outs):
        yield from (("count_objects", (layout,)) for layout in ob.COUNT_LAYOUTS)


def _crops(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Crops, parts and summaries: only towards a smaller target (at the last level the
    shape must match)."""
    grids, outs, final = ctx.grids, ctx.outs, ctx.final
    if not (all(o.size < g.size for g, o in zip(grids, outs)) or not final):
        return
    yield "crop_bbox", ()
    yield "crop_to_period", ()
    for c in ctx.fg_colors():
        yield "crop_to_color", (c,)
        yield "crop_inside_color", (c,)
    for which, conn, multi in _distinct_selections(ctx, "bbox"):
        yield "crop_to_object", (which, conn, multi)
    if len({o.shape for o in outs}) == 1 and not all(len(np.unique(o)) == 1 for o in outs):
        yield from (("crop", w) for w in _crop_windows(grids, outs))
    for split in PART_SPLITS:
        for which in pt.SELECT_PARTS:
            yield "select_part", (split, which)
        for order in ("first", "last"):
            yield "overlay_parts", (split, order)
        for op in pt.COMBINE_OPS:
            yield from (("combine_parts", a) for a in _with_paint(ctx, "combine_parts",
                                                                  (split, op, PAINT)))
    for c in sorted(ctx.common):
        if not final or all(_bbox_shape(g == c) == o.shape for g, o in zip(grids, outs)):
            yield "symmetry_patch", (c,)
    for mode in ("majority", "fg", "count"):
        yield "summarize_parts", (mode,)
    if _has_parts(ctx):
        yield "color_by_key", ()
    if not final or all(o.shape[0] == 1 for o in outs):
        yield "fg_row", ()
        yield "color_sequence", ("h",)
    if not final or all(1 in o.shape for o in outs):
        yield "color_sequence", ("auto",)
    if not final or all(o.shape[1] == 1 for o in outs):
        yield "color_sequence", ("v",)
        yield "colors_by_count", ("desc",)
        yield "colors_by_count", ("asc",)
    yield "compress", ()


def _edits(ctx: Context) -> bool:
    """Whether the shape-keeping families apply at this node."""
    return ctx.same_shape or not ctx.final


def _recolors(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Colours removed, kept or recoloured."""
    if not _edits(ctx):
        return
    for c in sorted(ctx.any):
        if c not in ctx.bgs and ctx.allowed("remove_color"):
            yield "remove_color", (c,)
            yield "keep_color", (c,)
        yield from (("recolor", a) for a in _with_paint(ctx, "recolor", (c, PAINT)))
    if ctx.final and ctx.same_shape and ctx.allowed("recolor_in_bbox"):
        yield from (("recolor_in_bbox", a) for a in _fit_recolor_in_bbox(ctx))
    if ctx.final and ctx.same_shape and ctx.allowed("recolor_alternate"):
        yield from (("recolor_alternate", a) for a in _fit_alternate(ctx))
    if ctx.final and ctx.same_shape and ctx.allowed("reflect_over"):
        moved = set.union(*_changed_colours(ctx)) - set(ctx.bgs)
        if len(moved) == 1:
            (c,) = moved
            yield from (("reflect_over", (c, m)) for m in ctx.fg_colors() if m != c)
    if ctx.final and ctx.same_shape and ctx.allowed("recolor_like_framed"):
        yield "recolor_like_framed", ()
    if ctx.final and ctx.same_shape and ctx.allowed("recolor_nearest"):
        src = _changed_colours(ctx)[0]
        if len(src) == 1 and src.isdisjoint(ctx.bgs):
            yield "recolor_nearest", (src.pop(),)


def _fit_recolor_in_bbox(ctx: Context) -> Iterator[tuple]:
    """``recolor_in_bbox`` arguments read off the changed cells (a last step): they all
    become one colour ``dst``, from one colour ``src`` (else ANY); each other colour of
    every grid may be the anchor, boxed object by object or whole."""
    src, dst = _changed_colours(ctx)
    if len(dst) != 1 or not src:
        return
    (d,) = dst
    s = src.pop() if len(src) == 1 else ops.ANY
    for anchor in ctx.fg_colors():
        if anchor not in (s, d):
            for whole in (False, True):
                yield anchor, s, d, whole


def _fit_alternate(ctx: Context) -> Iterator[tuple]:
    """``recolor_alternate`` arguments read off the changed cells (a last step): they all
    become one colour ``dst``, from one colour ``src`` (else ANY); for each anchor and
    period (2, then 3), the row and column residues every changed cell has and no unchanged
    ``src`` cell has."""
    src, dst = _changed_colours(ctx)
    if len(dst) != 1 or not src:
        return
    (d,) = dst
    s = src.pop() if len(src) == 1 else ops.ANY
    for period in (2, 3):
        for anchor in ob.ALTERNATE_ANCHORS:
            yield from ((s, d, rows, cols, anchor, period)
                        for rows, cols in _residues(ctx, s, d, anchor, period))


def _residues(ctx: Context, s: int, d: int, anchor: str, period: int) -> list[tuple]:
    """The first (fewest conditions) ``(rows, cols)`` residues that split the changed cells
    from the unchanged ``s`` cells on every pair, in a list (empty: none)."""
    values = (None, *range(period))
    ways = sorted(((rows, cols) for rows in values for cols in values
                   if rows is not None or cols is not None),
                  key=lambda w: (w[0] is not None) + (w[1] is not None))
    for g, o in zip(ctx.grids, ctx.outs):
        cand = g != ops.bg_of(g) if s == ops.ANY else g == s
        r, c = ob.parities(g, anchor, period)
        change = cand & (g != o)
        stay = cand & (g == o) & (g != d)
        ways = [(rows, cols) for rows, cols in ways
                if _parity_splits(r, c, rows, cols, change, stay)]
        if not ways:
            return []
    return ways[:1]


def _parity_splits(r, c, rows, cols, change, stay) -> bool:
    """Whether the cells of parities ``rows`` / ``cols`` are all of ``change`` and none of
    ``stay``."""
    hit = np.ones(r.shape, dtype=bool)
    if rows is not None:
        hit &= r == rows
    if cols is not None:
        hit &= c == cols
    return bool((hit[change]).all()) and not bool(hit[stay].any())


def _symmetry(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Symmetries imposed or completed."""
    if not _edits(ctx):
        return
    for kind in sy.SYMMETRIES if ctx.allowed("symmetrize") else ():
        yield "symmetrize", (kind,)
    for axis in ("rows", "cols") if ctx.same_shape else ():
        yield "repeat_band", (axis,)
    for c in ctx.fg_colors() if ctx.final and ctx.same_shape and ctx.allowed("symmetrize") else ():
        for kind in ("lr", "ud", "both"):
            yield "symmetrize_about", (c, kind)
    for c in sorted(ctx.common):
        if not ctx.same_shape or all((o[g == c] != c).all() for g, o in zip(ctx.grids, ctx.outs)):
            yield "complete_symmetry", (c,)
            yield "complete_pattern", (c,)


def _fills(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Outlines and fills in an inferred colour."""
    if not _edits(ctx):
        return
    for name in ("outline", "hollow", "fill_enclosed", "fill_bbox", "draw_border"):
        if ctx.allowed(name):
            yield from ((name, a) for a in _with_paint(ctx, name, (PAINT,)))
    if ctx.final and ctx.same_shape and ctx.allowed("fill_squares"):
        change = _one_change(ctx)
        for side in range(2, 6) if change else ():
            yield "fill_squares", (side, *change)
    if ctx.final and ctx.same_shape and ctx.allowed("fill_color_boxes"):
        yield "fill_color_boxes", ()
    if ctx.final and ctx.same_shape and ctx.allowed("spread_part") and _has_parts(ctx):
        yield from (("spread_part", (which,)) for which in pt.SELECT_PARTS)
        yield "turn_parts", ()
    if ctx.final and ctx.same_shape and ctx.allowed("fill_largest_rect"):
        dst = _changed_colours(ctx)[1]
        for min_side in (1, 2) if len(dst) == 1 else ():
            yield "fill_largest_rect", (next(iter(dst)), min_side)


def _has_parts(ctx: Context) -> bool:
    """Whether the first grid is cut into parts by separator lines."""
    try:
        pt.part_spans(ctx.grids[0])
    except ValueError:
        return False
    return True


def _still_colours(ctx: Context) -> tuple[int, ...]:
    """The foreground colours whose cells all stay where they are on every pair while other
    cells change (what cells may be drawn to); empty when there are none or no other."""
    moved = _changed_colours(ctx)[0]
    still = {c for c in ctx.fg_colors() if c not in moved
             and all((o[g == c] == c).all() for g, o in zip(ctx.grids, ctx.outs))}
    return tuple(sorted(still)) if still and moved - set(ctx.bgs) else ()


def _changed_colours(ctx: Context) -> tuple[set[int], set[int]]:
    """The colours of the cells that differ from their outputs, over every pair: in the
    grids, and in the outputs."""
    src, dst = set(), set()
    for g, o in zip(ctx.grids, ctx.outs):
        changed = g != o
        src.update(np.unique(g[changed]).tolist())
        dst.update(np.unique(o[changed]).tolist())
    return src, dst


def _one_change(ctx: Context) -> tuple[int, int] | None:
    """(src, dst) when every cell that differs from its output is of colour src and should
    become dst, on every pair."""
    src, dst = _changed_colours(ctx)
    return (src.pop(), dst.pop()) if len(src) == 1 and len(dst) == 1 else None


def _lines(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Lines: joins, lines through, halos, rays, rays that hit, elbow paths."""
    if not _edits(ctx):
        return
    fg = ctx.fg_colors()
    for d in ops.CONNECT_DIRECTIONS if ctx.allowed("connect") else ():
        yield "connect", (d,)
        yield from (("connect_with", a) for a in _with_paint(ctx, "connect_with", (d, PAINT)))
    for c in fg:
        for d in ("h", "v", "hv"):
            yield "lines_through", (c, d)
        for shape in ops.HALO_SHAPES if ctx.allowed("halo") else ():
            yield from (("halo", a) for a in _with_paint(ctx, "halo", (c, shape, PAINT)))
    every = [ops.ANY] if len(fg) > 1 else []  # every cell's own colour: two colours or more
    for c in [*fg, *every] if ctx.allowed("ray") else ():
        for d in ops.RAY_DIRECTIONS:
            yield "ray", (c, d)
    if ctx.final and ctx.same_shape and ctx.allowed("bridge"):
        dst = _changed_colours(ctx)[1]
        for inset in (0, 1) if len(dst) == 1 else ():
            yield "bridge", (next(iter(dst)), inset)
    if ctx.final and ctx.same_shape and ctx.allowed("cross_lines"):
        for paint in sorted(ctx.out_colors - ctx.any):
            yield "cross_lines", (paint,)
            yield from (("dashed_ray", (d, paint)) for d in ops.DIRECTIONS)
            yield from (("mark_centres", (paint, e)) for e in ("top", "bottom", "left", "right"))
            for rows_at in ("left", "right"):
                for cols_at in ("top", "bottom"):
                    yield "mark_crossings", (paint, rows_at, cols_at)
            for c in fg:
                yield from (("mark_midpoints", (c, paint, s)) for s in ln.MIDPOINT_SHAPES)
    for c in fg if ctx.allowed("ray_to") else ():
        yield from (("ray_to", a) for a in _with_paint(ctx, "ray_to", (c, PAINT)))
    if ctx.allowed("path_l"):
        for c1 in fg:
            for c2 in fg:
                for order in ("hv", "vh") if c1 != c2 else ():
                    yield from (("path_l", a) for a in _with_paint(ctx, "path_l", (c1, c2, PAINT, order)))
    for source in ob.DIAGONAL_SOURCES if ctx.allowed("extend_diagonals") else ():
        yield "extend_diagonals", (source,)
    if ctx.same_shape and ctx.allowed("corner_rays"):
        table = _fit_corner_rays(ctx.grids, ctx.outs)
        if table:
            yield "corner_rays", (table,)


def _moves(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Gravity, moves until contact, one-cell shifts."""
    if not _edits(ctx):
        return
    for d in ops.DIRECTIONS if ctx.allowed("gravity") else ():
        yield "gravity", (d,)
        yield "gravity_objects", (d,)
        yield "move_by_size", (d,)
    for anchor in ctx.fg_colors() if ctx.final and ctx.same_shape and ctx.allowed("align_objects") else ():
        for edge in ("top", "left", "bottom", "right"):
            yield "align_objects", (anchor, edge)
    if ctx.same_shape and ctx.allowed("attract"):
        for to in ob.ATTRACT_TO:
            for drop in (True, False):
                for take in (False, True) if to == "any" else (False,):
                    yield "attract", (to, drop, take)
    for to in ob.ATTRACT_TO if ctx.same_shape and ctx.allowed("reach") else ():
        yield "reach", (to,)
    targets = _still_colours(ctx) if ctx.final and ctx.same_shape and ctx.allowed("attract") else ()
    for drop in (True, False) if targets else ():
        for diagonal in (False, True):
            yield "attract", (targets, drop, False, diagonal)
    for c in ctx.fg_colors() if ctx.allowed("move_until_contact") else ():
        for d in (*ops.DIRECTIONS, "toward"):
            yield "move_until_contact", (c, d)
    for c in ctx.fg_colors() if ctx.allowed("step_toward") else ():
        for t in ctx.fg_colors():
            if t != c:
                yield "step_toward", (c, t)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                yield "shift", (dy, dx)


def _objects(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Objects kept, removed or recoloured (one selector per distinct selection on every
    train grid), read off the border, denoised, transformed in place."""
    if not _edits(ctx):
        return
    same, final = ctx.same_shape, ctx.final
    erase, paint = ctx.allowed("keep_objects"), ctx.allowed("recolor_objects")
    for which, conn, multi in _distinct_selections(ctx, "cells") if erase or paint else ():
        if erase:
            yield "keep_objects", (which, conn, multi)
            yield "remove_objects", (which, conn, multi)
        if paint:
            yield from (("recolor_objects", a) for a in _with_paint(
                ctx, "recolor_objects", (which, PAINT, conn, multi)))
    if same and final and ctx.allowed("recolor_from_edge"):
        for c in ctx.fg_colors():
            for side in mk.SIDES:
                for mode in ("cell", "object"):
                    yield "recolor_from_edge", (c, side, mode)
    if same:  # noise removed
        for axis in ("rows", "cols"):
            yield "stripes", (axis,)
        for c in sorted(ctx.common):
            yield "heal", (c,)
        if ctx.allowed("keep_blocks"):
            yield from (("keep_blocks", (side,)) for side in (2, 3))
        for op in ob.OBJECT_MAPS:  # each object transformed in place
            for multi in (False, True):
                yield "map_objects", (op, 8, multi)


def _fitted(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Tables fitted on the train pairs at the last level (property to colour, cell roles,
    shape to patch)."""
    if not (ctx.same_shape and ctx.final):
        return
    grids, outs = ctx.grids, ctx.outs
    if ctx.allowed("recolor_by"):
        for name in ob.PROPERTIES:
            for conn in (8, 4):
                m = _fit_recolor_by(grids, outs, name, conn)
                m = with_default(m) or m
                if m:
                    yield "recolor_by", (name, m, conn)
    if ctx.allowed("filter_objects"):
        for conn in (8, 4):
            yield from (("filter_objects", a) for a in _fit_filters(grids, outs, conn))
    if ctx.allowed("recolor_regions_by"):
        for name in ob.PROPERTIES:
            for enclosed in (True, False):
                m = _fit_regions_by(grids, outs, name, enclosed)
                m = with_default(m) or m
                if m:
                    yield "recolor_regions_by", (name, m, enclosed)
    roles = _fit_roles(grids, outs)
    if roles:
        yield "paint_roles", roles
    for conn in (8, 4):
        table = _fit_shapes(grids, outs, conn)
        if table:
            yield "replace_shapes", (table, conn)


def _marks(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Outlines around objects, fitted stamps, fills and templates from marked cells."""
    if not _edits(ctx):
        return
    if ctx.allowed("outline_objects"):
        for which, conn, multi in _distinct_selections(ctx, "cells"):
            yield from (("outline_objects", a) for a in _with_paint(
                ctx, "outline_objects", (which, PAINT, conn, multi)))
    if ctx.same_shape and ctx.allowed("stamp_around"):
        shared = _fit_stamp_any(ctx.grids, ctx.outs, ctx.bgs)
        if shared:
            yield "stamp_around", (shared,)
        stamps = _fit_stamps(ctx.grids, ctx.outs, ctx.bgs)
        if stamps and stamps != shared:
            yield "stamp_around", (stamps,)
    for c in ctx.fg_colors() if ctx.allowed("fill_touching") else ():
        yield "fill_touching", (c,)
    for c in ctx.fg_colors() if ctx.allowed("stamp_template") else ():
        yield "stamp_template", (c,)


def _distinct_selections(ctx: Context, kind: str) -> list[tuple[str, int, bool]]:
    """(selector, conn, multicolor) choices that pick different cells on the train grids.

    ``kind`` 'cells': the selection is non-empty and not every object on each grid;
    'bbox': exactly one object on each grid, distinct bounding boxes."""
    cache = ctx.selections.get(kind)
    if cache is not None:
        return cache
    out, seen = [], set()
    for conn, multi in ((8, False), (4, False), (8, True), (4, True)):
        per_grid = [ob.find_objects(g, conn, multi) for g in ctx.grids]
        for which in OBJECT_SELECTORS:
            key = []
            for g, objs in zip(ctx.grids, per_grid):
                picked = ob.select(objs, which)
                if kind == "bbox":
                    if len(picked) != 1:
                        break
                    key.append(picked[0].bbox)
                else:
                    if not picked or len(picked) == len(objs):
                        break
                    m = np.zeros(g.shape, dtype=bool)
                    for o in picked:
                        m[o.rows, o.cols] = True
                    key.append(np.packbits(m).tobytes())
            else:
                k = tuple(key)
                if k not in seen:
                    seen.add(k)
                    out.append((which, conn, multi))
    ctx.selections[kind] = out
    return out


def _bbox_shape(mask: np.ndarray) -> tuple[int, int]:
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return (0, 0)
    return (int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1))


def _crop_windows(grids, outs, limit: int = 4) -> list[tuple[int, int, int, int]]:
    """Fixed windows (top, left, h, w) that cut each output out of its input."""
    h, w = outs[0].shape
    common = None
    for g, o in zip(grids, outs):
        if g.shape[0] < h or g.shape[1] < w:
            return []
        here = set()
        for t in range(g.shape[0] - h + 1):
            for l in range(g.shape[1] - w + 1):
                if (g[t:t + h, l:l + w] == o).all():
                    here.add((t, l))
        common = here if common is None else common & here
        if not common:
            return []
    return [(t, l, h, w) for t, l in sorted(common)[:limit]]


def _fit_table(grids, outs, name: str, parts_of, skip_unchanged: bool = False) -> tuple | None:
    """The (property value, colour) table that explains every changed cell when each part
    (``parts_of(grid)``: objects or background regions) takes the colour its value maps to,
    or None. ``skip_unchanged``: pairs whose output is their input add no entry."""
    table: dict[int, int] = {}
    for g, o in zip(grids, outs):
        changed = g != o
        if skip_unchanged and not changed.any():
            continue
        parts = parts_of(g)
        covered = np.zeros(g.shape, dtype=bool)
        for part in parts:
            vals = np.unique(o[part.rows, part.cols])
            if len(vals) != 1:
                return None
            v = ob.prop(part, name, parts)
            if table.setdefault(v, int(vals[0])) != int(vals[0]):
                return None
            covered[part.rows, part.cols] = True
        if (changed & ~covered).any():
            return None
    mapping = tuple(sorted((k, v) for k, v in table.items()))
    return mapping if mapping and len(mapping) <= 12 else None


def with_default(mapping: tuple | None) -> tuple | None:
    """``mapping`` with a default entry ``(None, colour)`` for its most common colour (when
    at least two entries give it), else None: the same on the train pairs, and it also
    answers a value no train pair shows. The entries stay, so that a test value without one
    is still known as a guess (:func:`solver.search.enumerate._table_misses`)."""
    if not mapping:
        return None
    counts: dict[int, int] = {}
    for _, v in mapping:
        counts[v] = counts.get(v, 0) + 1
    top = max(sorted(counts), key=lambda c: counts[c])
    if counts[top] < 2:
        return None
    return tuple(mapping) + ((None, top),)


def _fit_corner_rays(grids, outs) -> tuple:
    """A ``corner_rays`` table: for each colour, the one diagonal whose rays from the corners
    of that colour's objects paint only cells its outputs have in that colour, on every
    pair, and paint some; colours with none or several such diagonals are left out."""
    table = []
    for c in sorted(set().union(*(np.unique(g).tolist() for g in grids))):
        fits = []
        for d in ob.DIAGONALS:
            painted = 0
            for g, o in zip(grids, outs):
                if c == ops.bg_of(g):
                    break
                changed = ob.corner_rays(g, ((c, d),)) != g
                if (o[changed] != c).any():
                    break
                painted += int(changed.sum())
            else:
                if painted:
                    fits.append(d)
        if len(fits) == 1:
            table.append((c, fits[0]))
    return tuple(table)


def _fit_filters(grids, outs, conn: int) -> Iterator[tuple]:
    """``filter_objects`` arguments that explain the train pairs, when each output is its
    grid with some whole objects erased: for each property whose values of the kept
    objects and of the erased ones never meet, the kept values (``keep``) and the erased
    values (not ``keep``): the two read a value no pair shows differently."""
    kept: dict[str, set] = {n: set() for n in ob.PROPERTIES}
    gone: dict[str, set] = {n: set() for n in ob.PROPERTIES}
    for g, o in zip(grids, outs):
        bg = ops.bg_of(g)
        objs = ob.find_objects(g, conn, False)
        covered = np.zeros(g.shape, dtype=bool)
        for obj in objs:
            cells = o[obj.rows, obj.cols]
            if (cells == obj.colors).all():
                side = kept
            elif (cells == bg).all():
                side = gone
            else:
                return
            covered[obj.rows, obj.cols] = True
            for n in ob.PROPERTIES:
                side[n].add(ob.prop(obj, n, objs))
        if ((g != o) & ~covered).any():
            return
    if not any(gone.values()) or not any(kept.values()):
        return
    for n in ob.PROPERTIES:
        if kept[n] and gone[n] and not kept[n] & gone[n]:
            yield n, tuple(sorted(kept[n])), True, conn
            yield n, tuple(sorted(gone[n])), False, conn


def _fit_recolor_by(grids, outs, name: str, conn: int) -> tuple | None:
    """The (value, colour) table for ``recolor_by`` that explains every changed cell, or None."""
    return _fit_table(grids, outs, name, lambda g: ob.find_objects(g, conn, False))


def _fit_regions_by(grids, outs, name: str, enclosed: bool) -> tuple | None:
    """The (value, colour) table for ``recolor_regions_by`` that explains every changed
    cell (not one that only keeps the background), or None."""
    mapping = _fit_table(grids, outs, name, lambda g: rg.background_regions(g, enclosed),
                         skip_unchanged=True)
    if mapping is None or all(v == ops.bg_of(grids[0]) for _, v in mapping):
        return None
    return mapping


def _fit_roles(grids, outs) -> tuple | None:
    """The (corner, edge, inside) colours for ``paint_roles`` (-1 keeps) that explain every
    changed cell, or None."""
    found: list[int] = []
    for role in (1, 2, 3):
        new, keeps = set(), True
        for g, o in zip(grids, outs):
            at = rg.cell_roles(g) == role
            new |= set(np.unique(o[at]).tolist())
            keeps = keeps and bool((o[at] == g[at]).all())
        found.append(rg.KEEP if keeps else next(iter(new)) if len(new) == 1 else None)
    if None in found or found == [rg.KEEP] * 3:
        return None
    for g, o in zip(grids, outs):
        if not (rg.paint_roles(g, *found) == o).all():
            return None
    return tuple(found)


def _fit_shapes(grids, outs, conn: int) -> tuple | None:
    """The ``replace_shapes`` table that explains every changed cell, or None: for each
    shape (bounding-box mask) of a changed object, its patch cell by cell — -1 where every
    occurrence keeps the cell, -2 where every one takes its object's colour, else the one
    colour all occurrences get. Every changed shape must occur on two pairs or more."""
    seen: dict[tuple, list[tuple[np.ndarray, np.ndarray, int]]] = {}
    pairs: dict[tuple, set[int]] = {}
    for k, (g, o) in enumerate(zip(grids, outs)):
        changed = g != o
        covered = np.zeros(g.shape, dtype=bool)
        for obj in ob.find_objects(g, conn, False):
            t, l, b, r = obj.bbox
            covered[t:b + 1, l:r + 1] = True
            mask = sh.shape_mask(obj)
            seen.setdefault(mask, []).append((g[t:b + 1, l:r + 1], o[t:b + 1, l:r + 1], obj.color))
            pairs.setdefault(mask, set()).add(k)
        if (changed & ~covered).any():
            return None
    table = []
    for mask, occ in seen.items():
        if all((before == after).all() for before, after, _ in occ):
            continue
        if len(pairs[mask]) < min(2, len(grids)):
            return None  # a shape that one pair alone shows is memorised, not learned
        patch = np.full(np.asarray(mask).shape, sh.KEEP, dtype=np.int64)
        for idx in np.ndindex(patch.shape):
            afters = {int(after[idx]) for _, after, _ in occ}
            if all(before[idx] == after[idx] for before, after, _ in occ):
                continue
            if all(after[idx] == color for _, after, color in occ):
                patch[idx] = sh.OWN
            elif len(afters) == 1:
                patch[idx] = afters.pop()
            else:
                return None
        table.append((mask, tuple(map(tuple, patch.tolist()))))
    if not table or len(table) > 6:
        return None
    table = tuple(sorted(table))
    for g, o in zip(grids, outs):  # objects' bounding boxes may overlap: check the whole
        if not (sh.replace_shapes(g, table, conn) == o).all():
            return None
    return table


def _fit_classes(grids, outs, prop: str) -> tuple | None:
    """The ``classify`` table (property value -> output) the train pairs show, or None: one
    output per value, and two values or more each seen on two pairs or more (a table of
    values seen once each is memorised)."""
    table: dict[int, bytes] = {}
    grids_of: dict[int, tuple] = {}
    count: dict[int, int] = {}
    for g, o in zip(grids, outs):
        key = cl.class_key(g, prop)
        code = o.tobytes() + bytes(o.shape)
        if table.setdefault(key, code) != code:
            return None
        grids_of[key] = tuple(map(tuple, o.tolist()))
        count[key] = count.get(key, 0) + 1
    if len(table) < 2 or sum(n >= 2 for n in count.values()) < 2:
        return None
    return tuple(sorted(grids_of.items()))


def _stamp_cells(g: np.ndarray, centres: np.ndarray, bg: int) -> Iterator[tuple]:
    """The cells a ``stamp_around`` pattern may paint around each cell of ``centres`` (a
    mask): (centre colour, (dy, dx), y, x) for the centre itself and its background
    neighbours inside the grid."""
    h, w = g.shape
    for r, c in zip(*np.nonzero(centres)):
        centre = int(g[r, c])
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                y, x = r + dy, c + dx
                if 0 <= y < h and 0 <= x < w and not ((dy or dx) and g[y, x] != bg):
                    yield centre, (dy, dx), y, x


def _fit_stamp_any(grids, outs, bgs) -> tuple | None:
    """One ``stamp_around`` pattern for every foreground colour (key -1), or None: the
    3x3 cells around every foreground cell that become one and the same colour at every
    occurrence, or the stamping cell's own colour at every one (-2; read so only when the
    changes show at least two centre colours), where at least one of them changes."""
    seen: dict[tuple[int, int], set[int]] = {}
    own: dict[tuple[int, int], bool] = {}
    changed_by: dict[tuple[int, int], set[int]] = {}
    for g, o, bg in zip(grids, outs, bgs):
        for centre, off, y, x in _stamp_cells(g, g != bg, bg):
            v = int(o[y, x])
            seen.setdefault(off, set()).add(v)
            own[off] = own.get(off, True) and v == centre
            if v != g[y, x]:
                changed_by.setdefault(off, set()).add(centre)
    pattern = [[ops.KEEP] * 3 for _ in range(3)]
    for (dy, dx), centres in changed_by.items():
        vals = seen[(dy, dx)]
        if len(vals) == 1:
            pattern[dy + 1][dx + 1] = next(iter(vals))
        elif own[(dy, dx)] and len(centres) >= 2:
            pattern[dy + 1][dx + 1] = ops.SELF
    if all(v == ops.KEEP for row in pattern for v in row):
        return None
    return ((ops.ANY, tuple(tuple(row) for row in pattern)),)


def _fit_stamps(grids, outs, bgs) -> tuple | None:
    """The ``stamp_around`` patterns the train pairs show, or None: for each colour, the
    3x3 cells around its cells that become one and the same colour at every occurrence
    (background cells only, and the centre), where at least one of them changes."""
    stamps = []
    for color in range(10):
        seen: dict[tuple[int, int], set[int]] = {}
        changes: set[tuple[int, int]] = set()
        for g, o, bg in zip(grids, outs, bgs):
            if color == bg:
                break
            for _, off, y, x in _stamp_cells(g, g == color, bg):
                seen.setdefault(off, set()).add(int(o[y, x]))
                if o[y, x] != g[y, x]:
                    changes.add(off)
        else:
            pattern = [[ops.KEEP] * 3 for _ in range(3)]
            for (dy, dx), vals in seen.items():
                if (dy, dx) in changes and len(vals) == 1:
                    pattern[dy + 1][dx + 1] = vals.pop()
            if any(v != ops.KEEP for row in pattern for v in row):
                stamps.append((color, tuple(tuple(row) for row in pattern)))
    return tuple(stamps) or None
