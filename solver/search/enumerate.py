"""Programs without a model: a typed bottom-up enumerator over DSL v2 programs.

    found = enumerate_programs(task, seconds=30, max_depth=3)
    found[0].code           # the best program's text (def task(img): ... return img)
    found[0].test_outputs   # its predictions, one grid per test input (None where it failed)

How it searches. Level 0 is the task's train inputs. Each level applies every primitive
instance to every program of the level before it (best first), with arguments *inferred from
the train pairs*: scale and tile factors from the ratio of shapes, crop windows where an
output appears in its input, colours present in the grids, and paint colours read off the
outputs (the primitive runs once with an out-of-range colour; the output cells under it give
the colour, a literal when it is the same on every pair, else a reader that returns it on
each input). Candidates are deduplicated by the grids they produce on the train inputs
(observational equivalence): only the first, shortest program for each tuple of train
outputs is kept and expanded. At the last level only primitives that can reach the output
shapes are tried. A program whose shapes match the outputs but not their colours gets one
more line, a colour map fitted on the train pairs, when one exists.

The enumerator runs only programs it builds itself, in this process (trusted): primitives are
called on arrays directly and the program text is rendered at the end. Rendered programs
run unchanged in the sandbox (:class:`solver.sandbox.Executor`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from solver import dsl
from solver.arc.grids import Grid, Task
from solver.dsl import objects as ob
from solver.dsl import ops
from solver.dsl import parts as pt
from solver.dsl import symmetry as sy

SENTINEL = 10  # an out-of-range colour painted to find where a paint colour lands
MAX_SIDE = 30


@dataclass(frozen=True)
class Reader:
    """A reader call as an argument: ``name(img)`` on the current image."""

    name: str

    def code(self) -> str:
        return f"{self.name}(img)"


@dataclass(frozen=True)
class Step:
    """One line ``img = name(img, *args)``."""

    name: str
    args: tuple = ()

    def code(self) -> str:
        return f"img = {self.name}({', '.join(['img', *map(_fmt, self.args)])})"

    def apply(self, img: np.ndarray) -> np.ndarray:
        args = [dsl.PRIMITIVES[a.name](img) if isinstance(a, Reader) else a for a in self.args]
        return dsl.PRIMITIVES[self.name](img, *args)


def _fmt(a) -> str:
    if isinstance(a, Reader):
        return a.code()
    if isinstance(a, str):
        return repr(a)
    if isinstance(a, tuple):
        inner = ", ".join(_fmt(x) for x in a)
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    return repr(a if isinstance(a, bool) else int(a))


def program_code(steps: tuple[Step, ...] | list[Step]) -> str:
    """The program text of ``steps`` in the DSL's one-call-a-line form."""
    return "def task(img):\n" + "".join(f"    {s.code()}\n" for s in steps) + "    return img\n"


FAMILIES = {
    "rigid": ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose"),
    "color": ("recolor", "swap_colors", "keep_color", "remove_color"),
    "color_map": ("map_colors",),
    "scale": ("upscale", "downscale"),
    "tile": ("tile", "tile_mirror", "self_tile"),
    "crop": ("crop", "crop_bbox", "crop_to_color", "crop_inside_color", "crop_to_period", "shift",
             "canvas"),
    "crop_object": ("crop_to_object",),
    "parts": ("combine_parts", "overlay_parts", "select_part", "summarize_parts", "fg_row"),
    "symmetry": ("symmetrize", "complete_symmetry", "symmetry_patch", "complete_pattern"),
    "fill": ("outline", "hollow", "fill_enclosed", "fill_bbox", "draw_border"),
    "lines": ("connect", "connect_with", "ray", "halo", "lines_through"),
    "gravity": ("gravity", "gravity_objects", "move_until_contact"),
    "objects": ("keep_objects", "remove_objects", "recolor_objects", "stamp_template"),
    "recolor_by": ("recolor_by",),
}
FAMILY_OF = {name: fam for fam, names in FAMILIES.items() for name in names}


