"""Ablations of the hindsight learning alone (no repair, no enumerator) on the demo tasks
(or on generated drawing tasks: ``--generate squares:12,16 --generate-seed 7``).

Each *setting* is a name and the ``solver dry-run`` flags it adds; every (setting, task,
seed) runs as its own ``solver dry-run --no-repair --no-enumerate --after-exact 0`` in its
own run directory under ``--work``, ``--workers`` of them at a time (each with ``--threads``
CPU threads). A finished run is not run again, so the command resumes after any stop.
At the end it prints, per setting and task, the seeds solved, the epochs and seconds to
solve, and by round the best and mean sampled train accuracy and the distinct outputs;
the table also goes to ``WORK/summary.md`` and the raw rows to ``WORK/summary.json``
(``--out``).

    python bench/her_ablate.py --work runs/ablate --task-time 5m --seeds 0 \\
        --task-ids overlapping-squares-6 squares-12 \\
        --setting base= --setting full="--tune full --lr 1e-4"

``--setting NAME=FLAGS`` may be given many times (``NAME=`` alone: the defaults). Solved
means a *sampled* program was exact on the train pairs after one or more epochs (round
> 0); a task exact at round 0 is reported as such, since it shows no learning.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson

from solver.run.config import RunConfig

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

DEFAULT_TASKS = ("vertical-lines-9", "squares-9-", "overlapping-squares-6", "squares-12",
                 "squares-16")


def generate(specs: list[str], seed: int, path: Path) -> Path:
    """Drawing tasks from the generators (``FAMILY:N,N``: one task per object count N,
    id ``FAMILY-N-sSEED``) written as a challenges file at ``path``."""
    from dataclasses import replace

    from solver.dsl import synth

    tasks = {}
    for spec in specs:
        family, _, counts = spec.partition(":")
        for n in (int(c) for c in counts.split(",")):
            task = synth.generate(family, 1, seed=seed, draws=n)[0][0].task
            tasks[f"{family}-{n}-s{seed}"] = {
                "train": [{"input": p.input, "output": p.output} for p in task.train],
                "test": [{"input": p.input} for p in task.test]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(tasks))
    return path


RUN = ("threads", "backend", "ray_address")  # the solver's run settings this script hands on


def parse_setting(text: str) -> tuple[str, list[str]]:
    name, _, flags = text.partition("=")
    if not name or "/" in name:
        raise SystemExit(f"--setting wants NAME=FLAGS, got {text!r}")
    return name, shlex.split(flags)


def run_one(work: Path, name: str, flags: list[str], task_id: str, seed: int,
            task_time: str, run: dict, challenges: str) -> Path:
    """One dry-run of one task (``run``: the solver's run settings handed on: threads,
    backend, Ray address); its report."""
    run_dir = work / name / f"{task_id}-s{seed}"
    report = run_dir / "tasks" / f"{task_id}.json"
    if report.exists():
        return report
    cmd = ["--tasks", str(challenges), "--task-ids", task_id,
           "--no-repair", "--no-enumerate", "--after-exact", "0",
           # the budget keeps the run's margin out of the task's share
           "--max-task-time", task_time,
           "--time-budget", f"{int(h.Duration(task_time).seconds) + 60}s", "--workers", "1",
           *h.to_flags(RunConfig, run), "--seed", str(seed),
           "--run-dir", str(run_dir), *flags]
    run_dir.mkdir(parents=True, exist_ok=True)
    h.run_solver("dry-run", cmd, echo=False, console=run_dir / "console.txt")
    return report


def summarize(report: Path) -> dict:
    """One run's figures: solved (by a sample after learning), epochs and seconds to solve,
    best / mean sampled accuracy and distinct outputs per round."""
    if not report.exists():
        return {"missing": True}
    r = orjson.loads(report.read_bytes())
    rounds = r.get("rounds", [])
    solved_round = r.get("solved_round")
    return {"status": r.get("status"), "solved_round": solved_round,
            "solved_by": r.get("solved_by"), "solved_s": r.get("solved_s"),
            "learned": bool(solved_round) and r.get("solved_by") == "sample",
            "best": [round(x.get("best_train_acc", 0.0), 3) for x in rounds],
            "mean": [round(x.get("mean_train_acc", 0.0), 3) for x in rounds],
            "distinct": [x.get("distinct", 0) for x in rounds],
            "rounds": len(rounds), "seconds": r.get("seconds")}


def _trace(values, every: int = 1) -> str:
    return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values[::every])


def table(rows: list[dict]) -> str:
    lines = ["| setting | task | solved (seeds) | epochs to solve | seconds to solve | "
             "epochs run | best acc, max over rounds | distinct outputs, min / last |",
             "|---|---|---|---|---|---|---|---|"]
    by = {}
    for row in rows:
        by.setdefault((row["setting"], row["task"]), []).append(row)
    for (setting, task), runs in by.items():
        done = [r for r in runs if not r.get("missing")]
        solved = [r for r in done if r["learned"]]
        at0 = sum(1 for r in done if r["solved_round"] == 0)
        epochs = [r["solved_round"] for r in solved]
        secs = [r["solved_s"] for r in solved]
        best = [max(r["best"], default=0.0) for r in done]
        dmin = [min(r["distinct"], default=0) for r in done]
        dlast = [r["distinct"][-1] if r["distinct"] else 0 for r in done]
        task = task.split("-s2025-")[0]  # the demo set's seed suffix
        cell = f"{len(solved)}/{len(done)}" + (f" (+{at0} at round 0)" if at0 else "")
        lines.append(
            f"| {setting} | {task} | {cell} | {_trace(epochs) or '-'} | "
            f"{_trace([round(s) for s in secs]) or '-'} | "
            f"{_trace([max(r['rounds'] - 1, 0) for r in done])} | "
            f"{_trace([round(b, 3) for b in best])} | "
            f"{_trace(dmin)} / {_trace(dlast)} |")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_work(ap, "runs/ablate")
    h.add_tasks(ap, "demo", "tasks (e.g. generated drawing tasks)", aliases=("--challenges",))
    ap.add_argument("--generate", nargs="+", default=None, metavar="FAMILY:N,N",
                    help="run on generated drawing tasks instead (one per object count, "
                         "written to WORK/generated-challenges.json); --task-ids then "
                         "defaults to all of them")
    ap.add_argument("--generate-seed", type=int, default=7)
    h.add_task_ids(ap, "task ids or id prefixes (default: " + " ".join(DEFAULT_TASKS) + ")")
    h.add_seeds(ap, (0, 1, 2), "the solver's seeds: one run each")
    h.add_task_time(ap, "15m")
    ap.add_argument("--setting", action="append", default=[],
                    help="NAME=FLAGS (solver dry-run flags); repeatable; default: base=")
    h.add_workers(ap, 1, "dry-runs at a time (one worker process each)", aliases=("--jobs",))
    h.add_solver_settings(ap, RunConfig, RUN, "run", defaults={"threads": 2})
    h.add_out(ap, help="the raw rows as JSON (default: WORK/summary.json)")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    settings = [parse_setting(s) for s in (args.setting or ["base="])]
    run = h.given(RunConfig, args)
    if args.generate:
        args.tasks = str(generate(args.generate, args.generate_seed,
                                  args.work / "generated-challenges.json"))
    challenges = h.source(args.tasks)
    all_ids = h.load_set(args.tasks)
    names = args.task_ids or (sorted(all_ids) if args.generate else DEFAULT_TASKS)
    ids = h.ids_in_order(all_ids, names, challenges)
    plan = [(name, flags, tid, seed) for seed in args.seeds for tid in ids
            for name, flags in settings]
    t0 = time.time()

    def go(item):
        name, flags, tid, seed = item
        rep = run_one(args.work, name, flags, tid, seed, args.task_time, run, challenges)
        row = {"setting": name, "flags": " ".join(flags), "task": tid, "seed": seed,
               **summarize(rep)}
        state = "missing" if row.get("missing") else (
            f"solved r{row['solved_round']} {row['solved_s']:.0f}s" if row["learned"]
            else f"{row['status']} best {max(row['best'], default=0):.3f}")
        print(f"{time.time() - t0:7.0f}s  {name:>12}  {tid}  seed {seed}: {state}", flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        rows = list(pool.map(go, plan))
    args.work.mkdir(parents=True, exist_ok=True)
    h.write_json(args.out or args.work / "summary.json", rows)
    md = table(rows)
    h.write_text(args.work / "summary.md", md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
