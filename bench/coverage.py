"""A failure atlas of the ARC-AGI-1 training tasks: what the enumerator lacks, task by task.

    python bench/coverage.py --task-time 5s --workers 2         # enumerate, label, write the doc
    python bench/coverage.py --from runs/coverage.json          # relabel saved records, no search
    python bench/coverage.py --limit 40 --task-time 2s --out runs/cov40.json --md ""   # a quick subset

Step 1 runs the enumerator (no model; ``_harness.enumerate_tasks``, shared with
bench/enumerate.py) on every training task and keeps one JSON record a task (solved or not,
its best train pixel accuracy). A task counts as solved when one of the first two distinct
test predictions of train-exact programs is exactly right on every test output. Step 2 gives every unsolved task the capability it most visibly needs, from a fixed
vocabulary (:data:`LABELS`), by deterministic detectors that read the train pairs only (never
a test output): a primary label, the first detector that fires in the order of
:data:`LABELS`, plus the list of every detector that fires. Step 3 writes the atlas as
Markdown (``--md``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from solver.arc.grids import Task

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h
from solver.run.config import RunConfig  # noqa: E402

SET = "arc1-train"

# ---------------------------------------------------------------- step 1: enumeration


def coverage_record(rec: dict) -> dict:
    """Whether the task is solved, and how close the best program came, from the harness's
    enumerator record (:func:`_harness.enumerate_task`): ``train_exact``
    is any program exact on the train pairs (whether or not it ran on the test inputs) and
    ``code`` the best program's."""
    return {"id": rec["id"], "solved": rec["solved"], "train_exact": rec["exact_on_train"],
            "best_accuracy": rec["best_accuracy"], "code": rec["best_code"],
            "seconds": rec["seconds"], "timed_out": rec["timed_out"]}


def enumerate_tasks(tasks: Sequence[Task], seconds: float, depth: int, workers: int,
                    backend: str = "local", ray_address: str = "auto") -> list[dict]:
    """One record a task, sorted by id, on a pool of ``workers`` processes
    (:func:`_harness.enumerate_tasks`)."""
    return [coverage_record(r) for r in h.enumerate_tasks(tasks, seconds, depth, workers,
                                                          backend, ray_address)]


# ---------------------------------------------------------------- grid helpers

STEPS4 = ((1, 0), (-1, 0), (0, 1), (0, -1))
STEPS8 = STEPS4 + ((1, 1), (1, -1), (-1, 1), (-1, -1))


@dataclass(frozen=True)
class View:
    """One train pair as arrays, with the input's background colour."""

    a: np.ndarray
    b: np.ndarray
    bg: int

    @property
    def same_shape(self) -> bool:
        return self.a.shape == self.b.shape

    @property
    def diff(self) -> np.ndarray:
        """Cells whose colour changed (same-shape pairs only)."""
        return self.a != self.b

    @property
    def painted(self) -> np.ndarray:
        """Background cells of the input given another colour (same-shape pairs only)."""
        return (self.a == self.bg) & (self.b != self.bg)


def background(grid: Sequence[Sequence[int]]) -> int:
    """The most common colour of a grid (0 on a tie)."""
    counts = Counter(v for row in grid for v in row)
    return max(counts, key=lambda c: (counts[c], c == 0))


def views(task: Task) -> list[View]:
    """The train pairs of ``task``, each with its input's background."""
    return [View(np.array(p.input), np.array(p.output), background(p.input)) for p in task.train]


def components(a: np.ndarray, mask: np.ndarray, conn: int = 8, by_color: bool = True) -> list[np.ndarray]:
    """Connected sets of ``mask`` cells (of one colour each when ``by_color``), as boolean masks."""
    h, w = a.shape
    seen = np.zeros((h, w), dtype=bool)
    steps = STEPS8 if conn == 8 else STEPS4
    out = []
    for r, c in zip(*np.nonzero(mask)):
        if seen[r, c]:
            continue
        comp = np.zeros((h, w), dtype=bool)
        seen[r, c] = comp[r, c] = True
        stack = [(r, c)]
        while stack:
            y, x = stack.pop()
            for dy, dx in steps:
                ny, nx = y + dy, x + dx
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx] \
                        and (not by_color or a[ny, nx] == a[r, c]):
                    seen[ny, nx] = comp[ny, nx] = True
                    stack.append((ny, nx))
        out.append(comp)
    return out


def objects(a: np.ndarray, bg: int, conn: int = 8, by_color: bool = True) -> list[np.ndarray]:
    """The non-background objects of ``a`` as boolean masks."""
    return components(a, a != bg, conn, by_color)


