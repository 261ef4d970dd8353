"""Many tasks within one budget: the coordinator hands tasks to the worker pool, keeps the
journal, the reports and the submission complete at every moment.

A run directory holds::

    settings.json      the settings used (written at every start; earlier ones kept in it)
    journal.jsonl      one line per finished task, appended and fsynced
    tasks/<id>.json    the per-task report (epochs, attempts, status, seconds)
    run.log            what was printed, and the details (tracebacks) that were not
    summary.json       the closing table, when the run ends normally

and the submission is rewritten atomically after every finished task (and after every
epoch that improves a task's attempts), so a crash never loses finished work and tasks
never started still have fallback entries. Rerunning with the same run directory resumes
(:mod:`solver.run.journal`); a run killed with SIGKILL and restarted loses no finished task.

Workers (:mod:`solver.run.pool`): ``workers`` processes each build their solver once (load
the model, start the sandbox) and then take tasks one at a time from the coordinator, which
keeps the queue, gives every task its deadline from the shared
:class:`~solver.arc.budget.Budget` (the share is computed when the task starts, so time
saved flows to later tasks) and kills the workers at the budget's hard stop. A worker that
dies mid-task costs that task only.

Where the workers run is the *backend*'s business: :class:`~solver.run.pool.LocalBackend`
(the default: processes on this machine) or :class:`~solver.run.ray_backend.RayBackend`
(Ray actors on a cluster). A backend only carries tasks to workers and results back, as
:class:`~solver.run.pool.Event` values; everything above (the order, the shares, the hard
stop, the journal, the submission) is this module's, the same for every backend. A backend
whose workers are lost with their machine (``retries`` > 0) gets the lost task tried again
on another worker, within what is left of the task's own share.

The solver is a parameter: ``factory`` is a picklable callable, called once in each worker,
that returns ``solve(task, deadline, progress) -> report``. ``report`` is a JSON-able dict
with ``attempts`` (per test input, a list of candidate grids, best first) and ``status``;
``progress(update)`` may be called with ``{"attempts": ..., "line": str, "epoch": dict}``
while the task runs. The CLI uses the search's ``HerSolver``; tests use trivial ones.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import orjson

from solver.arc import submission as subm
from solver.arc.budget import Budget, format_duration
from solver.arc.grids import Grid, Task
from solver.run.journal import append_journal, clean_attempts, resume
from solver.run.pool import Event, LocalBackend
from solver.run.worker import error_line
from solver.run.reports import report_summary, write_json, write_report

POLL_S = 0.5
RETRY_MIN_SHARE = 0.25  # a lost task is tried again only with this part of its share left
RETRY_MIN_S = 1.0  # ... and at least this many seconds


@dataclass
class RunSummary:
    """What happened to every task of the run."""

    statuses: dict[str, str] = field(default_factory=dict)  # task id -> final status
    resumed: int = 0  # finished tasks found in the journal at start
    seconds: float = 0.0
    submission: str = ""
    stopped_by_budget: bool = False
    problems: list[str] = field(default_factory=list)  # one line each

    def count(self, status: str) -> int:
        return sum(s == status for s in self.statuses.values())


def _progress_bar(total: int):
    """A tqdm bar over the tasks (off when not on a terminal), or None."""
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc="tasks", unit="task", dynamic_ncols=True, disable=None,
                    leave=False)
    except Exception:  # pragma: no cover
        return None


class Coordinator:
    """One start of a run: the tasks, where their results go, and the work loop."""

    def __init__(self, tasks: Mapping[str, Task], factory: Callable, out, run_dir,
                 budget: Budget, workers: int, settings: Mapping, extra: Mapping,
                 log: Callable[[str], None] | None, threads: int | None = None,
                 backend=None, revisit: bool = False):
        self.tasks: dict[str, Task] = dict(tasks)
        self.backend = backend if backend is not None else LocalBackend()
        self.factory = factory
        self.out = Path(out)
        self.run_dir = Path(run_dir)
        self.budget = budget
        self.n_workers = max(1, int(workers))
        self.threads = threads
        self.settings = dict(settings)
        self.extra = dict(extra)
        self.log_fn = log
        self.attempts: dict[str, list[list[Grid]]] = {}
        self.reports: dict[str, dict] = {}
        self.summary = RunSummary(submission=str(self.out))
        # the work loop's state (set by _work)
        self.pending: list[str] = []
        self.share_among = 1  # workers the budget's per-task share assumes
        self.fatal = 0  # workers that could not build their solver, or died before saying so
        self.errors_said: set[str] = set()
        self.pool = None  # the backend's pool (solver.run.pool.WorkerPool or alike)
        self.bar = None
        self.deadlines: dict[str, float] = {}  # task id -> the deadline it was given
        self.shares: dict[str, float] = {}  # task id -> its share in seconds
        self.tries: dict[str, int] = {}  # task id -> times it was sent to a worker
        self.retry: dict[str, float] = {}  # lost task id -> its deadline, to try again
        self.revisit = revisit  # inexact tasks get the time others left, once every task had its share
        self.revisited: set[str] = set()  # task ids sent to a worker again
        self.revisiting: set[str] = set()  # ... and not back yet
        (self.run_dir / "tasks").mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.run_dir / "run.log", "a", encoding="utf-8")

    # ------------------------------------------------------------ output

    def log(self, line: str, detail: str | None = None, console: bool = True) -> None:
        """``line`` to run.log and (unless not ``console``) the console; ``detail`` (a
        traceback) to run.log only."""
        stamp = time.strftime("%H:%M:%S")
        self.log_file.write(f"{stamp} {line}\n" + (detail.rstrip() + "\n" if detail else ""))
        self.log_file.flush()
        if self.log_fn and console:
            self.log_fn(line)

    def write_submission(self) -> None:
        sub = subm.build(self.tasks, self.attempts)
        for tid, entries in self.extra.items():
            sub.setdefault(tid, entries)
        subm.write(self.out, sub)

    def write_settings(self) -> None:
        path = self.run_dir / "settings.json"
        previous = []
        if path.exists():
            try:
                old = orjson.loads(path.read_bytes())
                previous = old.pop("previous_starts", []) + [old]
            except Exception:
                pass
        ids = sorted(self.tasks)
        write_json(path, {
            **self.settings, "budget": self.budget.to_json(), "workers": self.n_workers,
            "backend": self.backend.name,
            "n_tasks": len(ids), "n_malformed": len(self.extra),
            "tasks_digest": hashlib.sha1("\n".join(ids).encode()).hexdigest(),
            "submission": str(self.out), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "previous_starts": previous})

    def write_summary(self) -> None:
        rows = []
        for tid in list(self.tasks) + list(self.extra):
            rep = self.reports.get(tid, {})
            status = "malformed" if tid in self.extra else self.summary.statuses.get(tid, "?")
            rows.append({"task_id": tid, "status": status, **report_summary(rep)})
        write_json(self.run_dir / "summary.json", {
            "tasks": rows, "seconds": self.summary.seconds, "resumed": self.summary.resumed,
            "stopped_by_budget": self.summary.stopped_by_budget,
            "problems": self.summary.problems, "submission": str(self.out)})

    def finish_task(self, tid: str, report: dict, journal: bool = True) -> None:
        report["task_id"] = tid
        report["attempts"] = clean_attempts(report.get("attempts"), self.tasks[tid])
        report.setdefault("status", "done")
        self.attempts[tid] = report["attempts"]
        self.reports[tid] = report
        self.summary.statuses[tid] = report["status"]
        write_report(self.run_dir, report)
        self.write_submission()
        if journal:
            append_journal(self.run_dir, {
                "task_id": tid, "status": report["status"], "attempts": report["attempts"],
                "seconds": report.get("seconds"), "finished": time.time(),
                "summary": report_summary(report)})

    # ------------------------------------------------------------ the run

    def run(self) -> RunSummary:
        t0 = time.time()
        self.write_settings()
        start = resume(self.run_dir, self.tasks)
        self.attempts.update(start.attempts)  # what is known so far (a retried task keeps it)
        for tid, rec in start.done.items():
            self.summary.statuses[tid] = rec.get("status", "done")
            self.reports[tid] = {"status": rec.get("status"), **(rec.get("summary") or {})}
        self.summary.resumed = len(start.done)
        self.write_submission()  # complete (fallbacks) from the very start
        pending = [tid for tid in self.tasks if tid not in start.done]
        retried = (f", {start.retried} of them retried after an error" if start.retried else "")
        self.log(f"run {self.run_dir}: {len(self.tasks)} tasks ({len(start.done)} already "
                 f"finished, {len(pending)} to do{retried}), {len(self.extra)} malformed, "
                 f"{self.n_workers} worker(s)"
                 + ("" if self.backend.name == "local" else f" on {self.backend.describe()}")
                 + f", budget {format_duration(self.budget.total_s)} "
                 f"({format_duration(self.budget.time_left())} of work time left)")
        if pending and not self.budget.expired():
            self._work(pending)
        elif pending:
            self.summary.stopped_by_budget = True
        for tid in self.tasks:
            self.summary.statuses.setdefault(tid, "not started")
        self.write_submission()
        self.summary.seconds = time.time() - t0
        self.write_summary()
        self.log_file.close()
        return self.summary

    def _work(self, pending: list[str]) -> None:
        """Hand ``pending`` to the workers until done, out of workers or out of time."""
        self.pending = list(pending)
        self.share_among = min(self.n_workers, len(pending))
        try:
            self.pool = pool = self.backend.pool(self.factory, self.share_among, self.threads,
                                                 str(self.run_dir / "run.log"))
        except Exception as e:  # the cluster cannot be reached, Ray is not installed...
            problem = f"the {self.backend.name} backend could not start: {error_line(e)}"
            self.summary.problems.append(problem)
            self.log(f"error: {problem}")
            self.log(f"{len(self.pending)} task(s) not started: fallback entries")
            return
        self.bar = _progress_bar(len(pending))
        try:
            for _ in range(self.share_among):
                pool.spawn()
            while (self.pending or self.retry or pool.holding) and pool.procs:
                if self.budget.expired():
                    self.summary.stopped_by_budget = True
                    break
                for event in pool.events(max(0.01, min(POLL_S, self.budget.time_left()))):
                    self._handle(event)
        finally:
            if self.bar:
                self.bar.close()
            none_left = not pool.procs
            for tid in list(self.retry):  # lost, and no worker took it again in time
                self._lost_for_good(tid, "no worker took it again before the end")
            held = pool.close(stop_now=self.budget.expired(), grace_until=self.budget.deadline - 1.0)
            for tid in held.values():  # unfinished: keep their partial attempts, no journal
                if tid in self.revisiting:  # its first result stands
                    self.log(f"[{tid}] again: stopped at the hard stop; the first attempts stay")
                    continue
                self.summary.statuses[tid] = "stopped"
                self.log(f"[{tid}] stopped at the hard stop after "
                         f"{time.time() - pool.started_at[tid]:.1f}s (partial attempts kept)")
            if self.pending:
                self.log(f"{len(self.pending)} task(s) not started: fallback entries")
            if none_left and self.fatal:
                self.log("no worker could start: every task not finished gets fallbacks")

    def _dispatch(self, wid: int) -> None:
        """The next task to worker ``wid`` (a lost task to try again first, within what is
        left of its own share), or tell it to stop."""
        while self.retry and not self.budget.expired():
            tid, deadline = next(iter(self.retry.items()))
            del self.retry[tid]
            if not self._retry_fits(tid, deadline):
                self._lost_for_good(tid, "too little of its share was left to try again")
                continue
            self.tries[tid] = self.tries.get(tid, 0) + 1
            self.log(f"[{tid}] start again (worker {wid}, "
                     f"{format_duration(deadline - time.time())} of its share left)")
            self.pool.assign(wid, self.tasks[tid], deadline)
            return
        if self.pending and not self.budget.expired():
            tid = self.pending.pop(0)
            deadline = self.budget.task_deadline(len(self.pending) + 1, self.share_among)
            self.deadlines[tid], self.shares[tid] = deadline, deadline - time.time()
            self.tries[tid] = self.tries.get(tid, 0) + 1
            self.log(f"[{tid}] start (worker {wid}, share "
                     f"{format_duration(deadline - time.time())})")
            self.pool.assign(wid, self.tasks[tid], deadline)
        elif not self.pending and self._revisit_next(wid):
            pass
        elif self.backend.retries and self.pool.holding and not self.budget.expired():
            pass  # kept idle while others work: a task they lose goes to it, no new start
        else:
            self.pool.release(wid)

    def _worth_again(self, tid: str) -> bool:
        """Whether a task of this start ended inexact because its share ran out."""
        rep = self.reports.get(tid, {})
        return (tid in self.shares and tid not in self.revisited
                and rep.get("status") == "inexact" and rep.get("stopped") == "deadline")

    def _revisit_next(self, wid: int) -> bool:
        """Once every task has had its share: the next task left inexact at its deadline
        to worker ``wid``, with an even share of the time left among those, when that is
        more than its first share (a fresh try: the worker starts the task over). Whether
        one was sent."""
        if not self.revisit or self.budget.expired():
            return False
        again = [tid for tid in self.tasks if self._worth_again(tid)]
        if not again:
            return False
        tid = again[0]
        deadline = self.budget.task_deadline(len(again), self.share_among)
        share = deadline - time.time()
        if share <= self.shares[tid]:
            return False
        self.revisited.add(tid)
        self.revisiting.add(tid)
        self.log(f"[{tid}] again (worker {wid}, share {format_duration(share)}): inexact when "
                 f"its share of {format_duration(self.shares[tid])} ran out; now the time "
                 "finished tasks left")
        self.pool.assign(wid, self.tasks[tid], deadline)
        return True

    def _revisit_done(self, tid: str, rep: dict) -> None:
        """A revisited task is back: its new result replaces the first when it fits the
        train pairs better (exact, or a higher best accuracy), else the first stays."""
        self.revisiting.discard(tid)
        new_key, old_key = _train_fit(rep), _train_fit(self.reports.get(tid, {}))
        if new_key > old_key:
            rep["revisited"] = True
            self.finish_task(tid, rep)
            self.log(f"[{tid}] again: {rep['status']} in {rep.get('seconds') or 0:.1f}s "
                     f"(best {new_key[1]:.3f}, was {old_key[1]:.3f})")
        else:
            self.log(f"[{tid}] again: no better (best {new_key[1]:.3f}, was {old_key[1]:.3f});"
                     " the first attempts stay")

    def _retry_fits(self, tid: str, deadline: float) -> bool:
        """Whether enough of a lost task's share is left to try it again."""
        left = deadline - time.time()
        return left >= max(RETRY_MIN_S, RETRY_MIN_SHARE * self.shares.get(tid, 0.0))

    def _lost_for_good(self, tid: str, why: str) -> None:
        """A lost task that is not tried (again): status ``crashed``, partial attempts kept
        (fallbacks for the rest), journaled so that a rerun tries it again."""
        self.retry.pop(tid, None)
        self.finish_task(tid, {"status": "crashed", "attempts": self.attempts.get(tid, []),
                               "error": f"its worker was lost; {why}"})
        self.log(f"[{tid}] crashed: {why} (partial attempts kept)")
        self._task_done()

    def _task_done(self) -> None:
        if self.bar:
            self.bar.update(1)

    def _handle(self, ev: Event) -> None:
        if ev.kind == "ready":
            self._dispatch(ev.worker)
        elif ev.kind == "fatal":
            self.fatal += 1
            problem = f"worker {ev.worker} could not start: {ev.payload['error']}"
            self.summary.problems.append(problem)
            said = ev.payload["error"] in self.errors_said  # another worker's reason too
            self.errors_said.add(ev.payload["error"])
            self.log(f"error: {problem} (traceback in {self.run_dir / 'run.log'})",
                     ev.payload["traceback"], console=not said)
        elif ev.kind == "progress":
            if ev.payload.get("line"):
                self.log(f"[{ev.task_id}] {ev.payload['line']}")
            if (ev.payload.get("attempts") is not None and ev.task_id in self.tasks
                    and ev.task_id not in self.revisiting):  # a revisit's count when it is back
                self.attempts[ev.task_id] = clean_attempts(ev.payload["attempts"],
                                                           self.tasks[ev.task_id])
                self.write_submission()
        elif ev.kind == "done" and ev.task_id in self.revisiting:
            self._revisit_done(ev.task_id, ev.payload)
            self._dispatch(ev.worker)
        elif ev.kind == "done":
            rep = ev.payload
            self.finish_task(ev.task_id, rep)
            self.log(f"[{ev.task_id}] {rep['status']} in {rep.get('seconds') or 0:.1f}s"
                     + (f": {rep['error']}" if rep.get("error") else ""))
            self._task_done()
            self._dispatch(ev.worker)
        elif ev.kind == "died":
            self._died(ev)

    def _died(self, ev: Event) -> None:
        """A worker's process ended: count it if it never started, record its task as
        crashed (or, with a backend that retries, try it again on another worker if its
        share allows), and start another worker if there is work and none failed to start."""
        code = ev.payload["exitcode"]
        lost = ev.payload.get("lost")  # what the backend lost, in words (Ray: process, node)
        what = lost or f"exit code {code}"
        if not ev.payload["reported"] and (code is not None or lost):
            self.fatal += 1
            self.summary.problems.append(f"worker {ev.worker} died while starting ({what})")
            self.log(f"worker {ev.worker} died while starting ({what})")
        tid = ev.task_id
        if tid in self.revisiting:  # its first result stands
            self.revisiting.discard(tid)
            self.log(f"[{tid}] again: lost with worker {ev.worker} ({what}); the first "
                     "attempts stay")
            tid = None
        if tid is not None and self.tries.get(tid, 0) <= self.backend.retries:
            deadline = self.deadlines.get(tid, 0.0)
            if self._retry_fits(tid, deadline) and not self.budget.expired():
                self.retry[tid] = deadline
                self.log(f"[{tid}] lost with worker {ev.worker} ({what}): trying it again on "
                         f"another worker ({format_duration(deadline - time.time())} of its "
                         "share left)")
            else:
                self._lost_for_good(tid, f"lost with worker {ev.worker} ({what}); too little "
                                         "of its share left to try again")
        elif tid is not None and lost:
            self._lost_for_good(tid, f"lost with worker {ev.worker} ({what}), "
                                     + ("again" if self.backend.retries else "not retried"))
        elif tid is not None:
            report = {"status": "crashed", "attempts": self.attempts.get(tid, []),
                      "error": f"worker process died (exit code {code})"}
            self.finish_task(tid, report)
            self.log(f"[{tid}] crashed: worker died with exit code {code}")
            self._task_done()
        for wid in self.pool.idle() if self.retry else ():  # an idle worker takes it now
            self._dispatch(wid)
            if not self.retry:
                break
        if (self.pending or self.retry) and not self.budget.expired() and not self.fatal:
            self.pool.spawn()


