"""Line-pool repair: assemble better programs from the lines the model has written.

Every sampled program in the DSL's literal form (:func:`solver.dsl.program.parse_program`) is a
list of draws. Over a task's rounds the model writes thousands of them, and a program
that is nearly right is often one line off: a rectangle one row too tall, a pixel
missing, a square in the wrong colour. The right line is frequently in *another* sample.
:func:`repair` hill-climbs from the best programs so far: each step applies the single
edit that raises the mean train pixel accuracy most, among

- delete line i,
- insert a pooled line at position j,
- replace line i with a pooled line,

until no edit helps (or the program is exact). Such a local optimum can be one line that
must become two: a 7-coloured rectangle over two 7-coloured squares paints the gap between
them, and no single edit fixes it (splitting it costs cells before it gains them). So the
best programs are then *kicked* (:func:`escape`): one line that paints wrong cells is taken
out and barred, the climb runs again, and the result is kept only if it beats the optimum;
when no single line helps, pairs of lines that paint wrong cells (visible or painted over)
are taken out together. When nothing is exact after the kicks, the best optima are
*trimmed*: each line that paints wrong cells is replaced by its clean parts (a rectangle by its clean bands, a
line by its clean segments; at most three pieces, so that a line is cut back, not carved
to fit), which a climb of single edits cannot reach when the first piece gains nothing.

The lines come from the model: those it wrote, and (``variants``) their near neighbours —
the same line in another colour, or with one coordinate moved by one cell, the two
mistakes a small model makes most. The results go back through the sandbox like any
sample, become candidates, and are relabeled for the next epoch like any other program,
so the model also learns from them.

The search is fast because paint primitives (pixel, line, rectangle, row, column) paint a
fixed set of cells in one colour whatever the image holds: a cell's final colour is that
of the last draw covering it. Each pooled line is a boolean mask and a colour per train
pair, and the gain of inserting any pooled line at position j is one vectorised count
over the cells that no later line covers. ``flood_fill`` depends on the image, so
programs with it are not started from and it is not pooled. Tasks whose outputs differ in
shape from their inputs are left alone (the DSL draws in place).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

from solver import dsl
from solver.dsl import program
from solver.arc.grids import Task

EPS = 1e-9  # accuracy gains are sums of cell fractions: compare with a tolerance
PAINT = ("draw_pixel", "draw_line", "draw_horizontal_line", "draw_vertical_line",
         "draw_rectangle")


@dataclass
class Repaired:
    code: str
    train_acc: float  # mean train pixel accuracy, as the search computed it
    edits: int  # edits applied to the start program


class LinePool:
    """The distinct paint draws seen on one task, with their masks on its train inputs.

    ``add`` takes program texts (anything that does not parse is ignored); the pool keeps
    only draws that colour at least one cell as the target has it on some train pair
    (a draw that matches nowhere can never raise the accuracy)."""

    def __init__(self, task: Task, max_size: int = 6000, variants: bool = True):
        self.max_size = max_size
        self.variants = variants
        self.seen: set[program.Draw] = set()  # every draw the model wrote
        self.written: set[program.Draw] = set()  # the pooled ones (the rest of the pool are variants)
        self.inputs = [np.asarray(p.input, dtype=np.int16) for p in task.train]
        self.targets = [np.asarray(p.output, dtype=np.int16) for p in task.train]
        self.usable = bool(task.train) and all(
            i.shape == t.shape for i, t in zip(self.inputs, self.targets))
        self.draws: list[program.Draw] = []
        self.index: dict[program.Draw, int] = {}
        self.failed: set[program.Draw] = set()  # raised when drawn
        self.useless: set[program.Draw] = set()  # match the target nowhere
        self.masks: list[list[np.ndarray]] = [[] for _ in self.inputs]  # per pair: (H, W) each
        self.colors: list[int] = []
        self._stacked: tuple | None = None

    def __len__(self) -> int:
        return len(self.draws)

    def parse(self, code: str) -> list[program.Draw] | None:
        """The program's draws when it is paint-only DSL, else None."""
        draws = program.parse_program(code)
        if draws is None or any(d.fn not in PAINT for d in draws):
            return None
        return draws

    def add(self, codes: Iterable[str]) -> int:
        """Pool the draws of ``codes``; returns how many were new."""
        if not self.usable:
            return 0
        new = 0
        for code in codes:
            for d in self.parse(code) or ():
                if d in self.seen:
                    continue
                self.seen.add(d)
                known = d in self.index
                if self.insert(d, keep_useless=False) is not None:
                    self.written.add(d)
                    new += not known
                if self.variants:  # also when d itself matches nowhere: a colour misread
                    for v in neighbours(d):
                        if v not in self.index and self.insert(v, keep_useless=False) is not None:
                            new += 1
        return new

    def insert(self, d: program.Draw, keep_useless: bool = True) -> int | None:
        """The pool index of ``d`` (added if new), or None when it is not kept."""
        if d in self.index:
            return self.index[d]
        if d in self.failed:
            return None
        if not keep_useless and (d in self.useless or len(self.draws) >= self.max_size):
            return None
        masks = []
        color = int(d.args[-1])
        useful = False
        for inp, tgt in zip(self.inputs, self.targets):
            img = np.full(inp.shape, (color + 1) % 10, dtype=dsl.DTYPE)
            try:
                d.apply(img)
            except Exception:
                self.failed.add(d)
                return None
            m = img == color
            masks.append(m)
            useful = useful or bool((m & (tgt == color)).any())
        if not useful and not keep_useless:
            self.useless.add(d)
            return None
        self.index[d] = len(self.draws)
        self.draws.append(d)
        self.colors.append(color)
        for k, m in enumerate(masks):
            self.masks[k].append(m)
        self._stacked = None
        return self.index[d]

    def stacked(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per pair, (P, H, W) arrays: each pooled draw's cells, and those of them where its
        colour is the target's (rebuilt after the pool grew)."""
        if self._stacked is None:
            colors = np.asarray(self.colors, dtype=np.int16)[:, None, None]
            masks = [np.stack(ms) for ms in self.masks]
            hits = [m & (colors == t[None]) for m, t in zip(masks, self.targets)]
            self._stacked = (masks, hits)
        return self._stacked


def neighbours(d: program.Draw) -> list[program.Draw]:
    """The draws one small change away from ``d``: every other colour, and each coordinate
    moved by one (inside 0..29; lines stay at 0/45/90 degrees). The model's commonest
    misses are exactly these: a colour misread, a corner one cell off."""
    out = [program.Draw(d.fn, (*d.args[:-1], c)) for c in range(10) if c != d.args[-1]]
    for i, kind in enumerate(program.ARG_KINDS[d.fn][:-1]):
        a = d.args[i]
        moved = ([(a[0] + s, a[1]) for s in (-1, 1)] + [(a[0], a[1] + s) for s in (-1, 1)]
                 if kind == "p" else [a + s for s in (-1, 1)])
        for m in moved:
            coords = m if kind == "p" else (m,)
            if min(coords) < 0 or max(coords) > 29:
                continue
            args = d.args[:i] + (m,) + d.args[i + 1:]
            if d.fn != "draw_line" or program.legal_angle(args[0], args[1]):
                out.append(program.Draw(d.fn, args))
    return out


def _bands(r0: int, c0: int, r1: int, c1: int, bad: set[tuple[int, int]]
           ) -> list[tuple[int, int, int, int]]:
    """The clean cells of the rectangle (r0, c0)-(r1, c1) (none of ``bad``) as rectangles:
    runs of whole clean rows as one band each, the clean runs of a row with bad cells as
    one-row pieces."""
    out, top = [], None
    for r in range(r0, r1 + 1):
        if not any((r, c) in bad for c in range(c0, c1 + 1)):
            top = r if top is None else top
            continue
        if top is not None:
            out.append((top, c0, r - 1, c1))
            top = None
        start = None
        for c in range(c0, c1 + 2):
            if c <= c1 and (r, c) not in bad:
                start = c if start is None else start
            elif start is not None:
                out.append((r, start, r, c - 1))
                start = None
    if top is not None:
        out.append((top, c0, r1, c1))
    return out


def trims(d: program.Draw, bad: set[tuple[int, int]]) -> list[list[program.Draw]]:
    """Ways to cut ``d`` back to the parts that paint none of the ``bad`` cells, each a list
    of draws that together paint exactly its other cells: a rectangle by rows or by columns
    (clean bands whole, the rest in runs), a line as its clean sub-segments. A rectangle
    or line a few cells too long is, after a colour or a corner off by one, the commonest
    miss of a small model."""
    color = d.args[-1]
    if d.fn == "draw_rectangle":
        (a, b), (e, f) = d.args[0], d.args[1]
        r0, c0, r1, c1 = min(a, e), min(b, f), max(a, e), max(b, f)
        by_rows = _bands(r0, c0, r1, c1, bad)
        by_cols = [(y0, x0, y1, x1) for x0, y0, x1, y1 in
                   _bands(c0, r0, c1, r1, {(c, r) for r, c in bad})]
        ways = [by_rows] if sorted(by_rows) == sorted(by_cols) else [by_rows, by_cols]
        return [[program.Draw("draw_rectangle", ((y0, x0), (y1, x1), color))
                 for y0, x0, y1, x1 in way] for way in ways]
    if d.fn == "draw_line":
        (a, b), (e, f) = d.args[0], d.args[1]
        n = max(abs(e - a), abs(f - b))
        sr, sc = (e > a) - (e < a), (f > b) - (f < b)
        runs, cur = [], []
        for cell in [(a + i * sr, b + i * sc) for i in range(n + 1)]:
            if cell in bad:
                runs, cur = runs + [cur] if cur else runs, []
            else:
                cur.append(cell)
        runs += [cur] if cur else []
        return [[program.Draw("draw_line", (run[0], run[-1], color)) for run in runs]]
    return []


def _render(pool: LinePool, seq: Sequence[int]) -> list[np.ndarray]:
    outs = []
    for k, inp in enumerate(pool.inputs):
        out = inp.copy()
        for d in seq:
            out[pool.masks[k][d]] = pool.colors[d]
        outs.append(out)
    return outs


def _accuracy(pool: LinePool, outs: list[np.ndarray]) -> float:
    return float(np.mean([(o == t).mean() for o, t in zip(outs, pool.targets)]))


def _covered_after(pool: LinePool, seq: Sequence[int], k: int) -> list[np.ndarray]:
    """cov[j] = cells painted by seq[j:] on pair k (len(seq) + 1 entries)."""
    h, w = pool.inputs[k].shape
    cov = [np.zeros((h, w), dtype=bool) for _ in range(len(seq) + 1)]
    for j in range(len(seq) - 1, -1, -1):
        cov[j] = cov[j + 1] | pool.masks[k][seq[j]]
    return cov


def _insert_gains(pool: LinePool, bases: list[np.ndarray], covs: list[np.ndarray],
                  barred: frozenset[int] = frozenset()) -> np.ndarray:
    """(P,) gain in mean pixel accuracy of inserting each pooled draw into a program whose
    output is ``bases`` (per pair), at a position after which ``covs`` (per pair) is painted."""
    masks, hits = pool.stacked()
    gain = np.zeros(len(pool.draws))
    for k, tgt in enumerate(pool.targets):
        hidden = covs[k][None]
        was_right = (bases[k] == tgt)[None]
        delta = ((hits[k] & ~hidden).sum(axis=(1, 2))
                 - (masks[k] & ~hidden & was_right).sum(axis=(1, 2)))
        gain += delta / tgt.size
    gain /= len(pool.targets)
    if barred:
        gain[list(barred)] = -np.inf
    return gain


def hill_climb(pool: LinePool, seq: list[int], max_edits: int = 40,
               deadline: float | None = None,
               barred: frozenset[int] = frozenset()) -> tuple[list[int], float, int]:
    """The best-improvement local search from ``seq`` (pool indices): (program, accuracy,
    edits). Stops early at ``deadline`` (``time.time()``), keeping the edits made. Draws in
    ``barred`` are never inserted."""
    seq = list(seq)
    acc = _accuracy(pool, _render(pool, seq))
    edits = 0
    while edits < max_edits and acc < 1.0 and (deadline is None or time.time() < deadline):
        best_gain, best_seq = 0.0, None  # an edit must beat it by EPS: ties keep the earlier
        covs = [_covered_after(pool, seq, k) for k in range(len(pool.inputs))]
        outs = _render(pool, seq)
        for i in range(len(seq)):  # delete i, or replace it
            rest = seq[:i] + seq[i + 1:]
            below = _render(pool, rest)
            drop = _accuracy(pool, below) - acc
            if drop > best_gain + EPS:
                best_gain, best_seq = drop, rest
            g = _insert_gains(pool, below, [c[i + 1] for c in covs], barred) + drop
            d = int(np.argmax(g))
            if g[d] > best_gain + EPS and d != seq[i]:
                best_gain, best_seq = float(g[d]), seq[:i] + [d] + seq[i + 1:]
        for j in range(len(seq) + 1):  # insert at j (after: on a tie the shorter edit wins)
            g = _insert_gains(pool, outs, [c[j] for c in covs], barred)
            d = int(np.argmax(g))
            if g[d] > best_gain + EPS:
                best_gain, best_seq = float(g[d]), seq[:j] + [d] + seq[j:]
        if best_seq is None:
            break
        seq = best_seq
        acc = _accuracy(pool, _render(pool, seq))
        edits += 1
    return seq, acc, edits


def _suspects(pool: LinePool, seq: Sequence[int]) -> list[int]:
    """Positions in ``seq`` whose line leaves wrong cells visible, most wrong cells first."""
    outs = _render(pool, seq)
    wrong = np.zeros(len(seq))
    for k, tgt in enumerate(pool.targets):
        covs = _covered_after(pool, seq, k)
        bad = outs[k] != tgt
        for i, d in enumerate(seq):
            wrong[i] += (pool.masks[k][d] & ~covs[i + 1] & bad).sum()
    return [i for i in np.argsort(-wrong, kind="stable") if wrong[i] > 0]


def _culprits(pool: LinePool, seq: Sequence[int]) -> list[int]:
    """Positions in ``seq`` whose line paints cells the target has in another colour,
    visible or painted over by a later line, most such cells first."""
    wrong = np.zeros(len(seq))
    for k, tgt in enumerate(pool.targets):
        for i, d in enumerate(seq):
            wrong[i] += (pool.masks[k][d] & (tgt != pool.colors[d])).sum()
    return [i for i in np.argsort(-wrong, kind="stable") if wrong[i] > 0]


def _kicks(pool: LinePool, seq: Sequence[int], pairs: int) -> Iterator[tuple[int, ...]]:
    """The kicks to try, in order: each line that leaves wrong cells visible, alone (the
    worst first); then pairs of the ``pairs`` lines with the most wrong paint, visible or
    hidden under a later line (a wrong line whose error another wrong line covers only
    pays off when both go)."""
    yield from ((i,) for i in _suspects(pool, seq))
    if pairs:
        yield from itertools.combinations(_culprits(pool, seq)[:pairs], 2)


def escape(pool: LinePool, seq: list[int], acc: float, max_edits: int = 40,
           deadline: float | None = None, kick_edits: int = 4,
           pairs: int = 6) -> tuple[list[int], float, int]:
    """Leave the local optimum ``seq`` (accuracy ``acc``): for each line that leaves wrong
    cells visible (the worst first), climb again from the program without it, that line
    barred, for ``kick_edits`` edits; then the same for pairs of the ``pairs`` lines with
    the most wrong paint, visible or not (0: single kicks only), with two edits more. The first result better than
    ``acc`` is climbed on freely and kicked again. Returns (program, accuracy, edits); the
    input when no kick helps or ``deadline`` comes first."""
    edits = 0
    improved = True
    while improved and acc < 1.0 and (deadline is None or time.time() < deadline):
        improved = False
        for kick in _kicks(pool, seq, pairs):
            if deadline is not None and time.time() >= deadline:
                break
            rest = [d for i, d in enumerate(seq) if i not in kick]
            out, a, e = hill_climb(pool, rest, kick_edits + 2 * (len(kick) - 1), deadline,
                                   barred=frozenset(seq[i] for i in kick))
            if a > acc + EPS:
                seq, acc, more = hill_climb(pool, out, max_edits, deadline)
                edits += len(kick) + e + more
                improved = True
                break
    return seq, acc, edits


def split_wrong(pool: LinePool, seq: list[int], max_pieces: int = 3) -> tuple[list[int], float, int]:
    """Replace, one at a time, each line of ``seq`` that paints cells the target has in
    another colour by the pieces of one of its trims (:func:`trims`), when that raises the
    accuracy: one line that must become several cleaner ones is a single edit here, where
    the climb would need one edit per piece, the first of which may gain nothing. A trim
    of more than ``max_pieces`` pieces is not used (that would carve any line to fit the
    target). Returns (program, accuracy, splits made)."""
    acc = _accuracy(pool, _render(pool, seq))
    splits = 0
    for d in [seq[i] for i in _culprits(pool, seq)]:
        if d not in seq:
            continue
        bad: set[tuple[int, int]] = set()
        for k, tgt in enumerate(pool.targets):
            bad |= {(int(r), int(c)) for r, c in np.argwhere(pool.masks[k][d] & (tgt != pool.colors[d]))}
        i = seq.index(d)
        for way in trims(pool.draws[d], bad):
            if len(way) > max_pieces:  # a near miss cut back, not a line carved to fit
                continue
            pieces = [p for p in (pool.insert(t) for t in way) if p is not None]
            trial = seq[:i] + pieces + seq[i + 1:]
            a = _accuracy(pool, _render(pool, trial))
            if a > acc + EPS:
                seq, acc, splits = trial, a, splits + 1
                break
    return seq, acc, splits


def repair(pool: LinePool, starts: Sequence[str], max_edits: int = 40,
           from_empty: bool = True, seconds: float | None = None,
           kick_starts: int = 2, kick_pairs: int = 6, trim: bool = True) -> list[Repaired]:
    """Hill-climb from each start program (and from the empty program when
    ``from_empty``), then kick the ``kick_starts`` best climbs (0: none) with
    :func:`escape`; when nothing is exact by then and ``trim``, the ``kick_starts`` best
    optima reached also have their wrong lines split into their clean parts
    (:func:`split_wrong`), and are climbed and kicked on. Returns the distinct improved
    programs, best first. Start programs that
    are not paint-only DSL are skipped. ``seconds`` caps the whole search, kicks included
    (large grids with a large pool cost ~1 s an edit); what was found by then is returned."""
    deadline = None if seconds is None else time.time() + seconds
    if not pool.usable or not len(pool):
        return []
    seqs: list[tuple[list[int], float]] = []
    for code in starts:
        draws = pool.parse(code)
        if draws is None:
            continue
        idx = [pool.insert(d) for d in draws]
        if any(i is None for i in idx):
            continue
        seqs.append((idx, _accuracy(pool, _render(pool, idx))))
    if from_empty:
        seqs.append(([], _accuracy(pool, _render(pool, []))))
    found: dict[tuple, Repaired] = {}

    def keep(out: list[int], acc: float, acc0: float, edits: int) -> None:
        if edits and acc > acc0 and tuple(out) not in found:
            code = program.program_code([pool.draws[d] for d in out])
            found[tuple(out)] = Repaired(code, acc, edits)

    climbed = []
    for seq, acc0 in seqs:
        out, acc, edits = hill_climb(pool, seq, max_edits, deadline)
        keep(out, acc, acc0, edits)
        climbed.append((acc, edits, out, acc0))
    climbed.sort(key=lambda c: -c[0])
    ends = list(climbed)  # every local optimum reached, plain and kicked
    for acc, edits, out, acc0 in climbed[:kick_starts]:
        if acc >= 1.0 or (deadline is not None and time.time() >= deadline):
            break
        out2, acc2, more = escape(pool, out, acc, max_edits, deadline, pairs=kick_pairs)
        keep(out2, acc2, acc0, edits + more)
        ends.append((acc2, edits + more, out2, acc0))
    if not trim or max((a for a, *_ in ends), default=1.0) >= 1.0:
        return sorted(found.values(), key=lambda r: (-r.train_acc, len(r.code), r.code))
    # then the best optima's wrong lines cut back to their clean parts, climbed and kicked
    # on (last, so that the trims joining the pool do not change the climbs above)
    ends.sort(key=lambda c: -c[0])
    done: set[tuple] = set()
    for acc, edits, out, acc0 in ends:
        if len(done) >= max(kick_starts, 1) or (deadline is not None and time.time() >= deadline):
            break
        if tuple(out) in done:
            continue
        done.add(tuple(out))
        cut, cut_acc, splits = split_wrong(pool, out)
        if not splits:
            continue
        cut, cut_acc, more = hill_climb(pool, cut, max_edits, deadline)
        edits += splits + more
        keep(cut, cut_acc, acc0, edits)
        if cut_acc < 1.0 and kick_starts:
            cut, cut_acc, more = escape(pool, cut, cut_acc, max_edits, deadline, pairs=kick_pairs)
            keep(cut, cut_acc, acc0, edits + more)
    return sorted(found.values(), key=lambda r: (-r.train_acc, len(r.code), r.code))
