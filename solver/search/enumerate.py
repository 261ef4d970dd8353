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
from dataclasses import dataclass, field

import numpy as np

from solver import dsl
from solver.arc.grids import Grid, Task
from solver.search.candidates import unchanged_is_no_answer
from solver.search.enumerate_args import Context, Reader, candidates

MAX_SIDE = 30


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
    "scale": ("upscale", "upscale_by_colors", "downscale"),
    "tile": ("tile", "tile_mirror", "self_tile", "tile_rotations"),
    "crop": ("crop", "crop_bbox", "crop_to_color", "crop_inside_color", "crop_to_period", "shift",
             "canvas"),
    "crop_object": ("crop_to_object",),
    "parts": ("combine_parts", "overlay_parts", "select_part", "summarize_parts", "fg_row",
              "compress", "color_sequence", "colors_by_count"),
    "symmetry": ("symmetrize", "complete_symmetry", "symmetry_patch", "complete_pattern"),
    "fill": ("outline", "hollow", "fill_enclosed", "fill_touching", "fill_bbox", "draw_border"),
    "lines": ("connect", "connect_with", "ray", "halo", "stamp_around", "lines_through"),
    "gravity": ("gravity", "gravity_objects", "move_until_contact"),
    "objects": ("keep_objects", "remove_objects", "recolor_objects", "outline_objects",
                "stamp_template"),
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
    misses: bool = False  # a table fitted on the train pairs lacks a value of a test input

    def rank_key(self) -> tuple:
        return (not self.exact, self.misses, -self.accuracy, self.depth, len(self.code))


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


def _table_misses(step: Step, grid: np.ndarray) -> bool:
    """Whether ``step`` looks up a value of ``grid`` that its table, fitted on the train
    pairs, does not have: ``recolor_by`` on an object whose property value no train object
    had (the program does not know what to do with it, so it keeps its colour)."""
    if step.name != "recolor_by":
        return False
    name, mapping, conn = step.args
    objs = dsl.objects.find_objects(grid, conn, False)
    known = {k for k, _ in mapping}
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

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def record(self, steps: tuple[Step, ...], grids) -> None:
        key = _key(grids) + program_code(steps).encode()
        if key in self.found_keys:
            return
        self.found_keys.add(key)
        tests: list[Grid | None] = []
        misses = False
        for t in self.tests:
            cur = t
            for s in steps:
                misses = misses or _table_misses(s, cur)
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
                                len(steps), fams, exact, acc, misses))
        self.has_exact = self.has_exact or (exact and not misses)

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
        """Iterative deepening: a depth-first, best-first pass for each depth limit."""
        self.consider((), self.ins)
        if self.has_exact:
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
            if self.has_exact:
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
