"""Stacking partial candidates: an output as a base image with pieces laid over it.

The enumerator (:mod:`solver.search.enumerate`) meets many images that are right on part of
the outputs: the input itself outside a few painted cells, rays that are right where they
are drawn, a mirrored copy that is right on one half, an object recoloured as the output
has it while the others are not. Stacking combines them::

    def task(img):
        p1 = ray(img, 2, 'down')
        p2 = recolor_objects(img, 'largest', 1, 8, False)
        p2 = changes(p2, img)
        img = recolor(img, 5, 3)
        img = layer(img, p1)
        img = layer(img, p2)
        return img

Every image here is a *value*: the grids one chain of primitives (from the input) produces
on all train inputs at once. For each value, over all train cells together, as bitsets:

- ``wrong``: cells where it differs from the train output;
- ``cover``: its foreground cells (not its own background colour) that equal the output;
- ``delta_cover``: the same, counting only cells the chain changed from the input (shapes
  of the input only): what ``changes(value, img)`` lays.

A value makes a *piece* when it is consistent: every cell it would lay equals the output, so
laying it over anything spoils no cell. A whole piece lays all its foreground; a delta piece
(one line more) only what its chain changed, which is consistent far more often (an edit of
one object next to objects that the output changes otherwise). ``layer(base, piece...)`` is
exact on the train pairs when the pieces' covers together contain the base's wrong cells.
For each base, in order of cost, pieces are chosen greedily (the one covering most of what
is still wrong), at most ``max_pieces`` of them; the laying order does not matter, since
pieces agree with the output wherever they paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from solver.dsl.ops import bg_of


@dataclass(frozen=True)
class Value:
    """One image on every train input, the chain of steps that made it, and its masks."""

    steps: tuple
    grids: tuple[np.ndarray, ...]
    wrong: int  # bitset over all train cells: differs from the output
    cover: int  # bitset: a foreground cell equal to the output
    consistent: bool  # every foreground cell equals the output
    delta_cover: int = 0  # bitset: a changed foreground cell equal to the output
    delta_consistent: bool = False  # every changed foreground cell equals the output

    @property
    def cost(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class Piece:
    """A value laid over a base: all its foreground, or (``delta``) what its chain changed."""

    value: Value
    delta: bool = False

    @property
    def steps(self) -> tuple:
        return self.value.steps

    @property
    def grids(self) -> tuple[np.ndarray, ...]:
        return self.value.grids

    @property
    def cover(self) -> int:
        return self.value.delta_cover if self.delta else self.value.cover

    @property
    def cost(self) -> int:
        return self.value.cost + self.delta


def _bits(mask: np.ndarray) -> int:
    """A boolean vector as an int bitset (bit i = cell i)."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def make_value(steps: tuple, grids: Sequence[np.ndarray], outs: Sequence[np.ndarray],
               ins: Sequence[np.ndarray] | None = None) -> Value:
    """``grids`` (one per train pair, each of its output's shape) with their masks; with the
    train inputs ``ins`` of the same shapes, the delta masks too."""
    wrong, cover, bad, dcover, dbad = [], [], [], [], []
    delta = ins is not None and all(i.shape == g.shape for i, g in zip(ins, grids))
    for k, (g, o) in enumerate(zip(grids, outs)):
        f = g != bg_of(g)
        eq = g == o
        wrong.append(~eq.ravel())
        cover.append((f & eq).ravel())
        bad.append((f & ~eq).ravel())
        if delta:
            changed = f & (g != ins[k])
            dcover.append((changed & eq).ravel())
            dbad.append((changed & ~eq).ravel())
    w, c, b = (np.concatenate(x) for x in (wrong, cover, bad))
    if not delta:
        return Value(tuple(steps), tuple(grids), _bits(w), _bits(c), not b.any())
    dc, db = np.concatenate(dcover), np.concatenate(dbad)
    return Value(tuple(steps), tuple(grids), _bits(w), _bits(c), not b.any(),
                 _bits(dc), not db.any())


@dataclass(frozen=True)
class Stack:
    """A base value and the pieces laid over it, in order."""

    base: Value
    pieces: tuple[Piece, ...]

    @property
    def cost(self) -> int:
        return self.base.cost + sum(p.cost + 1 for p in self.pieces)


def pieces_of(values: Iterable[Value]) -> list[Piece]:
    """The consistent pieces among ``values``: a whole piece when every foreground cell is
    right, else a delta piece when every changed cell is (the whole one covers more)."""
    out = []
    for v in values:
        if not v.wrong:
            continue
        if v.consistent and v.cover:
            out.append(Piece(v))
        elif v.delta_consistent and v.delta_cover:
            out.append(Piece(v, delta=True))
    return out


def find_stacks(values: Iterable[Value], max_pieces: int = 2, limit: int = 8,
                out_of_time=lambda: False) -> list[Stack]:
    """Exact stacks of ``values`` (a base and 1..``max_pieces`` pieces), cheapest first, at
    most ``limit``. Bases that are already exact are left out (they need no stacking)."""
    values = list(values)
    pieces = pieces_of(values)
    if not pieces:
        return []
    reach = 0
    for p in pieces:
        reach |= p.cover
    found: list[Stack] = []
    seen: set[tuple[int, ...]] = set()
    for base in sorted(values, key=lambda v: (v.cost, v.wrong.bit_count())):
        if out_of_time() or len(found) >= limit:
            break
        if not base.wrong or base.wrong & ~reach:
            continue  # exact already, or some wrong cell no piece can fix
        chosen = _greedy_cover(base.wrong, pieces, max_pieces)
        if chosen is None:
            continue
        key = (id(base), *sorted(id(p.value) for p in chosen))
        if key not in seen:
            seen.add(key)
            found.append(Stack(base, tuple(chosen)))
    return sorted(found, key=lambda s: s.cost)


def _greedy_cover(wrong: int, pieces: list[Piece], max_pieces: int) -> list[Piece] | None:
    """Pieces whose covers contain ``wrong``: each the one covering most of what is left
    (the cheaper on a tie), or None within ``max_pieces``."""
    chosen: list[Piece] = []
    left = wrong
    while left and len(chosen) < max_pieces:
        best, gain = None, 0
        for p in pieces:
            g = (p.cover & left).bit_count()
            if g > gain or (g == gain and g and best is not None and p.cost < best.cost):
                best, gain = p, g
        if best is None:
            return None
        chosen.append(best)
        left &= ~best.cover
    return None if left else chosen