@dataclass
class Found:
    """One enumerated program and what it produces."""

    code: str
    steps: tuple[Step, ...]
    train_outputs: list[Grid]
    test_outputs: list[Grid | None]
    depth: int
    families: tuple[str, ...]
    exact: bool
    accuracy: float  # mean pixel accuracy on the train pairs (0 for a wrong shape)

    def rank_key(self) -> tuple:
        return (not self.exact, -self.accuracy, self.depth, len(self.code))


@dataclass
class EnumStats:
    """What one search did."""

    expanded: int = 0
    applied: int = 0
    kept: int = 0
    depth_done: int = 0
    seconds: float = 0.0
    timed_out: bool = False


# ---------------------------------------------------------------- helpers


def _key(grids: tuple[np.ndarray, ...]) -> bytes:
    return b"|".join(bytes(g.shape) + g.tobytes() for g in grids)


def _to_grid(a: np.ndarray) -> Grid:
    return tuple(tuple(int(v) for v in row) for row in a.tolist())


def _valid(a) -> bool:
    return (isinstance(a, np.ndarray) and a.ndim == 2 and 0 < a.shape[0] <= MAX_SIDE
            and 0 < a.shape[1] <= MAX_SIDE)


def _accuracy(grids, outs) -> float:
    total = 0.0
    for g, o in zip(grids, outs):
        if g.shape == o.shape:
            total += float((g == o).mean())
    return total / len(outs)


def _colors(a: np.ndarray) -> set[int]:
    return set(np.unique(a).tolist())


def fit_color_map(grids, outs) -> tuple[tuple[int, int], ...] | None:
    """A colour map turning every grid into its output (same shapes), or None."""
    table: dict[int, int] = {}
    for g, o in zip(grids, outs):
        if g.shape != o.shape:
            return None
        pairs = np.unique(g.astype(np.int64) * 16 + o.astype(np.int64))
        for p in pairs.tolist():
            src, dst = divmod(p, 16)
            if table.setdefault(src, dst) != dst:
                return None
    mapping = tuple(sorted((s, d) for s, d in table.items() if s != d))
    return mapping or None


# ---------------------------------------------------------------- argument inference


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
        self.kinds = _diff_kinds(grids, outs, self.bgs) if self.same_shape else None

    def allowed(self, name: str) -> bool:
        """Whether ``name`` can still be the last step (see :data:`CAN_CHANGE`)."""
        return not (self.final and self.kinds and name in CAN_CHANGE
                    and not self.kinds <= CAN_CHANGE[name])

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
    "connect": {"paint"}, "ray": {"paint"}, "symmetrize": {"paint"}, "halo": {"paint"},
    "connect_with": {"paint"},
    "stamp_template": {"paint", "recolor"},
    "recolor_objects": {"recolor", "erase"}, "recolor_by": {"recolor", "erase"},
    "hollow": {"recolor", "erase"},
    "keep_objects": {"erase"}, "remove_objects": {"erase"}, "keep_color": {"erase"},
    "remove_color": {"erase"},
}


def _sub(args: tuple, slot, value) -> tuple:
    return tuple(value if a is slot else a for a in args)


PAINT = object()  # placeholder for an inferred paint colour in an argument tuple
SHAPE_KEEPING = {
    "recolor", "swap_colors", "keep_color", "remove_color", "symmetrize", "complete_symmetry",
    "outline", "hollow", "fill_enclosed", "fill_bbox", "draw_border", "connect", "ray",
    "gravity", "gravity_objects", "move_until_contact", "keep_objects", "remove_objects",
    "recolor_objects", "stamp_template", "recolor_by", "map_colors", "rot180", "flip_lr",
    "flip_ud", "shift",
}
TRANSPOSING = {"rot90", "rot270", "transpose", "anti_transpose"}
OBJECT_SELECTORS = ob.SELECTORS
PART_SPLITS = pt.SPLITS


