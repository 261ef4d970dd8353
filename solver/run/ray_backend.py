"""The Ray backend: the run's workers as Ray actors on a cluster, one per worker slot.

The coordinator (:mod:`solver.run.coordinator`) stays where it is, on the driver: it keeps
the queue, the shares and the hard stop, writes the journal, the reports and the
submission. This module only carries tasks to the actors and what they say back, as the
same :class:`~solver.run.pool.Event` values the local pool gives, so the run behaves the
same on both backends:

- an actor (:class:`_Slot`) builds the solver once (the model is loaded once per actor),
  says ``ready`` or ``fatal``, then solves one task at a time; a task is a Ray streaming
  call whose items are the worker's messages (``progress``…, then ``done``), in order;
- a slot is one GPU (``num_gpus=1``) on a cluster with GPUs, else ``threads`` CPUs (1
  unless ``--threads`` says more); by default the run has one worker per slot;
- an actor that dies, alone or with its node, is a ``died`` event naming what was lost
  (``lost``); this backend's ``retries`` (1) has the coordinator try the task once more on
  another actor when its share allows. A replacement actor is started only when the
  cluster has room for it, so a run never waits for a node that is gone;
- at the hard stop the actors still busy are killed (``ray.kill``).

Ray is imported here only, and only when a Ray run starts: ``import solver`` never
imports it. It is the ``ray`` extra (``pip install "solver[ray]"``).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from solver.lm.quiet import route_library_noise
from solver.run.pool import Event
from solver.run.worker import build_solver, error_line, solve_task

LOCAL_IP = "127.0.0.1"


def _ray():
    """The ``ray`` module, or ImportError saying how to install it."""
    try:
        import ray
    except ImportError as e:  # pragma: no cover (the extra is installed in CI)
        raise ImportError("--backend ray needs Ray: pip install 'ray>=2.40' "
                          "(or the package's ray extra)") from e
    return ray


def _quiet_worker_deaths(ray) -> None:
    """Ray prints its own paragraph on the driver's console when a worker dies; the run
    says it in one line (what was lost, what was done), so Ray's is not printed. (The
    switch Ray's debugger uses; if a release drops it, Ray's paragraph shows again.)"""
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    if worker is not None and hasattr(worker, "_worker_logs_enabled"):
        worker._worker_logs_enabled = False


def _reachable(address: str, timeout_s: float = 10.0) -> None:
    """ConnectionError unless something answers at ``address`` (``HOST:PORT``; other forms,
    such as ``ray://``, are left to Ray)."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        raise ConnectionError(f"no Ray cluster answers at {address}: {e}") from None


class _Slot:
    """One worker as a Ray actor (made remote in :meth:`RayPool.spawn`): the solver built
    once in the constructor, then one task per :meth:`run` call."""

    def __init__(self, wid: int, factory: Callable, threads: int | None,
                 log_file: str | None) -> None:
        if log_file and not Path(log_file).parent.is_dir():  # not shared with the driver
            log_file = str(Path(tempfile.gettempdir()) / f"solver-worker-{os.getpid()}.log")
        if log_file:
            route_library_noise(log_file)
        if threads:
            for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[var] = str(threads)
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(threads)
        self.wid = wid
        self.solve, self.problem = build_solver(factory)

    def ready(self) -> tuple[str, dict]:
        """``("ready", where)`` or ``("fatal", {"error", "traceback"})``."""
        if self.problem is not None:
            return "fatal", self.problem
        import ray

        ctx = ray.get_runtime_context()
        return "ready", {"node": ctx.get_node_id(), "ip": ray.util.get_node_ip_address(),
                         "pid": os.getpid()}

    def run(self, task, deadline: float):
        """Solve ``task``: yields ``("progress", update)`` while it runs, then
        ``("done", report)``. The solver runs in a thread of this actor so that its
        progress can be yielded as it comes."""
        messages: queue.Queue = queue.Queue()

        def body() -> None:
            try:
                report = solve_task(self.solve, task, deadline,
                                    lambda update: messages.put(("progress", update)))
            except BaseException as e:  # SystemExit from the solver: still a report
                report = {"status": "error", "error": error_line(e), "attempts": []}
            messages.put(("done", report))

        threading.Thread(target=body, daemon=True, name=f"solve-{task.id}").start()
        while True:
            kind, payload = messages.get()
            yield kind, payload
            if kind == "done":
                return


class RayBackend:
    """Workers as Ray actors on the cluster at ``address`` (``auto``: the one this machine
    belongs to, else a Ray instance started here for the run)."""

    name = "ray"
    retries = 1  # a task whose actor (or node) was lost is tried once more, share allowing

    def __init__(self, address: str | None = "auto", threads: int | None = None):
        self.address = address or "auto"
        self.threads = threads
        self.started_here = False  # a local instance started for the run (no cluster found)
        self.connected_here = False  # we called ray.init (so we call ray.shutdown)
        self.failed: Exception | None = None  # why connecting failed, once it did
        self.where = ""

    # ------------------------------------------------------------ the cluster

    def connect(self) -> None:
        """Join the cluster (once); with ``auto`` and none running, start one here. A
        failure is raised again at once on later calls (no second wait)."""
        if self.failed is not None:
            raise self.failed
        try:
            self._connect()
        except Exception as e:
            self.failed = e
            raise

    def _connect(self) -> None:
        ray = _ray()
        if ray.is_initialized():
            self.where = self.where or "the Ray cluster this process joined"
            return
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address != "auto":
            _reachable(self.address)  # ray.init would retry an address nobody answers
        try:
            info = ray.init(address=self.address, **quiet)
            gcs = getattr(info, "address_info", {}).get("gcs_address") or self.address
            self.where = f"the Ray cluster at {gcs}"
        except ConnectionError:
            if self.address != "auto":
                raise
            ray.init(include_dashboard=False, _node_ip_address=LOCAL_IP, **quiet)
            self.started_here = True
            self.where = "a Ray instance started on this machine (no cluster found)"
        self.connected_here = True
        _quiet_worker_deaths(ray)

    def _totals(self) -> tuple[float, float]:
        """(GPUs, CPUs) of the cluster's live nodes."""
        res = _ray().cluster_resources()
        return float(res.get("GPU", 0.0)), float(res.get("CPU", 0.0))

    def uses_gpus(self) -> bool:
        return self._totals()[0] >= 1

    def cpus_per_worker(self) -> int:
        return max(1, int(self.threads or 1))

    def slots(self) -> int:
        """Workers the cluster's live nodes have room for: its GPUs, else its CPUs by
        ``cpus_per_worker``."""
        self.connect()
        gpus, cpus = self._totals()
        if gpus >= 1:
            return int(gpus)
        return int(cpus // self.cpus_per_worker())

    def default_workers(self) -> int:
        return max(1, self.slots())

    def describe(self) -> str:
        return self.where or f"Ray ({self.address})"

    def pool(self, factory: Callable, workers: int, threads: int | None,
             log_file: str | None) -> "RayPool":
        self.connect()
        return RayPool(self, factory, workers, log_file)

    def close(self) -> None:
        """Leave the cluster (stopping the instance started here, if any)."""
        if self.connected_here:
            ray = _ray()
            if ray.is_initialized():
                ray.shutdown()
            worker = getattr(getattr(ray, "_private", None), "worker", None)
            if worker is not None and hasattr(worker, "_worker_logs_enabled"):
                worker._worker_logs_enabled = True
            self.connected_here = False


class RayPool:
    """The run's actors and what each one holds; the same interface as
    :class:`solver.run.pool.WorkerPool` (``spawn``, ``assign``, ``release``, ``idle``,
    ``events``, ``close``; ``procs``, ``holding``, ``started_at``)."""

    def __init__(self, backend: RayBackend, factory: Callable, workers: int,
                 log_file: str | None):
        ray = _ray()
        self.backend = backend
        self.ray = ray
        self.initial = workers  # the first spawns need no room check (they may wait for it)
        self.log_file = log_file
        self.gpus = backend.uses_gpus()
        self.threads = backend.threads if (backend.threads or self.gpus) else backend.cpus_per_worker()
        self.factory_ref = ray.put(factory)  # shipped once, shared by every actor
        self.actor_class = ray.remote(_Slot)
        self.procs: dict[int, Any] = {}  # worker id -> actor handle, until it is let go
        self.holding: dict[int, str] = {}  # worker id -> the task it is solving
        self.started_at: dict[str, float] = {}  # task id -> when it was sent
        self._starting: dict[Any, int] = {}  # the actor's ready() call -> worker id
        self._streams: dict[int, Any] = {}  # worker id -> its task's stream of messages
        self._where: dict[int, dict] = {}  # worker id -> node id, ip, pid (once ready)
        self._ready: set[int] = set()
        self._released: set[int] = set()
        self._next_id = 0

    # ------------------------------------------------------------ actors

    def spawn(self) -> int | None:
        """Start one more actor; its id, or None when the cluster has no room for a
        replacement (the first ``workers`` are always started)."""
        if self._next_id >= self.initial and len(self.procs) >= self.backend.slots():
            return None
        wid = self._next_id
        self._next_id += 1
        resources = ({"num_gpus": 1, "num_cpus": self.backend.threads or 1} if self.gpus
                     else {"num_cpus": self.backend.cpus_per_worker()})
        actor = self.actor_class.options(
            max_restarts=0, max_task_retries=0, scheduling_strategy="SPREAD",
            name=None, **resources).remote(wid, self.factory_ref, self.threads, self.log_file)
        self.procs[wid] = actor
        self._starting[actor.ready.remote()] = wid
        return wid

    def assign(self, wid: int, task, deadline: float) -> None:
        """Send ``task`` to actor ``wid``, to be done by ``deadline`` (epoch seconds)."""
        self.holding[wid] = task.id
        self.started_at[task.id] = time.time()
        self._streams[wid] = self.procs[wid].run.remote(task, deadline)

    def release(self, wid: int) -> None:
        """No more work for actor ``wid``: it ends (its sandbox closed at its exit)."""
        self._released.add(wid)
        actor = self.procs.pop(wid, None)
        if actor is not None:
            self._end(actor, kill=False)

    def idle(self) -> list[int]:
        return [w for w in self.procs
                if w in self._ready and w not in self.holding and w not in self._released]

    def _end(self, actor, kill: bool) -> None:
        try:
            if kill:
                self.ray.kill(actor, no_restart=True)
            else:
                actor.__ray_terminate__.remote()
        except Exception:
            pass  # gone already

    # ------------------------------------------------------------ what happened

    def events(self, timeout: float) -> list[Event]:
        """What the actors did within ``timeout`` seconds (something happened, or the time
        is up), in order; actors that died are let go (``died``)."""
        ray = self.ray
        until = time.time() + max(0.0, timeout)
        out: list[Event] = []
        while not out:
            waiting = list(self._starting) + list(self._streams.values())
            left = until - time.time()
            if not waiting:
                time.sleep(max(0.0, left))
                return out
            ray.wait(waiting, num_returns=1, timeout=max(0.0, left), fetch_local=False)
            ready, _ = ray.wait(waiting, num_returns=len(waiting), timeout=0, fetch_local=False)
            ready_ids = {id(r) for r in ready}
            for ref in [r for r in list(self._starting) if id(r) in ready_ids]:
                out += self._started(self._starting.pop(ref), ref)
            for wid, stream in list(self._streams.items()):
                if id(stream) in ready_ids:
                    out += self._messages(wid, stream)
            if time.time() >= until:
                break
        return out

    def _started(self, wid: int, ref) -> list[Event]:
        try:
            kind, payload = self.ray.get(ref)
        except Exception as e:  # the actor died before it could say
            return [self._let_go(wid, reported=self._node_lost(wid, e), why=e)]
        if kind == "ready":
            self._ready.add(wid)
            self._where[wid] = payload
            return [Event("ready", wid)]
        return [Event("fatal", wid, None, payload),
                self._let_go(wid, reported=True, why=None)]

    def _messages(self, wid: int, stream) -> list[Event]:
        """The messages waiting on actor ``wid``'s stream, in order."""
        ray = self.ray
        out: list[Event] = []
        tid = self.holding.get(wid)
        while True:
            try:
                ref = next(stream)
                kind, payload = ray.get(ref)
            except StopIteration:  # ended without a report: treat as lost
                out.append(self._let_go(wid, reported=True, why=None))
                return out
            except Exception as e:
                out.append(self._let_go(wid, reported=True, why=e))
                return out
            if kind == "done":
                self.holding.pop(wid, None)
                self._streams.pop(wid, None)
                out.append(Event("done", wid, tid, payload))
                return out
            out.append(Event(kind, wid, tid, payload))
            ready, _ = ray.wait([stream], timeout=0, fetch_local=False)
            if not ready:
                return out

    def _node_lost(self, wid: int, error: BaseException | None) -> bool:
        """Whether actor ``wid`` went with its node (not by its own doing): the cluster
        says the node is dead, or its raylet no longer answers (the cluster may take
        seconds to notice)."""
        node = self._where.get(wid, {}).get("node")
        if node is None:
            text = str(error or "").lower()
            return "node" in text and ("died" in text or "dead" in text)
        try:
            info = next((n for n in self.ray.nodes() if n.get("NodeID") == node), None)
        except Exception:
            return False
        if info is None or not info.get("Alive"):
            return True
        try:
            socket.create_connection((info["NodeManagerAddress"], int(info["NodeManagerPort"])),
                                     timeout=1.0).close()
        except (OSError, KeyError, ValueError):
            return True
        return False

    def _lost(self, wid: int, error: BaseException | None) -> str:
        """What was lost with actor ``wid``, in words."""
        where = self._where.get(wid, {})
        ip = where.get("ip", "?")
        if self._node_lost(wid, error):
            node = where.get("node")
            return f"node {ip}" + (f" ({node[:8]})" if node else "") + " lost"
        pid = where.get("pid")
        return f"worker process {pid if pid else ''} on {ip} died".replace("  ", " ")

    def _let_go(self, wid: int, reported: bool, why: BaseException | None) -> Event:
        """Forget actor ``wid`` (killed to be sure): a ``died`` event."""
        lost = self._lost(wid, why) if why is not None or wid in self.holding else None
        reported = reported or wid in self._ready
        actor = self.procs.pop(wid, None)
        if actor is not None:
            self._end(actor, kill=True)
        self._streams.pop(wid, None)
        for ref, w in list(self._starting.items()):
            if w == wid:
                self._starting.pop(ref)
        self._ready.discard(wid)
        return Event("died", wid, self.holding.pop(wid, None),
                     {"exitcode": None, "reported": reported, "lost": lost})

    def close(self, stop_now: bool, grace_until: float) -> dict[int, str]:
        """End every actor: idle ones leave, busy ones (all when ``stop_now``) are killed.
        Returns the tasks that were still held (worker id -> task id)."""
        for wid, actor in list(self.procs.items()):
            self._end(actor, kill=stop_now or wid in self.holding)
        self.procs.clear()
        self._starting.clear()
        self._streams.clear()
        return dict(self.holding)
