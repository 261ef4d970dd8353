"""Programs without a model: a typed bottom-up enumerator over DSL v2 programs.

    found = enumerate_programs(task, seconds=30, max_depth=3)
    found[0].code           # the best program's text (def task(img): ... return img)
    found[0].test_outputs   # its predictions, one grid per test input (None where it failed)

How it searches. Iterative deepening: one pass per depth limit 1, 2, ... max_depth, each
depth-first and best-first (a node's children are expanded in order of their pixel accuracy
against the train outputs), stopping after the first depth that yields a program exact on
every train pair (deeper passes stop at their first one; a program whose fitted table
misses a value of a test input does not stop the search, and ranks after the exact
programs that do not miss). At each node every primitive call
worth trying is applied, with arguments inferred from the train pairs
(:mod:`solver.search.enumerate_args`). Candidates are deduplicated by the grids they produce
on the train inputs (observational equivalence): within a pass, a tuple of train grids is
expanded once, from its shallowest program. A last-level program whose shapes match the
outputs but not their colours gets one more line, a colour map fitted on the train pairs,
when one exists. When the time cap is hit, what was found so far is returned.

The enumerator runs only programs it builds itself, in this process (trusted): primitives are
called on arrays directly and the program text is rendered at the end. Rendered programs
run unchanged in the sandbox (:class:`solver.sandbox.Executor`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from solver import dsl
from solver.arc.grids import Grid, Task
from solver.search import lift, normalize
from solver.search.candidates import unchanged_is_no_answer
from solver.search.enumerate_args import Context, Reader, candidates
from solver.search.loo import survives
from solver.search.stack import Piece, Stack, Value, find_stacks, make_value

MAX_SIDE = 30
MAX_VALUES = 20000  # same-shape images kept for stacking (the first, cheapest ones)
STACK_SHARE = 0.15  # of the time, kept for stacking after the straight-line passes
VIEW_SHARE = 0.4  # of the time, for searches on other views of the task (when there are any)


@dataclass(frozen=True)
class Step:
    """One line ``img = name(img, *args)``."""

    name: str
    args: tuple = ()

    def code(self, var: str = "img", src: str | None = None) -> str:
        """The line ``var = name(src, *args)`` (``src`` defaults to ``var``)."""
        args = ", ".join([src or var, *(_fmt(a, src or var) for a in self.args)])
        return f"{var} = {self.name}({args})"

    def apply(self, img: np.ndarray) -> np.ndarray:
        args = [dsl.PRIMITIVES[a.name](img) if isinstance(a, Reader) else a for a in self.args]
        return dsl.PRIMITIVES[self.name](img, *args)


def _fmt(a, var: str = "img") -> str:
    if isinstance(a, Reader):
        return a.code(var)
    if isinstance(a, str):
        return repr(a)
    if isinstance(a, tuple):
        inner = ", ".join(_fmt(x, var) for x in a)
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    return repr(a if isinstance(a, bool) or a is None else int(a))


def program_code(steps: tuple[Step, ...] | list[Step]) -> str:
    """The program text of ``steps`` in the DSL's one-call-a-line form."""
    return "def task(img):\n" + "".join(f"    {s.code()}\n" for s in steps) + "    return img\n"


def stack_code(stack: Stack) -> str:
    """The program text of a stack: each piece's chain into its own variable (``p1``, ...),
    the base's chain on ``img``, then one ``img = layer(img, pK)`` a piece."""
    lines = []
    for i, piece in enumerate(stack.pieces, 1):
        src = "img"
        if not piece.steps:
            lines.append(f"p{i} = img")
        for step in piece.steps:
            lines.append(step.code(f"p{i}", src))
            src = f"p{i}"
        if piece.delta:
            lines.append(f"p{i} = changes(p{i}, img)")
    lines += [step.code() for step in stack.base.steps]
    lines += [f"img = layer(img, p{i})" for i in range(1, len(stack.pieces) + 1)]
    return "def task(img):\n" + "".join(f"    {line}\n" for line in lines) + "    return img\n"


