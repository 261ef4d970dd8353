"""Candidates: one per distinct behaviour (the outputs on every train and test input), the
pool that merges them across rounds, their ranking and the attempts taken from it.

Attempts (two per test input) come from every program of every round. Programs exact on
all train pairs come first (those whose fitted table misses a value of a test input, as
the enumerator reports, after the others), ranked by description length (:mod:`solver.search.mdl`: fewer
calls and literals, then more reads of the input), then paint that shows (fewer painted
cells that change nothing visible, :func:`solver.search.simplify.hidden_paint`), then votes
(samples that produced the same outputs), then shorter code; ``by="votes"`` ranks them by votes and code length only.
The rest follow by mean train pixel accuracy, votes and code length. The second attempt
is a different hypothesis: among the exact programs whose test output differs from the
first's, one that generalises differently (reads its colours from the input where the first
hard-codes them, or the reverse) is preferred to a near-copy. A program that gives the test
input back unchanged comes last when every train output differs from its input (it did not
apply to the test input). When nothing ran, the
deterministic fallback of :mod:`solver.arc.submission` fills the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from solver.arc.augment import Augmentation
from solver.arc.grids import Grid, Task, train_score
from solver.arc.submission import fallback
from solver.search.mdl import Length, description_length
from solver.search.simplify import hidden_paint

Pool = dict[tuple, "Candidate"]  # keyed by the outputs


@dataclass
class Candidate:
    """One distinct behaviour: the outputs on (train inputs + test inputs), the shortest
    program that produced them, and how many samples did."""

    outputs: tuple[Grid, ...]
    code: str
    votes: int
    train_acc: float  # mean pixel accuracy over the train pairs
    exact: bool  # every train output right
    round: int  # first round that produced it
    source: str = "sample"  # what found it: sample | repair | enumerator | simplify
    hidden: int = 0  # painted cells that change nothing visible (drawing programs; exact ones)
    misses_test: bool = False  # a table fitted on the train pairs lacks a value of a test input
    loo_failed: bool = False  # fails leave-one-out on the train pairs (solver.search.loo)
    # the augmentation (solver.arc.augment) the code was written under: it runs on inputs
    # augmented so and its outputs are mapped back; None: the task as it is
    frame: Augmentation | None = None
    _length: Length | None = field(default=None, repr=False, compare=False)

    @property
    def length(self) -> Length:
        """The description length of the code (cached; reset when the code changes)."""
        if self._length is None:
            self._length = description_length(self.code)
        return self._length

    def set_code(self, code: str, frame: Augmentation | None = None) -> None:
        self.code, self.frame, self._length = code, frame, None

    def reads_input(self) -> bool:
        """Whether the program reads values from its input (how it generalises)."""
        return self.length.reads > 0


def merge_candidates(pool: Pool, found: Iterable[tuple], task: Task, round_: int,
                     source: str = "sample") -> list[tuple]:
    """Add ``(code, outputs, votes)`` or ``(code, outputs, votes, frame)`` to ``pool``
    (keyed by outputs, in the task's own frame; the code of least description length wins,
    then the shorter, and keeps its frame; votes add up). Returns the keys new in this
    round."""
    new = []
    for code, outputs, votes, *rest in found:
        frame = rest[0] if rest else None
        cand = pool.get(outputs)
        if cand is None:
            acc, exact = train_score(outputs[:len(task.train)], task)
            inputs = [p.input if frame is None else frame.do(p.input) for p in task.train]
            hidden = hidden_paint(code, inputs) if exact else 0
            pool[outputs] = Candidate(outputs, code, votes, acc, exact, round_, source, hidden,
                                      frame=frame)
            new.append(outputs)
        else:
            cand.votes += votes
            if (description_length(code), len(code)) < (cand.length, len(cand.code)):
                cand.set_code(code, frame)  # the same behaviour, said more simply
    return new


def simplicity(c: Candidate) -> tuple:
    """What ranks an exact program before votes: a table that covers the test inputs,
    leave-one-out passed, description length, then paint that shows (smaller is simpler)."""
    return (c.misses_test, c.loo_failed, c.length, c.hidden)


def simplest_exact(pool: Pool) -> tuple | None:
    """The :func:`simplicity` of the simplest exact program in ``pool``; None: none is exact.
    A round that lowers it found a simpler program (it may also have shortened the code of
    a behaviour found before)."""
    return min((simplicity(c) for c in pool.values() if c.exact), default=None)


def rank(pool: Pool | Iterable[Candidate], by: str = "description") -> list[Candidate]:
    """Best first (see the module docstring); ties end on the code text, so the order is
    deterministic."""
    cands = list(pool.values()) if isinstance(pool, dict) else list(pool)

    def key(c: Candidate) -> tuple:
        if c.exact and by == "description":
            return (0, *simplicity(c), 0.0, -c.votes, len(c.code), c.code)
        return (0 if c.exact else 1, Length(0, 0), 0, -c.train_acc, -c.votes, len(c.code), c.code)
    return sorted(cands, key=key)


def unchanged_is_no_answer(task: Task) -> bool:
    """Whether a program that gives a test input back unchanged is implausible: no train
    pair's output equals its input (ARC tasks change their input), so a program that leaves
    the test input as it is did not apply to it (a colour table that misses the test's
    values, a selector that picks nothing there)."""
    return all(p.output != p.input for p in task.train)


def attempts(task: Task, pool: Pool | Iterable[Candidate], k: int = 2,
             by: str = "description") -> list[list[Grid]]:
    """``k`` distinct test outputs per test input from the ranked candidates (the second a
    different hypothesis where one exists); the deterministic fallback (the test input)
    fills what is missing."""
    ranked = rank(pool, by)
    n_train = len(task.train)
    out = []
    for i, pair in enumerate(task.test):
        def test_output(c: Candidate) -> Grid | None:
            return c.outputs[n_train + i] if n_train + i < len(c.outputs) else None

        usable = [c for c in ranked if test_output(c) is not None]
        if unchanged_is_no_answer(task):  # the test input back is the last resort only
            usable.sort(key=lambda c: test_output(c) == pair.input)
        if by == "description" and usable and usable[0].exact:
            first = usable[0]
            other = [c for c in usable[1:] if c.exact and test_output(c) != test_output(first)]
            differs = [c for c in other if c.reads_input() != first.reads_input()]
            usable = [first, *differs[:1], *[c for c in usable[1:] if c not in differs[:1]]]
        chosen: list[Grid] = []
        for c in usable:
            g = test_output(c)
            if g not in chosen:
                chosen.append(g)
            if len(chosen) == k:
                break
        while len(chosen) < k:
            chosen.append(fallback(pair.input))
        out.append(chosen)
    return out
