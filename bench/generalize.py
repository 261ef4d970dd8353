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
import sys
from pathlib import Path

import numpy as np

from solver.arc import grids, submission
from solver.dsl import synth
from solver.run.config import RunConfig

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-tasks", type=int, default=30, help="tasks generated")
    h.add_seeds(p, (11,), "seed of the generated tasks", single=True)
    p.add_argument("--draws", type=int, default=5, help="at most this many draws a task")
    h.add_task_time(p, "40s", "time share per task")
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    h.add_solver_settings(p, RunConfig, ("workers",), "run", defaults={"workers": 1})
    h.add_work(p, "runs/bench-generalize")
    h.add_out(p, help="the table's rows as JSON (default: WORK/result.json)")
    p.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                   help="more solve flags for every configuration (e.g. --threads 2)")
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    sts = make_tasks(a.n_tasks, a.seeds[0], a.draws)
    tasks = [st.task for st in sts]
    grids.write_tasks(a.work / "challenges.json", tasks)
    grids.write_solutions(a.work / "solutions.json", tasks)
    sols, _ = grids.load_solutions(a.work / "solutions.json")
    budget = f"{a.task_time.seconds * len(tasks) * 1.05 + 60:.0f}s"  # + loading the model
    table = h.Table(("config", "exact on train", "right on test (attempt 1)",
                     "right on test (either)", "exact-on-train right on test", "wall s"))
    result = []
    for name in a.configs:
        rd = a.work / name
        run = h.run_solver("solve", ["--tasks", str(a.work / "challenges.json"), "--out",
                                     str(rd / "submission.json"), "--run-dir", str(rd),
                                     *h.to_flags(RunConfig, h.given(RunConfig, a)),
                                     "--time-budget", budget, *CONFIGS[name], *a.extra])
        sub = submission.load(rd / "submission.json")
        reports = run.reports()
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
        table.line((name, f"{exact}/{n}", f"{first}/{n}", f"{either}/{n}", rate, f"{run.seconds:.0f}"))
        result.append({"config": name, "flags": CONFIGS[name], "tasks": n, "exact": exact,
                       "first": first, "either": either, "exact_right": exact_right,
                       "wall_s": round(run.seconds, 1)})
    text = table.render()
    h.write_text(a.work / "table.md", text)
    print(text)
    h.write_json(a.out or a.work / "result.json", {"n_tasks": a.n_tasks, "seed": a.seeds[0],
                                                   "task_time": a.task_time, "configs": result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
