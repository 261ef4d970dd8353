"""Text tables for the console and the run's files: one helper for every table printed."""

from __future__ import annotations

from typing import Any, Iterable, Sequence


def format_table(header: Sequence[str], rows: Iterable[Sequence[Any]],
                 align: str | None = None) -> str:
    """Columns two spaces apart, each as wide as its widest cell; ``align`` has one
    character per column, ``<`` (left) or ``>`` (right); default: the first column left,
    the others right. Cells are shown with ``str``; None as ``-``."""
    cells = [[str(h) for h in header]] + [["-" if c is None else str(c) for c in r] for r in rows]
    align = align or "<" + ">" * (len(header) - 1)
    if len(align) != len(header) or any(len(r) != len(header) for r in cells):
        raise ValueError("every row and the alignment need one entry per column")
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def score_line(total: float, rows: Sequence) -> str:
    """The closing ``score:`` line of a scored submission (rows: ``TaskScore``)."""
    solved = sum(r.correct == r.total for r in rows)
    return f"score: {total:.4f} (solved tasks {solved}/{len(rows)})"


def scores_table(total: float, rows: Sequence) -> str:
    """Per task: test outputs right and the task's score; then the ``score:`` line."""
    table = format_table(("task", "correct", "score"),
                         [(r.task_id, f"{r.correct}/{r.total}", f"{r.score:.3f}") for r in rows])
    return table + "\n" + score_line(total, rows)
