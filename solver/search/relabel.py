"""Hindsight relabeling: every program becomes a correct example of what it actually drew
on the task's train inputs; the examples of one round are selected and ordered for one
training pass, and DSL-form ones get colour-permuted copies and, if asked, copies with one
draw changed, cut or crossed with another of the best."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from solver import dsl
from solver.arc.grids import Grid, Pair, Task
from solver.dsl import program
from solver.search.candidates import Candidate


@dataclass
class Relabeled:
    """A hindsight example: the task's train inputs with the outputs a program produced."""

    task: Task
    code: str
    train_acc: float
    key: tuple  # the train outputs (dedupe across rounds); () for a copy
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


def _redraw(ex: Relabeled, draws: list, perm: list[int] | None, name: str) -> Relabeled:
    """``ex`` with its program replaced by ``draws``, every grid's colours mapped by
    ``perm`` (None: kept) and the outputs drawn again by our code."""
    def mapped(grid):
        return grid if perm is None else tuple(tuple(perm[v] for v in row) for row in grid)

    pairs = []
    for pair in ex.task.train:
        inp = mapped(pair.input)
        img = dsl.to_img(inp)
        for d in draws:
            d.apply(img)
        pairs.append(Pair(inp, tuple(tuple(int(v) for v in row) for row in img)))
    tests = tuple(Pair(mapped(p.input)) for p in ex.task.test)
    return Relabeled(Task(f"{ex.task.id}/{name}", tuple(pairs), tests),
                     program.program_code(draws), ex.train_acc, (), ex.source)


def _splits(d: program.Draw) -> tuple[list[list[program.Draw]], list[list[program.Draw]]]:
    """Every way to cut a rectangle, or a horizontal or vertical line, in two by a one-cell
    gap (a row or column of it left undrawn, a cell kept on each side): (the cuts across
    rows, the cuts across columns); both empty for other draws."""
    if d.fn not in ("draw_rectangle", "draw_line"):
        return [], []
    (r0, c0), (r1, c1), color = d.args
    r0, r1 = sorted((r0, r1))
    c0, c1 = sorted((c0, c1))
    if d.fn == "draw_line" and r0 != r1 and c0 != c1:
        return [], []  # a diagonal
    rows = [[program.Draw(d.fn, (a, b, color))
             for a, b in (((r0, c0), (cut - 1, c1)), ((cut + 1, c0), (r1, c1)))]
            for cut in range(r0 + 1, r1)]
    cols = [[program.Draw(d.fn, (a, b, color))
             for a, b in (((r0, c0), (r1, cut - 1)), ((r0, cut + 1), (r1, c1)))]
            for cut in range(c0 + 1, c1)]
    return rows, cols


def _split(d: program.Draw, rng: random.Random) -> list[program.Draw] | None:
    """One of :func:`_splits` at random (None when there is none): an axis that can be
    cut, then a place on it."""
    axes = [cuts for cuts in _splits(d) if cuts]
    if not axes:
        return None
    cuts = rng.choice(axes)
    return cuts[rng.randint(0, len(cuts) - 1)]


def _mutant(d: program.Draw, rng: random.Random) -> list[program.Draw] | None:
    """``d`` changed once at random: moved by one cell, one corner or end moved by one
    cell, another colour, or cut in two by a one-cell gap (:func:`_split`); None when
    the change is not a legal draw."""
    kind = rng.choice(("move", "corner", "colour", "split"))
    args = list(d.args)
    if kind == "split":
        return _split(d, rng)
    if kind == "colour":
        args[-1] = rng.choice([c for c in range(10) if c != args[-1]])
        return [program.Draw(d.fn, tuple(args))]
    places = range(len(args) - 1)  # points, or a row / column index
    axis, step = rng.randrange(2), rng.choice((-1, 1))
    for i in (places if kind == "move" else [rng.choice(places)]):
        if isinstance(args[i], tuple):
            p = list(args[i])
            p[axis] += step
            value, args[i] = p[axis], tuple(p)
        else:
            value = args[i] = args[i] + step
        if not 0 <= value <= 29:
            return None
    if d.fn == "draw_line" and not program.legal_angle(args[0], args[1]):
        return None
    return [program.Draw(d.fn, tuple(args))]


def _most_accurate(examples: list[Relabeled], n: int) -> list[int]:
    """Indices of the ``n`` examples with the highest train accuracy (ties: the earlier)."""
    return sorted(range(len(examples)), key=lambda i: (-examples[i].train_acc, i))[:n]


def _new_copies(ex: Relabeled, variants: Iterable[tuple[list, str]]) -> list[Relabeled]:
    """``ex`` redrawn with each (draws, name) of ``variants``, in order, keeping only copies
    whose outputs differ from the original's, its inputs' and every kept copy's."""
    seen = {tuple(p.output for p in ex.task.train), tuple(p.input for p in ex.task.train)}
    out = []
    for draws, name in variants:
        copy = _redraw(ex, draws, None, name)
        outputs = tuple(p.output for p in copy.task.train)
        if outputs not in seen:
            seen.add(outputs)
            out.append(copy)
    return out


