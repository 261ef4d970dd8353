"""Throughput and drop rates of the DSL v2 task generators, one family at a time.

    python bench/generators.py [--n-tasks 200] [--repeats 3] [--seeds 0] [FAMILY ...]
    python bench/generators.py --enumerate --task-time 2s [--n-tasks 6] [--seeds 99] [FAMILY ...]

Per family: verified tasks per second of CPU time (median of the repeats, after a warm-up;
CPU time, because wall time on a shared machine swings with the load) and wall time, the
share of drafted tasks dropped, the drops by reason. With ``--enumerate``: how many
generated tasks the enumerator (``--task-time`` a task) solves, by number of program steps
(``--enumerate S``, the old form, is ``--enumerate --task-time S``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.dsl.gen import FAMILIES, generate_v2  # noqa: E402


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


class _Enumerate(argparse.Action):
    """``--enumerate`` (the mode), or ``--enumerate S`` (the old form: the mode and S as
    ``--task-time``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        namespace.enumerate = True
        if values is not None:
            try:
                namespace.task_time = h.duration(values)
            except argparse.ArgumentTypeError as e:
                parser.error(f"--enumerate S: {e} (families go before --enumerate, or give "
                             "--enumerate --task-time S)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("families", nargs="*", default=list(FAMILIES))
    ap.add_argument("--n-tasks", type=int, default=200, help="tasks a family (a repeat)")
    ap.add_argument("--repeats", type=int, default=3)
    h.add_seeds(ap, (0,), "the generators' seed", single=True)
    ap.add_argument("--enumerate", nargs="?", action=_Enumerate, default=False, metavar="S",
                    help="instead: run the enumerator --task-time on each generated task")
    h.add_task_time(ap, "2s", "--enumerate: the enumerator's time a task")
    h.add_out(ap, help="the table (or the solved counts) as JSON")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    seed = args.seeds[0]
    if args.enumerate:
        solved = {}
        for f in args.families:
            by = enumerate_solves(f, args.n_tasks, seed, args.task_time.seconds)
            cells = ", ".join(f"{k} step{'s' * (k > 1)}: {a}/{b}" for k, (a, b) in sorted(by.items()))
            print(f"{f}: {sum(a for a, _ in by.values())}/{args.n_tasks} solved ({cells})", flush=True)
            solved[f] = {str(k): {"solved": a, "tasks": b} for k, (a, b) in sorted(by.items())}
        h.write_json(args.out, {"n_tasks": args.n_tasks, "seed": seed,
                                "task_time": args.task_time, "solved_by_steps": solved})
        return 0
    table = h.Table(("family", "tasks/s (CPU)", "tasks/s (wall)", "dropped",
                     "drops by reason (last repeat)"))
    print(table.head())
    for f in args.families:
        m = measure(f, args.n_tasks, seed, args.repeats)
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(m["dropped"].items(), key=lambda kv: -kv[1]))
        print(table.line((f, f"{m['cpu']:.0f}", f"{m['wall']:.0f}", f"{m['drop']:.1%}",
                          reasons or "none")), flush=True)
    h.write_json(args.out, {"n_tasks": args.n_tasks, "seed": seed, "repeats": args.repeats,
                            **table.as_dict()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
