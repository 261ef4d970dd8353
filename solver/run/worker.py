"""The body of one worker process: build the solver once, then solve the tasks the
coordinator sends, one at a time, reporting progress and results back.

Messages to the coordinator are tuples ``(kind, worker id, task id, payload)``:

- ``ready``: the solver is built; send a task;
- ``fatal``: the solver could not be built; payload ``{"error": one line, "traceback": text}``;
- ``progress``: payload the update the solver passed to ``progress`` (see :mod:`solver.run`);
- ``done``: payload the task's report (``status`` ``error`` with the exception when solving
  raised).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from typing import Callable

from solver.lm.quiet import route_library_noise

MAX_ERROR_CHARS = 400


def error_line(e: BaseException) -> str:
    """An exception as one line: its type and message, whitespace collapsed."""
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 3] + "..."


def worker_main(wid: int, factory: Callable, inbox, outbox, gpu: int | None,
                threads: int | None, log_file: str | None = None) -> None:
    """A worker process: build the solver once, then solve the tasks the coordinator sends
    over ``inbox`` (one pipe per worker, so a worker that dies mid-message can only break
    its own pipe) until it sends None or disappears. What libraries say goes to
    ``log_file`` (the run's run.log), not the console."""
    if log_file:
        route_library_noise(log_file)
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

    solve, problem = build_solver(factory)
    if problem is not None:
        send(("fatal", wid, None, problem))
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

        try:
            report = solve_task(solve, task, deadline, progress)
        except SystemExit:
            return
        send(("done", wid, task.id, report))


def build_solver(factory: Callable) -> tuple[Callable | None, dict | None]:
    """``(solve, None)`` from ``factory()``, or ``(None, problem)`` when it raised:
    ``problem`` is the ``fatal`` payload (``error``: one line, ``traceback``). Every
    backend's worker builds its solver this way."""
    try:
        return factory(), None
    except BaseException as e:
        return None, {"error": error_line(e), "traceback": traceback.format_exc(limit=8)}


def solve_task(solve: Callable, task, deadline: float, progress: Callable) -> dict:
    """One task's report: what ``solve`` returned (``seconds`` added), or status ``error``
    with the exception when it raised; SystemExit (the coordinator is gone) goes through.
    Every backend's worker solves a task this way."""
    t0 = time.time()
    try:
        report = solve(task, deadline, progress)
        if not isinstance(report, dict):
            raise TypeError(f"solve returned {type(report).__name__}, expected a dict")
    except SystemExit:
        raise
    except BaseException as e:
        report = {"status": "error", "error": f"{type(e).__name__}: {e}",
                  "traceback": traceback.format_exc(limit=8), "attempts": []}
    report.setdefault("seconds", time.time() - t0)
    return report
