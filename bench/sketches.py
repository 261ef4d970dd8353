"""What a guide that names the operations could give: the enumerator filling the true
program's sketch, against the enumerator alone, on generated tasks of 1 to 3 operations.

    python bench/sketches.py [--n-tasks 60] [--seeds 777] [--task-time 10s] [--workers 2]

Each task is a ``random-v2`` task (random compositions of 1 to 3 operations, new seeds)
whose program is one straight line of calls. Its sketch is the names of those calls, in
order; the enumerator searches only programs of exactly those calls, fitting every argument
from the train pairs (``enumerate_programs(task, seconds, sketch=names)``), and, apart, the
whole language (``enumerate_programs(task, seconds)``). A task counts as solved when one of
the first two distinct train-exact predictions is every test output. Per depth: tasks, how
many each way solves, and the median seconds to the end of the search (a search ends at its
first exact depth, so a solved task's seconds are its time to solve).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.dsl.gen import generate_v2  # noqa: E402
from solver.dsl.gen.core import plain  # noqa: E402


def solve(job: tuple) -> dict:
    """One task both ways: job = (task, sketch, seconds, depth)."""
    from solver.search.enumerate import enumerate_programs, predictions

    task, sketch, seconds, depth = job
    want = [p.output for p in task.test]
    rec = {"id": task.id, "depth": len(sketch), "sketch": list(sketch)}
    for way, names in (("alone", None), ("sketch", sketch)):
        t0 = time.perf_counter()
        found = enumerate_programs(task, seconds, depth, sketch=names)
        rec[f"{way}_seconds"] = round(time.perf_counter() - t0, 3)
        rec[f"{way}_solved"] = want in predictions(found, 2, task)
    return rec


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-tasks", type=int, default=60, help="generated tasks (default: 60)")
    h.add_seeds(ap, (777,), "the generator's seed (not a training seed)", single=True)
    h.add_task_time(ap, "10s", "each search's time a task")
    ap.add_argument("--depth", type=int, default=3, help="the enumerator's depth alone")
    h.add_workers(ap, 2)
    h.add_out(ap, help="one record a task and the table, as JSON")
    return ap


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    seed = args.seeds[0]
    made, _ = generate_v2("random-v2", args.n_tasks, seed)
    jobs = [(t.task, tuple(s.op for s in t.steps), args.task_time.seconds, args.depth)
            for t in made if plain(t.steps)]
    print(f"{len(jobs)} generated tasks (seed {seed}), {args.task_time} a search, "
          f"{args.workers} workers")
    import multiprocessing as mp

    from tqdm import tqdm

    with mp.get_context("fork").Pool(args.workers, maxtasksperchild=20) as pool:
        records = list(tqdm(pool.imap(solve, jobs), total=len(jobs), unit="task"))
    table = h.Table(["depth", "tasks", "alone", "sketch", "alone s (median)", "sketch s (median)"],
                    "<>>>>>")
    print(table.head())
    for depth in sorted({r["depth"] for r in records}) + ["all"]:
        rows = [r for r in records if depth == "all" or r["depth"] == depth]
        print(table.line([depth, len(rows), sum(r["alone_solved"] for r in rows),
                          sum(r["sketch_solved"] for r in rows),
                          f"{statistics.median(r['alone_seconds'] for r in rows):.2f}",
                          f"{statistics.median(r['sketch_seconds'] for r in rows):.2f}"]))
    h.write_json(args.out, {"command": " ".join(sys.argv), "records": records,
                            "table": table.as_dict()})


if __name__ == "__main__":
    main()
