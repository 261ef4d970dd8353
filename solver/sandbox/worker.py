"""The processes behind :class:`solver.sandbox.Executor`: a manager and its workers.

The manager is a fresh interpreter started by the executor (never a fork of the caller,
which may hold torch threads). It imports numpy, the DSL and the modules programs may use,
then forks workers on request. A worker locks itself down (own session, limits, empty root,
no network, unprivileged user when root), then runs chunks of programs and writes one
binary result per program back on its own socket. The caller imports nothing from here
(it names :func:`manager_main` in the manager's command line); what crosses between the
processes, and in which order, is :mod:`solver.sandbox.protocol`.
"""

from __future__ import annotations

import os
import sys
# Bound here so that a program replacing a builtin cannot break the worker's own code
# (module globals are looked up before builtins).
from builtins import (BaseException, Exception, MemoryError, OverflowError,  # noqa: A004
                      RecursionError, SyntaxError, SystemExit, ValueError, bytearray, bytes,
                      callable, enumerate, float, int, len, list, min, range, str, tuple, type,
                      zip)

from solver.sandbox import protocol
from solver.sandbox.protocol import (ERROR, HELLO, INPUT_TYPES, INVALID_OUTPUT,
                                     MAX_DETAIL, MAX_SIDE, MEMORY, MSG_CHUNK, MSG_INPUTS,
                                     NO_TASK, OK, OP_EXIT, OP_KILL, OP_QUIT, OP_READY,
                                     OP_SPAWN, OP_SPAWN_FAILED, OP_SPAWNED, SYNTAX_ERROR,
                                     TIMEOUT, decode_chunk, decode_config, decode_control,
                                     decode_inputs, encode_control, encode_poisoned,
                                     encode_result, pack_grid, read_frame)

# The helper library BARC-trained programs import as ``common`` (solver.dsl.common).
COMMON = "common"

# Modules a program may import: they are loaded before the worker loses access to the
# interpreter's files (running as root, the worker ends up as `nobody` in an empty root).
PRELOAD = ("numpy", "numpy.random", "numpy.linalg", "numpy.fft", "math", "cmath", "itertools",
           "functools", "collections", "copy", "random", "re", "operator", "heapq",
           "bisect", "string", "typing", "statistics", "fractions", "decimal", "dataclasses",
           "enum", "array", "threading", "ctypes")
# Modules whose namespaces are compared after every program (with builtins, numpy, the DSL,
# this module and the protocol's): the ones generated programs use. Poisoning another
# preloaded module goes unnoticed until the worker retires.
WATCH = ("numpy.random", "numpy.linalg", "math", "itertools", "functools", "collections",
         "copy", "random", "re", "operator", "heapq", COMMON)


class _Timeout(BaseException):
    """Raised in the worker by SIGALRM when a program overruns (not an Exception, so
    ``except Exception`` in a program does not swallow it)."""


class _Invalid(Exception):
    """The program's return value is not a grid."""


# ---------------------------------------------------------------- output encoding


def encode_output(out, np) -> bytes:
    """Validate a program's return value and encode it as a grid on the wire (h, w, cells).

    Accepts a 2-D integer numpy array or a list/tuple of rows (list, tuple or 1-D integer
    array) of ints; exact types only, so a subclass with a hostile ``__len__`` or
    ``__iter__`` is refused before anything of it runs. Sizes are checked before cells.
    """
    t = type(out)
    if t is np.ndarray:
        if out.ndim != 2:
            raise _Invalid(f"{out.ndim}-D array (grids are 2-D)")
        h, w = out.shape
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise _Invalid(f"shape {h}x{w}, sides must be 1..{MAX_SIDE}")
        if out.dtype.itemsize == 1 and out.dtype.kind in "iu":  # the DSL's int8: one pass
            cells = out.tobytes()
            if not cells.translate(None, _CELLS_OK):
                return pack_grid(h, w, cells)
        elif out.dtype.kind not in "iu":
            raise _Invalid(f"array of {out.dtype} (grids hold ints)")
        lo, hi = int(out.min()), int(out.max())
        if lo < 0 or hi > 9:
            raise _Invalid(f"value {lo if lo < 0 else hi} outside 0..9")
        return pack_grid(h, w, out.astype(np.uint8).tobytes())
    if t is not list and t is not tuple:
        raise _Invalid(f"expected a grid, got {_kind(out)}")
    h = len(out)
    if h == 0:
        raise _Invalid("empty grid (no rows)")
    if h > MAX_SIDE:
        raise _Invalid(f"{h} rows, at most {MAX_SIDE} allowed")
    w = None
    cells = bytearray()
    for r, row in enumerate(out):
        rt = type(row)
        if rt is np.ndarray:
            if row.ndim != 1:
                raise _Invalid(f"row {r}: {row.ndim}-D array (grids are 2-D)")
            if row.dtype.kind not in "iu":
                raise _Invalid(f"row {r}: array of {row.dtype} (grids hold ints)")
        elif rt is not list and rt is not tuple:
            raise _Invalid(f"row {r}: expected a list of ints, got {_kind(row)}")
        n = len(row)
        if n == 0:
            raise _Invalid(f"row {r}: empty row")
        if n > MAX_SIDE:
            raise _Invalid(f"row {r}: {n} columns, at most {MAX_SIDE} allowed")
        if w is None:
            w = n
        elif n != w:
            raise _Invalid(f"row {r}: {n} columns, row 0 has {w} (ragged grid)")
        for c, v in enumerate(row if rt is not np.ndarray else row.tolist()):
            vt = type(v)
            if vt is not int and vt not in _NP_INTS:
                if vt is list or vt is tuple or vt is np.ndarray:
                    raise _Invalid(f"row {r} col {c}: nested list (grids are 2-D)")
                raise _Invalid(f"row {r} col {c}: {_kind(v)} is not an int")
            v = int(v)
            if v < 0 or v > 9:
                raise _Invalid(f"value {v} outside 0..9")
            cells.append(v)
    return pack_grid(h, w, bytes(cells))