FAMILIES = {
    "rigid": ("rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose"),
    "color": ("recolor", "swap_colors", "keep_color", "remove_color"),
    "color_map": ("map_colors",),
    "scale": ("upscale", "upscale_by_colors", "downscale"),
    "tile": ("tile", "tile_mirror", "self_tile", "tile_rotations"),
    "crop": ("crop", "crop_bbox", "crop_to_color", "crop_inside_color", "crop_to_period", "shift",
             "canvas", "pad_edges", "enlarge"),
    "crop_object": ("crop_to_object",),
    "parts": ("combine_parts", "overlay_parts", "select_part", "summarize_parts", "fg_row",
              "spread_part", "turn_parts", "color_by_key",
              "compress", "color_sequence", "colors_by_count", "histogram",
              "count_objects"),
    "symmetry": ("symmetrize", "complete_symmetry", "symmetry_patch", "complete_pattern",
                 "symmetrize_about", "repeat_band"),
    "fill": ("outline", "hollow", "fill_enclosed", "fill_touching", "fill_bbox", "draw_border",
             "fill_squares", "fill_largest_rect", "fill_color_boxes"),
    "lines": ("connect", "connect_with", "ray", "halo", "stamp_around", "lines_through", "ray_to",
              "path_l", "reach", "extend_diagonals", "corner_rays", "cross_lines",
              "mark_midpoints", "bridge", "mark_crossings", "dashed_ray"),
    "gravity": ("gravity", "gravity_objects", "move_until_contact", "attract", "step_toward",
                "reflect_over", "align_objects", "move_by_size"),
    "objects": ("keep_objects", "remove_objects", "recolor_objects", "outline_objects",
                "stamp_template", "map_objects", "recolor_in_bbox", "recolor_alternate",
                "recolor_nearest", "recolor_like_framed", "mark_centres"),
    "recolor_by": ("recolor_by", "recolor_regions_by", "paint_roles", "replace_shapes",
                   "recolor_from_edge", "filter_objects"),
    "layers": ("layer", "underlay", "mask_by", "mask_out", "changes"),
    "normalize": ("norm_colors", "unnorm_colors"),
    "cells": ("fill_parts",),
    "denoise": ("stripes", "heal", "keep_blocks"),
    "classify": ("classify", "constant"),
}
FAMILY_OF = {name: fam for fam, names in FAMILIES.items() for name in names}
#: What a sketch's line stands for: any primitive of its family, colour maps among the colour
#: primitives (the search fits a last colour change as one ``map_colors``, whichever primitive
#: a program that names it would use).
SKETCH_KIND = {name: "color" if fam == "color_map" else fam for name, fam in FAMILY_OF.items()}


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
    misses: bool = False  # a table fitted on the train pairs lacks a value of a test input
    loo: bool | None = None  # survives leave-one-out on the train pairs (None: not checked)

    def rank_key(self) -> tuple:
        return (not self.exact, self.misses, self.loo is False, -self.accuracy, self.depth,
                len(self.code))


@dataclass
class EnumStats:
    """What one search did."""

    expanded: int = 0
    applied: int = 0  # primitive calls tried (each on every train grid)
    distinct: int = 0  # of those, new tuples of train grids (distinct intermediates)
    kept: int = 0
    stacks: int = 0  # exact stacks found
    depth_done: int = 0
    seconds: float = 0.0
    timed_out: bool = False


# ---------------------------------------------------------------- helpers


