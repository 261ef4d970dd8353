"""Attempts -> Kaggle ``submission.json``; validation against the challenges; scoring.

Format (ARC Prize 2025): ``{task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}`` with
one dict per test input, in order. Every task id and both keys must be present or the
whole submission fails, so :func:`build` fills every gap with a deterministic fallback.

Score: a test output counts if either attempt is exactly right; a task scores the
fraction of its test outputs; the total is the mean over tasks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from solver.arc.grids import Grid, Task, TaskFileError, atomic_write, dumps, expect_object, grid_problem, read_json

ATTEMPT_KEYS = ("attempt_1", "attempt_2")


def fallback(test_input: Grid) -> Grid:
    """The deterministic guess when nothing better exists: the test input itself."""
    return test_input


def build(tasks: Mapping[str, Task], attempts: Mapping[str, Sequence[Sequence[Grid]]]) -> dict:
    """The submission object: for every task and test input, two attempts.

    ``attempts[task_id][i]`` lists candidate outputs for test input i, best first; missing
    tasks, inputs or second attempts are filled with :func:`fallback`.
    """
    sub = {}
    for tid, task in tasks.items():
        entries = []
        task_attempts = attempts.get(tid, [])
        for i, pair in enumerate(task.test):
            cands = list(task_attempts[i]) if i < len(task_attempts) else []
            cands = [c for c in cands if c is not None and grid_problem(c) is None]
            while len(cands) < 2:
                cands.append(fallback(pair.input))
            entries.append({"attempt_1": cands[0], "attempt_2": cands[1]})
        sub[tid] = entries
    return sub


def write(path: str | os.PathLike, submission: Mapping) -> None:
    """Write atomically (temporary file, then rename)."""
    atomic_write(path, dumps(submission))


def load(path: str | os.PathLike) -> dict:
    """Read a submission file; TaskFileError when it is missing, not JSON or not an object."""
    path = Path(path)
    return expect_object(path, read_json(path), "task entries {task_id: [{attempt_1, attempt_2}, ...]}")


def validate(submission: Any, tasks: Mapping[str, Task]) -> list[str]:
    """Every problem that would make Kaggle reject the submission (empty list: valid)."""
    if not isinstance(submission, dict):
        return [f"expected an object {{task_id: [...]}}, got {type(submission).__name__}"]
    problems = []
    for tid, task in tasks.items():
        if tid not in submission:
            problems.append(f"task {tid}: missing")
            continue
        entries = submission[tid]
        if not isinstance(entries, list):
            problems.append(f"task {tid}: expected a list of attempt objects")
            continue
        if len(entries) != len(task.test):
            problems.append(f"task {tid}: {len(entries)} entries, the task has "
                            f"{len(task.test)} test inputs")
        for i, entry in enumerate(entries[:len(task.test)]):
            if not isinstance(entry, dict):
                problems.append(f"task {tid}: [{i}]: expected an object with attempt_1 and attempt_2")
                continue
            for key in ATTEMPT_KEYS:
                if key not in entry:
                    problems.append(f"task {tid}: [{i}].{key}: missing")
                    continue
                problem = grid_problem(entry[key])
                if problem:
                    problems.append(f"task {tid}: [{i}].{key}: {problem}")
    for tid in submission:
        if tid not in tasks:
            problems.append(f"task {tid}: not in the challenges file")
    return problems


@dataclass
class TaskScore:
    task_id: str
    correct: int
    total: int

    @property
    def score(self) -> float:
        return self.correct / self.total if self.total else 0.0


def score(submission: Mapping, solutions: Mapping[str, Sequence[Grid]]) -> tuple[float, list[TaskScore]]:
    """ARC Prize scoring over the tasks of ``solutions``; returns (total, per task)."""
    rows = []
    for tid, truths in solutions.items():
        entries = submission.get(tid) if isinstance(submission, Mapping) else None
        entries = entries if isinstance(entries, list) else []
        correct = 0
        for i, truth in enumerate(truths):
            entry = entries[i] if i < len(entries) and isinstance(entries[i], dict) else {}
            target = [list(r) for r in truth]
            if any(_as_lists(entry.get(k)) == target for k in ATTEMPT_KEYS):
                correct += 1
        rows.append(TaskScore(tid, correct, len(truths)))
    total = sum(r.score for r in rows) / len(rows) if rows else 0.0
    return total, rows


def _as_lists(grid: Any) -> Any:
    if isinstance(grid, (list, tuple)):
        return [list(r) if isinstance(r, (list, tuple)) else r for r in grid]
    return grid


__all__ = ["build", "write", "load", "validate", "score", "fallback",
           "TaskScore", "TaskFileError"]