def _with_paint(ctx: Context, name: str, args: tuple) -> Iterator[tuple]:
    """``args`` with PAINT replaced by each inferred colour."""
    probe = _sub(args, PAINT, SENTINEL)
    for c in ctx.paint_colors(name, *probe):
        yield _sub(args, PAINT, c)


def candidates(ctx: Context) -> Iterator[tuple[str, tuple]]:
    """Every (primitive, args) worth trying at a node."""
    grids, outs = ctx.grids, ctx.outs
    shapes_in = [g.shape for g in grids]
    shapes_out = [o.shape for o in outs]
    same = ctx.same_shape
    transposed = all((g.shape[1], g.shape[0]) == o.shape for g, o in zip(grids, outs))
    smaller = all(o.shape[0] <= g.shape[0] and o.shape[1] <= g.shape[1] and o.shape != g.shape
                  for g, o in zip(grids, outs))
    fg = ctx.fg_colors()
    final = ctx.final

    # rigid transforms
    for name in ("rot180", "flip_lr", "flip_ud"):
        if same or not final:
            yield name, ()
    for name in ("rot90", "rot270", "transpose", "anti_transpose"):
        if transposed or not final:
            yield name, ()

    # scale and tile
    up = ctx.ratio(up=True)
    if up and up != (1, 1):
        yield "upscale", up
        yield "tile", up
        yield "tile_mirror", up
        if all(o.shape == (g.shape[0] ** 2, g.shape[1] ** 2) for g, o in zip(grids, outs)):
            for mode in ("fg", "bg", "color"):
                yield "self_tile", (mode,)
    down = ctx.ratio(up=False)
    if down and down != (1, 1):
        yield "downscale", down

    # a new grid of one colour (outputs of one shape and one colour each)
    if len(set(shapes_out)) == 1 and all(len(np.unique(o)) == 1 for o in outs):
        yield from (("canvas", a) for a in _with_paint(ctx, "canvas", (*shapes_out[0], PAINT)))

    # crops (only towards a smaller target; at the last level the shape must match)
    if smaller or not final:
        yield "crop_bbox", ()
        yield "crop_to_period", ()
        for c in fg:
            yield "crop_to_color", (c,)
            yield "crop_inside_color", (c,)
        for which, conn, multi in _distinct_selections(ctx, "bbox"):
            yield "crop_to_object", (which, conn, multi)
        if len(set(shapes_out)) == 1 and not all(len(np.unique(o)) == 1 for o in outs):
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
        for mode in ("majority", "fg"):
            yield "summarize_parts", (mode,)
        if not final or all(o.shape[0] == 1 for o in outs):
            yield "fg_row", ()

    if same or not final:
        # colours
        for c in sorted(ctx.any):
            if c not in ctx.bgs and ctx.allowed("remove_color"):
                yield "remove_color", (c,)
                yield "keep_color", (c,)
            yield from (("recolor", a) for a in _with_paint(ctx, "recolor", (c, PAINT)))
        # symmetry
        for kind in sy.SYMMETRIES if ctx.allowed("symmetrize") else ():
            yield "symmetrize", (kind,)
        for c in sorted(ctx.common):
            if not (final and same) or all((o[g == c] != c).all() for g, o in zip(grids, outs)):
                yield "complete_symmetry", (c,)
                yield "complete_pattern", (c,)
        # outline / fill
        for name in ("outline", "hollow", "fill_enclosed", "fill_bbox", "draw_border"):
            if ctx.allowed(name):
                yield from ((name, a) for a in _with_paint(ctx, name, (PAINT,)))
        # lines
        for d in ("h", "v", "hv") if ctx.allowed("connect") else ():
            yield "connect", (d,)
            yield from (("connect_with", a) for a in _with_paint(ctx, "connect_with", (d, PAINT)))
        for c in fg:
            for d in ("h", "v", "hv"):
                yield "lines_through", (c, d)
            for shape in ops.HALO_SHAPES if ctx.allowed("halo") else ():
                yield from (("halo", a) for a in _with_paint(ctx, "halo", (c, shape, PAINT)))
        for c in fg if ctx.allowed("ray") else ():
            for d in ops.RAY_DIRECTIONS:
                yield "ray", (c, d)
        # gravity and moves
        for d in ops.DIRECTIONS:
            yield "gravity", (d,)
            yield "gravity_objects", (d,)
        for c in fg:
            for d in (*ops.DIRECTIONS, "toward"):
                yield "move_until_contact", (c, d)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    yield "shift", (dy, dx)
        # objects: one selector per distinct selection (on every train grid)
        erase, paint = ctx.allowed("keep_objects"), ctx.allowed("recolor_objects")
        for which, conn, multi in _distinct_selections(ctx, "cells") if erase or paint else ():
            if erase:
                yield "keep_objects", (which, conn, multi)
                yield "remove_objects", (which, conn, multi)
            if paint:
                yield from (("recolor_objects", a) for a in _with_paint(
                ctx, "recolor_objects", (which, PAINT, conn, multi)))
        if same and final and ctx.allowed("recolor_by"):
            for name in ob.PROPERTIES:
                for conn in (8, 4):
                    m = _fit_recolor_by(grids, outs, name, conn)
                    if m:
                        yield "recolor_by", (name, m, conn)
        for c in fg if ctx.allowed("stamp_template") else ():
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