_NP_INTS: frozenset = frozenset()


def _call(fn):
    return fn()


_CELLS_OK = bytes(range(10))


def _kind(v) -> str:
    if v is None:
        return "None"
    name = type(v).__name__
    return name if name.isidentifier() and len(name) <= 40 else "object"


# ---------------------------------------------------------------- the worker


class _Worker:
    def __init__(self, sock, cfg: dict):
        import gc
        import signal
        import threading
        import time
        import warnings

        import numpy as np

        from solver import dsl

        self.sock = sock
        self.cfg = cfg
        self.np = np
        self.dsl = dsl
        self.time = time
        self.signal = signal
        self.timeout = float(cfg["timeout_s"])
        self.inputs: list[tuple[int, int, bytes]] = []
        self.input_type = 0  # index in INPUT_TYPES
        self.entry = "task"
        self.armed = False
        self.fired = False
        self.threading = threading
        self.gc = gc
        self.warnings = warnings
        signal.signal(signal.SIGALRM, self._on_alarm)
        self._watch()
        self.snapshot = self._state()

    # The things a program could change that would change the next program's result.
    # Compared as tuples, which compare members by identity first (fast when unchanged).
    def _watch(self) -> None:
        import _signal
        import builtins

        sig, np = self.signal, self.np
        # The DSL package and every module that defines a primitive (the primitives'
        # globals live there, not in the package).
        homes = sorted({f.__module__ for f in self.dsl.PRIMITIVES.values()})
        mods = [builtins, np, self.dsl, *(sys.modules[h] for h in homes), sys.modules[__name__],
                protocol]
        mods += [sys.modules[n] for n in WATCH if n in sys.modules]
        self.modules = [(getattr(m, "__name__", "?"), m.__dict__) for m in mods]
        common = sys.modules.get(COMMON)
        color = getattr(common, "Color", None)
        # the class's names, and the contents of its colour lists (mutable, shared)
        palette = (lambda: tuple((k, tuple(v) if type(v) is list else v)
                                 for k, v in vars(color).items())) if color else (lambda: ())
        try:  # numpy 2: error state and buffer size live in one context variable
            from numpy._core.umath import _extobj_contextvar as extobj

            numpy_state = extobj.get
        except ImportError:  # pragma: no cover - older numpy
            def numpy_state():
                return tuple(sorted(np.geterr().items())), np.getbufsize()
        self.checks = [
            ("sys.modules", lambda: tuple(sys.modules.values())),
            ("DSL functions", lambda: tuple((f.__code__, f.__defaults__, f.__kwdefaults__)
                                            for f in self.dsl.PRIMITIVES.values())),
            ("worker methods", lambda: tuple(vars(_Worker).values())),
            ("recursion limit", sys.getrecursionlimit),
            ("trace/profile hooks", lambda: (sys.gettrace(), sys.getprofile())),
            ("int digits limit", sys.get_int_max_str_digits),
            ("switch interval", sys.getswitchinterval),
            ("stdout/stderr", lambda: (sys.stdout, sys.stderr)),
            ("alarm handler", lambda: _signal.getsignal(sig.SIGALRM)),
            ("signal mask", lambda: _signal.pthread_sigmask(sig.SIG_BLOCK, ())),
            ("timers", lambda: (_signal.getitimer(sig.ITIMER_VIRTUAL),
                                _signal.getitimer(sig.ITIMER_PROF))),
            ("threads", self.threading.active_count),
            ("gc", self.gc.isenabled),
            ("numpy error state", numpy_state),
            ("common.Color", palette),
            ("warning filters", lambda: (tuple(self.warnings.filters), self.warnings.showwarning)),
        ]
        self.views = [d.values() for _, d in self.modules]
        self.check_fns = [fn for _, fn in self.checks]

    def _state(self):
        # C-level loops over live dict views: ~20 us for ~1,500 watched names.
        return (tuple(map(tuple, self.views)), tuple(map(_call, self.check_fns)))

    def _poisoned(self) -> str | None:
        try:
            now = self._state()
            if now == self.snapshot:
                return None
            for (name, _), a, b in zip(self.modules, now[0], self.snapshot[0]):
                if not (a == b):
                    return f"module {name}"
            for (name, _), a, b in zip(self.checks, now[1], self.snapshot[1]):
                if not (a == b):
                    return name
            return "state"
        except BaseException as e:  # the check itself broke: the worker is not trusted
            return f"check failed ({type(e).__name__})"

    def _input(self, kind: int, h: int, w: int, cells: bytes):
        """One input grid, fresh, in the form of INPUT_TYPES[kind]."""
        np = self.np
        if kind == 3:
            return [list(cells[r * w:(r + 1) * w]) for r in range(h)]
        arr = np.frombuffer(cells, dtype=np.uint8).reshape(h, w)
        if kind == 0:
            return arr.astype(self.dsl.DTYPE)
        if kind == 2:
            return np.ascontiguousarray(arr.T, dtype=np.int64)
        return arr.astype(np.int64)

    def _on_alarm(self, signum, frame):
        if self.armed:
            self.fired = True
            raise _Timeout

    def serve(self) -> None:
        """Hello, then inputs and chunks until told to quit (or poisoned)."""
        self.sock.sendall(HELLO)
        while True:
            msg = read_frame(self.sock)
            kind = msg[:1]
            if kind == MSG_INPUTS:
                self._set_inputs(msg)
            elif kind == MSG_CHUNK:
                if not self._run_chunk(msg):
                    return
            else:
                return

    def _set_inputs(self, msg: bytes) -> None:
        input_type, self.entry, self.inputs = decode_inputs(msg)
        self.input_type = INPUT_TYPES.index(input_type)

    def _run_chunk(self, msg: bytes) -> bool:
        """Run a chunk, one result message per program; False once poisoned (reported)."""
        for idx, src in decode_chunk(msg):
            status, detail, outs, seconds = self._run_one(src)
            self.sock.sendall(encode_result(idx, status, seconds, detail, outs))
            bad = self._poisoned()
            if bad is not None:
                self.sock.sendall(encode_poisoned(bad))
                return False
        return True

    def _run_one(self, src: str):
        perf = self.time.perf_counter
        t0 = perf()
        self.fired = False
        try:
            try:
                self.armed = True
                self.signal.setitimer(self.signal.ITIMER_REAL, self.timeout, 0.05)
                status, detail, outs = self._execute(src)
            finally:
                self.signal.setitimer(self.signal.ITIMER_REAL, 0, 0)
                self.armed = False
        except _Timeout:
            status, detail, outs = TIMEOUT, b"", None
        except MemoryError:
            status, detail, outs = MEMORY, b"", None
        except BaseException as e:  # raised while classifying another exception
            status, detail, outs = ERROR, _detail(type(e).__name__), None
        if self.fired and status != TIMEOUT:
            # It overran, caught the alarm and finished anyway: still a timeout.
            status, detail, outs = TIMEOUT, b"", None
        return status, detail, outs, perf() - t0

    def _execute(self, src: str):
        np = self.np
        try:
            code = compile(src, "<program>", "exec")
        except MemoryError:
            return MEMORY, b"", None
        except (SyntaxError, ValueError, OverflowError, RecursionError) as e:
            return SYNTAX_ERROR, _detail(type(e).__name__), None
        ns = self.dsl.namespace()
        kind, entry = self.input_type, self.entry
        try:
            exec(code, ns)
            fn = ns.get(entry)
            if not callable(fn):
                return NO_TASK, (b"" if entry == "task" else _detail(entry)), None
            outs = []
            for h, w, cells in self.inputs:
                out = fn(self._input(kind, h, w, cells))
                try:
                    enc = encode_output(out, np)
                except _Invalid as e:
                    return INVALID_OUTPUT, _detail(str(e)), None
                outs.append(_transposed(enc, np) if kind == 2 else enc)
            return OK, b"", outs
        except _Timeout:
            raise
        except MemoryError:
            return MEMORY, b"", None
        except SystemExit:
            return ERROR, b"SystemExit", None
        except BaseException as e:
            return ERROR, _detail(type(e).__name__), None