def _table_misses(step: Step, grid: np.ndarray) -> bool:
    """Whether ``step`` looks up a value of ``grid`` that its table, fitted on the train
    pairs, does not have: ``recolor_by`` on an object whose property value no train object
    had (the program does not know what to do with it: it keeps its colour, or takes the
    table's default, a guess either way)."""
    if step.name != "recolor_by":
        return False
    name, mapping, conn = step.args
    objs = dsl.objects.find_objects(grid, conn, False)
    known = {k for k, _ in mapping if k is not None}
    return any(dsl.objects.prop(o, name, objs) not in known for o in objs)


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
    stack_deadline: float = 0.0  # stacking may run until then (after the straight-line passes)
    sketch: tuple[str, ...] | None = None  # the primitives of each line, in order (a guide's)
    found: list[Found] = field(default_factory=list)
    stats: EnumStats = field(default_factory=EnumStats)

    def __post_init__(self):
        self.ins = tuple(np.array(p.input, dtype=dsl.DTYPE) for p in self.task.train)
        self.outs = tuple(np.array(p.output, dtype=dsl.DTYPE) for p in self.task.train)
        self.tests = tuple(np.array(p.input, dtype=dsl.DTYPE) for p in self.task.test)
        self.seen: dict[bytes, int] = {}
        self.found_keys: set[bytes] = set()
        self.has_exact = False
        # Outputs of a few cells each are matched by chance by long programs: those are
        # not kept beyond two lines.
        self.tiny = all(o.size <= 4 for o in self.outs)
        self.values: dict[bytes, Value] = {}  # images of the outputs' shapes, for stacking
        self.stacked: set[bytes] = set()
        self.add_value((), self.ins)

    def add_value(self, steps: tuple[Step, ...], grids) -> None:
        """Keep an image of the outputs' shapes (the first, cheapest chain that makes it)."""
        if len(self.values) >= MAX_VALUES or not all(g.shape == o.shape for g, o in zip(grids, self.outs)):
            return
        key = _key(grids)
        if key not in self.values:
            self.values[key] = make_value(steps, grids, self.outs, self.ins)

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def record(self, steps: tuple[Step, ...], grids, stack: Stack | None = None) -> None:
        """Keep a program (a chain of ``steps``, or a ``stack``) and its test outputs."""
        code = program_code(steps) if stack is None else stack_code(stack)
        key = _key(grids) + code.encode()
        if key in self.found_keys:
            return
        self.found_keys.add(key)
        tests: list[Grid | None] = []
        misses = False
        for t in self.tests:
            if stack is None:
                cur, miss = _run_chain(steps, t)
            else:
                cur, miss = _run_stack(stack, t)
            misses = misses or miss
            tests.append(None if cur is None else _to_grid(cur))
        acc = _accuracy(grids, self.outs)
        exact = all(g.shape == o.shape and (g == o).all() for g, o in zip(grids, self.outs))
        names = [s.name for s in steps] if stack is None else _stack_names(stack)
        fams = tuple(dict.fromkeys(FAMILY_OF.get(n, n) for n in names))
        depth = len(steps) if stack is None else stack.cost
        loo = survives(steps, self.ins, stack, self.outs) if exact else None
        self.found.append(Found(code, steps, [_to_grid(g) for g in grids], tests,
                                depth, fams, exact, acc, misses, loo))
        # a program that fails leave-one-out does not end the search: a sounder one may follow
        self.has_exact = self.has_exact or (exact and not misses and loo is not False)

    def stack(self) -> None:
        """Exact stacks of the images met so far (:mod:`solver.search.stack`), recorded."""
        fresh = [k for k in self.values if k not in self.stacked]
        if not fresh:
            return
        self.stacked.update(fresh)
        late = lambda: time.perf_counter() > self.stack_deadline  # noqa: E731
        for st in find_stacks(self.values.values(), out_of_time=late):
            grids = st.base.grids
            for piece in st.pieces:
                tops = [_piece_image(piece, g, i) for g, i in zip(piece.grids, self.ins)]
                grids = tuple(dsl.PRIMITIVES["layer"](g, t) for g, t in zip(grids, tops))
            self.record((), grids, stack=st)
            self.stats.stacks += 1

    def consider(self, steps, grids) -> None:
        """Record a program when exact, or a near miss; try a fitted colour map."""
        same = all(g.shape == o.shape for g, o in zip(grids, self.outs))
        if not same:
            return
        acc = _accuracy(grids, self.outs)
        if acc == 1.0:
            if len(steps) < 3 or not self.tiny:
                self.record(steps, grids)
            return
        mapping = fit_color_map(grids, self.outs)
        if mapping is not None:
            step = Step("map_colors", (mapping,))
            mapped = _apply(step, grids)
            if mapped is not None and (len(steps) < 2 or not self.tiny):
                self.record(steps + (step,), mapped)
                return
        if acc >= 0.8 and len(self.found) < self.max_found:
            self.record(steps, grids)

    def run(self) -> None:
        """Iterative deepening: a depth-first, best-first pass for each depth limit, each
        followed by stacking the images it met."""
        self.consider((), self.ins)
        if self.has_exact:
            return
        for limit in self.limits():
            self.seen = {_key(self.ins): 0}
            self.limit = limit
            try:
                self.expand(_Node((), self.ins), 0)
            except _OutOfTime:
                self.stats.timed_out = True
                self.stack()
                return
            self.stats.depth_done = limit
            if not self.has_exact:
                self.stack()
            if self.has_exact:
                return  # every shorter program has been tried: stop at the first exact depth

    def limits(self) -> list[int]:
        """The depth limits of the passes: 1 to ``max_depth``; a sketch's length (first
        without its last line when that is a colour change: the colour map fitted after
        the last line stands for it)."""
        if not self.sketch:
            return list(range(1, self.max_depth + 1))
        n = len(self.sketch)
        colour_last = n > 1 and SKETCH_KIND.get(self.sketch[-1]) == "color"
        return [n - 1, n] if colour_last else [n]

    def expand(self, node: _Node, depth: int) -> None:
        """Apply every candidate to ``node`` (at ``depth``); recurse into the children, best first."""
        final = depth + 1 == self.limit
        self.stats.expanded += 1
        only = SKETCH_KIND.get(self.sketch[depth], self.sketch[depth]) if self.sketch else None
        ctx = Context(node.grids, self.outs, final)
        children: list[_Node] = []
        for name, args in candidates(ctx):
            if self.out_of_time():
                raise _OutOfTime
            if only is not None and SKETCH_KIND.get(name, name) != only:
                continue
            step = Step(name, args)
            self.stats.applied += 1
            grids = _apply(step, node.grids)
            if grids is None:
                continue
            k = _key(grids)
            if self.seen.get(k, MAX_SIDE) <= depth + 1:
                continue
            self.seen[k] = depth + 1
            self.stats.distinct += 1
            steps = node.steps + (step,)
            self.add_value(steps, grids)
            if final:
                self.consider(steps, grids)
                if self.limit > 2 and self.has_exact:
                    return  # deep passes stop at their first exact program
            else:
                children.append(_Node(steps, grids, _score(grids, self.outs)))
        children.sort(key=lambda n: -n.score)
        self.stats.kept += len(children)
        for child in children:
            self.expand(child, depth + 1)
            if self.limit > 2 and self.has_exact:
                return


