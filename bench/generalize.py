"""Generalization, not train fit: one-train-pair drawing tasks whose test input differs
from the train input (another background colour, another size), scored on the test output.

Tasks are the embedded model's own kind (``random`` drawings, several objects that
overlap) made by :func:`solver.dsl.synth.generate`, each with its test input replaced by
:func:`solver.dsl.synth.with_new_test_input`. Each configuration runs ``solver solve`` on
the same tasks and reports, over the tasks where some program was exact on the train pair,
the share whose first attempt (and either attempt) is right on the test output.

    python bench/generalize.py --n-tasks 30 --task-time 40s
    python bench/generalize.py --configs plain simple   # a subset of CONFIGS

Configurations (solve flags): ``plain`` ranks exact programs by votes and code length and
stops at the first exact one; ``simple`` simplifies exact programs, ranks them by
description length, makes the second attempt a different hypothesis and looks a little
longer for a simpler program (the defaults).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from solver.arc import grids, submission
from solver.cli import main as solver_main
from solver.dsl import synth
from solver.run import load_reports

CONFIGS = {
    "plain": ["--no-simplify", "--rank-by", "votes", "--after-exact", "0"],
    "simple": [],
}


def make_tasks(n: int, seed: int, draws: int) -> list:
    rng = np.random.default_rng(seed)
    made, i = [], 0
    while len(made) < n:
        sts, _ = synth.generate("random", 1, seed=seed * 1000 + i, draws=draws)
        i += 1
        st = synth.with_new_test_input(sts[0], rng)
        if st is not None and len(st.draws) >= 3:
            made.append(st)
    return made


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-tasks", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--draws", type=int, default=5, help="at most this many draws a task")
    p.add_argument("--task-time", default="40s", help="time share per task")
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--work", type=Path, default=Path("runs/bench-generalize"))
    p.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                   help="more solve flags for every configuration (e.g. --threads 2)")
    a = p.parse_args(argv)
    from solver.arc.budget import parse_duration

    a.work.mkdir(parents=True, exist_ok=True)
    sts = make_tasks(a.n_tasks, a.seed, a.draws)
    tasks = [st.task for st in sts]
    grids.write_tasks(a.work / "challenges.json", tasks)
    grids.write_solutions(a.work / "solutions.json", tasks)
    sols, _ = grids.load_solutions(a.work / "solutions.json")
    budget = f"{parse_duration(a.task_time) * len(tasks) * 1.05 + 60:.0f}s"  # + loading the model
    rows = ["| config | exact on train | right on test (attempt 1) | right on test (either) | "
            "exact-on-train right on test | wall s |", "|---|---|---|---|---|---|"]
    for name in a.configs:
        rd = a.work / name
        t0 = time.time()
        solver_main(["solve", "--tasks", str(a.work / "challenges.json"), "--out",
                     str(rd / "submission.json"), "--run-dir", str(rd), "--workers", "1",
                     "--time-budget", budget, *CONFIGS[name], *a.extra])
        wall = time.time() - t0
        sub = submission.load(rd / "submission.json")
        reports = load_reports(rd)
        exact = first = either = exact_right = 0
        for t in tasks:
            want = sols[t.id][0]
            got = sub[t.id][0]
            ok1, ok2 = got["attempt_1"] == [list(r) for r in want], got["attempt_2"] == [list(r) for r in want]
            rep = reports.get(t.id, {})
            is_exact = rep.get("status") == "exact"
            exact += is_exact
            first += ok1
            either += ok1 or ok2
            exact_right += is_exact and (ok1 or ok2)
        n = len(tasks)
        rate = f"{exact_right}/{exact} ({100 * exact_right / max(exact, 1):.0f} %)"
        rows.append(f"| {name} | {exact}/{n} | {first}/{n} | {either}/{n} | {rate} | {wall:.0f} |")
    text = "\n".join(rows)
    (a.work / "table.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
