"""Sandbox throughput: the pool vs a bare in-process exec loop vs a process per program.

    python bench/executor.py [--programs 2000] [--repeats 5] [--workers N] [--out FILE]

Workload: short random DSL programs (1-5 draws, the synth module's `random` family
sampler on 10x10 grids; a comment makes every source distinct so nothing is deduplicated),
each run on the same 4 random 10x10 grids. Every mode produces the same outputs (checked).
Modes, all measured in this run, interleaved, median of --repeats:
  bare     compile + exec + call + convert in this process, one core, no isolation
  pool     solver.sandbox.Executor, already started (start-up is reported apart)
  fork     a fork of this (warm) process per program, --workers in flight
  spawn    a fresh interpreter per program (subprocess), --workers in flight, on a sample
  pool1    the same executor with one worker (per-core efficiency against bare)
Then what a hung program costs (worker-seconds, from batches of only hung programs: a Python
loop stopped by the worker's alarm, a C call killed by the caller), and what per-program
isolation would cost (one fork + wait of a warm process).
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

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver import dsl  # noqa: E402
from solver.dsl import program, synth  # noqa: E402
from solver.sandbox import Executor  # noqa: E402
from solver.sandbox.executor import SandboxConfig  # noqa: E402


def make_programs(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    progs = []
    for i in range(n):
        k = int(rng.integers(1, 6))
        draws = [synth.random_draw(rng, (10, 10), 0) for _ in range(k)]
        progs.append(program.program_code(draws) + f"# {i}\n")
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
    "from solver import dsl\n"
    "import numpy as np\n"
    "src = sys.stdin.read()\n"
    "inputs = orjson.loads(sys.argv[1])\n"
    "ns = dsl.namespace(); exec(compile(src, '<program>', 'exec'), ns)\n"
    "sys.stdout.write(orjson.dumps([np.asarray(ns['task'](dsl.to_img(g))).tolist() "
    "for g in inputs]).decode())\n"
)


def spawn_each(programs, inputs, parallel: int) -> list:
    arg = orjson.dumps(inputs).decode()
    results: list = [None] * len(programs)
    nxt, running = 0, []
    while nxt < len(programs) or running:
        while nxt < len(programs) and len(running) < parallel:
            p = subprocess.Popen([sys.executable, "-c", SPAWN_CHILD, arg],
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


def _proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pool_cpu(ex) -> float:
    """CPU seconds used so far by this process and the executor's live workers."""
    total = time.process_time()
    for w in ex._workers:
        try:
            total += _proc_cpu(w.pid)
        except OSError:
            pass
    return total


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    h.add_solver_settings(ap, SandboxConfig, ("workers", "timeout_s"), "sandbox",
                          flags={"workers": ("--workers",), "timeout_s": ("--timeout-s",)})
    h.alias(ap, "--timeout", "--timeout-s")
    ap.add_argument("--spawn-sample", type=int, default=40,
                    help="programs run by the fresh-interpreter baseline")
    h.add_out(ap, help="the rates and costs as JSON")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    sandbox = h.build(SandboxConfig, args)
    args.workers, args.timeout = sandbox.workers, sandbox.timeout_s
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
    ex1 = Executor(workers=1, timeout_s=args.timeout)
    ex1.run(programs[:50], inputs)
    times: dict[str, list[float]] = {"bare": [], "pool": [], "pool1": [], "fork": [],
                                     "spawn": []}
    cpu: dict[str, list[float]] = {"bare": [], "pool": []}  # CPU seconds per batch
    sample = programs[:args.spawn_sample]
    for rep in range(args.repeats):
        modes = ["bare", "pool", "pool1", "fork", "spawn"]
        modes = modes[rep % 5:] + modes[:rep % 5]
        for mode in modes:
            if mode == "bare":
                c0 = time.process_time()
                dt, out = timed(lambda: bare(programs, inputs))
                cpu["bare"].append(time.process_time() - c0)
                assert out == truth
            elif mode == "pool":
                c0 = pool_cpu(ex)
                dt, res = timed(lambda: ex.run(programs, inputs))
                cpu["pool"].append(pool_cpu(ex) - c0)  # no worker was replaced: same pids
                assert [r.outputs for r in res] == truth, {r.status for r in res}
            elif mode == "pool1":
                dt, res = timed(lambda: ex1.run(programs, inputs))
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
    table = h.Table(("mode", f"programs/s (median of {args.repeats})", "min..max", "vs bare"))
    labels = {"bare": "bare in-process exec loop (1 core, no isolation)",
              "pool": f"sandbox pool ({parallel} workers)",
              "pool1": "sandbox pool (1 worker)",
              "fork": f"fork per program ({parallel} in flight)",
              "spawn": f"fresh interpreter per program ({parallel} in flight, "
                       f"{len(sample)}-program sample)"}
    for m in ("pool", "pool1", "bare", "fork", "spawn"):
        lo = len(programs) / max(times[m])
        hi = len(programs) / min(times[m])
        table.line((labels[m], f"{rate[m]:,.0f}", f"{lo:,.0f}..{hi:,.0f}",
                    f"{rate[m] / rate['bare']:.2f}x"))
    print("\n" + table.render())
    ex1.close()
    us = {m: statistics.median(v) / len(programs) * 1e6 for m, v in cpu.items()}
    print(f"\nCPU per program (median; less sensitive to other load than wall time): bare "
          f"{us['bare']:.0f} us, pool {us['pool']:.0f} us (workers + caller) -> "
          f"{parallel} idle cores would allow ~{parallel / us['pool'] * 1e6:,.0f} programs/s")
    print(f"pool / bare = {rate['pool'] / rate['bare']:.2f}; 1-worker pool / bare = "
          f"{rate['pool1'] / rate['bare']:.2f}; pool / fork = "
          f"{rate['pool'] / rate['fork']:.1f}; pool / spawn = {rate['pool'] / rate['spawn']:.0f}")

    # Cost of a hung program: worker-seconds it occupies (a batch of only hung programs).
    k = 4 * parallel
    cost = {}
    for name, body in (("Python loop (alarm in the worker)", "while True:\n        pass"),
                       ("C call (caller kills, worker replaced)", "return sum(range(10**13))")):
        hung = [f"def task(img):\n    {body}\n# {name} {i}\n" for i in range(k)]
        walls = []
        for _ in range(3):
            dt, res = timed(lambda: ex.run(hung, inputs))
            assert [r.status for r in res] == ["timeout"] * k, {r.status for r in res}
            walls.append(dt)
        cost[name] = statistics.median(walls) * parallel / k
    print(f"\nhung program, worker-seconds each (timeout_s={ex.cfg.timeout_s}, "
          f"grace_s={ex.grace_s}; {k} at a time, median of 3): "
          + "; ".join(f"{n}: {c:.2f} s" for n, c in cost.items()))

    # Per-program isolation, measured: one fork + wait of a warm numpy process.
    n = 200
    t = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    fork_ms = (time.perf_counter() - t) / n * 1000
    print(f"fork + wait of this process: {fork_ms:.2f} ms "
          f"(per-program isolation would cost this per program); pool per-program time: "
          f"{parallel / rate['pool'] * 1000:.2f} ms per worker")
    print(f"executor stats: {ex.stats}")
    ex.close()
    h.write_json(args.out, {"programs": len(programs), "workers": parallel,
                            "startup_s": round(startup, 3), "programs_per_s": rate,
                            "seconds": times, "cpu_us_per_program": us, **table.as_dict(),
                            "hung_worker_s": cost,
                            "fork_wait_ms": fork_ms})
    return 0


if __name__ == "__main__":
    sys.exit(main())