def _transposed(enc: bytes, np) -> bytes:
    """An encoded grid (h, w, cells) with rows and columns swapped."""
    h, w = enc[0], enc[1]
    cells = np.frombuffer(enc, dtype=np.uint8, offset=2).reshape(h, w).T
    return pack_grid(w, h, cells.tobytes())


def _detail(text: str) -> bytes:
    return text.encode("ascii", "replace")[:MAX_DETAIL]


def _lock_down(cfg: dict, keep_fd: int) -> None:
    """Limits, isolation and privilege drop; runs in the forked child before any program."""
    import resource
    import signal

    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:
        pass
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    root_fd = cfg.get("chroot_fd")
    lo = 3
    for fd in sorted({keep_fd, root_fd} - {None}):
        os.closerange(lo, fd)
        lo = fd + 1
    os.closerange(lo, 65536)

    libc = cfg.get("_libc")
    if libc is not None:
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the manager
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS

    with open("/proc/self/status") as f:
        vm = next((line for line in f if line.startswith("VmSize:")), "VmSize: 0 kB")
    base = int(vm.split()[1]) * 1024
    limits = {
        resource.RLIMIT_AS: base + int(cfg["memory_mb"]) * (1 << 20),
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_FSIZE: 0,
        resource.RLIMIT_NPROC: 1,
        resource.RLIMIT_NOFILE: 32,
    }
    for what, value in limits.items():
        try:
            resource.setrlimit(what, (value, value))
        except (ValueError, OSError):
            pass
    if os.geteuid() == 0:
        if root_fd is not None:  # by descriptor: works even if a /tmp cleaner removed it
            os.fchdir(root_fd)
            os.chroot(".")
            os.close(root_fd)
        os.chdir("/")
        uid, gid = int(cfg["uid"]), int(cfg["gid"])
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:  # pragma: no cover - paranoia
            os._exit(70)
    else:
        try:
            os.chdir("/")
        except OSError:
            pass
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.stdin = None


