"""Sandbox throughput: the pool vs a bare in-process exec loop vs a process per program.

    python bench/executor.py [--programs 2000] [--repeats 5] [--workers N]

Workload: short random DSL programs (1-5 draws, the synth module's `random` family
sampler on 10x10 grids; a comment makes every source distinct so nothing is deduplicated),
each run on the same 4 random 10x10 grids. Every mode produces the same outputs (checked).
Modes, all measured in this run, interleaved, median of --repeats:
  bare     compile + exec + call + convert in this process, one core, no isolation
  pool     solver.sandbox.Executor, already started (start-up is reported apart)
  fork     a fork of this (warm) process per program, --workers in flight
  spawn    a fresh interpreter per program (subprocess), --workers in flight, on a sample
Then the cost of hung programs: a batch with and without K programs that hang in Python
(alarm) or in a C call (killed by the caller), and the per-program isolation cost.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from solver import dsl, synth  # noqa: E402
from solver.sandbox import Executor  # noqa: E402


def make_programs(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    progs = []
    for i in range(n):
        k = int(rng.integers(1, 6))
        draws = [synth.random_draw(rng, (10, 10), 0) for _ in range(k)]
        progs.append(synth.program_code(draws) + f"# {i}\n")
    return progs


def make_inputs(seed: int = 1) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [tuple(tuple(int(v) for v in row) for row in rng.integers(0, 10, (10, 10)))
            for _ in range(4)]


def _run_in_process(src: str, inputs) -> list:
    ns = dsl.namespace()
    exec(compile(src, "<program>", "exec"), ns)
    fn = ns["task"]
    return [tuple(map(tuple, np.asarray(fn(dsl.to_img(g))).tolist())) for g in inputs]


def bare(programs, inputs) -> list:
    out = []
    for src in programs:
        try:
            out.append(_run_in_process(src, inputs))
        except Exception:
            out.append(None)
    return out


def fork_each(programs, inputs, parallel: int) -> list:
    """One forked child per program; it sends its outputs back as JSON on a pipe."""
    results: list = [None] * len(programs)
    running: dict[int, tuple[int, int, bytearray]] = {}  # fd -> (index, pid, buffer)
    nxt = 0
    while nxt < len(programs) or running:
        while nxt < len(programs) and len(running) < parallel:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    data = orjson.dumps(_run_in_process(programs[nxt], inputs))
                except BaseException:
                    data = b"null"
                os.write(w, data)
                os._exit(0)
            os.close(w)
            running[r] = (nxt, pid, bytearray())
            nxt += 1
        ready, _, _ = select.select(list(running), [], [])
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            idx, pid, buf = running[fd]
            if chunk:
                buf += chunk
                continue
            os.close(fd)
            os.waitpid(pid, 0)
            del running[fd]
            got = orjson.loads(bytes(buf))
            results[idx] = [tuple(map(tuple, g)) for g in got] if got is not None else None
    return results


SPAWN_CHILD = (
    "import sys, orjson\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from solver import dsl\n"
    "import numpy as np\n"
    "src = sys.stdin.read()\n"
    "inputs = orjson.loads(sys.argv[2])\n"
    "ns = dsl.namespace(); exec(compile(src, '<program>', 'exec'), ns)\n"
    "sys.stdout.write(orjson.dumps([np.asarray(ns['task'](dsl.to_img(g))).tolist() "
    "for g in inputs]).decode())\n"
)


def spawn_each(programs, inputs, parallel: int) -> list:
    root = str(Path(__file__).resolve().parent.parent)
    arg = orjson.dumps(inputs).decode()
    results: list = [None] * len(programs)
    nxt, running = 0, []
    while nxt < len(programs) or running:
        while nxt < len(programs) and len(running) < parallel:
            p = subprocess.Popen([sys.executable, "-c", SPAWN_CHILD, root, arg],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            p.stdin.write(programs[nxt].encode())
            p.stdin.close()
            running.append((nxt, p))
            nxt += 1
        idx, p = running.pop(0)
        out = p.stdout.read()
        p.wait()
        results[idx] = [tuple(map(tuple, g)) for g in orjson.loads(out)] if out else None
    return results


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None, help="pool size; default: cores")
    ap.add_argument("--spawn-sample", type=int, default=40,
                    help="programs run by the fresh-interpreter baseline")
    ap.add_argument("--timeout", type=float, default=0.25, help="executor timeout_s")
    args = ap.parse_args(argv)

    programs = make_programs(args.programs)
    inputs = make_inputs()
    truth = bare(programs, inputs)
    assert all(t is not None for t in truth)
    cores = len(os.sched_getaffinity(0))
    print(f"{len(programs)} programs x {len(inputs)} grids 10x10; {cores} cores; "
          f"python {sys.version.split()[0]}; numpy {np.__version__}")

    t0 = time.perf_counter()
    ex = Executor(workers=args.workers, timeout_s=args.timeout)
    ex.run(programs[:50], inputs)  # workers forked and warm
    startup = time.perf_counter() - t0
    parallel = ex.n_workers
    times: dict[str, list[float]] = {"bare": [], "pool": [], "fork": [], "spawn": []}
    sample = programs[:args.spawn_sample]
    for rep in range(args.repeats):
        modes = ["bare", "pool", "fork", "spawn"]
        modes = modes[rep % 4:] + modes[:rep % 4]
        for mode in modes:
            if mode == "bare":
                dt, out = timed(lambda: bare(programs, inputs))
                assert out == truth
            elif mode == "pool":
                dt, res = timed(lambda: ex.run(programs, inputs))
                assert [r.outputs for r in res] == truth, {r.status for r in res}
            elif mode == "fork":
                dt, out = timed(lambda: fork_each(programs, inputs, parallel))
                assert out == truth
            else:
                dt, out = timed(lambda: spawn_each(sample, inputs, parallel))
                assert out == truth[:len(sample)]
                dt *= len(programs) / len(sample)  # as a rate over the full set
            times[mode].append(dt)

    rate = {m: len(programs) / statistics.median(v) for m, v in times.items()}
    print(f"\npool start-up (manager + {parallel} workers + first batch): {startup:.2f} s")
    print(f"\n| mode | programs/s (median of {args.repeats}) | min..max | vs bare |")
    print("|---|---|---|---|")
    labels = {"bare": "bare in-process exec loop (1 core, no isolation)",
              "pool": f"sandbox pool ({parallel} workers)",
              "fork": f"fork per program ({parallel} in flight)",
              "spawn": f"fresh interpreter per program ({parallel} in flight, "
                       f"{len(sample)}-program sample)"}
    for m in ("pool", "bare", "fork", "spawn"):
        lo = len(programs) / max(times[m])
        hi = len(programs) / min(times[m])
        print(f"| {labels[m]} | {rate[m]:,.0f} | {lo:,.0f}..{hi:,.0f} | "
              f"{rate[m] / rate['bare']:.2f}x |")
    print(f"\npool / bare = {rate['pool'] / rate['bare']:.2f}; pool / fork = "
          f"{rate['pool'] / rate['fork']:.1f}; pool / spawn = {rate['pool'] / rate['spawn']:.0f}")

    # Cost of hung programs: same healthy batch with and without K hung ones.
    healthy = programs[:400]
    loops = [f"def task(img):\n    while True:\n        pass\n# {i}\n" for i in range(4)]
    ccall = [f"def task(img):\n    return sum(range(10**13))\n# {i}\n" for i in range(4)]
    base_t, with_loop, with_c = [], [], []
    for _ in range(3):
        base_t.append(timed(lambda: ex.run(healthy, inputs))[0])
        dt, res = timed(lambda: ex.run(healthy + loops, inputs))
        assert [r.status for r in res[-4:]] == ["timeout"] * 4
        with_loop.append(dt)
        dt, res = timed(lambda: ex.run(healthy + ccall, inputs))
        assert [r.status for r in res[-4:]] == ["timeout"] * 4
        with_c.append(dt)
    b = statistics.median(base_t)
    per_loop = (statistics.median(with_loop) - b) / 4 * parallel
    per_c = (statistics.median(with_c) - b) / 4 * parallel
    print(f"\nhung programs (timeout_s={ex.cfg.timeout_s}, grace_s={ex.grace_s}), extra "
          f"worker-seconds each (median of 3, 4 hung in 400 healthy): Python loop "
          f"{per_loop:.2f} s (alarm), C call {per_c:.2f} s (killed + replaced)")

    # Per-program isolation, measured: one fork + wait of a warm numpy process.
    n = 200
    t = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    print(f"fork + wait of this process: {(time.perf_counter() - t) / n * 1000:.2f} ms "
          f"(per-program isolation would cost this per program); pool per-program time: "
          f"{parallel / rate['pool'] * 1000:.2f} ms per worker")
    print(f"executor stats: {ex.stats}")
    ex.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
