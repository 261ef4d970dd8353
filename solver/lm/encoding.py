"""Compact, lossless task encodings: a grid as rows of runs (the prompt encoders ``rle`` and
``rle-diff`` of :mod:`solver.lm.prompt`).

Today's ``dsl`` prompts write a v2 model's grids with ``runs`` (:mod:`solver.lm.prompt`):
one ``r c0 c1 colour`` line per run, about ten tokens each, so a grid of many colours
costs more than one token per cell. The encodings here cost at most one token per cell
plus one per row under the v2 tokenizer (:func:`solver.lm.base.tokenizer.build_tokenizer`
with ``tasks="v2"``: every symbol below is one token of its vocabulary already, so no new
vocabulary is needed), and much less on the large flat areas of ARC grids.

A grid (:func:`encode_grid`) is a shape line ``HxW``, then one line per row:

- a row is a sequence of runs of one colour, left to right; a run of ``n`` cells of colour
  ``c`` is written ``c`` repeated ``n`` times when ``n < RUN_MIN`` (3), else ``c``
  followed by one count letter (``a`` = 1, ``b`` = 2, ..., ``z`` = 26): ``0j`` is ten
  ``0`` cells, ``0d77077`` is ``0000 77 0 77``; a run longer than 26 is written as a run
  of 26 followed by the rest (``0z0c`` is 29 cells);
- a row written exactly like the row above it is written ``=``.

Against a reference grid of the same shape (``ref``: the ``rle-diff`` encoding writes
each train output against its input when both have one shape), a cell equal to the
reference's is written ``.`` instead of its colour, and runs of ``.`` are counted like
colours: an output that changes three cells of its input is mostly ``.j`` rows and ``=``.

A task (:func:`encode_task`) is its train pairs, each ``input``, the input grid,
``output``, the output grid, one item a line; with ``test_inputs`` then ``test`` and each
test input. :func:`decode_grid` and :func:`decode_task` invert them exactly.

Pure Python: importing this module loads no model library.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

from solver.arc.grids import Grid, Pair, Task

ENCODINGS = ("rle", "rle-diff")  # rle-diff: outputs of their input's shape written against it
RUN_MIN = 3  # shortest run written with a count letter (a shorter one costs no more as cells)
COUNTS = "abcdefghijklmnopqrstuvwxyz"  # count letter of a run: COUNTS[n - 1]
LONGEST_RUN = len(COUNTS)  # a longer run is written as several
SAME_ROW = "="  # the row is written exactly like the row above
SAME_CELL = "."  # (against a reference) the cell equals the reference's
LABELS = ("input", "output", "test")

_SHAPE = re.compile(r"([1-9][0-9]*)x([1-9][0-9]*)")
_RUN = re.compile(r"([0-9.])([a-z]?)")


def _runs(cells: Sequence[str]) -> list[tuple[str, int]]:
    """(symbol, length) of the runs of equal symbols in ``cells``, left to right."""
    runs: list[tuple[str, int]] = []
    for s in cells:
        if runs and runs[-1][0] == s:
            runs[-1] = (s, runs[-1][1] + 1)
        else:
            runs.append((s, 1))
    return runs


def _run_text(symbol: str, n: int) -> str:
    """One run of ``n`` cells of ``symbol`` (split into runs of at most 26)."""
    parts = []
    while n > 0:
        k = min(n, LONGEST_RUN)
        parts.append(symbol + COUNTS[k - 1] if k >= RUN_MIN else symbol * k)
        n -= k
    return "".join(parts)


def encode_row(row: Sequence[int], ref: Sequence[int] | None = None) -> str:
    """One row as runs (see the module docstring); ``ref``: the reference grid's row of the
    same length, whose equal cells are written ``.``."""
    if ref is not None and len(ref) != len(row):
        raise ValueError(f"reference row of length {len(ref)} for a row of {len(row)}")
    cells = [SAME_CELL if ref is not None and v == ref[i] else str(v) for i, v in enumerate(row)]
    return "".join(_run_text(s, n) for s, n in _runs(cells))


def encode_grid(grid: Grid, ref: Grid | None = None) -> str:
    """``grid`` as text: the ``HxW`` line and one line per row (``=``: written like the
    row above); with ``ref`` (a grid of the same shape), cells equal to the reference's
    are written ``.``. No newline at the end. ValueError for a reference of another shape."""
    h, w = len(grid), len(grid[0])
    if ref is not None and (len(ref), len(ref[0])) != (h, w):
        raise ValueError(f"reference grid {len(ref)}x{len(ref[0])} for a grid {h}x{w}")
    lines = [f"{h}x{w}"]
    previous = None
    for r, row in enumerate(grid):
        text = encode_row(row, None if ref is None else ref[r])
        lines.append(SAME_ROW if text == previous else text)
        previous = text
    return "\n".join(lines)


def _decode_row(text: str, width: int) -> list[str]:
    """The cells' symbols (digits or ``.``) of one written row (not ``=``)."""
    cells: list[str] = []
    pos = 0
    while pos < len(text):
        m = _RUN.match(text, pos)
        if m is None:
            raise ValueError(f"row {text!r}: unexpected {text[pos]!r} at {pos}")
        n = COUNTS.index(m.group(2)) + 1 if m.group(2) else 1
        cells += [m.group(1)] * n
        pos = m.end()
    if len(cells) != width:
        raise ValueError(f"row {text!r} has {len(cells)} cells, the shape says {width}")
    return cells