def _train_fit(report: Mapping) -> tuple[bool, float]:
    """How well a task report's programs fit the train pairs: (exact, best accuracy)."""
    return report.get("status") == "exact", report.get("best_train_acc") or 0.0


def run_tasks(tasks: Mapping[str, Task], factory: Callable, *, out: str | os.PathLike,
              run_dir: str | os.PathLike, budget: Budget | None = None, workers: int = 1,
              settings: Mapping | None = None, extra_entries: Mapping[str, list] | None = None,
              log: Callable[[str], None] | None = print,
              threads: int | None = None, backend=None, revisit: bool = False) -> RunSummary:
    """Solve ``tasks`` with ``workers`` processes built by ``factory`` within ``budget``,
    keeping the journal and reports in ``run_dir`` and the submission at ``out`` complete
    at every moment. ``extra_entries`` are fixed submission entries (malformed tasks).
    ``threads``: CPU threads per worker (default: the cores shared out; on GPUs, torch's).
    ``backend``: where the workers run (default :class:`~solver.run.pool.LocalBackend`,
    processes on this machine; :class:`~solver.run.ray_backend.RayBackend`: a Ray cluster).
    ``revisit``: once every task has had its share, tasks left inexact at their deadline
    are tried again, one by one, with the time finished tasks left (see
    :meth:`Coordinator._revisit_next`)."""
    run = Coordinator(tasks, factory, out, run_dir, budget or Budget(), workers,
                      settings or {}, extra_entries or {}, log, threads, backend, revisit)
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum, frame):  # SIGTERM: stop the workers like Ctrl-C does
            raise KeyboardInterrupt(f"signal {signum}")

        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return run.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