def crop_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` cut to its bounding box."""
    rows, cols = np.nonzero(mask)
    return mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def patch(a: np.ndarray, mask: np.ndarray, fill: int = -1) -> np.ndarray:
    """The colours of ``mask``'s cells in its bounding box, ``fill`` elsewhere."""
    rows, cols = np.nonzero(mask)
    sl = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    return np.where(mask[sl], a[sl], fill)


def rigid(a: np.ndarray) -> list[np.ndarray]:
    """The eight rotations and reflections of ``a``."""
    rots = [np.rot90(a, k) for k in range(4)]
    return rots + [np.fliplr(r) for r in rots]


def key(a: np.ndarray) -> bytes:
    """A hashable form of an array (shape and values)."""
    return bytes(str(a.shape), "ascii") + np.ascontiguousarray(a, dtype=np.int8).tobytes()


def rigid_keys(a: np.ndarray) -> set[bytes]:
    return {key(v) for v in rigid(a)}


def is_subgrid(small: np.ndarray, big: np.ndarray) -> bool:
    """Whether ``small`` appears somewhere in ``big`` exactly."""
    if small.shape[0] > big.shape[0] or small.shape[1] > big.shape[1]:
        return False
    windows = np.lib.stride_tricks.sliding_window_view(big, small.shape)
    return bool((windows == small).all(axis=(2, 3)).any())


def uniform(a: np.ndarray) -> bool:
    return bool((a == a.flat[0]).all())


def separator_lines(a: np.ndarray, color: int) -> tuple[list[int], list[int]]:
    """Interior full rows and full columns of ``color``, each one cell thick (its neighbours
    are not full lines of that colour: thick bands are stripes, not separators)."""
    h, w = a.shape
    full_rows = {r for r in range(h) if (a[r] == color).all()}
    full_cols = {k for k in range(w) if (a[:, k] == color).all()}
    if len(full_rows) == h:
        return [], []
    rows = sorted(r for r in full_rows if 0 < r < h - 1 and not {r - 1, r + 1} & full_rows)
    cols = sorted(k for k in full_cols if 0 < k < w - 1 and not {k - 1, k + 1} & full_cols)
    return rows, cols


def has_separators(a: np.ndarray, bg: int) -> bool:
    """Whether ``a`` is cut into cells by separator lines of one colour: two lines or more, or
    one line through its middle (two halves); lines of the background colour count only as a
    lattice (rows and columns both, evenly spaced), since empty rows are common."""
    h, w = a.shape
    for c in np.unique(a).tolist():
        rows, cols = separator_lines(a, c)
        if c == bg:
            if len(rows) >= 2 and len(cols) >= 2 and _even(rows, h) and _even(cols, w):
                return True
        elif len(rows) + len(cols) >= 2 or rows == [(h - 1) / 2] or cols == [(w - 1) / 2]:
            return True
    return False


def _even(lines: list[int], size: int) -> bool:
    """Whether ``lines`` cut ``size`` cells into equal spans."""
    edges = [-1, *lines, size]
    return len({b - a for a, b in zip(edges, edges[1:])}) == 1


def enclosed(a: np.ndarray, color: int) -> np.ndarray:
    """Cells of ``color`` that are not 4-connected to the grid's edge through ``color`` cells."""
    free = a == color
    outside = np.zeros_like(free)
    h, w = a.shape
    stack = [(r, c) for r in range(h) for c in range(w)
             if free[r, c] and (r in (0, h - 1) or c in (0, w - 1))]
    for r, c in stack:
        outside[r, c] = True
    while stack:
        y, x = stack.pop()
        for dy, dx in STEPS4:
            ny, nx = y + dy, x + dx
            if 0 <= ny < h and 0 <= nx < w and free[ny, nx] and not outside[ny, nx]:
                outside[ny, nx] = True
                stack.append((ny, nx))
    return free & ~outside


def _agree(x: np.ndarray, y: np.ndarray) -> bool:
    return x.size > 0 and bool((x == y).all())


def symmetries(a: np.ndarray, min_overlap: float = 0.6) -> set[str]:
    """The symmetries ``a`` has, by name: mirrors about a vertical or horizontal axis (not
    necessarily central: over a band of at least ``min_overlap`` of the width or height that
    holds nine tenths of the cells not of the grid's most common colour), the diagonal
    mirrors, the half and quarter turns, and translations (over at least half the grid)."""
    found = set()
    for name, g in (("lr", a), ("ud", a.T)):
        w = g.shape[1]
        content = g != background(g.tolist())
        for s in range(1, 2 * w - 2):  # columns j and s - j mirror each other
            lo, hi = max(0, s - (w - 1)), min(w - 1, s)
            band = g[:, lo:hi + 1]
            if hi - lo + 1 >= max(2, min_overlap * w) and _agree(band, band[:, ::-1]) \
                    and content[:, lo:hi + 1].sum() >= 0.9 * content.sum():
                found.add(f"{name}{s}")
    if a.shape[0] == a.shape[1]:
        for name, t in (("transpose", a.T), ("antitranspose", np.rot90(a, 2).T), ("rot90", np.rot90(a))):
            if _agree(a, t):
                found.add(name)
    if _agree(a, np.rot90(a, 2)):
        found.add("rot180")
    return found | {f"shift{dr},{dc}" for dr, dc in periods(a)}


def periods(a: np.ndarray, min_overlap: float = 0.5) -> list[tuple[int, int]]:
    """Shifts (rows, cols) that leave ``a`` unchanged over at least ``min_overlap`` of its area."""
    h, w = a.shape
    found = []
    for dr in range(0, h):
        for dc in range(-w + 1, w):
            if (dr == 0 and dc <= 0) or (h - dr) * (w - abs(dc)) < min_overlap * h * w:
                continue
            x = a[dr:, max(dc, 0):w + min(dc, 0)]
            y = a[:h - dr, max(-dc, 0):w - max(dc, 0)]
            if _agree(x, y):
                found.append((dr, dc))
    return found


def image(mask: np.ndarray, name: str) -> np.ndarray:
    """Where the symmetry ``name`` of :func:`symmetries` sends the cells of ``mask``; a shift is
    repeated both ways to the grid's edges (a periodic continuation)."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    rows, cols = np.nonzero(mask)
    if name.startswith("shift"):
        dr, dc = map(int, name[5:].split(","))
        for k in range(1, max(h, w) + 1):
            for sign in (1, -1):
                r, c = rows + sign * k * dr, cols + sign * k * dc
                ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                out[r[ok], c[ok]] = True
        return out
    if name.startswith("lr"):
        r, c = rows, int(name[2:]) - cols
    elif name.startswith("ud"):
        r, c = int(name[2:]) - rows, cols
    else:
        r, c = {"transpose": (cols, rows), "antitranspose": (w - 1 - cols, h - 1 - rows),
                "rot90": (w - 1 - cols, rows), "rot180": (h - 1 - rows, w - 1 - cols)}[name]
    ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    out[r[ok], c[ok]] = True
    return out


def gains_symmetry(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether ``after`` (several colours) has a symmetry of :func:`symmetries` that ``before``
    lacks (same shapes), or ``after`` is symmetric when ``before`` has another shape."""
    if uniform(after):
        return False
    if before.shape != after.shape:
        return bool(symmetries(after))
    return bool(symmetries(after) - symmetries(before))


def straight_run(mask: np.ndarray, length: int = 3) -> bool:
    """Whether ``mask`` holds ``length`` cells in a row, horizontally, vertically or diagonally."""
    h, w = mask.shape
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        for r, c in zip(*np.nonzero(mask)):
            if all(0 <= r + k * dy < h and 0 <= c + k * dx < w and mask[r + k * dy, c + k * dx]
                   for k in range(length)):
                return True
    return False


def blocky(mask: np.ndarray) -> np.ndarray:
    """Cells of ``mask`` that lie in a full 2x2 block of ``mask``."""
    full = mask[1:, 1:] & mask[:-1, 1:] & mask[1:, :-1] & mask[:-1, :-1]
    out = np.zeros_like(mask)
    for dy in (0, 1):
        for dx in (0, 1):
            out[dy:dy + full.shape[0], dx:dx + full.shape[1]] |= full
    return out


def thin_stroke(mask: np.ndarray, around: np.ndarray) -> bool:
    """Whether at most a quarter of ``mask``'s cells lie in full 2x2 blocks of ``mask`` and of
    the ``around`` cells touching it (a ring around an object is not a stroke)."""
    whole = mask | (dilate(mask) & around)
    return (blocky(whole) & mask).sum() <= 0.25 * mask.sum()


def dilate(mask: np.ndarray) -> np.ndarray:
    """``mask`` and its 8 neighbours."""
    p = np.pad(mask, 1)
    h, w = mask.shape
    return np.logical_or.reduce([p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in STEPS8 + ((0, 0),)])


def counts(a: np.ndarray, bg: int) -> dict[str, int]:
    """Things one might count in a grid: objects, colours, cells of each colour (unless they
    make one filled rectangle: its area is a shape, not a count)."""
    found = {"objects (8-conn)": len(objects(a, bg, 8)),
             "objects (4-conn)": len(objects(a, bg, 4)),
             "shapes (multicolour)": len(objects(a, bg, 8, by_color=False)),
             "colours": len(set(np.unique(a).tolist()) - {bg})}
    for c in range(10):
        if c != bg:
            cells = a == c
            if not (cells.any() and crop_mask(cells).all()):
                found[f"cells of {c}"] = int(cells.sum())
            found[f"objects of {c}"] = len(components(a, a == c, 8))
            found[f"objects of {c} (4-conn)"] = len(components(a, a == c, 4))
            found[f"objects of {c} > 1 cell"] = sum(m.sum() > 1 for m in components(a, a == c, 8))
    return found


# ---------------------------------------------------------------- detectors
# Each detector reads the train pairs of a task (as views) and answers whether the task shows
# the capability. They are deliberately simple and deterministic; see LABELS for the order.


def output_size_rule(vs: list[View]) -> bool:
    """Output shapes follow no simple rule: not the input's, not one fixed integer ratio of it,
    not one constant shape, and some output is not an exact sub-grid of its input."""
    ins = [v.a.shape for v in vs]
    outs = [v.b.shape for v in vs]
    if ins == outs or len(set(outs)) == 1:
        return False
    ratios = {(o[0] / i[0], o[1] / i[1]) for i, o in zip(ins, outs)}
    if len(ratios) == 1:
        return False
    return not all(is_subgrid(v.b, v.a) for v in vs)


def select_a_part(vs: list[View]) -> bool:
    """Every output is smaller than its input and is an exact sub-grid of it (up to a rotation
    or reflection), or one of its objects; outputs that are all single colours count only as
    whole objects (not 1x1)."""
    if any(v.b.shape == v.a.shape or v.b.size > v.a.size for v in vs):
        return False
    if all(uniform(v.b) for v in vs):
        return any(v.b.size > 1 for v in vs) and all(_is_part(v, objects_only=True) for v in vs)
    return all(_is_part(v) for v in vs)


def _is_part(v: View, objects_only: bool = False) -> bool:
    if not objects_only and any(is_subgrid(g, v.a) for g in rigid(v.b)):
        return True
    want = rigid_keys(v.b)
    for by_color in (True, False):
        for m in objects(v.a, v.bg, 8, by_color):
            if key(patch(v.a, m, v.bg)) in want:
                return True
    return False


def template_into_cells(vs: list[View]) -> bool:
    """Every input is cut into cells by full lines of one colour, or every output (of another
    shape) is; or the output is a grid of input-sized blocks, some of them the input's shape;
    or the output overlays equal parts of the input (halves, quarters)."""
    if all(has_separators(v.a, v.bg) for v in vs):
        return True
    if not all(v.same_shape for v in vs) and all(v.b.size >= 25 and has_separators(v.b, v.bg) for v in vs):
        return True
    return all(_blocks_of_input(v) for v in vs) or all(_overlaid_parts(v) for v in vs)


def _blocks_of_input(v: View) -> bool:
    (h, w), (H, W) = v.a.shape, v.b.shape
    if H % h or W % w or (H, W) == (h, w):
        return False
    shapes = rigid_keys(v.a != v.bg)
    return any(key(v.b[r:r + h, c:c + w] != v.bg) in shapes
               for r in range(0, H, h) for c in range(0, W, w))


def _overlaid_parts(v: View) -> bool:
    """The input splits evenly into two to four parts of the output's shape, and the output
    combines them: its coloured cells lie where some part has colour and include the cells
    where all parts have colour; it is none of the parts."""
    (h, w), (oh, ow) = v.a.shape, v.b.shape
    if h % oh or w % ow or not 2 <= (h // oh) * (w // ow) <= 4 or v.b.size < 4:
        return False
    parts = [v.a[r:r + oh, c:c + ow] for r in range(0, h, oh) for c in range(0, w, ow)]
    fgs = np.array([p != v.bg for p in parts])
    out = v.b != v.bg
    return (not any(np.array_equal(p, v.b) for p in parts)
            and bool((out <= fgs.any(axis=0)).all() and (fgs.all(axis=0) <= out).all()))


def counting(vs: list[View]) -> bool:
    """The output is a summary (another shape than the input) whose height, width, area or
    number of coloured cells equals a count of the input (the same kind of count in every
    pair, varying from pair to pair), or whose single colour is the input's most or least
    frequent one."""
    if any(v.same_shape for v in vs):
        return False
    tallies = [counts(v.a, v.bg) for v in vs]
    quantities = ([v.b.shape[0] for v in vs], [v.b.shape[1] for v in vs], [v.b.size for v in vs],
                  [int((v.b != v.bg).sum()) for v in vs])
    for q in quantities:
        if len(set(q)) > 1 and any(all(t.get(name) == x for t, x in zip(tallies, q)) for name in tallies[0]):
            return True
    return _extreme_colour_output(vs)


def _extreme_colour_output(vs: list[View]) -> bool:
    """Single-colour outputs, not all the same colour, whose colour is always the input's most
    (or always its least) frequent colour, by cells or by objects."""
    if not all(uniform(v.b) for v in vs) or len({int(v.b.flat[0]) for v in vs}) < 2:
        return False
    return any(all(int(v.b.flat[0]) == _extreme_colour(v, by_objects, pick) for v in vs)
               for by_objects in (False, True) for pick in (max, min))


def _extreme_colour(v: View, by_objects: bool, pick: Callable) -> int | None:
    """The input's non-background colour with the most (``pick=max``) or fewest cells or
    objects; None on a tie."""
    colours = set(np.unique(v.a).tolist()) - {v.bg}
    tally = {c: len(components(v.a, v.a == c, 8)) if by_objects else int((v.a == c).sum()) for c in colours}
    if not tally:
        return None
    best = pick(tally.values())
    winners = [c for c, n in tally.items() if n == best]
    return winners[0] if len(winners) == 1 else None


def classify_input(vs: list[View]) -> bool:
    """Small outputs of one shape that repeat across pairs (fewer distinct outputs than pairs,
    at least two): one of a few fixed answers, chosen by a property of the whole input."""
    outs = {key(v.b) for v in vs}
    return (len({v.b.shape for v in vs}) == 1 and vs[0].b.size <= 16
            and 2 <= len(outs) < len(vs))


def pattern_inpainting(vs: list[View]) -> bool:
    """Cells of one colour are replaced so that the grid (or the shapes holding them) gains a
    symmetry or period; or a pattern is continued onto a larger output; or the output is
    exactly the size of a one-colour rectangle of the input (the content hidden under it)."""
    if all(v.same_shape for v in vs):
        return any(v.diff.any() for v in vs) and all(_inpainted(v) for v in vs)
    if all(v.b.shape[0] >= v.a.shape[0] and v.b.shape[1] >= v.a.shape[1] for v in vs):
        return all(_extended(v) for v in vs)
    return all(_hidden_rectangle(v) for v in vs)


def _inpainted(v: View) -> bool:
    """The changed cells all had one colour; either it is not the background and the grid
    gains a symmetry, or the whole background is covered by a pattern with a symmetry the input
    lacked, or the painted cells mirror (or continue periodically) the input's coloured cells
    under symmetries the output gains, or they complete shapes that were mostly there."""
    d = v.diff
    if not d.any():
        return True
    masked = np.unique(v.a[d])
    if len(masked) != 1:
        return False
    if masked[0] != v.bg or not (v.b == v.bg).any():
        return gains_symmetry(v.a, v.b)
    return _mirrors_input(v) or _completes_shapes(v)


def _mirrors_input(v: View) -> bool:
    """Within the bounding box of the output's coloured cells, every painted cell is the image
    of a coloured input cell under a symmetry that the output gains: of its colours, or a
    mirror or turn of the layout of its coloured cells (a completion may use a new colour)."""
    rows, cols = np.nonzero(v.b != v.bg)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    a, b, painted = v.a[box], v.b[box], v.painted[box]
    if uniform(b):
        return False
    fa, fb = (a != v.bg).astype(np.int8), (b != v.bg).astype(np.int8)
    gained = symmetries(b) - symmetries(a)
    if not fb.all():  # the layout's mirrors and turns (a filled box has them all)
        gained |= {g for g in symmetries(fb) - symmetries(fa) if not g.startswith("shift")}
    if not gained:
        return False
    reached = np.logical_or.reduce([image(fa.astype(bool), g) for g in gained])
    return bool((painted <= reached).all())


def _completes_shapes(v: View) -> bool:
    """Every output shape holding changed cells was at least two thirds there in the input and
    gains a mirror or rotation symmetry."""
    shapes = [m for m in objects(v.b, v.bg, 8, by_color=False) if (m & v.diff).any()]
    for m in shapes:
        if (m & ~v.diff).sum() < 2 * m.sum() / 3:
            return False
        rows, cols = np.nonzero(m)
        box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        before = np.where(m[box], v.a[box], v.bg)
        gained = symmetries(patch(v.b, m, v.bg)) - symmetries(before)
        if not any(not g.startswith("shift") for g in gained):
            return False
    return bool(shapes)


def _extended(v: View) -> bool:
    """The input (its coloured cells, or its colours but for one) sits in a larger periodic
    output."""
    if v.b.shape == v.a.shape or not periods(v.b) or uniform(v.b):
        return False
    windows = np.lib.stride_tricks.sliding_window_view(v.b, v.a.shape)
    fg = v.a != v.bg
    for row in windows:
        for w in row:
            if ((w != v.bg) == fg).all() or len(np.unique(v.a[w != v.a])) <= 1:
                return True
    return False


def _hidden_rectangle(v: View) -> bool:
    """The output fits a one-colour rectangle of the input, and the input with the output put
    in its place is symmetric or periodic."""
    for c in np.unique(v.a).tolist():
        for m in components(v.a, v.a == c, 4):
            if crop_mask(m).shape != v.b.shape or not crop_mask(m).all() or uniform(v.b):
                continue
            rows, cols = np.nonzero(m)
            whole = v.a.copy()
            whole[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = v.b
            if symmetries(whole):
                return True
    return False


def fill_regions(vs: list[View]) -> bool:
    """Only background cells change, and (nearly) all of them are enclosed by other colours."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    changed = sum(int(v.diff.sum()) for v in vs)
    if any((v.diff & (v.a != v.bg)).any() for v in vs):
        return False
    inside = sum(int((v.diff & enclosed(v.a, v.bg)).sum()) for v in vs)
    return inside >= 0.9 * changed


def denoise(vs: list[View]) -> bool:
    """Changed cells are mostly isolated specks (components of at most 2 cells) of the input,
    and every output has fewer such specks than its input."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    changed = speck_changed = 0
    for v in vs:
        in_specks, out_specks = _specks(v.a), _specks(v.b)
        if v.diff.any() and out_specks.sum() >= in_specks.sum():
            return False
        changed += int(v.diff.sum())
        speck_changed += int((v.diff & in_specks).sum())
    return speck_changed >= 0.8 * changed


def _specks(a: np.ndarray) -> np.ndarray:
    """Cells in 8-connected one-colour components of one or two cells."""
    out = np.zeros(a.shape, dtype=bool)
    for m in components(a, np.ones(a.shape, dtype=bool), 8):
        if m.sum() <= 2:
            out |= m
    return out


def line_drawing(vs: list[View]) -> bool:
    """Most changes paint background cells (rather than recolour or erase), and most painted
    cells form thin strokes with a straight run of at least three cells (horizontal, vertical
    or diagonal) that do not complete a copy of an input shape."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    painted = sum(int(v.painted.sum()) for v in vs)
    if painted < 0.4 * sum(int(v.diff.sum()) for v in vs):
        return False
    on_lines = 0
    for v in vs:
        shapes = input_shapes(v)
        for m in components(v.b, v.painted, 8, by_color=False):
            if m.sum() >= 3 and straight_run(m) and thin_stroke(m, v.a != v.bg) \
                    and not _completes_copy(v, m, shapes):
                on_lines += int(m.sum())
    return on_lines >= 0.75 * painted


def input_shapes(v: View) -> set[bytes]:
    """Keys of the forms of the input's objects of two cells or more (any colours,
    8-connected), turned and mirrored: what a copy of an input shape looks like."""
    return set().union(*(rigid_keys(crop_mask(m)) for m in objects(v.a, v.bg, 8, by_color=False)
                         if m.sum() > 1))


def _completes_copy(v: View, m: np.ndarray, shapes: set[bytes]) -> bool:
    """Whether the output object holding painted cells ``m`` has the form of an input object
    and is not a plain straight segment."""
    whole = next(o for o in objects(v.b, v.bg, 8, by_color=False) if (o & m).any())
    form = crop_mask(whole)
    segment = 1 in form.shape or (form.shape[0] == form.shape[1] and whole.sum() == form.shape[0])
    return not segment and key(form) in shapes


def move_objects(vs: list[View]) -> bool:
    """Each output holds the same objects as its input (shape and colours), some elsewhere; or
    the cells of every colour only slide along one axis (the count of each colour in every
    column, or in every row, is kept), as when objects fall and pile up."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    for by_color in (True, False):
        if all(_same_objects(v, by_color) for v in vs):
            return True
    return all(_slides(v, 0) for v in vs) or all(_slides(v, 1) for v in vs)


def _slides(v: View, axis: int) -> bool:
    """Whether every colour has as many cells in each column (``axis`` 0) or row (1) of the
    output as of the input."""
    return all(((v.a == c).sum(axis=axis) == (v.b == c).sum(axis=axis)).all()
               for c in np.unique(np.concatenate([v.a.ravel(), v.b.ravel()])).tolist())


def _same_objects(v: View, by_color: bool) -> bool:
    """Whether input and output hold the same objects (colours and form), wherever they are."""
    ins = sorted(key(patch(v.a, m)) for m in objects(v.a, v.bg, 8, by_color))
    outs = sorted(key(patch(v.b, m)) for m in objects(v.b, v.bg, 8, by_color))
    return ins == outs


def conditional_recolour(vs: list[View]) -> bool:
    """Only object cells change colour, whole objects at a time, and objects of one input colour
    end up in different colours (the new colour depends on more than the old one)."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    fates: dict[int, set[int]] = {}
    for v in vs:
        if ((v.a != v.bg) != (v.b != v.bg)).any():
            return False
        for m in objects(v.a, v.bg, 8):
            new = np.unique(v.b[m])
            if len(new) != 1:
                return False
            fates.setdefault(int(v.a[m][0]), set()).add(int(new[0]))
    return any(len(f) > 1 for f in fates.values())


def per_object_map(vs: list[View]) -> bool:
    """Objects keep their number and each output object overlaps exactly one input object, but
    some change (recoloured, reshaped, decorated, moved a little)."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    return any(all(_one_to_one(v, conn) for v in vs) for conn in (8, 4))


def _one_to_one(v: View, conn: int) -> bool:
    ins = objects(v.a, v.bg, conn, by_color=False)
    outs = objects(v.b, v.bg, conn, by_color=False)
    if not ins or len(ins) != len(outs):
        return False
    hits = np.array([[bool((i & o).any()) for o in outs] for i in ins])
    return bool((hits.sum(axis=0) == 1).all() and (hits.sum(axis=1) == 1).all())


def layering(vs: list[View]) -> bool:
    """The input stays, and at least half of the painted cells are in output shapes that copy
    the shape of an input object of two cells or more (up to a rotation or reflection)."""
    if not all(v.same_shape for v in vs) or not any(v.diff.any() for v in vs):
        return False
    painted = sum(int(v.painted.sum()) for v in vs)
    kept = sum(int(((v.a != v.bg) & (v.a == v.b)).sum()) for v in vs)
    if painted == 0 or kept < 0.9 * sum(int((v.a != v.bg).sum()) for v in vs):
        return False
    copied = 0
    for v in vs:
        shapes = input_shapes(v)
        for m in objects(v.b, v.bg, 8, by_color=False):
            if (m & v.painted).any() and (key(crop_mask(m)) in shapes or _copies_inside(v, m, shapes)):
                copied += int((m & v.painted).sum())
    return copied >= 0.5 * painted


def _copies_inside(v: View, m: np.ndarray, shapes: set[bytes]) -> bool:
    """Whether the painted part of output shape ``m``, or its painted cells of one colour, copy
    an input object's shape."""
    p = m & v.painted
    if key(crop_mask(p)) in shapes:
        return True
    return any(key(crop_mask(p & (v.b == c))) in shapes for c in np.unique(v.b[p]).tolist())


@dataclass(frozen=True)
class Label:
    """A capability: its name, a short code for the per-task listing, its definition, and
    the detector that decides whether a task shows it."""

    name: str
    code: str
    definition: str
    detect: Callable[[list[View]], bool]


LABELS: tuple[Label, ...] = (
    Label("template into cells", "cells",
          "the input (or a larger or smaller output) is cut into cells by one-cell-thick full "
          "lines of one colour, or the output is a grid of input-sized blocks, or it overlays "
          "the input's equal halves or quarters: the task works cell by cell",
          template_into_cells),
    Label("denoise", "noise",
          "same shape; most changed cells are specks of the input (one-colour pieces of one or "
          "two cells), and every output has fewer specks",
          denoise),
    Label("pattern inpainting", "inpaint",
          "cells of one colour are replaced so that the grid gains a symmetry or period (or "
          "painted cells mirror the input's, or complete a mostly-there symmetric shape), or a "
          "periodic pattern is continued onto a larger output, or the output is the content "
          "hidden under a one-colour rectangle of a symmetric picture",
          pattern_inpainting),
    Label("select a part", "part",
          "the output is smaller, an exact sub-grid of the input (up to a rotation or "
          "reflection) or one of its objects, to be chosen by some property",
          select_a_part),
    Label("counting", "count",
          "the output has another shape than the input, and its height, width, area or number "
          "of coloured cells equals a count of objects, colours or cells of the input (varying "
          "across pairs), or its single colour is the input's most or least frequent",
          counting),
    Label("classify the input", "classify",
          "the output is one of a few small fixed grids (answers repeat across pairs), chosen "
          "by a property of the whole input (symmetric? connected? which shape?)",
          classify_input),
    Label("output size rule", "size",
          "output shapes are neither the input's, one fixed ratio of it, one constant shape, nor "
          "exact crops of the input",
          output_size_rule),
    Label("fill regions", "fill",
          "same shape; only background cells change, nine in ten of them enclosed (not "
          "4-connected to the edge through background)",
          fill_regions),
    Label("line drawing", "lines",
          "same shape; most changes paint background, and three quarters of the painted cells "
          "form thin strokes with a straight run of three or more (horizontal, vertical, "
          "diagonal), not rings around objects nor copies of input shapes",
          line_drawing),
    Label("move objects", "move",
          "same shape; the output holds the same objects as the input, some translated, or "
          "every colour only slides along rows or along columns (objects fall and pile up)",
          move_objects),
    Label("conditional on a property", "cond",
          "same shape; only whole objects are recoloured, and objects of one colour end in "
          "different colours, so the new colour depends on a property of the object (size, "
          "shape, position ...)",
          conditional_recolour),
    Label("per-object map", "perobj",
          "same shape; objects keep their number, each output object overlapping exactly one "
          "input object, and some change in place by a rule on themselves (recoloured in part, "
          "reshaped, decorated)",
          per_object_map),
    Label("layering", "layer",
          "same shape; the input stays, and half the painted cells or more are in copies of its "
          "shapes (two cells or more, maybe turned) laid over it",
          layering),
)
OTHER = Label("other", "other", "no detector fires",
              lambda vs: True)


def classify(task: Task) -> tuple[str, list[str]]:
    """The task's primary label (the first detector that fires, in :data:`LABELS` order, else
    ``other``) and every label whose detector fires."""
    vs = views(task)
    hits = [lab.name for lab in LABELS if lab.detect(vs)]
    return (hits[0] if hits else OTHER.name), hits


# ---------------------------------------------------------------- step 3: the atlas


def label_table(rows: list[dict]) -> list[tuple[Label, int, int, list[str]]]:
    """(label, primary count, any count, example ids) for every label, ``other`` last; the
    examples are tasks with that primary label, else tasks where the label fires at all."""
    table = []
    for lab in (*LABELS, OTHER):
        primary = [r["id"] for r in rows if r["primary"] == lab.name]
        anywhere = [r["id"] for r in rows if lab.name in r["labels"] or r["primary"] == lab.name]
        examples = (primary + [i for i in anywhere if i not in primary])[:3]
        table.append((lab, len(primary), len(anywhere), examples))
    return table


def markdown(records: list[dict], rows: list[dict], command: str, seconds: float, depth: int,
             relabel: str = "") -> str:
    """The atlas document: ``command`` ran the enumerator; ``relabel``, when given, recomputed
    the labels from its saved records."""
    n, solved = len(records), sum(r["solved"] for r in records)
    lines = [
        "# Coverage: what the enumerator lacks on the ARC-AGI-1 training tasks",
        "",
        "A failure atlas. The enumerator (`solver.search.enumerate.enumerate_programs`, no model)",
        f"runs on each of the {n} ARC-AGI-1 training tasks for {seconds:g} s, programs up to depth",
        f"{depth}. A task is solved when one of the first two distinct test predictions of",
        "train-exact programs is exactly right on every test output (the competition's two attempts).",
        "Every unsolved task then gets the capability it most visibly needs, from a fixed vocabulary,",
        "by deterministic detectors in `bench/coverage.py` that read the task's train pairs only",
        "(never a test output). The primary label is the first detector that fires in the order of",
        "the table below; the other labels are every other detector that fires. The detectors are",
        "heuristics: a label says what the train pairs look like, not how a solution must work.",
        "",
        "Produced by:",
        "",
        "```bash",
        command,
        "```",
        "",
        *([f"and the labels recomputed from its records (no search) with `{relabel}`.", ""] if relabel else []),
        f"**Solved by the enumerator: {solved}/{n}** ({100 * solved / max(n, 1):.1f} %); "
        f"unsolved: {n - solved}.",
        "",
        "## Labels",
        "",
        "Order = priority. Grid structure comes first, since it decides how the rest of a task",
        "is read (cells). Then the two edits with the most specific signatures, which other",
        "detectors would misread: specks removed (denoise) and one colour replaced to restore a",
        "symmetry or period (inpainting). Then what decides a new output shape, from the exact to",
        "the residual: an exact crop, a count, a few repeated answers, any other shape. Then",
        "same-shape edits from the most constrained signature to the most generic: only enclosed",
        "background painted, straight strokes, the same objects elsewhere, whole objects",
        "recoloured, objects changed one to one, shapes copied. `other` is what no detector",
        "explains.",
        "",
        "| label | primary | any | definition | examples |",
        "|---|---:|---:|---|---|",
    ]
    for lab, primary, anyc, examples in label_table(rows):
        lines.append(f"| {lab.name} | {primary} | {anyc} | {lab.definition} | {', '.join(examples)} |")
    exact = sum(bool(r.get("train_exact")) for r in records if not r["solved"])
    lines += ["", f"Primary counts sum to the {len(rows)} unsolved tasks; \"any\" counts every unsolved "
              "task whose detector fires.", "", "## Unsolved tasks by primary label", "",
              "Each entry: `id` (mean pixel accuracy on the train outputs of the enumerator's best "
              "program; codes of the other labels that fire). The enumerator keeps only near misses "
              "(pixel accuracy 0.8 or more), so 0.00 means no program came that close; 1.00 means a "
              f"train-exact program was found but its test predictions were wrong ({exact} unsolved "
              "tasks).", "",
              "Codes: " + ", ".join(f"{lab.code} = {lab.name}" for lab in (*LABELS, OTHER)) + ".", ""]
    codes = {lab.name: lab.code for lab in (*LABELS, OTHER)}
    for lab in (*LABELS, OTHER):
        mine = [r for r in rows if r["primary"] == lab.name]
        if not mine:
            continue
        entries = []
        for r in mine:
            others = [codes[x] for x in r["labels"] if x != lab.name]
            extra = f"; {', '.join(others)}" if others else ""
            entries.append(f"`{r['id']}` ({r['best_accuracy']:.2f}{extra})")
        lines += [f"**{lab.name}** ({len(mine)}): " + ", ".join(entries), ""]
    return "\n".join(lines)