def _resolve(symbols: list[list[str]], ref: Grid | None) -> Grid:
    """The grid of decoded symbols: ``.`` takes the reference's cell."""
    h, w = len(symbols), len(symbols[0])
    if ref is not None and (len(ref), len(ref[0])) != (h, w):
        raise ValueError(f"reference grid {len(ref)}x{len(ref[0])} for a grid {h}x{w}")
    rows = []
    for r, row in enumerate(symbols):
        if SAME_CELL in row and ref is None:
            raise ValueError(f"row {r} has {SAME_CELL!r} cells but no reference grid is given")
        rows.append(tuple(ref[r][c] if s == SAME_CELL else int(s) for c, s in enumerate(row)))
    return tuple(rows)


def decode_grid(text: str, ref: Grid | None = None) -> Grid:
    """The grid :func:`encode_grid` wrote as ``text`` (with the same ``ref``, which is read
    only where a cell is ``.``). ValueError for text it cannot have written."""
    lines = text.split("\n")
    m = _SHAPE.fullmatch(lines[0])
    if m is None:
        raise ValueError(f"not a shape line: {lines[0]!r}")
    h, w = int(m.group(1)), int(m.group(2))
    if len(lines) != h + 1:
        raise ValueError(f"shape {h}x{w} but {len(lines) - 1} row lines")
    symbols: list[list[str]] = []
    for line in lines[1:]:
        if line == SAME_ROW:
            if not symbols:
                raise ValueError(f"the first row cannot be {SAME_ROW!r}")
            symbols.append(list(symbols[-1]))
        else:
            symbols.append(_decode_row(line, w))
    return _resolve(symbols, ref)


def _same_shape(a: Grid, b: Grid) -> bool:
    return len(a) == len(b) and len(a[0]) == len(b[0])


def output_ref(pair: Pair, encoding: str) -> Grid | None:
    """The grid a train output is written against: its input under ``rle-diff`` when both
    have one shape, else none."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")
    if encoding == "rle-diff" and _same_shape(pair.input, pair.output):
        return pair.input
    return None


def encode_task(task: Task, encoding: str = "rle", test_inputs: bool = False) -> str:
    """The train pairs of ``task`` in order (``input``, its grid, ``output``, its grid;
    under ``rle-diff`` an output of its input's shape written against the input), then with
    ``test_inputs`` ``test`` and each test input; one item a line, a newline at the end.
    Fewer pairs: encode ``dataclasses.replace(task, train=task.train[:k])``."""
    parts = []
    for pair in task.train:
        parts += ["input", encode_grid(pair.input),
                  "output", encode_grid(pair.output, output_ref(pair, encoding))]
    if test_inputs:
        for pair in task.test:
            parts += ["test", encode_grid(pair.input)]
    return "\n".join(parts) + "\n"


def _grid_lines(lines: list[str], i: int) -> int:
    """The index after the grid whose shape line is ``lines[i]``."""
    m = _SHAPE.fullmatch(lines[i]) if i < len(lines) else None
    if m is None:
        raise ValueError(f"line {i}: expected a shape line, got "
                         f"{lines[i] if i < len(lines) else 'the end'!r}")
    return i + 1 + int(m.group(1))


def decode_task(text: str, task_id: str = "") -> Task:
    """The task :func:`encode_task` wrote (either encoding; test pairs without outputs).
    ValueError for text it cannot have written."""
    lines = text.split("\n")
    if lines[-1] != "":
        raise ValueError("a task's text ends with a newline")
    lines.pop()
    train: list[Pair] = []
    test: list[Pair] = []
    i = 0
    while i < len(lines):
        label = lines[i]
        if label not in LABELS or (label == "output") or (label == "input" and test):
            raise ValueError(f"line {i}: unexpected {label!r}")
        end = _grid_lines(lines, i + 1)
        grid = decode_grid("\n".join(lines[i + 1:end]))
        if label == "test":
            test.append(Pair(grid))
            i = end
            continue
        if end >= len(lines) or lines[end] != "output":
            raise ValueError(f"line {end}: expected 'output'")
        out_end = _grid_lines(lines, end + 1)
        output = _decode_output("\n".join(lines[end + 1:out_end]), grid)
        train.append(Pair(grid, output))
        i = out_end
    return Task(task_id, tuple(train), tuple(test))


def _decode_output(text: str, inp: Grid) -> Grid:
    """A train output: written against its input when it has the input's shape and any
    ``.`` cell (an ``rle`` output has none, so reading it against the input changes
    nothing)."""
    m = _SHAPE.fullmatch(text.split("\n", 1)[0])
    same = m is not None and (int(m.group(1)), int(m.group(2))) == (len(inp), len(inp[0]))
    return decode_grid(text, inp if same else None)


def with_pairs(task: Task, k: int) -> Task:
    """``task`` with only its first ``k`` train pairs (what a prompt that drops pairs
    from the end shows)."""
    return dataclasses.replace(task, train=tuple(task.train[:k]))
