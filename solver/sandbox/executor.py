"""Running untrusted programs: batched, isolated, validated.

    from solver.sandbox import Executor
    with Executor(workers=None, timeout_s=0.25, memory_mb=512) as ex:
        results = ex.run(programs, inputs)   # one Result per program, in order

A program is Python source defining ``def task(img)``; the DSL's names (and ``np``) are
there without import; every input reaches every program as a fresh int8 numpy array.
Other dialects name another entry point and input type (``SandboxConfig.entry`` and
``input_type``, or per call ``run(..., entry=, input_type=)``): ``transform`` over int64
arrays indexed [x, y] (``int64_xy``; the output is read back the same way) or over lists
of row lists (``list``). ``import common`` / ``from common import *`` give the helper
library :mod:`solver.dsl.common`; extra modules to preload (``SandboxConfig.preload``, e.g.
``scipy.ndimage`` where installed) are importable too.
A result's ``status`` is one of ok, syntax_error, no_task, error, timeout, memory, crash,
invalid_output, with a detail after a colon where useful (``error:ZeroDivisionError``,
``crash:SIGSEGV``, ``invalid_output:value 10 outside 0..9``); ``outputs`` holds one grid per
input (tuple of row tuples, like :data:`solver.arc.grids.Grid`) when ok, else None.

How it works. The executor starts a *manager*: a fresh interpreter (``subprocess``, so the
caller may hold torch threads) that imports numpy, the DSL and the modules programs may use,
then forks workers on request and reports each worker's exit status. Each worker talks to
the caller on its own socket. The caller sends each worker the inputs once per ``run`` and
programs in chunks; the worker answers one small binary record per program, so the caller
always knows which program is running. The pool starts once and serves many ``run`` calls.
The messages, their order and their formats: :mod:`solver.sandbox.protocol`.

What it guarantees:
- Programs never run in the caller. An in-worker interval timer (SIGALRM) stops a Python
  loop at ``timeout_s``; the caller's wall-clock deadline (``timeout_s`` + ``grace_s`` from
  the moment the program started) kills a worker stuck in a C call or swallowing the alarm;
  that program gets ``timeout``, the worker is replaced, the rest of its chunk is requeued.
- A worker that dies on its own (segfault, ``os._exit``, killed from outside) costs the
  running program ``crash:<signal or exit code>``; a death by signal is retried once in a
  fresh worker first, so a program killed by a sibling's misbehaviour still gets a fair run.
- Worker limits: address space (``memory_mb`` above the worker's start size; allocation
  failures become ``memory``), no child processes or threads (RLIMIT_NPROC), no core dumps,
  no file growth (RLIMIT_FSIZE 0), 32 file descriptors; stdin, stdout and stderr are
  /dev/null (``input()`` fails at once, floods of prints stall nothing); own session.
- When the caller is root (Kaggle), each worker also enters an empty, read-only root
  directory (chroot), a network namespace with no interfaces (no sockets reach anything,
  not even loopback), and drops to ``nobody`` with no groups: it cannot read, write,
  truncate or delete the caller's files, nor signal the caller or the manager. The manager
  tries the lock-down in a probe child first: where a container forbids chroot or network
  namespaces, those two are skipped (``Executor.info`` says what is in force); where the
  user switch itself fails, the executor refuses to start (SandboxError).
- The caller never unpickles or evaluates worker bytes: results are a fixed binary record,
  checked field by field (status code, lengths, every grid side 1..30 before its cells are
  read, cells 0..9: :func:`solver.arc.grids.grid_problem`'s checks in its order) before rows
  are built; inputs are checked with ``grid_problem`` itself.
  The worker validates first (2-D, rectangular, exact list/tuple/int/ndarray types so
  hostile subclasses are refused without calling them, no bools/floats/strings).
- Poisoning: after every program the worker compares a snapshot of the state that could
  change a later program's result: the namespaces of builtins, numpy, numpy.random,
  numpy.linalg, the DSL, the worker itself and its protocol module, math, itertools,
  functools, collections, copy, random, re, operator, heapq and ``common`` (every name, by
  identity; ``common.Color``'s names and the contents of its colour lists by value); the DSL
  functions' code and defaults; sys.modules; recursion limit; trace/profile hooks; the
  alarm handler, signal mask and CPU timers; thread count; gc; numpy's error state; warning
  filters. On any change it reports and exits; the rest of its chunk goes to a fresh
  worker. Isolation per program (a fork each) was measured at 2 ms or more a program,
  several times the whole per-program budget, so detection it is (docs/BENCHMARKS.md);
  workers are also retired between runs after ``recycle_after`` programs.
- The manager dying (it never runs programs) costs a restart: outstanding programs are
  requeued, nobody is blamed; a run gives up (SandboxError) after 3 restarts.
- Identical sources are executed once. Inputs are validated once per ``run``.

What it does NOT protect against:
- Without root: no chroot, no network namespace, no user switch — a program can then read
  and write whatever the caller's user can, open sockets, and signal the caller.
- State the snapshot does not see: objects mutated in place inside a module (a dict or list
  attribute such as ``np.typecodes``), modules outside the watched list, OS-level state
  such as closed standard streams. Deliberate attacks (an object whose ``__eq__`` lies, raw
  memory writes through ctypes, which numpy itself loads) also go unnoticed until the worker
  retires. A program can forge the results of the later programs of its own chunk by
  writing to its socket. These are attacks, not the bugs of generated code.
- Workers share the ``nobody`` user: one program can signal another worker (the victim's
  program is retried once). CPU, memory bandwidth and the kernel are shared as usual.
- Imports of modules not preloaded fail as root (the interpreter's files are unreachable):
  that program gets ``error:ModuleNotFoundError``. Sources over ``max_program_bytes`` are
  refused (``syntax_error:program too long``). One ``run`` at a time per executor.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from solver.arc.grids import Grid, grid_problem
from solver.arc.settings import setting
from solver.sandbox.protocol import (INPUT_TYPES, MAX_INPUTS, MSG_HELLO, MSG_POISONED,
                                     MSG_RESULT, OP_EXIT, OP_KILL, OP_QUIT, OP_READY, OP_SPAWN,
                                     OP_SPAWNED, QUIT, STATUS_NAMES, ProtocolError,
                                     decode_control, decode_result, encode_chunk, encode_config,
                                     encode_control, encode_inputs, max_message, next_frame,
                                     status_text)

STATUSES = STATUS_NAMES


@dataclass
class Result:
    """The outcome of one program on all inputs."""

    status: str
    outputs: list[Grid] | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def kind(self) -> str:
        """The status without its detail (``error:KeyError`` -> ``error``)."""
        return self.status.split(":", 1)[0]


@dataclass
class SandboxConfig:
    # Every verb names these --exec-NAME (solve's --workers is RunConfig.workers); exec and
    # sample's older --NAME spellings are hidden aliases, for one release.
    workers: int | None = setting(None, "worker processes; None: the cores this process may use",
                                  group="sandbox", flag="--exec-workers", aliases=("--workers",))
    timeout_s: float = setting(0.25, "seconds per program run (all inputs), wall clock; DSL programs "
                                     "take ~1 ms", group="sandbox", flag="--exec-timeout-s",
                               aliases=("--exec-timeout", "--timeout-s", "--timeout"))
    grace_s: float | None = setting(None, "extra wait before the caller kills a stuck worker; "
                                          "None: max(0.2, timeout_s/2)", group="sandbox",
                                    flag="--exec-grace-s", aliases=("--grace-s",))
    memory_mb: int = setting(512, "address space (MB) a worker may add to its start size",
                             group="sandbox", flag="--exec-memory-mb", aliases=("--memory-mb",))
    chunk: int | None = setting(None, "programs per message to a worker; None: from the batch size",
                                group="sandbox", flag="--exec-chunk", aliases=("--chunk",))
    recycle_after: int = setting(5000, "replace a worker after this many programs (defence in depth)",
                                 group="sandbox", flag="--exec-recycle-after",
                                 aliases=("--recycle-after",))
    user: str = setting("nobody", "the user workers run as when the caller is root",
                        group="sandbox", flag="--exec-user", aliases=("--user",),
                        metavar="USER")
    isolate_network: bool = setting(True, "(root) workers get a network namespace with no interfaces",
                                    group="sandbox", flag="--exec-isolate-network",
                                    aliases=("--isolate-network",))
    empty_root: bool = setting(True, "(root) workers chroot into an empty read-only folder",
                               group="sandbox", flag="--exec-empty-root", aliases=("--empty-root",))
    max_program_bytes: int = setting(200_000, "longer sources get syntax_error without running",
                                     group="sandbox", flag="--exec-max-program-bytes",
                                     aliases=("--max-program-bytes",))
    entry: str = setting("task", "the function a program defines and the sandbox calls "
                                 "(the model's dialect: task or transform)", group="sandbox",
                         flag="--exec-entry", aliases=("--entry",), metavar="NAME")
    input_type: str = setting("int8", "how a program gets each grid: int8, int64, int64_xy "
                                      "(indexed [x, y]) or list (protocol.INPUT_TYPES)",
                              INPUT_TYPES, group="sandbox", flag="--exec-input-type",
                              aliases=("--input-type",))
    preload: tuple[str, ...] = setting((), "extra modules programs may import (e.g. "
                                           "scipy.ndimage); missing ones are skipped",
                                       group="sandbox", flag="--exec-preload",
                                       aliases=("--preload",))

    def __post_init__(self) -> None:
        check_entry(self.entry, self.input_type)
        self.preload = tuple(self.preload)


def check_entry(entry: str, input_type: str) -> None:
    """ValueError unless ``entry`` is a plain identifier and ``input_type`` a known one."""
    if not (isinstance(entry, str) and entry.isidentifier() and entry.isascii()
            and len(entry) < 64):
        raise ValueError(f"entry must be a Python identifier, got {entry!r}")
    if input_type not in INPUT_TYPES:
        raise ValueError(f"input_type must be one of {', '.join(INPUT_TYPES)}, "
                         f"got {input_type!r}")


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (not a program failure)."""


