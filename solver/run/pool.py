"""The local backend and its worker pool: processes (``spawn`` context) on this machine that
each build the solver once and then take tasks one at a time, the pipes to them, and which
task each one holds.

The pool decides nothing: the coordinator says which worker gets which task, and reads
what happened as :class:`Event` values. Each worker has two pipes of its own (tasks in,
messages out), so a worker that dies mid-message can only break its own.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable

from solver.arc.grids import Task
from solver.run.devices import default_workers, gpu_of, threads_per_worker
from solver.run.worker import worker_main


@dataclass
class Event:
    """Something a worker did: a message it sent (``ready``, ``fatal``, ``progress``,
    ``done``; see :mod:`solver.run.worker`) or ``died``: its process ended and the pool let
    it go (payload ``{"exitcode": int | None, "reported": bool}``; ``reported``: it had said
    ``ready`` or ``fatal`` first; ``task_id``: the task it held, if any)."""

    kind: str
    worker: int
    task_id: str | None = None
    payload: Any = None


class LocalBackend:
    """Workers as processes on this machine (the default backend): one per visible GPU, one
    on CPU; the CPU cores shared out among them. A worker that dies costs its task (status
    ``crashed``; a rerun tries it again): on one machine a death is the task's doing (a
    crash, the memory), so trying it at once again would only repeat it."""

    name = "local"
    retries = 0  # times a task whose worker was lost is tried again in the same run

    def default_workers(self) -> int:
        return default_workers()

    def pool(self, factory: Callable, workers: int, threads: int | None,
             log_file: str | None) -> "WorkerPool":
        """A pool for ``workers`` workers (spawned by the coordinator)."""
        return WorkerPool(factory, threads_per_worker(workers, threads), log_file=log_file)

    def describe(self) -> str:
        return "local processes"

    def close(self) -> None:
        pass


class WorkerPool:
    """Worker processes running :func:`solver.run.worker.worker_main` with ``factory``."""

    def __init__(self, factory: Callable, threads: int | None = None,
                 log_file: str | None = None):
        self.factory = factory
        self.threads = threads  # CPU threads per worker (None: torch's default)
        self.log_file = log_file  # where the workers' library chatter goes (lm.quiet)
        self.procs: dict[int, Any] = {}  # worker id -> process, until it is let go
        self.holding: dict[int, str] = {}  # worker id -> the task it is solving
        self.started_at: dict[str, float] = {}  # task id -> when it was sent
        self._ctx = mp.get_context("spawn")
        self._inboxes: dict[int, Any] = {}  # worker id -> our end of its task pipe
        self._outboxes: dict[Any, int] = {}  # our end of its message pipe -> worker id
        self._reported: set[int] = set()  # workers that said ready or fatal
        self._released: set[int] = set()  # workers told to stop
        self._next_id = 0

    def spawn(self) -> int:
        """Start one more worker; returns its id."""
        wid = self._next_id
        self._next_id += 1
        task_r, task_w = self._ctx.Pipe(duplex=False)
        msg_r, msg_w = self._ctx.Pipe(duplex=False)
        p = self._ctx.Process(target=worker_main,
                              args=(wid, self.factory, task_r, msg_w, gpu_of(wid), self.threads,
                                    self.log_file),
                              daemon=True, name=f"solver-worker-{wid}")
        p.start()
        task_r.close()
        msg_w.close()
        self.procs[wid], self._inboxes[wid], self._outboxes[msg_r] = p, task_w, wid
        return wid

    def assign(self, wid: int, task: Task, deadline: float) -> None:
        """Send ``task`` to worker ``wid``, to be done by ``deadline`` (epoch seconds). A
        worker that died meanwhile shows up as a ``died`` event holding the task."""
        self.holding[wid] = task.id
        self.started_at[task.id] = time.time()
        self._send(wid, (task, deadline))

    def release(self, wid: int) -> None:
        """Tell worker ``wid`` there is no more work: it exits."""
        self._released.add(wid)
        self._send(wid, None)

    def idle(self) -> list[int]:
        """Workers started and ready that hold no task and were not told to stop."""
        return [w for w in self.procs
                if w in self._reported and w not in self.holding and w not in self._released]

    def _send(self, wid: int, item) -> None:
        try:
            self._inboxes[wid].send(item)
        except (OSError, EOFError, KeyError):
            pass  # it died; events() lets it go

    def events(self, timeout: float) -> list[Event]:
        """What the workers did within ``timeout`` seconds (at least one message waits, or
        the time is up), in order; workers whose process ended are let go (``died``)."""
        out: list[Event] = []
        for conn in wait(list(self._outboxes), timeout=timeout):
            wid = self._outboxes.get(conn)
            if wid is None:
                continue  # let go while handling an earlier message
            try:
                kind, _, tid, payload = conn.recv()
            except Exception:  # EOF or a message cut by the worker's death
                self.procs[wid].join(timeout=2)
                out.append(self._let_go(wid))
                continue
            if kind in ("ready", "fatal"):
                self._reported.add(wid)
            if kind == "done":
                self.holding.pop(wid, None)
            out.append(Event(kind, wid, tid, payload))
            if kind == "fatal":
                out.append(self._let_go(wid))
        for wid, p in list(self.procs.items()):
            if not p.is_alive() and not any(c.poll() for c, w in self._outboxes.items()
                                            if w == wid):
                out.append(self._let_go(wid))
        return out

    def _let_go(self, wid: int) -> Event:
        """Forget a worker whose process ended (or must end): a ``died`` event."""
        p = self.procs.pop(wid, None)
        for conn, w in list(self._outboxes.items()):
            if w == wid:
                self._outboxes.pop(conn)
                conn.close()
        inbox = self._inboxes.pop(wid, None)
        if inbox is not None:
            try:
                inbox.close()
            except OSError:
                pass
        if p is not None:
            p.join(timeout=1)
        code = p.exitcode if p is not None else None
        return Event("died", wid, self.holding.pop(wid, None),
                     {"exitcode": code, "reported": wid in self._reported})

    def close(self, stop_now: bool, grace_until: float) -> dict[int, str]:
        """End every worker: idle ones are told to stop and get until ``grace_until`` (at
        most 3 s) to exit; busy ones, and all of them when ``stop_now``, are killed.
        Returns the tasks that were still held (worker id -> task id)."""
        for wid in list(self._inboxes):
            if wid not in self.holding and not stop_now:
                self._send(wid, None)
        for wid, p in self.procs.items():
            if wid in self.holding or stop_now:  # at the hard stop nothing may run on
                p.kill()
        for p in self.procs.values():
            p.join(timeout=min(3.0, max(0.0, grace_until - time.time())))
            if p.is_alive():
                p.kill()
                p.join(timeout=2)
        return dict(self.holding)
