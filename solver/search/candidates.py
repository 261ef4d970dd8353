"""Candidates: one per distinct behaviour (the outputs on every train and test input), the
pool that merges them across rounds, their ranking and the attempts taken from it.

Attempts (two per test input) are ranked over every program of every round by (exact on
all train pairs, mean train pixel accuracy, votes = samples that produced the same
outputs, shorter code); when nothing ran, the deterministic fallback of
:mod:`solver.arc.submission` fills the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from solver.arc.grids import Grid, Task, train_score
from solver.arc.submission import fallback

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


def merge_candidates(pool: Pool, found: Iterable[tuple[str, tuple[Grid, ...], int]],
                     task: Task, round_: int) -> list[tuple]:
    """Add ``(code, outputs, votes)`` to ``pool`` (keyed by outputs; the shortest code
    wins, votes add up). Returns the keys new in this round."""
    new = []
    for code, outputs, votes in found:
        cand = pool.get(outputs)
        if cand is None:
            acc, exact = train_score(outputs[:len(task.train)], task)
            pool[outputs] = Candidate(outputs, code, votes, acc, exact, round_)
            new.append(outputs)
        else:
            cand.votes += votes
            if len(code) < len(cand.code):
                cand.code = code
    return new


def rank(pool: Pool | Iterable[Candidate]) -> list[Candidate]:
    """Best first: exact on train, train pixel accuracy, votes, shorter code (then code
    text, so the order is deterministic)."""
    cands = list(pool.values()) if isinstance(pool, dict) else list(pool)
    return sorted(cands, key=lambda c: (not c.exact, -c.train_acc, -c.votes, len(c.code),
                                        c.code))


def attempts(task: Task, pool: Pool | Iterable[Candidate], k: int = 2) -> list[list[Grid]]:
    """``k`` distinct test outputs per test input from the ranked candidates; the
    deterministic fallback (the test input) fills what is missing."""
    ranked = rank(pool)
    n_train = len(task.train)
    out = []
    for i, pair in enumerate(task.test):
        chosen: list[Grid] = []
        for c in ranked:
            g = c.outputs[n_train + i] if n_train + i < len(c.outputs) else None
            if g is not None and g not in chosen:
                chosen.append(g)
            if len(chosen) == k:
                break
        while len(chosen) < k:
            chosen.append(fallback(pair.input))
        out.append(chosen)
    return out