def _worker_main(fd: int, cfg: dict) -> None:
    import socket

    global _NP_INTS
    try:
        _lock_down(cfg, fd)
        import numpy as np

        _NP_INTS = frozenset((np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                              np.uint32, np.uint64))
        sock = socket.socket(fileno=fd)
        sock.setblocking(True)
        import gc

        gc.collect()
        _Worker(sock, cfg).serve()
    except BaseException:
        pass
    os._exit(0)


# ---------------------------------------------------------------- the manager


def _probe(cfg: dict) -> str | None:
    """Fork a child that locks itself down as a worker would; None if that worked."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _lock_down(cfg, w)
            os.write(w, b"ok")
        except BaseException as e:
            try:
                os.write(w, f"{type(e).__name__}: {e}".encode("utf-8", "replace")[:300])
            except BaseException:
                pass
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 512)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return None if data == b"ok" else (data.decode("utf-8", "replace") or "it died")


def manager_main(ctl_fd: int, cfg_json: str) -> None:
    """Preload, then fork workers on request; report every worker's exit status."""
    import gc
    import signal
    import socket

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cfg = decode_config(cfg_json)
    _preload(cfg)
    ctl = socket.socket(fileno=ctl_fd)
    ctl.setblocking(True)
    info, chroot_dir = _isolation(cfg)
    manager = _Manager(ctl, cfg, chroot_dir)
    gc.collect()
    gc.freeze()
    manager.send(OP_READY, **info, pid=os.getpid(), chroot_dir=chroot_dir)
    try:
        manager.serve()
    except (EOFError, OSError, ValueError):
        pass
    finally:
        manager.shutdown()
    os._exit(0)


def _preload(cfg: dict) -> None:
    """Import what programs may use: PRELOAD, the caller's extras (missing ones skipped),
    the DSL, and :mod:`solver.dsl.common` as ``common``."""
    import importlib

    for name in (*PRELOAD, *cfg.get("preload", ())):
        try:
            importlib.import_module(name)
        except ImportError:  # optional (scipy where installed)
            pass
    import solver.dsl  # noqa: F401
    import solver.arc.grids  # noqa: F401
    import solver.dsl.common

    sys.modules[COMMON] = solver.dsl.common  # `import common` / `from common import *`


