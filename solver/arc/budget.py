"""Wall-clock budget: one total for the whole run, a share per task, a hard stop.

The budget is fixed when the run starts (``Budget.start`` is an absolute wall-clock time,
so it means the same thing in every worker process, and model loading counts against it).
Out of the total, ``reserve_s`` is kept back at the end to write the submission: work must
stop at :meth:`Budget.work_deadline` (the *hard stop*), and the run's coordinator kills
whatever still runs then.

A task's share is recomputed each time a task starts, from the time actually left and the
tasks still to start: ``share = time_left * workers / tasks_left`` (never more than the
time left, optionally capped). Tasks that finish early leave more time to the ones after
them; a hard task can never eat the time of the tasks queued behind it beyond its share.

This module is pure logic (no processes, no files): the coordinator in :mod:`solver.run`
owns the counts and hands each task its deadline.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

KAGGLE_TOTAL_S = 12 * 3600.0  # Kaggle's wall clock for the hidden test set
KAGGLE_SAFETY_S = 45 * 60.0  # startup, notebook overhead, installing wheels, slack

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([dhms])")


def parse_duration(text: str | float | int) -> float:
    """Seconds from ``'12h'``, ``'30m'``, ``'90s'``, ``'1h30m'``, ``'2.5h'`` or a bare number
    of seconds (``'45'``, ``45``). ValueError on anything else, and on a non-positive total."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        s = str(text).strip().lower().replace(" ", "")
        if not s:
            raise ValueError("empty duration")
        try:
            seconds = float(s)
        except ValueError:
            pos, seconds, seen = 0, 0.0, set()
            for m in _PART.finditer(s):
                if m.start() != pos or m.group(2) in seen:
                    raise ValueError(f"cannot read duration {text!r}; write e.g. 12h, 30m, "
                                     "90s or 1h30m") from None
                seen.add(m.group(2))
                seconds += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if pos != len(s) or not seen:
                raise ValueError(f"cannot read duration {text!r}; write e.g. 12h, 30m, 90s "
                                 "or 1h30m") from None
    if not seconds > 0:
        raise ValueError(f"duration must be positive, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``4530`` -> ``'1h15m30s'`` (whole seconds)."""
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    parts = [f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s or not (h or m) else ""]
    return "".join(parts)


def default_total_s() -> float:
    """Kaggle's 12 h less a safety margin."""
    return KAGGLE_TOTAL_S - KAGGLE_SAFETY_S


def default_reserve_s(total_s: float) -> float:
    """Time kept back to write the submission: 2 % of the total, between 2 s and 5 min."""
    return min(300.0, max(2.0, 0.02 * total_s))


@dataclass
class Budget:
    """One run's wall-clock budget. Picklable; all times are ``time.time()`` seconds."""

    total_s: float = field(default_factory=default_total_s)  # the whole run, loading included
    reserve_s: float | None = None  # kept back to write the submission; None: default_reserve_s
    max_task_s: float | None = None  # cap on one task's share (None: no cap)
    start: float = field(default_factory=time.time)  # wall-clock time the run started

    def __post_init__(self) -> None:
        if not self.total_s > 0:
            raise ValueError(f"total budget must be positive, got {self.total_s}")
        if self.reserve_s is None:
            self.reserve_s = default_reserve_s(self.total_s)
        # The reserve can never take the whole budget.
        self.reserve_s = min(float(self.reserve_s), 0.5 * self.total_s)

    @property
    def deadline(self) -> float:
        """The end of the budget: the submission must be on disk before this."""
        return self.start + self.total_s

    @property
    def work_deadline(self) -> float:
        """The hard stop for work: after it only the submission gets written."""
        return self.deadline - self.reserve_s

    def time_left(self, now: float | None = None) -> float:
        """Seconds of work time left (0 after the hard stop)."""
        now = time.time() if now is None else now
        return max(0.0, self.work_deadline - now)

    def expired(self, now: float | None = None) -> bool:
        return self.time_left(now) <= 0.0

    def share(self, tasks_left: int, workers: int = 1, now: float | None = None) -> float:
        """Seconds for the task starting now, when ``tasks_left`` tasks (this one included)
        have not started yet and ``workers`` processes work in parallel."""
        left = self.time_left(now)
        if tasks_left <= 0 or left <= 0:
            return 0.0
        share = left * max(1, workers) / tasks_left
        if self.max_task_s is not None:
            share = min(share, self.max_task_s)
        return min(share, left)

    def task_deadline(self, tasks_left: int, workers: int = 1, now: float | None = None) -> float:
        """Absolute wall-clock deadline for the task starting now (see :meth:`share`)."""
        now = time.time() if now is None else now
        return now + self.share(tasks_left, workers, now)

    def to_json(self) -> dict:
        return {"total_s": self.total_s, "reserve_s": self.reserve_s,
                "max_task_s": self.max_task_s, "start": self.start,
                "deadline": self.deadline, "work_deadline": self.work_deadline}


def seconds_until(deadline: float | None, now: float | None = None) -> float:
    """Seconds to ``deadline`` (inf when None, never negative)."""
    if deadline is None:
        return float("inf")
    now = time.time() if now is None else now
    return max(0.0, deadline - now)