class _ManagerGone(SandboxError):
    """The manager process died; the run restarts it and requeues outstanding programs."""


_SIGNAMES = {int(s): s.name for s in signal.Signals}


class _WorkerHandle:
    __slots__ = ("pid", "sock", "buf", "out", "chunks", "mark", "inputs_id", "done", "hello",
                 "dead", "token")

    def __init__(self, pid: int, sock: socket.socket, token: int):
        self.pid = pid
        self.sock = sock
        self.token = token
        self.buf = bytearray()
        self.out = bytearray()
        self.chunks: deque[list[int]] = deque()  # outstanding chunks of unique indices
        self.mark = time.monotonic()  # when its current program started (as seen here)
        self.inputs_id = -1
        self.done = 0
        self.hello = False
        self.dead = False

    @property
    def busy(self) -> bool:
        return bool(self.chunks)


class Executor:
    """A pool of sandboxed workers; see the module docstring for what it guarantees."""

    def __init__(self, workers: int | None = None, timeout_s: float = 0.25,
                 memory_mb: int = 512, **settings):
        self.cfg = SandboxConfig(workers=workers, timeout_s=timeout_s, memory_mb=memory_mb,
                                 **settings)
        n = self.cfg.workers or len(os.sched_getaffinity(0))
        self.n_workers = max(1, int(n))
        self.nap_s = 0.002
        self.grace_s = (self.cfg.grace_s if self.cfg.grace_s is not None
                        else max(0.2, self.cfg.timeout_s / 2))
        self.stats = {"spawned": 0, "timeout_kills": 0, "crashes": 0, "retries": 0,
                      "poisoned": 0, "retired": 0, "protocol": 0, "programs": 0,
                      "executed": 0, "manager_restarts": 0}
        self.info: dict = {}
        self._proc: subprocess.Popen | None = None
        self._ctl: socket.socket | None = None
        self._workers: list[_WorkerHandle] = []
        self._exits: dict[int, dict] = {}
        self._token = 0
        self._inputs_id = 0
        self._sel = selectors.DefaultSelector()
        self._startup_failures = 0
        self._lock = threading.Lock()  # one run at a time
        self._start_manager()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def close(self) -> None:
        """Stop the workers and the manager (idempotent)."""
        for w in list(self._workers):
            self._drop(w)
        self._workers = []
        if self._ctl is not None:
            try:
                self._ctl.send(encode_control(OP_QUIT))
            except OSError:
                pass
            self._close_ctl()
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
            self._remove_root_dir()

    def _start_manager(self) -> None:
        import pwd

        cfg = {"timeout_s": self.cfg.timeout_s, "memory_mb": self.cfg.memory_mb,
               "isolate_network": self.cfg.isolate_network, "empty_root": self.cfg.empty_root,
               "preload": list(self.cfg.preload)}
        try:
            pw = pwd.getpwnam(self.cfg.user)
            cfg["uid"], cfg["gid"] = pw.pw_uid, pw.pw_gid
        except KeyError:
            cfg["uid"] = cfg["gid"] = 65534
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        root = str(Path(__file__).resolve().parents[2])
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from solver.sandbox.worker import manager_main; "
                "manager_main(int(sys.argv[2]), sys.argv[3])")
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS"):
            env[var] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, root, str(child.fileno()), encode_config(cfg)],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, start_new_session=True, close_fds=True)
        child.close()
        self._ctl = parent
        msg = self._ctl_wait(lambda m: m.get("op") == OP_READY, 60.0)
        if msg is None:
            self.close()
            raise SandboxError("sandbox manager did not start")
        if msg.get("error"):
            self.close()
            raise SandboxError(f"sandbox unusable here: {msg['error']}")
        self.info = {k: msg[k] for k in ("root", "netns", "chroot", "chroot_error") if k in msg}
        self.manager_pid = msg["pid"]
        self._root_dir = msg.get("chroot_dir")
        self._sel.register(self._ctl, selectors.EVENT_READ, None)

    def _remove_root_dir(self) -> None:
        # The manager removes its empty root folder on exit; not when it was killed.
        if getattr(self, "_root_dir", None):
            try:
                os.rmdir(self._root_dir)
            except OSError:
                pass
            self._root_dir = None

    def _ctl_read(self, timeout: float) -> dict | None:
        """One message from the manager (None on timeout); exits are filed as they come."""
        self._ctl.settimeout(timeout)
        try:
            data = self._ctl.recv(65536)
        except (socket.timeout, BlockingIOError):
            return None
        except OSError:
            data = b""
        if not data:
            raise _ManagerGone("sandbox manager exited")
        msg = decode_control(data)
        if msg.get("op") == OP_EXIT:
            if len(self._exits) > 1000:
                self._exits.clear()
            self._exits[msg["pid"]] = msg
        return msg

    def _ctl_wait(self, pred, timeout: float) -> dict | None:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            msg = self._ctl_read(left)
            if msg is not None and pred(msg):
                return msg

    def _close_ctl(self) -> None:
        """Forget the manager's control socket (unregistered and closed)."""
        try:
            self._sel.unregister(self._ctl)
        except (KeyError, ValueError):
            pass
        self._ctl.close()
        self._ctl = None

    def _manager_alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._ctl is not None

    def _restart_manager(self) -> None:
        for w in list(self._workers):
            self._drop(w, kill=False)
        if self._ctl is not None:
            self._close_ctl()
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
            self._remove_root_dir()
        self._exits.clear()
        self.stats["manager_restarts"] += 1
        self._start_manager()

    def _spawn(self) -> _WorkerHandle:
        if not self._manager_alive():
            raise _ManagerGone("sandbox manager exited")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        for s in (mine, theirs):
            for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                try:
                    s.setsockopt(socket.SOL_SOCKET, opt, 1 << 20)
                except OSError:
                    pass
        self._token += 1
        token = self._token
        socket.send_fds(self._ctl, [encode_control(OP_SPAWN, token=token)], [theirs.fileno()])
        theirs.close()
        msg = self._ctl_wait(lambda m: m.get("token") == token, 30.0)
        if msg is None or msg.get("op") != OP_SPAWNED:
            mine.close()
            raise SandboxError(f"cannot start a sandbox worker: {msg}")
        mine.setblocking(False)
        w = _WorkerHandle(msg["pid"], mine, token)
        self._sel.register(mine, selectors.EVENT_READ, w)
        self._workers.append(w)
        self.stats["spawned"] += 1
        return w

    def _kill(self, w: _WorkerHandle) -> None:
        try:
            self._ctl.send(encode_control(OP_KILL, pid=w.pid))
        except OSError:
            pass

    def _drop(self, w: _WorkerHandle, kill: bool = True) -> None:
        if kill and not w.dead:
            self._kill(w)
        w.dead = True
        try:
            self._sel.unregister(w.sock)
        except (KeyError, ValueError):
            pass
        w.sock.close()
        if w in self._workers:
            self._workers.remove(w)

    # ------------------------------------------------------------ running

    def run(self, programs: Sequence[str], inputs: Sequence, progress: bool = False,
            entry: str | None = None, input_type: str | None = None) -> list[Result]:
        """Run every program on every input; one Result per program, in order. ``entry``
        and ``input_type``: this call's, instead of the executor's (SandboxConfig)."""
        entry = self.cfg.entry if entry is None else entry
        input_type = self.cfg.input_type if input_type is None else input_type
        check_entry(entry, input_type)
        if len(inputs) > MAX_INPUTS:
            raise ValueError(f"{len(inputs)} inputs, at most {MAX_INPUTS} per run")
        for i, g in enumerate(inputs):
            problem = grid_problem(g)
            if problem:
                raise ValueError(f"inputs[{i}]: {problem}")
        inputs_msg = encode_inputs(input_type, entry, inputs)
        unique: dict[str, int] = {}
        for p in programs:
            if type(p) is not str:
                raise TypeError(f"programs must be str, got {type(p).__name__}")
        order = [unique.setdefault(p, len(unique)) for p in programs]
        sources = list(unique)
        self.stats["programs"] += len(programs)
        results: list[Result | None] = [None] * len(sources)
        encoded, todo = [], []
        for k, src in enumerate(sources):
            data = src.encode("utf-8", "replace")
            if len(data) > self.cfg.max_program_bytes:
                results[k] = Result("syntax_error:program too long")
            else:
                todo.append(k)
                encoded.append(data)
        if todo:
            sub: list[Result | None] = [None] * len(todo)
            with self._lock:
                self._inputs_id += 1  # workers get this run's inputs before its programs
                try:
                    self._run_unique(encoded, inputs_msg, len(inputs), sub, progress)
                except BaseException:
                    # Interrupted: workers still busy would answer into the next run.
                    for w in list(self._workers):
                        if w.busy or w.out or w.buf:
                            self._drop(w)
                    raise
            for k, r in zip(todo, sub):
                results[k] = r
        out = []
        for k in order:
            r = results[k]
            out.append(Result(r.status, list(r.outputs) if r.outputs is not None else None,
                              r.seconds))
        return out

    def _chunk_size(self, n: int) -> int:
        if self.cfg.chunk:
            return max(1, int(self.cfg.chunk))
        return max(1, min(64, n // (self.n_workers * 4)))

    def _run_unique(self, encoded: list[bytes], inputs_msg: bytes, n_inputs: int,
                    results: list, progress: bool) -> None:
        size = self._chunk_size(len(encoded))
        queue: deque[list[int]] = deque(
            list(range(i, min(i + size, len(encoded)))) for i in range(0, len(encoded), size))
        retried: set[int] = set()
        cache: dict[bytes, Grid] = {}
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(encoded), desc="sandbox", unit="prog")
        ctx = _RunCtx(encoded, inputs_msg, n_inputs, results, queue, retried, cache)
        restarts = 0
        left = len(encoded)
        while left > 0:
            try:
                self._step(ctx)
            except _ManagerGone:
                restarts += 1
                if restarts > 3:
                    raise SandboxError("the sandbox manager keeps dying") from None
                for w in list(self._workers):
                    self._requeue(w, ctx, skip_first=False)
                self._restart_manager()
            now_left = results.count(None)
            if bar is not None and now_left < left:
                bar.update(left - now_left)
            left = now_left
        if bar is not None:
            bar.close()
        # Retire old workers between runs, never mid-run.
        for w in list(self._workers):
            if w.done >= self.cfg.recycle_after and not w.busy:
                try:
                    w.sock.setblocking(True)
                    w.sock.sendall(QUIT)
                except OSError:
                    pass
                self.stats["retired"] += 1
                self._drop(w, kill=False)

    def _step(self, ctx: "_RunCtx") -> None:
        """Feed the workers, wait for results or the nearest deadline, kill overdue workers."""
        limit = self.cfg.timeout_s + self.grace_s
        self._fill(ctx)
        now = time.monotonic()
        deadline = min((w.mark + limit for w in self._workers if w.busy), default=now + 1.0)
        events = self._sel.select(timeout=max(0.0, min(deadline - now, 1.0)))
        if self._workers and all(len(w.chunks) == 2 for w in self._workers):
            # Every worker has a whole chunk in reserve: let results pile up a little,
            # so one wake-up here handles many (the caller's CPU is the workers' too).
            time.sleep(max(0.0, min(self.nap_s, deadline - time.monotonic())))
            events = self._sel.select(timeout=0)
        for key, mask in events:
            w = key.data
            if w is None:  # the manager: exit reports, filed for _died
                self._ctl_read(0)
                continue
            if w.dead:
                continue
            if mask & selectors.EVENT_WRITE:
                self._flush(w)
            if mask & selectors.EVENT_READ and not w.dead:
                self._read(w, ctx)
        now = time.monotonic()
        for w in list(self._workers):
            if w.busy and not w.dead and now - w.mark > limit:
                self._read(w, ctx)  # drain what it already said
                if w.dead or not w.busy or now - w.mark <= limit:
                    continue
                ctx.results[w.chunks[0][0]] = Result("timeout", None, now - w.mark)
                self.stats["timeout_kills"] += 1
                self._requeue(w, ctx, skip_first=True)
                self._drop(w)

    def _fill(self, ctx: "_RunCtx") -> None:
        while len(self._workers) < self.n_workers:
            self._spawn_checked()
        for w in self._workers:
            while len(w.chunks) < 2 and ctx.queue:
                chunk = ctx.queue.popleft()
                if w.inputs_id != self._inputs_id:
                    w.out += ctx.inputs_msg
                    w.inputs_id = self._inputs_id
                w.out += encode_chunk([(idx, ctx.encoded[idx]) for idx in chunk])
                if not w.chunks:
                    w.mark = time.monotonic()
                w.chunks.append(chunk)
            if w.out:
                self._flush(w)

    def _spawn_checked(self) -> None:
        try:
            w = self._spawn()
        except _ManagerGone:
            raise
        except SandboxError:
            self._startup_failures += 1
            if self._startup_failures > 5:
                raise
            return
        w.mark = time.monotonic()

    def _flush(self, w: _WorkerHandle) -> None:
        try:
            n = w.sock.send(w.out)
            del w.out[:n]
        except BlockingIOError:
            pass
        except OSError:
            return  # the reader will see EOF
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if w.out else 0)
        try:
            self._sel.modify(w.sock, events, w)
        except (KeyError, ValueError):
            pass

    def _requeue(self, w: _WorkerHandle, ctx: "_RunCtx", skip_first: bool) -> None:
        rest = [i for chunk in w.chunks for i in chunk]
        if skip_first:
            rest = rest[1:]
        w.chunks.clear()
        if rest:
            ctx.queue.appendleft(rest)

    def _read(self, w: _WorkerHandle, ctx: "_RunCtx") -> int:
        """Read and apply what the worker sent; returns how many results were filled."""
        got, eof = 0, False
        while True:
            try:
                data = w.sock.recv(1 << 20)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                eof = True
                break
            w.buf += data
            if len(data) < (1 << 20):
                break
        buf, pos, limit = w.buf, 0, max_message(ctx.n_inputs)
        while True:
            try:
                body, pos = next_frame(buf, pos, limit)
            except ProtocolError as e:
                return got + self._violation(w, ctx, str(e))
            if body is None:
                break
            kind = body[:1]
            if kind == MSG_RESULT:
                problem = self._apply_result(w, ctx, body)
                if problem:
                    del buf[:pos]
                    return got + self._violation(w, ctx, problem)
                got += 1
                w.mark = time.monotonic()
            elif kind == MSG_HELLO:
                w.hello = True
                self._startup_failures = 0
            elif kind == MSG_POISONED:
                self.stats["poisoned"] += 1
                del buf[:pos]
                self._requeue(w, ctx, skip_first=False)
                self._drop(w)
                return got
            else:
                del buf[:pos]
                return got + self._violation(w, ctx, "unknown message")
        del buf[:pos]
        if eof:
            got += self._died(w, ctx)
        return got

    def _apply_result(self, w: _WorkerHandle, ctx: "_RunCtx", body: bytes) -> str | None:
        if not w.chunks:
            return "result without a program"
        chunk = w.chunks[0]
        try:
            idx, status, seconds, detail, outputs = decode_result(body, chunk[0], ctx.n_inputs,
                                                                  ctx.cache)
        except ProtocolError as e:
            return str(e)
        ctx.results[idx] = Result(status_text(status, detail), outputs, seconds)
        self.stats["executed"] += 1
        chunk.pop(0)
        if not chunk:
            w.chunks.popleft()
        w.done += 1
        return None

    def _violation(self, w: _WorkerHandle, ctx: "_RunCtx", what: str) -> int:
        """The worker broke the protocol (only a program can make it): blame the running
        program, requeue the rest, replace the worker."""
        self.stats["protocol"] += 1
        got = 0
        if w.chunks:
            idx = w.chunks[0][0]
            ctx.results[idx] = Result(f"crash:protocol ({what})", None,
                                      time.monotonic() - w.mark)
            got = 1
        self._requeue(w, ctx, skip_first=True)
        self._drop(w)
        return got

    def _died(self, w: _WorkerHandle, ctx: "_RunCtx") -> int:
        """EOF from a worker: find out how it ended and charge the running program."""
        self._kill(w)  # harmless if it is gone; needed if it only closed its socket
        self._drop(w, kill=False)
        if not w.hello:
            self._startup_failures += 1
            if self._startup_failures > 5:
                raise SandboxError("sandbox workers die at start-up; see the manager's stderr")
        if not w.chunks:
            return 0
        exit_msg = self._exits.pop(w.pid, None)
        if exit_msg is None:
            try:
                exit_msg = self._ctl_wait(
                    lambda m: m.get("op") == "exit" and m["pid"] == w.pid, 5.0)
            except _ManagerGone:
                self._requeue(w, ctx, skip_first=False)  # nobody to blame; run it again
                raise
            self._exits.pop(w.pid, None)
        idx = w.chunks[0][0]
        sig = exit_msg.get("signal") if exit_msg else None
        if exit_msg is None:
            what = "unknown"
        elif exit_msg.get("killed") and sig == signal.SIGKILL:
            what = "closed its socket"
        elif sig is not None:
            what = _SIGNAMES.get(sig, f"signal {sig}")
        else:
            what = f"exit {exit_msg.get('code')}"
        if sig is not None and idx not in ctx.retried and what != "closed its socket":
            # Deaths by signal may come from outside (a sibling, the OOM killer): retry once.
            ctx.retried.add(idx)
            self.stats["retries"] += 1
            self._requeue(w, ctx, skip_first=True)
            ctx.queue.appendleft([idx])  # alone, so a second death is surely its own
            return 0
        self.stats["crashes"] += 1
        ctx.results[idx] = Result(f"crash:{what}", None, time.monotonic() - w.mark)
        self._requeue(w, ctx, skip_first=True)
        return 1


@dataclass
class _RunCtx:
    encoded: list[bytes]
    inputs_msg: bytes
    n_inputs: int
    results: list
    queue: deque
    retried: set
    cache: dict = field(default_factory=dict)
