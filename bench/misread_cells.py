"""Which cells the best program of each run gets wrong, for one demo task.

Reads every ``TASK.json`` report under the given run folders (as ``bench/her_ablate.py``
writes them), renders each best program with the drawing DSL's own code (the program is
parsed, never run) and compares it with the task's first train output (the task from
``--tasks``, default the demo set). Prints one line per run and, at the end, how many runs
miss each cell.

    python bench/misread_cells.py runs/abl1 runs/abl2 --task squares-16-s2025-0000
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from solver import dsl
from solver.dsl.program import parse_program

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="folders searched for task reports")
    ap.add_argument("--task", required=True, help="task id, e.g. squares-16-s2025-0000")
    h.add_tasks(ap, h.DEMO, "the task's set")
    h.add_out(ap, help="the wrong cells of each run and the counts as JSON")
    return ap


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    task = h.load_set(args.tasks)[args.task]
    pair = json.loads(json.dumps(task.to_json()))["train"][0]  # lists, as the file holds them
    target = pair["output"]
    misses: collections.Counter = collections.Counter()
    n = 0
    runs = []
    for report in sorted(p for root in args.runs for p in root.rglob(f"{args.task}.json")
                         if p.parent.name == "tasks"):
        draws = parse_program(json.loads(report.read_text()).get("best_code") or "")
        if draws is None:
            print(f"{report}: best program not in the DSL's literal form, left out")
            continue
        img = dsl.to_img(pair["input"])
        for d in draws:
            d.apply(img)
        wrong = [(r, c) for r, row in enumerate(target) for c, v in enumerate(row)
                 if int(img[r][c]) != v]
        misses.update(wrong)
        n += 1
        run = report.parents[1].relative_to(report.parents[3])
        runs.append({"run": str(run), "wrong": wrong})
        print(f"{run}: {len(wrong)} wrong {wrong}")
    print(f"\n{n} runs; cells by runs that miss them:")
    for cell, k in misses.most_common():
        print(f"  {cell}: {k}")
    h.write_json(args.out, {"task": args.task, "runs": runs,
                            "misses": [{"cell": list(c), "runs": k} for c, k in misses.most_common()]})


if __name__ == "__main__":
    main()
