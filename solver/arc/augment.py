"""Task augmentations that can be undone: the 8 rigid transforms of the square (rotations
and flips) and colour permutations.

A checkpoint may see a task under a random augmentation (a different prompt each time,
the same puzzle): the programs it writes then solve the *augmented* task, so they run on
the augmented inputs and their outputs are mapped back with :meth:`Augmentation.undo`
before they are compared with the real outputs or submitted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from solver.arc.grids import Grid, Pair, Task

IDENTITY_COLORS = tuple(range(10))


def _rot90(grid: Grid) -> Grid:
    """A quarter turn clockwise."""
    return tuple(zip(*grid[::-1]))


def rigid(grid: Grid, k: int) -> Grid:
    """Transform ``k`` (0..7) of the square: ``k % 4`` quarter turns clockwise, then a
    left-right flip when ``k >= 4``."""
    for _ in range(k % 4):
        grid = _rot90(grid)
    if k >= 4:
        grid = tuple(tuple(row[::-1]) for row in grid)
    return tuple(tuple(row) for row in grid)


def rigid_inverse(k: int) -> int:
    """The transform that undoes transform ``k``."""
    return k if k >= 4 else (4 - k) % 4


@dataclass(frozen=True)
class Augmentation:
    """A rigid transform (0..7, see :func:`rigid`) followed by a colour map
    (``colors[c]`` replaces colour c)."""

    transform: int = 0
    colors: tuple[int, ...] = IDENTITY_COLORS

    def __post_init__(self) -> None:
        if not 0 <= self.transform < 8 or sorted(self.colors) != list(IDENTITY_COLORS):
            raise ValueError(f"bad augmentation {self}")

    @property
    def is_identity(self) -> bool:
        return self.transform == 0 and self.colors == IDENTITY_COLORS

    def do(self, grid: Grid) -> Grid:
        """The grid as the augmented task shows it."""
        return tuple(tuple(self.colors[v] for v in row) for row in rigid(grid, self.transform))

    def undo(self, grid: Grid) -> Grid:
        """A grid of the augmented task mapped back to the original task."""
        back = [0] * 10
        for c, d in enumerate(self.colors):
            back[d] = c
        recolored = tuple(tuple(back[v] for v in row) for row in grid)
        return rigid(recolored, rigid_inverse(self.transform))

    def task(self, task: Task) -> Task:
        """The whole task augmented (train pairs, test inputs and any known test outputs)."""
        def pair(p: Pair) -> Pair:
            return Pair(self.do(p.input), None if p.output is None else self.do(p.output))

        return Task(task.id, tuple(pair(p) for p in task.train), tuple(pair(p) for p in task.test))


def random_augmentation(rng: random.Random, keep_black: bool = True,
                        rigid_only: bool = False) -> Augmentation:
    """A random augmentation; ``keep_black``: colour 0 (the usual background) stays."""
    k = rng.randrange(8)
    if rigid_only:
        return Augmentation(k)
    rest = list(range(1 if keep_black else 0, 10))
    rng.shuffle(rest)
    colors = tuple(([0] if keep_black else []) + rest)
    return Augmentation(k, colors)