def _fit_recolor_by(grids, outs, name: str, conn: int) -> tuple | None:
    """The (value, colour) table for ``recolor_by`` that explains every changed cell, or None."""
    table: dict[int, int] = {}
    for g, o in zip(grids, outs):
        changed = g != o
        objs = ob.find_objects(g, conn, False)
        covered = np.zeros(g.shape, dtype=bool)
        for obj in objs:
            vals = np.unique(o[obj.rows, obj.cols])
            if len(vals) != 1:
                return None
            v = ob.prop(obj, name, objs)
            if table.setdefault(v, int(vals[0])) != int(vals[0]):
                return None
            covered[obj.rows, obj.cols] = True
        if (changed & ~covered).any():
            return None
    mapping = tuple(sorted((k, v) for k, v in table.items()))
    if not mapping or len(mapping) > 12:
        return None
    return mapping


# ---------------------------------------------------------------- the search


@dataclass
class _Node:
    steps: tuple[Step, ...]
    grids: tuple[np.ndarray, ...]
    score: float = 0.0


def _score(grids, outs) -> float:
    if all(g.shape == o.shape for g, o in zip(grids, outs)):
        return 0.5 + 0.5 * _accuracy(grids, outs)
    return 0.25


def _apply(step: Step, grids) -> tuple[np.ndarray, ...] | None:
    out = []
    for g in grids:
        try:
            r = step.apply(g)
        except Exception:  # noqa: BLE001 - a primitive that cannot apply drops the candidate
            return None
        if not _valid(r):
            return None
        out.append(r)
    return tuple(out)


