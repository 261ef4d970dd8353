"""What the embedded model gets wrong on the in-distribution tasks it does not solve.

For every task of the model card's set (random, 1..5 draws, a fresh seed) that no sample
solves, the best sample (train pixel accuracy) is compared with the target program draw by
draw, after both are put in canonical order:

- right: a sampled draw equal to a target draw;
- colour: a sampled draw with the target's primitive and points, in another colour;
- point: the target's primitive and colour, other points (off by how many cells, at most);
- missing: none of these; extra: sampled draws matched to no target draw.

    python bench/model_errors.py [--model DIR] [--n-tasks 100] [--seeds 2026] [--threads 1]

It tells where decoding-time help (a colour mask, a coordinate mask) or more training
would pay.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.config import ModelConfig, SampleConfig  # noqa: E402


def coordinates(draw) -> list[int]:
    """Every coordinate of a draw (all arguments but the colour), flattened."""
    return [x for a in draw.args[:-1] for x in (a if isinstance(a, tuple) else (a,))]


def compare(target, sampled) -> collections.Counter:
    """Counts of right / colour / point / missing / extra, and the largest point error."""
    out: collections.Counter = collections.Counter()
    left = list(sampled)
    kinds = [(lambda t, s: t == s, "right"),
             (lambda t, s: t.fn == s.fn and t.args[:-1] == s.args[:-1], "colour"),
             (lambda t, s: t.fn == s.fn and t.args[-1] == s.args[-1], "point")]
    rest = list(target)
    for same, label in kinds:
        for t in list(rest):
            hit = next((s for s in left if same(t, s)), None)
            if hit is None:
                continue
            rest.remove(t)
            left.remove(hit)
            out[label] += 1
            if label == "point":
                off = max(abs(a - b) for a, b in zip(coordinates(t), coordinates(hit)))
                out[f"point-off-{min(off, 3)}{'+' if off >= 3 else ''}"] += 1
    out["missing"] += len(rest)
    out.update(f"missing-{t.fn}" for t in rest)
    out.update(f"extra-{s.fn}" for s in left)
    out["extra"] += len(left)
    return out


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    h.add_model(ap)
    h.add_n_tasks(ap)
    h.add_seeds(ap, (2026,), "seed of the in-distribution tasks", single=True)
    ap.add_argument("-k", type=int, default=8, help="samples per task")
    h.add_solver_settings(ap, SampleConfig, ("temperatures",), "sampling",
                          defaults={"temperatures": (0.5,)})
    h.alias(ap, "--temperature", "--temperatures")
    h.add_threads(ap, 1)
    h.add_out(ap, help="the counts as JSON")
    return ap


def main(argv=None) -> int:
    from solver.lm import base
    from solver.dsl import program, synth
    from solver.lm.model import load

    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    temperatures = h.given(SampleConfig, args)["temperatures"]
    args.seed = args.seeds[0]
    model = load(h.build(ModelConfig, args))
    t0 = time.perf_counter()
    made, _ = synth.generate("random", args.n_tasks, args.seed, 5)
    totals: collections.Counter = collections.Counter()
    by_draws: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    failed = 0
    for i, m in enumerate(made):
        samples = model.sample(model.prompt_for(m.task),
                               SampleConfig(n=args.k, temperatures=temperatures, seed=i))
        scores = [base.score_program(s.code, m.task) for s in samples]
        if any(s["solved"] for s in scores):
            continue
        failed += 1
        best = max(range(len(scores)), key=lambda j: scores[j]["accuracy"])
        sampled = program.parse_program(samples[best].code) or []
        if sampled:
            sampled = program.canonical_order(m.shape, m.bg, sampled)
        c = compare(m.draws, sampled)
        c["draws"] += len(m.draws)
        c["count-right"] += len(sampled) == len(m.draws)
        totals.update(c)
        by_draws[len(m.draws)].update(c)
    print(f"{failed}/{len(made)} tasks unsolved (seed {args.seed}, k {args.k}); their best "
          f"samples, draw by draw ({time.perf_counter() - t0:.0f} s):")
    cols = ["draws", "right", "colour", "point", "missing", "extra", "count-right"]
    table = h.Table(["draws in task", "tasks", *cols])
    for k in sorted(by_draws):
        c = by_draws[k]
        table.line([k, c["draws"] // k, *(c[x] for x in cols)])
    table.line(["all", failed, *(totals[x] for x in cols)])
    print(table.render())
    offs = {k: v for k, v in sorted(totals.items()) if k.startswith("point-off")}
    print("point errors by the largest coordinate error (cells):", offs)
    by_what = {}
    for what in ("missing", "extra"):
        by_what[what] = {k.split("-", 1)[1]: v for k, v in sorted(totals.items())
                         if k.startswith(what + "-")}
        print(f"{what} draws by primitive:", by_what[what])
    targets: collections.Counter = collections.Counter(d.fn for m in made for d in m.draws)
    print("all target draws by primitive:", dict(sorted(targets.items())))
    h.write_json(args.out, {"tasks": len(made), "unsolved": failed, "seed": args.seed, "k": args.k,
                            **table.as_dict(), "point_off": offs, "missing_by_primitive":
                            by_what["missing"], "extra_by_primitive": by_what["extra"],
                            "targets_by_primitive": dict(sorted(targets.items()))})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
