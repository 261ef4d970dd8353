"""Which cells the best program of each run gets wrong, for one demo task.

Reads every ``TASK.json`` report under the given run folders (as ``bench/her_ablate.py``
writes them), renders each best program with the drawing DSL's own code (the program is
parsed, never run) and compares it with the task's first train output. Prints one line
per run and, at the end, how many runs miss each cell.

    python bench/misread_cells.py runs/abl1 runs/abl2 --task squares-16-s2025-0000
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from solver import dsl
from solver.dsl.program import parse_program

DEMO = Path(__file__).resolve().parents[1] / "solver" / "data" / "demo" / "challenges.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="folders searched for task reports")
    ap.add_argument("--task", required=True, help="demo task id, e.g. squares-16-s2025-0000")
    args = ap.parse_args()
    pair = json.loads(DEMO.read_text())[args.task]["train"][0]
    target = pair["output"]
    misses: collections.Counter = collections.Counter()
    n = 0
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
        print(f"{report.parents[1].relative_to(report.parents[3])}: {len(wrong)} wrong {wrong}")
    print(f"\n{n} runs; cells by runs that miss them:")
    for cell, k in misses.most_common():
        print(f"  {cell}: {k}")


if __name__ == "__main__":
    main()