@dataclass
class _Search:
    task: Task
    deadline: float
    max_depth: int
    max_found: int = 64
    found: list[Found] = field(default_factory=list)
    stats: EnumStats = field(default_factory=EnumStats)

    def __post_init__(self):
        self.ins = tuple(np.array(p.input, dtype=dsl.DTYPE) for p in self.task.train)
        self.outs = tuple(np.array(p.output, dtype=dsl.DTYPE) for p in self.task.train)
        self.tests = tuple(np.array(p.input, dtype=dsl.DTYPE) for p in self.task.test)
        self.seen: set[bytes] = set()
        self.found_keys: set[bytes] = set()

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def record(self, steps: tuple[Step, ...], grids) -> None:
        key = _key(grids) + program_code(steps).encode()
        if key in self.found_keys:
            return
        self.found_keys.add(key)
        tests: list[Grid | None] = []
        for t in self.tests:
            cur = t
            for s in steps:
                r = _apply(s, (cur,))
                if r is None:
                    cur = None
                    break
                cur = r[0]
            tests.append(None if cur is None else _to_grid(cur))
        acc = _accuracy(grids, self.outs)
        exact = all(g.shape == o.shape and (g == o).all() for g, o in zip(grids, self.outs))
        fams = tuple(dict.fromkeys(FAMILY_OF.get(s.name, s.name) for s in steps))
        self.found.append(Found(program_code(steps), steps, [_to_grid(g) for g in grids], tests,
                                len(steps), fams, exact, acc))

    def consider(self, steps, grids) -> None:
        """Record a program when exact, or a near miss; try a fitted colour map."""
        same = all(g.shape == o.shape for g, o in zip(grids, self.outs))
        if not same:
            return
        acc = _accuracy(grids, self.outs)
        if acc == 1.0:
            self.record(steps, grids)
            return
        mapping = fit_color_map(grids, self.outs)
        if mapping is not None:
            step = Step("map_colors", (mapping,))
            mapped = _apply(step, grids)
            if mapped is not None:
                self.record(steps + (step,), mapped)
                return
        if acc >= 0.8 and len(self.found) < self.max_found:
            self.record(steps, grids)

    def run(self) -> None:
        """Iterative deepening: a depth-first, best-first pass for each depth limit."""
        self.consider((), self.ins)
        if any(f.exact for f in self.found):
            return
        for limit in range(1, self.max_depth + 1):
            self.seen = {_key(self.ins): 0}
            self.limit = limit
            try:
                self.expand(_Node((), self.ins), 0)
            except _OutOfTime:
                self.stats.timed_out = True
                return
            self.stats.depth_done = limit
            if any(f.exact for f in self.found):
                return  # every shorter program has been tried: stop at the first exact depth

    def expand(self, node: _Node, depth: int) -> None:
        """Apply every candidate to ``node`` (at ``depth``); recurse into the children, best first."""
        final = depth + 1 == self.limit
        self.stats.expanded += 1
        ctx = Context(node.grids, self.outs, final)
        children: list[_Node] = []
        for name, args in candidates(ctx):
            if self.out_of_time():
                raise _OutOfTime
            step = Step(name, args)
            self.stats.applied += 1
            grids = _apply(step, node.grids)
            if grids is None:
                continue
            k = _key(grids)
            if self.seen.get(k, MAX_SIDE) <= depth + 1:
                continue
            self.seen[k] = depth + 1
            steps = node.steps + (step,)
            if final:
                self.consider(steps, grids)
                if self.limit > 2 and any(f.exact for f in self.found):
                    return  # deep passes stop at their first exact program
            else:
                children.append(_Node(steps, grids, _score(grids, self.outs)))
        children.sort(key=lambda n: -n.score)
        self.stats.kept += len(children)
        for child in children:
            self.expand(child, depth + 1)
            if self.limit > 2 and any(f.exact for f in self.found):
                return


class _OutOfTime(Exception):
    """The search's deadline passed."""


def enumerate_programs(task: Task, seconds: float, max_depth: int = 3,
                       stats: EnumStats | None = None) -> list[Found]:
    """Programs for ``task`` found within ``seconds``, best first (train-exact first, then
    mean pixel accuracy, then shorter). Near misses (pixel accuracy >= 0.8) are included."""
    start = time.perf_counter()
    search = _Search(task, start + seconds, max_depth)
    search.run()
    if stats is not None:
        s = search.stats
        stats.expanded, stats.applied, stats.kept = s.expanded, s.applied, s.kept
        stats.depth_done, stats.timed_out = s.depth_done, s.timed_out
        stats.seconds = time.perf_counter() - start
    return sorted(search.found, key=Found.rank_key)


def predictions(found: list[Found], n: int = 2) -> list[list[Grid]]:
    """The first ``n`` distinct test predictions of train-exact programs that ran on every
    test input."""
    out: list[list[Grid]] = []
    for f in found:
        if f.exact and all(t is not None for t in f.test_outputs) and f.test_outputs not in out:
            out.append(f.test_outputs)
            if len(out) == n:
                break
    return out