def _with_copies(examples: list[Relabeled],
                 copies_of: Callable[[Relabeled, list], list[Relabeled]],
                 top: float = 1.0) -> list[Relabeled]:
    """Each example followed by ``copies_of(example, draws)``; only programs in the DSL's
    literal form (:func:`solver.dsl.program.parse_program`) get copies, and of those only
    the ``top`` share with the highest train accuracy (ties: the earlier example)."""
    keep = len(examples) if top >= 1 else max(1, round(top * len(examples)))
    chosen = set(_most_accurate(examples, keep))
    out: list[Relabeled] = []
    for i, ex in enumerate(examples):
        out.append(ex)
        if i not in chosen:
            continue
        draws = program.parse_program(ex.code)
        if draws:
            out += copies_of(ex, draws)
    return out


def mutate(examples: list[Relabeled], copies: int, rng: random.Random,
           top: float = 1.0) -> list[Relabeled]:
    """Each example followed by up to ``copies`` versions of it with one draw changed (moved
    or reshaped by one cell, recoloured, or cut in two by a one-cell gap) and the outputs
    drawn again: true examples of scenes next to the one the model drew, that differ from
    it in the few cells where a model misreads a dense drawing. A copy whose outputs equal
    the original's or its inputs is not kept. ``top``: only that share of the examples,
    the most accurate on the train pairs, get copies (their scenes are the nearest to
    the task's). Only programs in the DSL's literal form are mutated; nothing the model
    wrote runs here."""
    if copies <= 0:
        return list(examples)

    def mutants(ex: Relabeled, draws: list) -> list[Relabeled]:
        def variants():
            for k in range(copies):
                i = rng.randrange(len(draws))
                changed = _mutant(draws[i], rng)
                if changed is not None:
                    yield [*draws[:i], *changed, *draws[i + 1:]], f"mutant{k}"

        return _new_copies(ex, variants())

    return _with_copies(examples, mutants, top)


def split_copies(examples: list[Relabeled], best: int) -> list[Relabeled]:
    """Copies of the ``best`` most accurate examples (on the train pairs; ties: the earlier)
    with one draw cut in two by a one-cell gap, in every way it can be (:func:`_splits`),
    the outputs drawn again: the whole neighbourhood of that kind around the scenes
    nearest the task's, not a random few. A copy whose outputs repeat another's, the
    original's or the inputs is not kept. Only programs in the DSL's literal form are
    copied; nothing the model wrote runs here."""
    if best <= 0:
        return []
    out: list[Relabeled] = []
    for i in _most_accurate(examples, best):
        draws = program.parse_program(examples[i].code)
        if draws:
            out += _new_copies(examples[i], (
                ([*draws[:k], *parts, *draws[k + 1:]], f"split{k}.{j}")
                for k, d in enumerate(draws)
                for j, parts in enumerate(part for axis in _splits(d) for part in axis)))
    return out


def _differing_cells(mine: Grid, theirs: Grid) -> Iterator[tuple[int, int, int]]:
    """(row, column, colour in ``theirs``) of every cell where two grids differ, row by
    row; none when their shapes differ."""
    if len(mine) != len(theirs) or len(mine[0]) != len(theirs[0]):
        return
    for r, (row, their_row) in enumerate(zip(mine, theirs)):
        for c, (v, w) in enumerate(zip(row, their_row)):
            if v != w:
                yield r, c, w


def cross_copies(examples: list[Relabeled], best: int) -> list[Relabeled]:
    """Copies of the ``best`` most accurate examples (on the train pairs; ties: the
    earlier), each with one cell painted the colour another of them paints there (a
    ``draw_pixel`` added last), in every way two of them differ: the model's own nearest
    readings crossed one cell at a time. Examples are crossed only with those on the same
    inputs (an augmented one with its own frame). A copy whose outputs repeat another's
    from the same example, the original's or the inputs is not kept. Nothing is compared
    with the task's outputs; only programs in the DSL's literal form are copied and
    nothing the model wrote runs here."""
    if best <= 0:
        return []
    top = [examples[i] for i in _most_accurate(examples, best)]
    out: list[Relabeled] = []
    for ex in top:
        draws = program.parse_program(ex.code)
        if not draws:
            continue
        inputs = [p.input for p in ex.task.train]
        cells: dict[tuple[int, int, int], None] = {}  # (row, column, colour), in order
        for other in top:
            if other is ex or [p.input for p in other.task.train] != inputs:
                continue
            for mine, theirs in zip(ex.task.train, other.task.train):
                cells.update(dict.fromkeys(_differing_cells(mine.output, theirs.output)))
        out += _new_copies(ex, (
            ([*draws, program.Draw("draw_pixel", ((r, c), w))], f"cross{r}.{c}.{w}")
            for r, c, w in cells))
    return out


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

    def recoloured(ex: Relabeled, draws: list) -> list[Relabeled]:
        out = []
        for k in range(copies):
            perm = list(range(10))
            rng.shuffle(perm)
            moved = [program.Draw(d.fn, (*d.args[:-1], perm[d.args[-1]])) for d in draws]
            out.append(_redraw(ex, moved, perm, f"recolor{k}"))
        return out

    return _with_copies(examples, recoloured)
