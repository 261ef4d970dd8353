"""The model as the search's guide, on held-out generated tasks: how often its k samples
have the right operations (even with wrong literals), and how often filling their sketches
with the enumerator's fitted arguments solves the task.

    python bench/guide.py --model DIR [--n-tasks 60] [--seeds 777] [-k 8] [--fill-time 4s]
    python bench/guide.py --model DIR --tasks arc1-train --truth runs/coverage.json

Each task is a ``random-v2`` task (1 to 3 operations; ``--max-side``: its largest grid side,
to match what the model trained on; seed 777 is no training or evaluation seed of
``train-base``). The model samples k programs from the solver's own prompt (the solver's
sampler); they run in the sandbox. Per depth:

- ``pass@k``: a sample is exact on the train pairs and right on the test outputs;
- ``ops@k``: a sample has the true program's operations in order, up to the family of each
  (what a sketch searches: :func:`solver.search.guide.kinds`); ``names@k``: the very names;
- ``filled``: the samples' distinct sketches (:func:`solver.search.guide.sketches_of`),
  filled by the enumerator within ``--fill-time`` a task, give a right answer among their
  first two train-exact predictions;
- ``sample s``, ``fill s``: median seconds a task.

With ``--tasks SET --truth FILE``: real tasks instead, each task of the set that the
enumerator solved with a straight-line program in FILE (the records of
``bench/coverage.py`` or ``bench/enumerate.py --out``), that program's sketch as the truth.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.config import ModelConfig, SampleConfig  # noqa: E402


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    h.add_model(ap)
    ap.add_argument("--n-tasks", type=int, default=60, help="generated tasks (default: 60)")
    h.add_seeds(ap, (777,), "the generator's seed (no training seed)", single=True)
    ap.add_argument("--max-side", type=int, default=30,
                    help="the generated grids' largest side (default: 30)")
    ap.add_argument("-k", type=int, default=8, help="samples a task (default: 8)")
    h.add_solver_settings(ap, SampleConfig, ("temperatures",), "sampling",
                          defaults={"temperatures": (0.5,)})
    ap.add_argument("--fill-time", type=h.duration, default=h.duration("4s"),
                    help="the enumerator's time a task to fill the sketches (default: 4s)")
    h.add_threads(ap, 2)
    h.add_tasks(ap, None, "instead of generated tasks: this set's tasks that --truth solved")
    ap.add_argument("--truth", type=Path, default=None, metavar="FILE",
                    help="with --tasks: the enumerator's records (bench/coverage.py's JSON)")
    h.add_out(ap, help="one record a task and the table, as JSON")
    return ap


def real_tasks(spec: str, truth: Path) -> list[tuple]:
    """(task, sketch) for each task of ``spec`` that the records in ``truth`` solved with a
    straight-line program."""
    import json

    from solver.search.guide import sketch_of

    tasks = h.load_set(spec)
    records = json.loads(truth.read_text())
    records = records.get("tasks", records.get("records", [])) if isinstance(records, dict) else records
    out = []
    for r in records:
        sketch = sketch_of(r.get("code") or "") if r.get("solved") else None
        if sketch and r["id"] in tasks:
            out.append((tasks[r["id"]], sketch))
    return out


def generated_tasks(n: int, seed: int, max_side: int) -> list[tuple]:
    """(task, sketch) for ``n`` random-v2 tasks whose program is one straight line."""
    from solver.dsl.gen import V2Config, generate_v2
    from solver.dsl.gen.core import plain

    made, _ = generate_v2("random-v2", n, seed, V2Config(max_side=max_side))
    return [(m.task, tuple(s.op for s in m.steps)) for m in made if plain(m.steps)]


def main(argv=None) -> int:
    import torch

    from solver.lm.model import load
    from solver.sandbox import Executor
    from solver.search.enumerate import predictions
    from solver.search.execute import run_programs
    from solver.search.guide import fill, kinds, sketch_of, sketches_of

    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    temperatures = h.given(SampleConfig, args).get("temperatures", (0.5,))
    model = load(h.build(ModelConfig, args))
    if args.tasks:
        if args.truth is None:
            raise SystemExit("--tasks needs --truth (the enumerator's records)")
        jobs = real_tasks(args.tasks, args.truth)
        print(f"{len(jobs)} tasks of {args.tasks} solved by a straight line in {args.truth}, "
              f"{args.k} samples each, {args.fill_time} to fill")
    else:
        jobs = generated_tasks(args.n_tasks, args.seeds[0], args.max_side)
        print(f"{len(jobs)} generated tasks (seed {args.seeds[0]}, sides up to {args.max_side}), "
              f"{args.k} samples each, {args.fill_time} to fill")
    records = []
    from tqdm import tqdm

    with Executor(workers=1, timeout_s=1.0) as executor:
        for i, (task, truth) in enumerate(tqdm(jobs, unit="task")):
            rec = {"id": task.id, "depth": len(truth), "truth": list(truth)}
            try:
                prompt = model.prompt_for(task, 64)
            except ValueError:
                rec["too_long"] = True
                records.append(rec)
                continue
            t0 = time.perf_counter()
            samples = model.sample(prompt, SampleConfig(n=args.k, temperatures=temperatures,
                                                        seed=i, max_new_tokens=64))
            rec["sample_s"] = time.perf_counter() - t0
            codes = [s.code for s in samples]
            want = tuple(p.output for p in (*task.train, *task.test))
            ran = run_programs(executor, codes, [p.input for p in (*task.train, *task.test)])
            rec["pass"] = any(r.outputs == want for r in ran)
            sketches = [sketch_of(c) for c in codes]
            rec["names"] = any(s == truth for s in sketches)
            rec["ops"] = any(s is not None and kinds(s) == kinds(truth) for s in sketches)
            t0 = time.perf_counter()
            found = fill(task, sketches_of(codes, args.k), args.fill_time.seconds)
            rec["fill_s"] = time.perf_counter() - t0
            rec["filled"] = [p.output for p in task.test] in predictions(found, 2, task)
            rec["samples"] = codes
            records.append(rec)
    table = h.Table(["depth", "tasks", f"pass@{args.k}", f"ops@{args.k}", f"names@{args.k}",
                     "filled", "sample s", "fill s"], "<>>>>>>>")
    print(table.head())
    ran = [r for r in records if not r.get("too_long")]
    for depth in sorted({r["depth"] for r in ran}) + ["all"]:
        rows = [r for r in ran if depth == "all" or r["depth"] == depth]
        print(table.line([depth, len(rows), sum(r["pass"] for r in rows),
                          sum(r["ops"] for r in rows), sum(r["names"] for r in rows),
                          sum(r["filled"] for r in rows),
                          f"{statistics.median(r['sample_s'] for r in rows):.2f}",
                          f"{statistics.median(r['fill_s'] for r in rows):.2f}"]))
    too_long = len(records) - len(ran)
    if too_long:
        print(f"{too_long} tasks' prompts do not fit the model's context (left out)")
    h.write_json(args.out, {"command": " ".join(sys.argv), "model": str(model.path),
                            "records": records, "table": table.as_dict()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
