"""Hindsight relabeling: every program becomes a correct example of what it actually drew
on the task's train inputs; the examples of one round are selected and ordered for one
training pass, and DSL-form ones get colour-permuted copies."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable

from solver import dsl
from solver.arc.grids import Pair, Task
from solver.dsl import program
from solver.search.candidates import Candidate


@dataclass
class Relabeled:
    """A hindsight example: the task's train inputs with the outputs a program produced."""

    task: Task
    code: str
    train_acc: float
    key: tuple  # the train outputs (dedupe across rounds)
    source: str = "sample"  # what found the program (Candidate.source)


def relabel(task: Task, cands: Iterable[Candidate], used: set[tuple]) -> list[Relabeled]:
    """One example per candidate whose train outputs were not used before (``used`` is
    updated); among candidates with the same train outputs the shortest code is kept.
    Programs that drew nothing (every train output equals its input) make no example: a
    task whose output is its input is not a drawing task (the generators drop those too).
    A program written under an augmentation (``frame``) is taught under it: its example is
    the relabeled task augmented the same way."""
    n = len(task.train)
    inputs = tuple(p.input for p in task.train)
    best: dict[tuple, Candidate] = {}
    for c in cands:
        key = c.outputs[:n]
        if key in used or key == inputs:
            continue
        if key not in best or (len(c.code), c.code) < (len(best[key].code), best[key].code):
            best[key] = c
    out = []
    for key, c in best.items():
        used.add(key)
        pairs = tuple(Pair(p.input, o) for p, o in zip(task.train, key))
        # the test inputs stay (no outputs): a dialect that shows them in the prompt
        # trains on the prompt it samples from
        tests = tuple(Pair(p.input) for p in task.test)
        example = Task(f"{task.id}/her", pairs, tests)
        if c.frame is not None:  # the task as the program saw it when it was written
            example = c.frame.task(example)
        out.append(Relabeled(example, c.code, c.train_acc, key, c.source))
    return out


def order_examples(examples: list[Relabeled], order: str, max_examples: int,
                   rng: random.Random) -> list[Relabeled]:
    """Select at most ``max_examples`` and order them for one training pass.

    worst-first: lowest train pixel accuracy first (a random subset when there are too
    many); shuffle: random order (and subset); prioritized: the most accurate
    ``max_examples``, worst of them first.
    """
    items = sorted(examples, key=lambda e: (e.train_acc, len(e.code), e.code))
    if order == "prioritized":
        return items[-max_examples:] if len(items) > max_examples else items
    if len(items) > max_examples:
        keep = sorted(rng.sample(range(len(items)), max_examples))
        items = [items[i] for i in keep]
    if order == "shuffle":
        rng.shuffle(items)
    return items


def recolor(examples: list[Relabeled], copies: int, rng: random.Random) -> list[Relabeled]:
    """Each example followed by ``copies`` versions of it with the colours permuted: the
    same permutation on every grid and on the program's colour arguments, so the copy is
    as true as the original. Only programs in the DSL's literal form
    (:func:`solver.dsl.program.parse_program`) are recoloured; the copies' outputs are
    drawn again from the recoloured draws (our own code, no model code runs here). A model
    that confuses a colour with a coordinate on this task's grids gets the same drawing
    in other colours to read."""
    if copies <= 0:
        return list(examples)
    out: list[Relabeled] = []
    for ex in examples:
        out.append(ex)
        draws = program.parse_program(ex.code)
        if not draws:
            continue
        for k in range(copies):
            perm = list(range(10))
            rng.shuffle(perm)
            moved = [program.Draw(d.fn, (*d.args[:-1], perm[d.args[-1]])) for d in draws]
            pairs = []
            for pair in ex.task.train:
                inp = tuple(tuple(perm[v] for v in row) for row in pair.input)
                img = dsl.to_img(inp)
                for d in moved:
                    d.apply(img)
                pairs.append(Pair(inp, tuple(tuple(int(v) for v in row) for row in img)))
            tests = tuple(Pair(tuple(tuple(perm[v] for v in row) for row in p.input))
                          for p in ex.task.test)
            out.append(Relabeled(Task(f"{ex.task.id}/recolor{k}", tuple(pairs), tests),
                                 program.program_code(moved), ex.train_acc, ()))
    return out
