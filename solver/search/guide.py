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
:data:`MAX_LINES`; their arguments are not read, so a line a weak model wrote with
malformed arguments still names its operation. Two sketches of the same families in the same order are one search.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from solver.arc.grids import Task
from solver.search.enumerate import SKETCH_KIND, Found, enumerate_programs

MAX_LINES = 4  # a longer sketch is not searched (the free search's depth is 3)


_LINE = re.compile(r"img = ([A-Za-z_]\w*)\(img\b")


def sketch_of(code: str) -> tuple[str, ...] | None:
    """The primitives of ``code``'s lines in order, when its body is ``img = name(img, ...)``
    lines then ``return img``; None for any other program (named images, loops, unknown
    calls, no lines, more than :data:`MAX_LINES`). Only the names are read: a line whose
    arguments are malformed still counts (the fitters choose the arguments)."""
    lines = [line.strip() for line in code.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if len(lines) < 3 or lines[0] != "def task(img):" or lines[-1] != "return img":
        return None
    names = []
    for line in lines[1:-1]:
        m = _LINE.match(line)
        if m is None or m.group(1) not in SKETCH_KIND:
            return None
        names.append(m.group(1))
    return tuple(names) if len(names) <= MAX_LINES else None


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
