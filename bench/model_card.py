"""The numbers of the embedded model's card (docs/MODEL.md), measured on a model folder:

- pass@k on freshly generated in-distribution tasks (random, 1..5 draws, sides 3..10, a seed
  never used in training or in train-base's evaluation) and the share of legal samples;
- before learning, on the research note's three OOD tasks (the bundled demo set): mean and
  max pixel accuracy of N samples, whether any sample solved it, and the background-only
  baseline (the output grid's accuracy if nothing is drawn).

    python bench/model_card.py [--model DIR] [--n-tasks 100] [--seeds 2026] [--ood-samples 256]

Sampling goes through solver.lm.model (shared-prefix KV cache), temperature 0.5, top_p 0.95;
samples are scored in-process only after solver.dsl.program.parse_program accepted them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.config import ModelConfig, SampleConfig  # noqa: E402

OOD = ("vertical-lines-9-s2025-0000", "squares-9-s2025-0000", "overlapping-squares-6-s2025-0000")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    h.add_model(ap)
    h.add_n_tasks(ap)
    h.add_seeds(ap, (2026,), "seed of the in-distribution tasks", single=True)
    ap.add_argument("--max-draws", type=int, default=5)
    ap.add_argument("-k", type=int, default=8, help="samples per in-distribution task (pass@k)")
    ap.add_argument("--ood-samples", type=int, default=256, help="0: skip the OOD tasks")
    h.add_solver_settings(ap, SampleConfig, ("temperatures",), "sampling",
                          defaults={"temperatures": (0.5,)})
    h.alias(ap, "--temperature", "--temperatures")
    h.add_threads(ap, 2)
    ap.add_argument("--unconstrained", action="store_true",
                    help="sample freely: no line-angle mask, no DSL grammar (solver.lm.constrain)")
    h.add_out(ap, help="also write the results here", aliases=("--json",))
    return ap


def main(argv=None) -> int:
    from solver.lm import base
    from solver.arc import grids
    from solver.dsl import synth
    from solver.lm.model import load

    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    temperatures = h.given(SampleConfig, args)["temperatures"]
    temperature = ",".join(f"{t:g}" for t in temperatures)
    args.seed = args.seeds[0]
    model = load(h.build(ModelConfig, args))
    encoder = model.prompt_config.encoder
    out: dict = {"model": str(model.path), "encoder": encoder}

    t0 = time.perf_counter()
    made, _ = synth.generate("random", args.n_tasks, args.seed, args.max_draws)
    solved = legal = total = 0
    by_draws: dict[int, list[int]] = {}
    for i, m in enumerate(made):
        samples = model.sample(model.prompt_for(m.task),
                               SampleConfig(n=args.k, temperatures=temperatures, seed=i,
                                            legal_lines=not args.unconstrained,
                                            grammar=not args.unconstrained))
        scores = [base.score_program(s.code, m.task) for s in samples]
        ok = any(s["solved"] for s in scores)
        solved += ok
        legal += sum(s["legal"] for s in scores)
        total += len(scores)
        by_draws.setdefault(len(m.draws), [0, 0])
        by_draws[len(m.draws)][0] += ok
        by_draws[len(m.draws)][1] += 1
    secs = time.perf_counter() - t0
    out["in_distribution"] = {"tasks": len(made), "seed": args.seed, "k": args.k,
                              "pass_at_k": solved / len(made), "legal_rate": legal / total,
                              "by_draws": {str(k): v for k, v in sorted(by_draws.items())},
                              "seconds": round(secs, 1)}
    print(f"in-distribution (random, 1..{args.max_draws} draws, seed {args.seed}): "
          f"pass@{args.k} {solved}/{len(made)} = {solved / len(made):.1%}; legal samples "
          f"{legal / total:.1%}; by draws (solved/tasks): "
          + ", ".join(f"{k}: {a}/{b}" for k, (a, b) in sorted(by_draws.items()))
          + f"  ({secs:.0f} s)")

    demo = h.load_set(h.DEMO)
    out["ood"] = []
    if not args.ood_samples:
        demo = {}
    print(f"\nbefore learning, {args.ood_samples} samples at temperature {temperature}:")
    table = h.Table(("task", "mean px acc", "max px acc", "solved", "legal", "background only"))
    print(table.head())
    for tid in OOD:
        if tid not in demo:
            continue
        task = demo[tid]
        samples = model.sample(model.prompt_for(task),
                               SampleConfig(n=args.ood_samples, temperatures=temperatures,
                                            seed=1, legal_lines=not args.unconstrained,
                                            grammar=not args.unconstrained))
        scores = [base.score_program(s.code, task) for s in samples]
        accs = [s["accuracy"] for s in scores]
        bg_only = sum(grids.pixel_accuracy(p.input, p.output) for p in task.train) / len(task.train)
        row = {"task": tid, "mean_accuracy": sum(accs) / len(accs), "max_accuracy": max(accs),
               "solved": any(s["solved"] for s in scores),
               "legal_rate": sum(s["legal"] for s in scores) / len(scores),
               "background_only": bg_only,
               "draws_in_best": samples[accs.index(max(accs))].code.count("(img, ")}
        out["ood"].append(row)
        print(table.line((tid, f"{row['mean_accuracy']:.1%}", f"{row['max_accuracy']:.1%}",
                           "yes" if row["solved"] else "no", f"{row['legal_rate']:.1%}",
                           f"{bg_only:.1%}")))
    h.write_json(args.out, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
