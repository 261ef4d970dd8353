"""Throughput and drop rates of the DSL v2 task generators, one family at a time.

    python bench/generators.py [--n-tasks 200] [--repeats 3] [--seed 0] [FAMILY ...]
    python bench/generators.py --enumerate 2 [--n-tasks 6] [--seed 99] [FAMILY ...]

Per family: verified tasks per second of CPU time (median of the repeats, after a warm-up;
CPU time, because wall time on a shared machine swings with the load) and wall time, the
share of drafted tasks dropped, the drops by reason. With ``--enumerate S``: how many
generated tasks the enumerator (S seconds a task) solves, by number of program steps.
"""

from __future__ import annotations

import argparse
import statistics
import time

from solver.dsl.gen import FAMILIES, generate_v2


def measure(family: str, n_tasks: int, seed: int, repeats: int) -> dict:
    generate_v2(family, 5, seed + 10_000)  # warm-up
    cpu, wall, stats = [], [], None
    for r in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        _, stats = generate_v2(family, n_tasks, seed + r)
        cpu.append(n_tasks / max(time.process_time() - c0, 1e-9))
        wall.append(n_tasks / max(time.perf_counter() - w0, 1e-9))
    drafted = stats.made + sum(stats.dropped.values())
    return {"family": family, "cpu": statistics.median(cpu), "wall": statistics.median(wall),
            "drop": sum(stats.dropped.values()) / drafted, "dropped": stats.dropped,
            "redrawn": stats.redrawn_pairs}


def enumerate_solves(family: str, n_tasks: int, seed: int, seconds: float) -> dict[int, tuple[int, int]]:
    """{program steps: (solved, tasks)}: a task counts when one of the enumerator's first two
    distinct train-exact predictions is every test output."""
    from solver.search.enumerate import enumerate_programs, predictions

    tasks, _ = generate_v2(family, n_tasks, seed)
    out: dict[int, tuple[int, int]] = {}
    for t in tasks:
        want = [p.output for p in t.task.test]
        ok = want in predictions(enumerate_programs(t.task, seconds), 2, t.task)
        solved, total = out.get(len(t.steps), (0, 0))
        out[len(t.steps)] = (solved + ok, total + 1)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("families", nargs="*", default=list(FAMILIES))
    ap.add_argument("--n-tasks", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--enumerate", type=float, default=None, metavar="S",
                    help="instead: run the enumerator S seconds on each generated task")
    args = ap.parse_args(argv)
    if args.enumerate is not None:
        for f in args.families:
            by = enumerate_solves(f, args.n_tasks, args.seed, args.enumerate)
            cells = ", ".join(f"{k} step{'s' * (k > 1)}: {a}/{b}" for k, (a, b) in sorted(by.items()))
            print(f"{f}: {sum(a for a, _ in by.values())}/{args.n_tasks} solved ({cells})", flush=True)
        return 0
    print("| family | tasks/s (CPU) | tasks/s (wall) | dropped | drops by reason (last repeat) |")
    print("|---|---|---|---|---|")
    for f in args.families:
        m = measure(f, args.n_tasks, args.seed, args.repeats)
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(m["dropped"].items(), key=lambda kv: -kv[1]))
        print(f"| {f} | {m['cpu']:.0f} | {m['wall']:.0f} | {m['drop']:.1%} | {reasons or 'none'} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
