"""Seeded, verified task generators for DSL v2: one family per kind of operation, plus
``random-v2`` (random compositions of 1..3 operations).

A task has 2..5 train pairs and 1..2 test pairs on ARC-like inputs (sides up to 30, mostly
black backgrounds, sparse objects, lines, noise where the family tolerates it) and a
ground-truth program in the DSL's text form. :mod:`solver.dsl.gen.core` says what is
verified before a task is emitted; every dropped task is counted by reason in
:class:`V2Stats`. Task i depends only on (seed, i).

``generate_v2(family, n_tasks, seed)`` makes tasks; :data:`FAMILIES` lists the families;
:func:`generate_any` serves the drawing families of :mod:`solver.dsl.synth` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from solver.arc.grids import Task
from solver.dsl import synth
from solver.dsl.gen import colors, geometry
from solver.dsl.gen.core import Ctx, Draft, Drop, Program, V2Config, V2Stats, program_text, to_task, verify

FamilyFn = Callable[[np.random.Generator, Ctx], Draft]

GENERATORS: dict[str, FamilyFn] = {
    "rigid": geometry.rigid,
    "scale": geometry.scale,
    "tile": geometry.tile,
    "crop": geometry.crop,
    "color-map": colors.color_map,
}
FAMILIES = tuple(GENERATORS) + ("random-v2",)
ALL_FAMILIES = synth.FAMILIES + FAMILIES


@dataclass
class V2Task:
    task: Task
    program: str  # the ground-truth program's text
    steps: Program
    family: str


def make_task_v2(family: str, rng: np.random.Generator, task_id: str,
                 cfg: V2Config | None = None, stats: V2Stats | None = None) -> V2Task | None:
    """One verified task of ``family``, or None (the reason counted in ``stats``)."""
    cfg = cfg or V2Config()
    stats = stats if stats is not None else V2Stats()
    ctx = Ctx.draw(rng, cfg, stats)
    try:
        draft = GENERATORS[family](rng, ctx)
    except Drop as e:
        stats.drop(str(e))
        return None
    outs, why = verify(draft)
    if why:
        stats.drop(why)
        return None
    stats.made += 1
    return V2Task(to_task(task_id, draft, outs), program_text(draft.program), draft.program, family)


def generate_v2(family: str, n_tasks: int, seed: int, cfg: V2Config | None = None,
                max_tries: int = 50) -> tuple[list[V2Task], V2Stats]:
    """``n_tasks`` verified tasks of ``family``; task i from rngs seeded by (seed, i, try)."""
    if family not in GENERATORS:
        raise ValueError(f"unknown DSL v2 family {family!r}; choose one of {', '.join(FAMILIES)}")
    cfg = cfg or V2Config()
    cfg.check()
    stats = V2Stats()
    tasks = []
    for i in range(n_tasks):
        for attempt in range(max_tries):
            rng = np.random.default_rng([seed, i, attempt])
            made = make_task_v2(family, rng, f"{family}-s{seed}-{i:04d}", cfg, stats)
            if made:
                tasks.append(made)
                break
        else:
            raise RuntimeError(f"{family}: no valid task after {max_tries} tries "
                               f"(task {i}, seed {seed}); dropped {stats.dropped}")
    return tasks, stats
