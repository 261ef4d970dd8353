"""Round-0 line-pool repair with and without kicks (solver.search.repair.escape), on the demo set.

For each task and seed: sample N programs as the search's round 0 does (same temperatures
and top_p), pool their lines, start from the best three, and repair from the same pool
once per ``--kicks`` setting: ``STARTS:PAIRS[:TRIM]`` (``kick_starts``: best climbs
kicked, 0: no kicks; ``kick_pairs``: worst lines kicked in pairs when no single kick helps,
0: single kicks only; ``TRIM`` 1/0: wrong lines cut back to their clean parts, default 1). Reports the best train accuracy, whether the best program is exact on train
and test, and seconds.

    python bench/repair_kicks.py [--model DIR] [--seeds 0 1 2] [--samples 256] [--threads 2]
    python bench/repair_kicks.py --tasks demo --task-ids squares-9 --repair-seconds 5
    python bench/repair_kicks.py --kicks 0:0:0 2:0:0 2:6:0 2:6:1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.config import ModelConfig  # noqa: E402
from solver.search.config import HerConfig  # noqa: E402


def dialect_defaults() -> HerConfig:
    """The search's settings as the DSL dialect fills them (what round 0 uses)."""
    from solver.lm.dialects import DSL

    return HerConfig().for_dialect(DSL)


def parser() -> argparse.ArgumentParser:
    her = dialect_defaults()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    h.add_tasks(ap, h.DEMO)
    h.add_task_ids(ap)
    h.add_model(ap)
    h.add_seeds(ap, (0, 1, 2), "sampling seeds: one round-0 sample each")
    h.add_solver_settings(ap, HerConfig, ("samples", "repair_seconds"), "search",
                          defaults={"repair_seconds": her.repair_seconds})
    h.alias(ap, "--seconds", "--repair-seconds")
    h.add_threads(ap, 2)
    ap.add_argument("--kicks", nargs="+",
                    default=[f"{her.repair_kicks}:{her.repair_kick_pairs}:0",
                             f"{her.repair_kicks}:{her.repair_kick_pairs}:1"],
                    help="STARTS:PAIRS[:TRIM] settings to compare (kick_starts:kick_pairs:trim)")
    h.add_out(ap, help="the table and the totals as JSON")
    return ap


def main(argv=None) -> None:
    from solver.lm import base
    from solver.lm.model import SampleConfig, load
    from solver.search.repair import LinePool, repair

    args = parser().parse_args(argv)
    given = h.given(HerConfig, args)
    her = dialect_defaults()
    samples, seconds = given.get("samples", her.samples), given["repair_seconds"]
    torch.set_num_threads(args.threads)
    tasks = h.load_set(args.tasks)
    tasks = {t: tasks[t] for t in tasks if t in set(h.pick(args, tasks, args.tasks))}
    model = load(h.build(ModelConfig, args))
    table = h.Table(["task", "seed", "sampled best", *(f"kicks {k}" for k in args.kicks),
                     "seconds"])
    print(table.head())
    totals = {k: 0 for k in args.kicks}
    for tid, task in tasks.items():
        prompt = model.prompt_for(task)
        for seed in args.seeds:
            samples_ = model.sample(prompt, SampleConfig(
                n=samples, temperatures=her.temperatures, top_p=her.top_p, seed=seed))
            codes = list(dict.fromkeys(s.code for s in samples_))
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
                found = repair(pool, starts, seconds=seconds, kick_starts=k_starts,
                               kick_pairs=k_pairs, trim=bool(k_trim[0]) if k_trim else True)
                secs.append(time.perf_counter() - t0)
                best = found[0] if found else None
                acc = best.train_acc if best else scored[0][0]
                solved = bool(best) and base.score_program(best.code, task)["solved"]
                totals[kicks] += solved
                row.append(f"{acc:.3f}{' solved' if solved else ''}")
            row.append(" / ".join(f"{x:.1f}" for x in secs))
            print(table.line(row), flush=True)
    n = len(tasks) * len(args.seeds)
    print("\nsolved (train and test exact): "
          + ", ".join(f"kicks {k}: {v}/{n}" for k, v in totals.items()))
    h.write_json(args.out, {"samples": samples, "repair_seconds": seconds, "seeds": args.seeds,
                            **table.as_dict(), "solved": totals, "runs": n})


if __name__ == "__main__":
    main()