def _run_chain(steps, grid: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """``steps`` applied to one grid (None when one fails), and whether a fitted table
    missed a value of it."""
    cur, misses = grid, False
    for s in steps:
        misses = misses or _table_misses(s, cur)
        r = _apply(s, (cur,))
        if r is None:
            return None, misses
        cur = r[0]
    return cur, misses


def _run_stack(stack: Stack, grid: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """A stack's program on one grid: its base, then each piece laid over it."""
    cur, misses = _run_chain(stack.base.steps, grid)
    for piece in stack.pieces:
        top, miss = _run_chain(piece.steps, grid)
        misses = misses or miss
        if cur is None or top is None or top.shape != cur.shape or (piece.delta and top.shape != grid.shape):
            return None, misses
        cur = dsl.PRIMITIVES["layer"](cur, _piece_image(piece, top, grid))
    return cur, misses


def _piece_image(piece: Piece, image: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """What a piece lays: its chain's ``image`` whole, or only what the chain changed from
    the input ``grid`` (a delta piece)."""
    return dsl.PRIMITIVES["changes"](image, grid) if piece.delta else image


def _stack_names(stack: Stack) -> list[str]:
    names = [s.name for p in stack.pieces for s in p.steps] + [s.name for s in stack.base.steps]
    return names + ["layer"] + (["changes"] if any(p.delta for p in stack.pieces) else [])


class _OutOfTime(Exception):
    """The search's deadline passed."""


@dataclass(frozen=True)
class _View:
    """Another way to see a task: the task transformed, how an output comes back, and how a
    program found on it is wrapped (colour roles, cells as pixels)."""

    name: str
    task: Task
    back: object  # (output, the original input) -> output
    wrap: object  # code -> code


def _views(task: Task) -> list[_View]:
    """The transformed tasks worth a search of their own (cells first: a structural signal)."""
    out = []
    lifted = lift.lifted_task(task)
    if lifted is not None:
        out.append(_View("cells", lifted, lift.back, lift.wrap_code))
    if normalize.worth_it(task):
        out.append(_View("normalize", normalize.normalized_task(task), normalize.back,
                         normalize.wrap_code))
    return out


def enumerate_programs(task: Task, seconds: float, max_depth: int = 3,
                       stats: EnumStats | None = None,
                       sketch: Sequence[str] | None = None) -> list[Found]:
    """Programs for ``task`` found within ``seconds``, best first (train-exact first, then
    mean pixel accuracy, then shorter). Near misses (pixel accuracy >= 0.8) are included.

    When the task can be seen another way (:func:`_views`: its cells as pixels,
    :mod:`solver.search.lift`; its colours renamed by role, :mod:`solver.search.normalize`),
    the search on the task as it is gets ``1 - VIEW_SHARE`` of the time and the views
    share the rest, each searched unless an exact program that covers every test input and
    survives leave-one-out was already found.

    With a ``sketch`` (a primitive's name for each line, in order: what a guide proposes),
    only programs with those lines are searched, each line any primitive of the named one's
    family (:data:`SKETCH_KIND`), the arguments fitted as usual, on the task as it is (no
    views)."""
    start = time.perf_counter()
    end = start + seconds
    views = [] if sketch else _views(task)
    first_end = start + seconds * (1 - VIEW_SHARE) if views else end
    search = _search(task, start, first_end, max_depth, tuple(sketch) if sketch else None)
    found = list(search.found)
    parts = [search.stats]
    for k, view in enumerate(views):
        if any(f.exact and not f.misses and f.loo is not False for f in found):
            break
        now = time.perf_counter()
        share = (end - now) / (len(views) - k)
        if share <= 0.05 * seconds / len(views):
            break
        other = _search(view.task, now, now + share, max_depth)
        found += [_seen_back(f, task, view) for f in other.found]
        parts.append(other.stats)
    if stats is not None:
        for name in ("expanded", "applied", "kept", "distinct", "stacks"):
            setattr(stats, name, sum(getattr(p, name) for p in parts))
        stats.depth_done = min(p.depth_done for p in parts)
        stats.timed_out = any(p.timed_out for p in parts)
        stats.seconds = time.perf_counter() - start
    return sorted(found, key=Found.rank_key)


def _search(task: Task, start: float, end: float, max_depth: int,
            sketch: tuple[str, ...] | None = None) -> _Search:
    """One search from ``start`` to ``end``: straight-line passes, then stacking."""
    search = _Search(task, start + (end - start) * (1 - STACK_SHARE), max_depth,
                     stack_deadline=end, sketch=sketch)
    search.run()
    return search


def _seen_back(f: Found, task: Task, view: _View) -> Found:
    """A program found on a view of ``task``, as a program for ``task``: wrapped, its
    outputs brought back (two lines more)."""
    train = [view.back(g, p.input) for g, p in zip(f.train_outputs, task.train)]
    tests = [view.back(g, p.input) for g, p in zip(f.test_outputs, task.test)]
    grids = [np.array(g if g is not None else ((-1,),)) for g in train]
    outs = [np.array(p.output) for p in task.train]
    exact = all(g.shape == o.shape and (g == o).all() for g, o in zip(grids, outs))
    return Found(view.wrap(f.code), f.steps, train, tests, f.depth + 2, (*f.families, view.name),
                 exact, _accuracy(grids, outs), f.misses, f.loo if exact else None)


def predictions(found: list[Found], n: int = 2, task: Task | None = None) -> list[list[Grid]]:
    """The first ``n`` distinct test predictions of train-exact programs that ran on every
    test input. With ``task``: when every train output differs from its input, a
    prediction that gives a test input back unchanged comes after the others."""
    out: list[list[Grid]] = []
    if task is not None and unchanged_is_no_answer(task):
        found = sorted(found, key=lambda f: any(o == p.input for o, p in zip(f.test_outputs, task.test)))
    for f in found:
        if f.exact and all(t is not None for t in f.test_outputs) and f.test_outputs not in out:
            out.append(f.test_outputs)
            if len(out) == n:
                break
    return out
