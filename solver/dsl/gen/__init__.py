"""Seeded, verified task generators for DSL v2: one family per kind of operation, plus
``random-v2`` (random compositions of 1..3 operations).

A task has 2..5 train pairs and 1..2 test pairs on ARC-like inputs (sides up to 30, mostly
black backgrounds, sparse objects, lines, noise where the family tolerates it) and a
ground-truth program in the DSL's text form. :mod:`solver.dsl.gen.core` says what is
verified before a task is emitted; every dropped task is counted by reason in
:class:`V2Stats`. Task i depends only on (seed, i).

``generate_v2(family, n_tasks, seed)`` makes tasks; :data:`FAMILIES` lists the families;
:func:`generate_any` serves the drawing families of :mod:`solver.dsl.synth` too, with the
settings of the ``synth`` verb (:class:`SynthConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from solver.arc.grids import Task
from solver.arc.settings import setting
from solver.dsl import synth
from solver.dsl.gen import (cells, classify, colors, compose, denoise, geometry, layers, paint, palette, parts,
                            paths, regions, selection, shapes)
from solver.dsl.gen.core import Ctx, Draft, Drop, Program, V2Config, V2Stats, program_text, to_task, verify

FamilyFn = Callable[[np.random.Generator, Ctx], Draft]

GENERATORS: dict[str, FamilyFn] = {
    "rigid": geometry.rigid,
    "scale": geometry.scale,
    "tile": geometry.tile,
    "crop": geometry.crop,
    "color-map": colors.color_map,
    "outline": paint.outline,
    "fill": paint.fill,
    "rays": paint.rays,
    "gravity": paint.gravity,
    "split-combine": parts.split_combine,
    "symmetry": parts.symmetry,
    "objects": selection.objects,
    "recolor-by": selection.recolor_by,
    "stamp": selection.stamp,
    "random-v2": compose.random_v2,
    "lines2": paths.lines2,
    "regions": regions.regions,
    "layers": layers.layers,
    "denoise": denoise.denoise,
    "classify": classify.classify,
    "shapes": shapes.shapes,
    "cells": cells.cells,
    "palette": palette.palette,
}
FAMILIES = tuple(GENERATORS) + ("mix",)  # mix: each task from a family drawn at random
ALL_FAMILIES = synth.FAMILIES + FAMILIES
MIX_SALT = 7_919  # seeds the draw of task i's family in ``mix``, apart from its other draws
DRAWING_SIDES = (3, 10)  # the drawing families' grid sides (smallest, largest) unless given
V2_SIDES = (V2Config.min_side, V2Config.max_side)  # the DSL v2 families' unless given


def _family_draws() -> str:
    drawings = ", ".join(f"{k} {v}" for k, v in synth.DEFAULT_DRAWS.items())
    return f"{drawings}; random-v2 {V2Config.max_steps}"


@dataclass
class SynthConfig:
    """The settings of the ``synth`` verb: which tasks :func:`generate_any` makes, and
    where they go."""
    family: str = setting("random", "a drawing family (solver.dsl.synth) or a DSL v2 one "
                                    "(mix: each task's family drawn at random)", ALL_FAMILIES,
                          group="synth")
    n_tasks: int = setting(10, "number of tasks", group="synth")
    draws: int | None = setting(
        None, "objects per task (random: at most this many; random-v2: operations at most); "
              f"None: the family's ({_family_draws()})", group="synth")
    seed: int = setting(help="task i depends on (seed, i) alone", group="synth")
    min_side: int | None = setting(
        None, f"smallest grid side; None: the family's ({DRAWING_SIDES[0]} for drawings, "
              f"{V2_SIDES[0]} for DSL v2)", group="synth")
    max_side: int | None = setting(
        None, f"largest grid side; None: the family's ({DRAWING_SIDES[1]} for drawings, "
              f"{V2_SIDES[1]} for DSL v2)", group="synth")
    out: str = setting(help="output folder (challenges.json, solutions.json, programs.json)",
                       group="synth", metavar="DIR")


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
    """``n_tasks`` verified tasks of ``family``; task i from rngs seeded by (seed, i, try).
    ``mix`` draws task i's family uniformly from the others, seeded by (seed, i) alone."""
    if family not in FAMILIES:
        raise ValueError(f"unknown DSL v2 family {family!r}; choose one of {', '.join(FAMILIES)}")
    cfg = cfg or V2Config()
    cfg.check()
    stats = V2Stats()
    tasks = []
    names = tuple(GENERATORS)
    for i in range(n_tasks):
        fam = family
        if family == "mix":
            fam = names[int(np.random.default_rng([seed, i, MIX_SALT]).integers(0, len(names)))]
        for attempt in range(max_tries):
            rng = np.random.default_rng([seed, i, attempt])
            made = make_task_v2(fam, rng, f"{fam}-s{seed}-{i:04d}", cfg, stats)
            if made:
                tasks.append(made)
                break
        else:
            raise RuntimeError(f"{fam}: no valid task after {max_tries} tries "
                               f"(task {i}, seed {seed}); dropped {stats.dropped}")
    return tasks, stats


def generate_any(family: str, n_tasks: int, seed: int, draws: int | None = None,
                 min_side: int | None = None, max_side: int | None = None):
    """Tasks of any family the ``synth`` verb offers (:data:`ALL_FAMILIES`): the drawing
    families of :mod:`solver.dsl.synth` (sides :data:`DRAWING_SIDES` unless given) or DSL
    v2 ones (sides :data:`V2_SIDES` unless given; ``draws`` is random-v2's most
    operations). Returns (tasks, stats); each task has ``.task`` and ``.program``."""
    if family in synth.FAMILIES:
        return synth.generate(family, n_tasks, seed, draws, min_side or DRAWING_SIDES[0],
                              max_side or DRAWING_SIDES[1])
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(ALL_FAMILIES)}")
    cfg = V2Config(min_side=min_side or V2_SIDES[0], max_side=max_side or V2_SIDES[1],
                   max_steps=draws or V2Config.max_steps)
    return generate_v2(family, n_tasks, seed, cfg)
