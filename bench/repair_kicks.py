"""Round-0 line-pool repair with and without kicks (solver.search.repair.escape), on the demo set.

For each task and seed: sample N programs as the search's round 0 does (same temperatures
and top_p), pool their lines, start from the best three, and repair from the same pool
once per ``--kicks`` setting: ``STARTS:PAIRS[:TRIM]`` (``kick_starts``: best climbs
kicked, 0: no kicks; ``kick_pairs``: worst lines kicked in pairs when no single kick helps,
0: single kicks only; ``TRIM`` 1/0: wrong lines cut back to their clean parts, default 1). Reports the best train accuracy, whether the best program is exact on train
and test, and seconds.

    python bench/repair_kicks.py [--model DIR] [--seeds 0 1 2] [--samples 256] [--threads 2]
    python bench/repair_kicks.py --kicks 0:0:0 2:0:0 2:6:0 2:6:1
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    from solver.lm import base
    from solver.arc import grids
    from solver.lm.dialects import DSL
    from solver.search.config import HerConfig
    from solver.lm.model import ModelConfig, SampleConfig, load
    from solver.search.repair import LinePool, repair
    from solver.dsl.demo import DEMO_DIR

    her = HerConfig().for_dialect(DSL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=her.repair_seconds,
                    help="repair time cap (HER's per-round default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kicks", nargs="+",
                    default=[f"{her.repair_kicks}:{her.repair_kick_pairs}:0",
                             f"{her.repair_kicks}:{her.repair_kick_pairs}:1"],
                    help="STARTS:PAIRS[:TRIM] settings to compare (kick_starts:kick_pairs:trim)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tasks = grids.with_solutions(grids.load_tasks(DEMO_DIR / "challenges.json").tasks,
                                 grids.load_solutions(DEMO_DIR / "solutions.json")[0])
    model = load(ModelConfig(path=args.model))
    print("| task | seed | sampled best | " + " | ".join(f"kicks {k}" for k in args.kicks)
          + " | seconds |")
    print("|---|---|---|" + "---|" * len(args.kicks) + "---|")
    totals = {k: 0 for k in args.kicks}
    for tid, task in tasks.items():
        prompt = model.prompt_for(task)
        for seed in args.seeds:
            samples = model.sample(prompt, SampleConfig(
                n=args.samples, temperatures=her.temperatures, top_p=her.top_p, seed=seed))
            codes = list(dict.fromkeys(s.code for s in samples))
            scored = sorted(((base.score_program(c, task)["accuracy"], c) for c in codes),
                            key=lambda x: -x[0])
            starts = [c for _, c in scored[:her.repair_starts]]
            row = [tid, str(seed), f"{scored[0][0]:.3f}"]
            secs = []
            for kicks in args.kicks:
                pool = LinePool(task, variants=her.repair_variants)
                pool.add(codes)
                t0 = time.perf_counter()
                k_starts, k_pairs, *k_trim = map(int, kicks.split(":"))
                found = repair(pool, starts, seconds=args.seconds, kick_starts=k_starts,
                               kick_pairs=k_pairs, trim=bool(k_trim[0]) if k_trim else True)
                secs.append(time.perf_counter() - t0)
                best = found[0] if found else None
                acc = best.train_acc if best else scored[0][0]
                solved = bool(best) and base.score_program(best.code, task)["solved"]
                totals[kicks] += solved
                row.append(f"{acc:.3f}{' solved' if solved else ''}")
            row.append(" / ".join(f"{x:.1f}" for x in secs))
            print("| " + " | ".join(row) + " |", flush=True)
    n = len(tasks) * len(args.seeds)
    print("\nsolved (train and test exact): "
          + ", ".join(f"kicks {k}: {v}/{n}" for k, v in totals.items()))


if __name__ == "__main__":
    main()