def _isolation(cfg: dict) -> tuple[dict, str | None]:
    """Set up what the workers' lock-down needs (libc, and as root a network namespace and
    an empty root folder), then probe it, dropping the chroot if only that fails.
    Returns the ``ready`` report's fields and the empty root folder (None if none)."""
    import tempfile

    info = {"root": os.geteuid() == 0, "netns": False, "chroot": False}
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        cfg["_libc"] = libc
    except (ImportError, OSError):
        libc = None
    chroot_dir = None
    if info["root"]:
        if libc is not None and cfg.get("isolate_network", True):
            info["netns"] = libc.unshare(0x40000000) == 0  # CLONE_NEWNET: no network at all
        if cfg.get("empty_root", True):
            chroot_dir = tempfile.mkdtemp(prefix="solver-sandbox-root-")
            os.chmod(chroot_dir, 0o555)
            cfg["chroot_fd"] = os.open(chroot_dir, os.O_RDONLY | os.O_DIRECTORY)
            info["chroot"] = True
    problem = _probe(cfg)
    if problem and cfg.get("chroot_fd") is not None:  # e.g. no CAP_SYS_CHROOT here
        info["chroot_error"] = problem
        os.close(cfg.pop("chroot_fd"))
        os.rmdir(chroot_dir)
        chroot_dir = None
        info["chroot"] = False
        problem = _probe(cfg)
    if problem:
        info["error"] = f"a worker cannot lock itself down: {problem}"
    return info, chroot_dir


def _sigkill(pid: int) -> None:
    """SIGKILL to a worker's process group (its own session) and to the worker itself."""
    import signal

    for fn in (os.killpg, os.kill):
        try:
            fn(pid, signal.SIGKILL)
        except OSError:
            pass


class _Manager:
    """The manager's loop: spawn and kill requests from the caller, exit reports back."""

    def __init__(self, ctl, cfg: dict, chroot_dir: str | None):
        import signal

        self.ctl = ctl
        self.cfg = cfg
        self.chroot_dir = chroot_dir
        self.children: dict[int, bool] = {}  # pid -> killed by request
        # SIGCHLD wakes the select below through this pipe.
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.wfd, False)
        signal.set_wakeup_fd(self.wfd)
        signal.signal(signal.SIGCHLD, lambda *a: None)

    def send(self, op: str, **fields) -> None:
        self.ctl.send(encode_control(op, **fields))

    def serve(self) -> None:
        """Until ``quit`` or the caller's end closes; reports exits as children end."""
        import select
        import socket

        while True:
            ready, _, _ = select.select([self.ctl, self.rfd], [], [], 1.0)
            if self.rfd in ready:
                try:
                    os.read(self.rfd, 4096)
                except BlockingIOError:
                    pass
            self.reap()
            if self.ctl not in ready:
                continue
            data, fds, _flags, _addr = socket.recv_fds(self.ctl, 65536, 1)
            if not data:
                return
            req = decode_control(data)
            op = req.get("op")
            if op == OP_SPAWN:
                if not fds:
                    self.send(OP_SPAWN_FAILED, token=req["token"], error="no socket")
                    continue
                self.spawn(req["token"], fds[0])
            elif op == OP_KILL:
                self.kill(int(req["pid"]))
            elif op == OP_QUIT:
                return
            for fd in fds[1:]:
                os.close(fd)

    def spawn(self, token, fd: int) -> None:
        """Fork a worker on the socket ``fd`` (closed here once the child has it)."""
        pid = os.fork()
        if pid == 0:
            os.close(self.rfd)
            os.close(self.wfd)
            _worker_main(fd, self.cfg)
        os.close(fd)
        self.children[pid] = False
        self.send(OP_SPAWNED, token=token, pid=pid)

    def kill(self, pid: int) -> None:
        if pid in self.children:
            self.children[pid] = True
            _sigkill(pid)

    def reap(self) -> None:
        """Collect every ended child and report how it ended."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            killed = self.children.pop(pid, False)
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            self.send(OP_EXIT, pid=pid, signal=sig, code=code, killed=killed)

    def shutdown(self) -> None:
        """Kill and wait for every worker; remove the empty root folder."""
        for pid in list(self.children):
            _sigkill(pid)
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
        if self.chroot_dir:
            try:
                os.rmdir(self.chroot_dir)
            except OSError:
                pass