def label_records(records: list[dict], tasks: dict[str, Task]) -> list[dict]:
    """Labels of every unsolved task: id, primary label, all labels, best accuracy."""
    rows = []
    for r in records:
        if r["solved"]:
            continue
        primary, hits = classify(tasks[r["id"]])
        rows.append({"id": r["id"], "primary": primary, "labels": hits,
                     "best_accuracy": r.get("best_accuracy", 0.0)})
    return rows


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_task_time(ap, "5s", "the enumerator's time cap a task", aliases=("--seconds",))
    ap.add_argument("--depth", type=int, default=3, help="max program depth")
    h.add_workers(ap, 2, "worker processes (one task at a time each, on one core)")
    h.add_backend(ap)
    h.add_limit(ap)
    h.add_out(ap, "runs/coverage.json", "the enumerator's records, one a task, as JSON")
    ap.add_argument("--from", dest="source", default="", metavar="FILE",
                    help="reuse the records of this file (no search)")
    ap.add_argument("--md", default="docs/COVERAGE.md", help="the atlas (empty: none)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    taskset = h.load_set(SET)
    tasks = [taskset[k] for k in h.pick(args, taskset, SET)]
    if args.source:
        saved = json.loads(Path(args.source).read_text())
        keep = {t.id for t in tasks}
        records = [r for r in saved["tasks"] if r["id"] in keep]
        seconds, depth, command = saved["seconds"], saved["depth"], saved.get("command", "")
        relabel = f"python bench/coverage.py --from {args.source}" + (f" --limit {args.limit}" if args.limit else "")
    else:
        relabel = ""
        seconds, depth = args.task_time.seconds, args.depth
        run = h.build(RunConfig, args)
        records = enumerate_tasks(tasks, seconds, depth, args.workers, run.backend,
                                  run.ray_address)
        command = _command(args)
    rows = label_records(records, taskset)
    if not args.source:
        h.write_json(args.out, {"set": SET, "seconds": seconds, "depth": depth,
                                "command": command, "tasks": records})
    solved = sum(r["solved"] for r in records)
    print(f"solved {solved}/{len(records)}; unsolved by primary label:")
    for lab, primary, anyc, _ in label_table(rows):
        print(f"  {lab.name:<26} {primary:>4} {anyc:>4}")
    if args.md:
        Path(args.md).parent.mkdir(parents=True, exist_ok=True)
        Path(args.md).write_text(markdown(records, rows, command, seconds, depth, relabel))
    return 0


def _command(args: argparse.Namespace) -> str:
    parts = ["python bench/coverage.py", f"--task-time {args.task_time.seconds:g}s",
             f"--workers {args.workers}"]
    if args.depth != 3:
        parts.append(f"--depth {args.depth}")
    if args.limit:
        parts.append(f"--limit {args.limit}")
    if args.out != Path("runs/coverage.json"):
        parts.append(f"--out {shlex.quote(str(args.out or ''))}")
    return " ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
