"""The journal of a run (``journal.jsonl``: one line per finished task, appended and
fsynced) and the rules of resuming from it.

A rerun with the same run directory skips the tasks in the journal, except those that
ended in an error or a worker crash: they are tried again (once per resume), keeping their
attempts until then. A line cut by a crash is ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import orjson

from solver.arc.grids import Grid, Task, dumps, grid_problem

JOURNAL = "journal.jsonl"
RETRY = ("error", "crashed")  # journal statuses a resumed run tries again (once per resume)


def read_journal(run_dir: str | os.PathLike) -> dict[str, dict]:
    """Finished tasks recorded in the journal (a truncated last line is ignored)."""
    path = Path(run_dir) / JOURNAL
    done: dict[str, dict] = {}
    if not path.exists():
        return done
    for line in path.read_bytes().splitlines():
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line cut by a crash
        if isinstance(rec, dict) and isinstance(rec.get("task_id"), str):
            done[rec["task_id"]] = rec
    return done


def append_journal(run_dir: str | os.PathLike, record: Mapping) -> None:
    """Append one line and fsync, so it survives a kill right after."""
    path = Path(run_dir) / JOURNAL
    with open(path, "ab") as f:
        f.write(dumps(record) + b"\n")
        f.flush()
        os.fsync(f.fileno())


def clean_attempts(attempts: Any, task: Task) -> list[list[Grid]]:
    """Attempts as ``[[grid, ...] per test input]``, invalid grids dropped."""
    out: list[list[Grid]] = []
    attempts = attempts if isinstance(attempts, list) else []
    for i in range(len(task.test)):
        cands = attempts[i] if i < len(attempts) and isinstance(attempts[i], list) else []
        out.append([c for c in cands if grid_problem(c) is None])
    return out


@dataclass
class Resume:
    """What a run starts from: its journal read against the tasks of this start."""

    attempts: dict[str, list[list[Grid]]] = field(default_factory=dict)  # every journaled task
    done: dict[str, dict] = field(default_factory=dict)  # finished: not run again
    retried: int = 0  # journaled tasks run again (they ended in an error or a crash)


def resume(run_dir: str | os.PathLike, tasks: Mapping[str, Task]) -> Resume:
    """The journal's tasks among ``tasks``: their attempts so far (a retried task keeps
    them until it finishes again) and those finished for good."""
    journal = {tid: rec for tid, rec in read_journal(run_dir).items() if tid in tasks}
    attempts = {tid: clean_attempts(rec.get("attempts"), tasks[tid]) for tid, rec in journal.items()}
    done = {tid: rec for tid, rec in journal.items() if rec.get("status") not in RETRY}
    return Resume(attempts, done, len(journal) - len(done))
