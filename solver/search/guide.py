"""The model as the search's guide: every program the model writes is read as a *sketch*
(the primitives of its lines, in order) and the enumerator fills the sketch, fitting every
argument from the train pairs as it does in its own search.

    sketches = sketches_of(codes, 8)          # distinct, the most written first
    found = fill(task, sketches, seconds=2)   # enumerate_programs(task, s, sketch=...) each

A model that has the right operations but a wrong colour, direction or table still leads to
the right program; a sketch that leads nowhere costs a fraction of a second (a sketch's
search is a few hundred primitive calls where the free search's depth 3 is hundreds of
thousands). What a filled sketch makes is checked like any enumerated program (the
enumerator builds and runs it in this process: trusted), and nothing it proposes is trusted
before it is exact on the train pairs.

Only straight-line programs make sketches: ``img = name(img, ...)`` lines over primitives
the enumerator fits (:data:`solver.search.enumerate.SKETCH_KIND`), at most
:data:`MAX_LINES`. Two sketches of the same families in the same order are one search.
"""

from __future__ import annotations

import ast
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from solver.arc.grids import Task
from solver.search.enumerate import SKETCH_KIND, Found, enumerate_programs

MAX_LINES = 4  # a longer sketch is not searched (the free search's depth is 3)


def sketch_of(code: str) -> tuple[str, ...] | None:
    """The primitives of ``code``'s lines in order, when it is ``def task(img):`` followed by
    ``img = name(img, ...)`` lines and ``return img``; None for any other program (named
    images, loops, unknown calls, no lines, more than :data:`MAX_LINES`)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "task"), None)
    if fn is None or not fn.body:
        return None
    names = []
    for stmt in fn.body:
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name) \
                and stmt.value.id == "img" and stmt is fn.body[-1]:
            break
        name = _line_call(stmt)
        if name is None:
            return None
        names.append(name)
    else:
        return None  # no ``return img`` at the end
    return tuple(names) if 0 < len(names) <= MAX_LINES else None


def _line_call(stmt: ast.stmt) -> str | None:
    """``name`` when ``stmt`` is ``img = name(img, ...)`` with a primitive the enumerator fits."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "img"):
        return None
    call = stmt.value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.args
            and isinstance(call.args[0], ast.Name) and call.args[0].id == "img"):
        return None
    return call.func.id if call.func.id in SKETCH_KIND else None


def kinds(sketch: Sequence[str]) -> tuple[str, ...]:
    """What a sketch searches: the family of each line (:data:`SKETCH_KIND`)."""
    return tuple(SKETCH_KIND[name] for name in sketch)


def sketches_of(codes: Iterable[str], n: int) -> list[tuple[str, ...]]:
    """The ``n`` most written distinct sketches of ``codes`` (one per sequence of families;
    ties: the first written first)."""
    counts: Counter = Counter()
    first: dict[tuple[str, ...], tuple[str, ...]] = {}
    for code in codes:
        sketch = sketch_of(code)
        if sketch is None:
            continue
        key = kinds(sketch)
        first.setdefault(key, sketch)
        counts[key] += 1
    order = sorted(first, key=lambda k: -counts[k])  # stable: ties keep first-written order
    return [first[k] for k in order[:n]]


def fill(task: Task, sketches: Sequence[tuple[str, ...]], seconds: float) -> list[Found]:
    """Every program found by filling each sketch in turn, best first
    (:meth:`Found.rank_key`). Each sketch gets an even share of the time still left."""
    end = time.perf_counter() + seconds
    found: list[Found] = []
    for i, sketch in enumerate(sketches):
        share = (end - time.perf_counter()) / (len(sketches) - i)
        if share <= 0:
            break
        found += enumerate_programs(task, share, sketch=sketch)
    return sorted(found, key=Found.rank_key)
