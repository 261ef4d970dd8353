"""The sandbox: adversarial programs mixed with healthy ones, plus the search-loop helpers.

Timeouts here are generous (healthy programs must never time out on a loaded 2-core
machine) and nothing asserts on time. Items that only root can enforce (files, signals to
the caller, network) are included when the test runs as root, as on Kaggle and in CI here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading

import numpy as np
import pytest

from solver import dsl
from solver.dsl import program, synth
from solver.cli import main
from solver.sandbox.executor import Executor, Result

ROOT = os.geteuid() == 0

INPUTS = [
    ((1, 2, 3), (4, 5, 6)),
    tuple(tuple((r * 7 + c) % 10 for c in range(10)) for r in range(10)),
    ((0,),),
]


def healthy_programs(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    progs = []
    for i in range(n):
        k = int(rng.integers(1, 5))
        draws = [synth.random_draw(rng, (6, 6), 0) for _ in range(k)]
        progs.append(program.program_code(draws) + f"# healthy {i}\n")
    return progs


def expected(program: str, inputs=INPUTS) -> list:
    return [dsl.run_trusted(program, g) for g in inputs]


@pytest.fixture(scope="module")
def executor():
    with Executor(workers=2, timeout_s=1.5, memory_mb=256, chunk=3) as ex:
        yield ex


def _adversarial(tmp_path) -> tuple[dict[str, str], dict[str, object], dict[str, str]]:
    """name -> program, and name -> expected status (exact string, or a set of kinds)."""
    files = {}
    for name in ("keep.txt", "truncate.txt", "delete.txt"):
        p = tmp_path / name
        p.write_bytes(f"precious {name}\n".encode() * 100)
        files[name] = str(p)
    progs = {
        "infinite loop": "def task(img):\n    while True:\n        pass\n",
        "catch BaseException": (
            "def task(img):\n    while True:\n        try:\n            while True:\n"
            "                pass\n        except BaseException:\n            pass\n"),
        "long C call": "def task(img):\n    return sum(range(10**13))\n",
        "sleep": "import time\ndef task(img):\n    time.sleep(1000)\n    return img\n",
        "huge numpy": "def task(img):\n    a = np.ones((10**5, 10**5))\n    return img\n",
        "huge list": "def task(img):\n    a = [0] * 10**10\n    return img\n",
        "growing list": ("def task(img):\n    a = []\n    while True:\n"
                         "        a.append([1] * 10000)\n"),
        "fork loop": "import os\ndef task(img):\n    while True:\n        os.fork()\n",
        "subprocess": ("def task(img):\n    import subprocess\n"
                       "    subprocess.run(['true'])\n    return img\n"),
        "os._exit": "import os\ndef task(img):\n    os._exit(3)\n",
        "ctypes segfault": "def task(img):\n    import ctypes\n    ctypes.string_at(0)\n",
        "faulthandler segfault": "def task(img):\n    import faulthandler\n    faulthandler._sigsegv()\n",
        "sys.exit": "import sys\ndef task(img):\n    sys.exit(0)\n",
        "deep recursion": ("import sys\ndef task(img):\n    sys.setrecursionlimit(10**8)\n"
                           "    def f(n):\n        return f(n + 1) + 1\n    return f(0)\n"),
        "endless printing": "def task(img):\n    while True:\n        print('x' * 1000)\n",
        "input()": "def task(img):\n    input()\n    return img\n",
        "mutate input": "def task(img):\n    img[:] = 7\n    return img\n",
        "poison numpy": ("def task(img):\n    import numpy\n    numpy.full = None\n"
                         "    numpy.array = None\n    return img\n"),
        "poison builtins": ("import builtins\ndef task(img):\n    builtins.len = lambda x: 0\n"
                            "    builtins.int = str\n    return img\n"),
        "invalid 10": "def task(img):\n    return [[10]]\n",
        "invalid -1": "def task(img):\n    img[0, 0] = -1\n    return img\n",
        "invalid 31x31": "def task(img):\n    return np.zeros((31, 31), dtype=int)\n",
        "invalid []": "def task(img):\n    return []\n",
        "invalid ragged": "def task(img):\n    return [[1, 2], [3]]\n",
        "invalid float": "def task(img):\n    return [[1.0]]\n",
        "invalid float array": "def task(img):\n    return img.astype(float)\n",
        "invalid string": "def task(img):\n    return 'abc'\n",
        "invalid string cells": "def task(img):\n    return [['a']]\n",
        "invalid None": "def task(img):\n    return None\n",
        "invalid 3-D": "def task(img):\n    return np.zeros((2, 2, 2), dtype=int)\n",
        "invalid 3-D list": "def task(img):\n    return [[[1]]]\n",
        "invalid bool": "def task(img):\n    return [[True]]\n",
        "invalid long row": "def task(img):\n    return [[0] * 10**5]\n",
        "invalid long row array": "def task(img):\n    return np.zeros((1, 10**7), dtype=int)\n",
        "hostile list": ("class L(list):\n    def __len__(self):\n        while True:\n"
                         "            pass\n"
                         "def task(img):\n    return L([[1]])\n"),
        "syntax error": "def task(img)\n    return img\n",
        "no task": "def solve(img):\n    return img\n",
        "zero division": "def task(img):\n    return 1 / 0\n",
    }
    want: dict[str, object] = {
        "infinite loop": "timeout", "catch BaseException": "timeout", "long C call": "timeout",
        "sleep": "timeout", "huge numpy": "memory", "huge list": "memory",
        "growing list": {"memory", "timeout"}, "fork loop": {"error"}, "subprocess": {"error"},
        "os._exit": "crash:exit 3", "ctypes segfault": "crash:SIGSEGV",
        "faulthandler segfault": "crash:SIGSEGV", "sys.exit": "error:SystemExit",
        "deep recursion": {"crash", "memory", "error", "timeout"},
        "endless printing": "timeout", "input()": {"error"},
        "invalid 10": "invalid_output:value 10 outside 0..9",
        "invalid -1": "invalid_output:value -1 outside 0..9",
        "invalid 31x31": "invalid_output:shape 31x31, sides must be 1..30",
        "invalid []": "invalid_output:empty grid (no rows)",
        "invalid ragged": "invalid_output:row 1: 1 columns, row 0 has 2 (ragged grid)",
        "invalid float": "invalid_output:row 0 col 0: float is not an int",
        "invalid float array": "invalid_output:array of float64 (grids hold ints)",
        "invalid string": "invalid_output:expected a grid, got str",
        "invalid string cells": "invalid_output:row 0 col 0: str is not an int",
        "invalid None": "invalid_output:expected a grid, got None",
        "invalid 3-D": "invalid_output:3-D array (grids are 2-D)",
        "invalid 3-D list": "invalid_output:row 0 col 0: nested list (grids are 2-D)",
        "invalid bool": "invalid_output:row 0 col 0: bool is not an int",
        "invalid long row": "invalid_output:row 0: 100000 columns, at most 30 allowed",
        "invalid long row array": "invalid_output:shape 1x10000000, sides must be 1..30",
        "hostile list": "invalid_output:expected a grid, got L",
        "syntax error": "syntax_error:SyntaxError", "no task": "no_task",
        "zero division": "error:ZeroDivisionError",
        "poison numpy": "ok", "poison builtins": "ok",
    }
    if ROOT:
        pid = os.getpid()
        progs.update({
            "write a file": (f"def task(img):\n    open({files['keep.txt']!r}, 'w').write('x')\n"
                             "    return img\n"),
            "append a file": (f"def task(img):\n    open({files['keep.txt']!r}, 'a').write('x')\n"
                              "    return img\n"),
            "create a file": (f"def task(img):\n    open({str(tmp_path / 'new.txt')!r}, 'w')\n"
                              "    return img\n"),
            "truncate a file": (f"import os\ndef task(img):\n    os.truncate({files['truncate.txt']!r}, 0)\n"
                                "    return img\n"),
            "delete a file": (f"import os\ndef task(img):\n    os.remove({files['delete.txt']!r})\n"
                              "    return img\n"),
            "signal the parent": (f"import os, signal\ndef task(img):\n"
                                  f"    os.kill({pid}, signal.SIGKILL)\n    return img\n"),
            "signal the manager": ("import os, signal\ndef task(img):\n"
                                   "    os.kill(os.getppid(), signal.SIGKILL)\n    return img\n"),
            "signal the caller's group": (f"import os, signal\ndef task(img):\n"
                                          f"    os.killpg(os.getpgid({pid}), signal.SIGTERM)\n"
                                          "    return img\n"),
        })
        for name in ("write a file", "append a file", "create a file", "truncate a file",
                     "delete a file", "signal the parent", "signal the manager",
                     "signal the caller's group"):
            want[name] = {"error"}
    return progs, want, files


def test_adversarial_batch_mixed_with_healthy(executor, tmp_path):
    progs, want, files = _adversarial(tmp_path)
    before = {name: open(p, "rb").read() for name, p in files.items()}
    listing = sorted(os.listdir(tmp_path))

    listener = None
    if executor.info.get("netns"):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        progs["socket"] = ("import socket\ndef task(img):\n    s = socket.socket()\n"
                           f"    s.connect(('127.0.0.1', {port}))\n    s.send(b'x')\n"
                           "    return img\n")
        want["socket"] = {"error"}

    healthy = healthy_programs(len(progs) + 10)
    batch, names = [], []
    for i, (name, src) in enumerate(progs.items()):
        batch += [healthy[i], src]
        names += [None, name]
    batch += healthy[len(progs):]
    names += [None] * 10
    batch.append("def task(img):\n    return img\n")  # must see the input unmutated
    names.append("identity")

    results = executor.run(batch, INPUTS)

    assert len(results) == len(batch)
    wrong = {}
    for name, src, r in zip(names, batch, results):
        assert isinstance(r, Result)
        if name is None:
            if not (r.ok and r.outputs == expected(src)):
                wrong[src.splitlines()[-1]] = r.status
            continue
        w = want.get(name, "ok")
        if name == "identity":
            if not (r.ok and r.outputs == list(INPUTS)):
                wrong[name] = (r.status, r.outputs)
        elif name == "mutate input":
            if not (r.ok and r.outputs == [tuple((7,) * len(g[0]) for _ in g) for g in INPUTS]):
                wrong[name] = (r.status, r.outputs)
        elif isinstance(w, set):
            if r.kind not in w:
                wrong[name] = r.status
        elif r.status != w:
            wrong[name] = r.status
        if not r.ok:
            assert r.outputs is None
    assert not wrong, wrong

    # Nothing around the run changed; the caller is alive (we are running) and so is the pool.
    assert {name: open(p, "rb").read() for name, p in files.items()} == before
    assert sorted(os.listdir(tmp_path)) == listing
    if listener is not None:
        with pytest.raises(BlockingIOError):
            listener.accept()
        listener.close()
    assert executor.stats["timeout_kills"] >= 1  # the C call (the alarm cannot stop it)
    assert executor.stats["poisoned"] >= 2
    again = executor.run(healthy[:5], INPUTS)
    assert [r.outputs for r in again] == [expected(p) for p in healthy[:5]]


def test_poisoning_does_not_reach_the_next_program():
    """One worker, one chunk: each poisoner is followed by a program that relies on what it
    broke; the worker must be replaced in between."""
    poison = [
        "def task(img):\n    import numpy\n    numpy.zeros = lambda *a, **k: None\n    return img\n",
        "import builtins\ndef task(img):\n    builtins.len = lambda x: 0\n    return img\n",
        "import sys\ndef task(img):\n    sys.setrecursionlimit(40)\n    return img\n",
        "def task(img):\n    draw_line.__globals__['np'] = None\n    return img\n",
        "def task(img):\n    draw_pixel.__defaults__ = (1,)\n    draw_pixel.__code__ = "
        "(lambda img, p, c: img).__code__\n    return img\n",
        "def task(img):\n    np.seterr(all='raise')\n    return img\n",
        "import warnings\ndef task(img):\n    warnings.simplefilter('error')\n    return img\n",
        "import signal\ndef task(img):\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    return img\n",
        "import signal\ndef task(img):\n    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
        "    return img\n",
        "import signal\ndef task(img):\n    signal.setitimer(signal.ITIMER_VIRTUAL, 0.05)\n"
        "    return img\n",
        "import math\ndef task(img):\n    math.pi = 3\n    return img\n",
    ]
    check = (
        "import math, time\n"
        "def task(img):\n"
        "    assert round(math.pi, 2) == 3.14\n"
        "    t = time.process_time()\n"
        "    while time.process_time() - t < 0.1:\n        pass\n"
        "    z = np.zeros((2, 3), dtype=int)\n"
        "    assert len([1, 2, 3]) == 3\n"
        "    def depth(n):\n        return 0 if n == 0 else 1 + depth(n - 1)\n"
        "    assert depth(100) == 100\n"
        "    with np.errstate(all='ignore'):\n        pass\n"
        "    x = np.array([1.0]) / np.array([0.0])\n"
        "    np.array([1], dtype=np.int8).astype(np.int8) * np.int8(1)\n"
        "    draw_line(z, (0, 0), (1, 2), 4)\n"
        "    draw_pixel(z, (1, 0), 5)\n"
        "    return z\n"
    )
    want = [((4, 0, 0), (5, 4, 4))]
    with np.errstate(all="ignore"):
        assert dsl.run_trusted(check, INPUTS[0]) == want[0]
    programs = []
    for i, p in enumerate(poison):
        programs += [p, check + f"# {i}\n"]
    with Executor(workers=1, timeout_s=2.0, chunk=len(programs)) as ex:
        results = ex.run(programs, INPUTS[:1])
        statuses = [r.status for r in results]
        for i in range(1, len(programs), 2):
            assert results[i].ok and results[i].outputs == want, (programs[i - 1], statuses)
        assert ex.stats["poisoned"] == len(poison)
        assert ex.stats["spawned"] == len(poison) + 1


def test_threads_cannot_outlive_their_program():
    starter = ("import threading, time\ndef task(img):\n"
               "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n"
               "    return img\n")
    counter = "import threading\ndef task(img):\n    return [[threading.active_count()]]\n"
    with Executor(workers=1, timeout_s=2.0, chunk=4) as ex:
        r = ex.run([starter, counter], INPUTS[:1])
    assert r[0].kind in ("ok", "error")  # refused (no threads allowed) or detected
    assert r[1].ok and r[1].outputs == [((1,),)]


def test_dedupe_pool_reuse_and_order(executor):
    progs = healthy_programs(6, seed=3)
    batch = [progs[0], progs[1], progs[0], progs[2], progs[1], progs[0]]
    before = dict(executor.stats)
    r1 = executor.run(batch, INPUTS)
    assert [r.outputs for r in r1] == [expected(p) for p in batch]
    assert executor.stats["executed"] - before["executed"] == 3
    r2 = executor.run(progs, INPUTS[:1])  # new inputs on the same pool
    assert [r.outputs for r in r2] == [expected(p, INPUTS[:1]) for p in progs]
    assert executor.stats["spawned"] == before["spawned"]  # no new workers for healthy runs
    assert executor.run([], INPUTS) == []
    assert all(r.seconds >= 0 for r in r1)


def test_invalid_inputs_are_refused(executor):
    with pytest.raises(ValueError, match="inputs\\[1\\]"):
        executor.run(["def task(img):\n    return img\n"], [((1,),), ((10,),)])


def test_works_after_torch_and_threads():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    torch.ones(64, 64) @ torch.ones(64, 64)  # start torch's thread pool
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, daemon=True)
    t.start()
    try:
        progs = healthy_programs(20, seed=5)
        with Executor(workers=2, timeout_s=2.0) as ex:
            res = ex.run(progs, INPUTS)
        assert [r.outputs for r in res] == [expected(p) for p in progs]
    finally:
        stop.set()


def test_cli_exec(tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text("def task(img):\n    draw_pixel(img, (0, 0), 5)\n    return img\n")
    grids_file = tmp_path / "g.json"
    grids_file.write_text(json.dumps([[[1, 2], [3, 4]], [[0]]]))
    assert main(["exec", "--program", str(prog), "--grids", str(grids_file)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"input": "[0]", "status": "ok", "seconds": lines[0]["seconds"], "output": [[5, 2], [3, 4]]},
        {"input": "[1]", "status": "ok", "seconds": lines[1]["seconds"], "output": [[5]]},
    ]
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps({"t1": {"train": [{"input": [[1, 1]], "output": [[5, 1]]},
                                                   {"input": [[2]], "output": [[2]]}],
                                         "test": [{"input": [[0, 0]]}]}}))
    assert main(["exec", "--program", str(prog), "--tasks", str(tasks), "--task", "t1"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["input"], x["status"], x.get("correct")) for x in lines] == [
        ("train[0]", "ok", True), ("train[1]", "ok", False), ("test[0]", "ok", None)]
    loop = tmp_path / "loop.py"
    loop.write_text("def task(img):\n    while True:\n        pass\n")
    assert main(["exec", "--program", str(loop), "--grids", str(grids_file),
                 "--timeout", "0.3"]) == 0
    assert [json.loads(x)["status"] for x in capsys.readouterr().out.splitlines()] == [
        "timeout", "timeout"]
    assert main(["exec", "--program", str(prog), "--tasks", str(tasks), "--task", "nope"]) == 2


def test_interrupted_run_leaves_the_pool_usable():
    slow = [f"import time\ndef task(img):\n    time.sleep(0.4)\n    return img\n# {i}\n"
            for i in range(6)]

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        with Executor(workers=2, timeout_s=5.0, chunk=1) as ex:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(KeyboardInterrupt):
                ex.run(slow, INPUTS)
            signal.setitimer(signal.ITIMER_REAL, 0)
            progs = healthy_programs(8, seed=9)
            res = ex.run(progs, INPUTS)
            assert [r.outputs for r in res] == [expected(p) for p in progs]
            assert ex.stats["protocol"] == 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_oversized_program_is_refused_without_running(executor):
    huge = "def task(img):\n    return img\n" + "#" * 300_000 + "\n"
    before = executor.stats["executed"]
    (r,) = executor.run([huge], INPUTS)
    assert r.status == "syntax_error:program too long" and r.outputs is None
    assert executor.stats["executed"] == before


def test_manager_death_is_survived():
    progs = healthy_programs(40, seed=11)
    slow = [f"import time\ndef task(img):\n    time.sleep(0.2)\n    return img\n# {i}\n"
            for i in range(6)]  # 0.6 s each on the 3 inputs: the run lasts >= 1.8 s
    with Executor(workers=2, timeout_s=5.0, chunk=2) as ex:
        assert [r.outputs for r in ex.run(progs[:5], INPUTS)] == [expected(p) for p in progs[:5]]
        os.kill(ex.manager_pid, signal.SIGKILL)  # between runs
        ex._proc.wait(timeout=10)  # surely gone (and its workers with it) before the next run
        res = ex.run(progs[5:20], INPUTS)
        assert [r.outputs for r in res] == [expected(p) for p in progs[5:20]]
        timer = threading.Timer(0.2, lambda: os.kill(ex.manager_pid, signal.SIGKILL))
        timer.start()  # during a run
        res = ex.run(slow + progs[20:], INPUTS)
        timer.join()
        assert [r.status for r in res[:6]] == ["ok"] * 6
        assert [r.outputs for r in res[6:]] == [expected(p) for p in progs[20:]]
        assert ex.stats["manager_restarts"] >= 2


@pytest.mark.skipif(not ROOT, reason="privilege drop and chroot need root")
def test_workers_run_as_nobody_in_an_empty_root(executor):
    assert executor.info["root"] and executor.info["chroot"]
    prog = ("import os\ndef task(img):\n"
            "    return [[int(os.getuid() == 65534), int(os.geteuid() == 65534),"
            " int(os.listdir('/') == []), int(os.getgroups() == [])]]\n")
    (r,) = executor.run([prog], INPUTS[:1])
    assert r.ok and r.outputs == [((1, 1, 1, 1),)]


# ---------------------------------------------------------------- dialects: entry points and input types

BARC_PROGRAM = '''from common import *
import numpy as np
from typing import *

# concepts:
# lines

# description:
# Draw a red line rightwards from every blue pixel, stopping at grey.

def transform(input_grid):
    output_grid = input_grid.copy()
    for x, y in np.argwhere(input_grid == Color.BLUE):
        draw_line(output_grid, x + 1, y, direction=(1, 0), color=Color.RED,
                  stop_at_color=[Color.GRAY])
    return helper(output_grid)

def helper(grid):
    return grid
'''

PYTHON_PROGRAM = '''import numpy as np

def transform(grid_lst: list[list[int]]) -> list[list[int]]:
    assert type(grid_lst) is list and type(grid_lst[0]) is list and type(grid_lst[0][0]) is int
    grid = np.array(grid_lst)
    return np.fliplr(grid).tolist()
'''


def test_barc_entry_point_gets_int64_arrays_indexed_x_y():
    grid = ((0, 1, 0, 0, 5, 0),
            (1, 0, 0, 0, 0, 0))
    probe = ("def transform(input_grid):\n"
             "    assert input_grid.dtype == np.int64 and input_grid.shape == (6, 2)\n"
             "    out = input_grid.copy()\n    out[0, 1] = 7\n    return out[:, :1]\n")
    with Executor(workers=1, timeout_s=2.0, entry="transform", input_type="int64_xy") as ex:
        r = ex.run([BARC_PROGRAM, probe, "def task(img):\n    return img\n"], [grid])
    assert r[0].ok, r[0].status
    assert r[0].outputs == [((0, 1, 2, 2, 5, 0), (1, 2, 2, 2, 2, 2))]
    assert r[1].ok and r[1].outputs == [((0, 1, 0, 0, 5, 0),)]  # [x, y] read back as rows
    assert r[2].status == "no_task:transform"


def test_python_entry_point_gets_lists_and_lists_come_back():
    grid = ((1, 2, 3), (4, 5, 6))
    with Executor(workers=1, timeout_s=2.0) as ex:  # per call, over the executor's default
        r = ex.run([PYTHON_PROGRAM], [grid], entry="transform", input_type="list")
        assert r[0].ok, r[0].status
        assert r[0].outputs == [((3, 2, 1), (6, 5, 4))]
        numpy_out = "def transform(g):\n    return np.array(g, dtype=np.int64) + 1\n"
        r = ex.run([numpy_out], [grid], entry="transform", input_type="int64")
        assert r[0].outputs == [((2, 3, 4), (5, 6, 7))]
        # and the executor's own default still applies to the next plain call
        r = ex.run(["def task(img):\n    assert img.dtype == np.int8\n    return img\n"], [grid])
        assert r[0].ok and r[0].outputs == [grid]
    with pytest.raises(ValueError):
        Executor(workers=1, entry="not an identifier")
    with pytest.raises(ValueError):
        Executor(workers=1, input_type="float")


def test_common_is_importable_and_watched():
    grid = ((0, 0), (0, 3))
    uses = ("import common\nfrom common import Color, crop\n"
            "def transform(input_grid):\n"
            "    assert common.Color.NOT_BLACK == list(range(1, 10))\n"
            "    return crop(input_grid)\n")
    spoil_list = ("from common import *\ndef transform(input_grid):\n"
                  "    Color.NOT_BLACK.append(0)\n    return input_grid\n")
    spoil_name = ("import common\ndef transform(input_grid):\n"
                  "    common.crop = lambda g, background=0: g\n    return input_grid\n")
    spoil_color = ("from common import *\ndef transform(input_grid):\n"
                   "    Color.RED = 9\n    return input_grid\n")
    programs = [uses, spoil_list, uses + "#1\n", spoil_name, uses + "#2\n", spoil_color,
                uses + "#3\n"]
    with Executor(workers=1, timeout_s=2.0, chunk=len(programs), entry="transform",
                  input_type="int64_xy") as ex:
        results = ex.run(programs, [grid])
        assert ex.stats["poisoned"] == 3
    for i in (0, 2, 4, 6):
        assert results[i].ok and results[i].outputs == [((3,),)], results[i].status
