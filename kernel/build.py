#!/usr/bin/env python
"""Build the Kaggle competition notebook (and run it locally on an emulated Kaggle tree).

    python kernel/build.py --dataset DIR --out KDIR [--competition arc-prize-2025]
                           [--time-budget 11h30m] [--id user/slug]
    python kernel/build.py --run-local --workdir DIR     # pack, build, run, check offline

KDIR receives ``solver-arc.ipynb`` and ``kernel-metadata.json`` (GPU on, internet off,
the competition and the dataset as sources), ready for ``kaggle kernels push -p KDIR``.

The notebook installs the solver from the attached dataset's wheels with no index, runs
``solver solve`` on the competition's test challenges within the budget and writes
``submission.json`` in the working directory. When it is not a competition rerun (the
public test file is a placeholder) it solves that file with a short budget and then runs
a short dry-run on a few evaluation tasks and prints the score, instead of spending the
full budget. Every path comes from one root (default ``/kaggle``, environment variable
``SOLVER_KAGGLE_ROOT`` overrides), which is how ``--run-local`` emulates Kaggle.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "solver-arc.ipynb"
KERNEL_NAME = "solver-local"


def _cell(src: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(src).strip("\n"))


def build_notebook(competition: str, dataset_slug: str, time_budget: str, dry_budget: str,
                   dry_tasks: int, root: str = "/kaggle", extra_args: tuple[str, ...] = ()
                   ) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# ARC solver: search and learn with hindsight relabeling\n\n"
            "Installs `solver` from the attached dataset (no internet), solves the test "
            "challenges within the time budget and writes `submission.json`. Outside a "
            "competition rerun it runs a short dry-run on evaluation tasks instead."),
        _cell(f"""
            import json, os, subprocess, sys, time
            from pathlib import Path

            ROOT = Path(os.environ.get("SOLVER_KAGGLE_ROOT", {root!r}))
            COMPETITION = ROOT / "input" / {competition!r}
            DATASET = ROOT / "input" / {dataset_slug!r}
            WORK = ROOT / "working"
            TIME_BUDGET = {time_budget!r}   # the hidden test set (about 240 tasks, 12 h limit)
            DRY_BUDGET = {dry_budget!r}     # each short run outside a competition rerun
            DRY_TASKS = {dry_tasks!r}       # evaluation tasks in the dry-run
            EXTRA_ARGS = {list(extra_args)!r}
            RERUN = bool(os.environ.get("KAGGLE_IS_COMPETITION_RERUN"))
            WORK.mkdir(parents=True, exist_ok=True)
            print("root", ROOT, "| rerun", RERUN, "| dataset", DATASET)
            """),
        _cell("""
            # Offline install: the solver wheel first (forced, so the dataset's version runs),
            # then whatever dependency the image lacks, all from the dataset's wheels.
            wheels = str(DATASET / "wheels")
            pip = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", wheels, "-q"]
            subprocess.run(pip + ["--force-reinstall", "--no-deps", "solver"], check=True)
            subprocess.run(pip + ["solver"], check=True)
            out = subprocess.run([sys.executable, "-c", "import solver; print(solver.__file__)"],
                                 check=True, capture_output=True, text=True, cwd=WORK)
            print("solver installed at", out.stdout.strip())
            """),
        _cell("""
            def solver(*args):
                cmd = [sys.executable, "-m", "solver", *map(str, args)]
                print("$", " ".join(cmd), flush=True)
                start = time.time()
                code = subprocess.run(cmd, cwd=WORK).returncode
                print(f"exit {code} after {time.time() - start:.0f} s", flush=True)
                return code

            model = DATASET / "model"
            model_args = ["--model", model] if (model / "config.json").exists() else []
            test_file = COMPETITION / "arc-agi_test_challenges.json"
            submission = WORK / "submission.json"
            solver("solve", "--tasks", test_file, "--out", submission, "--run-dir", WORK / "run",
                   "--time-budget", TIME_BUDGET if RERUN else DRY_BUDGET, *model_args, *EXTRA_ARGS)
            assert solver("validate-submission", "--submission", submission, "--tasks", test_file) == 0
            """),
        _cell("""
            # Not a rerun: the public test file is a placeholder, so measure on a few
            # evaluation tasks instead of spending the full budget.
            if not RERUN:
                challenges = json.loads((COMPETITION / "arc-agi_evaluation_challenges.json").read_text())
                solutions = json.loads((COMPETITION / "arc-agi_evaluation_solutions.json").read_text())
                ids = sorted(challenges)[:DRY_TASKS]
                (WORK / "eval_challenges.json").write_text(json.dumps({i: challenges[i] for i in ids}))
                (WORK / "eval_solutions.json").write_text(json.dumps({i: solutions[i] for i in ids}))
                solver("dry-run", "--tasks", WORK / "eval_challenges.json",
                       "--solutions", WORK / "eval_solutions.json", "--out", WORK / "dry_run_submission.json",
                       "--run-dir", WORK / "dry_run", "--time-budget", DRY_BUDGET, *model_args, *EXTRA_ARGS)
            """),
    ]
    nbformat.validate(nb)
    return nb


def kernel_metadata(kernel_id: str, dataset_id: str, competition: str, title: str) -> dict:
    return {
        "id": kernel_id,
        "title": title,
        "code_file": NOTEBOOK,
        "language": "python",
        "kernel_type": "notebook",
        "is_private": True,
        "enable_gpu": True,
        "enable_internet": False,
        "dataset_sources": [dataset_id],
        "competition_sources": [competition],
        "model_sources": [],
    }


def build(dataset: Path, out: Path, competition: str, time_budget: str, dry_budget: str,
          dry_tasks: int, kernel_id: str | None, root: str = "/kaggle",
          extra_args: tuple[str, ...] = ()) -> Path:
    """Write the notebook and kernel-metadata.json into ``out``; returns the notebook path."""
    meta_file = dataset / "dataset-metadata.json"
    if not meta_file.is_file():
        raise SystemExit(f"error: --dataset {dataset}: no dataset-metadata.json "
                         "(make it with tools/pack_dataset.py)")
    dataset_id = json.loads(meta_file.read_text())["id"]
    user, slug = dataset_id.split("/", 1)
    kernel_id = kernel_id or f"{user}/arc-solver-kernel"
    out.mkdir(parents=True, exist_ok=True)
    nb = build_notebook(competition, slug, time_budget, dry_budget, dry_tasks, root, extra_args)
    path = out / NOTEBOOK
    nbformat.write(nb, path)
    meta = kernel_metadata(kernel_id, dataset_id, competition, kernel_id.split("/", 1)[1])
    (out / "kernel-metadata.json").write_text(json.dumps(meta, indent=1) + "\n")
    return path


# ---------------------------------------------------------------- local emulation


def _write_competition_files(comp: Path, n_tasks: int) -> None:
    """A few synthetic tasks stand in for the competition's test and evaluation files."""
    from solver.arc import grids
    from solver.dsl import synth

    comp.mkdir(parents=True, exist_ok=True)
    test, _ = synth.generate("random", n_tasks, seed=101, draws=2)
    evaluation, _ = synth.generate("random", n_tasks, seed=202, draws=2)
    grids.write_tasks(comp / "arc-agi_test_challenges.json", [t.task for t in test])
    grids.write_tasks(comp / "arc-agi_evaluation_challenges.json", [t.task for t in evaluation])
    grids.write_solutions(comp / "arc-agi_evaluation_solutions.json", [t.task for t in evaluation])


def _site_dirs() -> list[str]:
    """The folders this interpreter imports installed packages from, in its ``sys.path``
    order: its site-packages (a venv's own and, when the venv includes them, its base
    interpreter's), a conda or system prefix's, and the user site when it is enabled."""
    candidates = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    paths = sysconfig.get_paths()
    candidates += [paths["purelib"], paths["platlib"]]
    wanted = {os.path.normcase(os.path.abspath(d)) for d in candidates}
    dirs: list[str] = []
    for entry in sys.path:
        norm = os.path.normcase(os.path.abspath(entry)) if entry else ""
        if norm in wanted and norm not in dirs and os.path.isdir(norm):
            dirs.append(norm)
    return dirs


def _make_venv(path: Path) -> Path:
    """A fresh virtual environment that sees the packages of the interpreter running this
    (torch & co.) but not this checkout; the notebook installs the solver into it from the
    dataset's wheels.

    ``--system-site-packages`` is not enough: made from inside a venv, it exposes the base
    interpreter's packages, not the venv's. Instead a ``.pth`` file in the new environment
    adds this interpreter's own package folders (:func:`_site_dirs`) with
    ``site.addsitedir``, after the environment's own site-packages, so what the notebook
    installs there comes first. The same works from a venv, a system install and a conda
    prefix. The notebook's pip installs into the new environment only (its ``sys.prefix``)."""
    # --without-pip: this interpreter's pip and setuptools serve the venv (a venv's bundled
    # setuptools can be older than what torch's metadata asks for).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(path)],
                   check=True)
    python = path / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, env=_clean_env()).stdout.strip()
    adds = "; ".join(f"site.addsitedir({d!r})" for d in _site_dirs())
    (Path(own_site) / "_solver_outer_packages.pth").write_text(f"import site; {adds}\n")
    kernels = path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "solver local", "language": "python"}))
    return python


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment for the notebook's processes, plus ``extra``: without
    ``PYTHONPATH`` (it would expose this checkout instead of the packed wheel) and with the
    user site off (the ``.pth`` of :func:`_make_venv` names it when this interpreter uses it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


def _pack_dataset():
    """``tools/pack_dataset.py`` as a module (``tools/`` is not a package), loaded by path
    under a name of its own so that it shadows nothing."""
    name = "solver_tools_pack_dataset"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tools" / "pack_dataset.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def run_local(workdir: Path, competition: str, n_tasks: int, dry_budget: str,
              extra_args: tuple[str, ...], timeout_s: int) -> int:
    from nbclient import NotebookClient

    from solver.arc import grids
    from solver.arc import submission

    workdir = workdir.resolve()
    root = workdir / "kaggle"
    slug = "arc-solver"
    dataset = root / "input" / slug
    print(f"packing the dataset into {dataset}")
    _pack_dataset().pack(dataset, dataset_id=f"local/{slug}")
    comp = root / "input" / competition
    _write_competition_files(comp, n_tasks)
    kdir = workdir / "kernel"
    path = build(dataset, kdir, competition, dry_budget, dry_budget, n_tasks, None,
                 extra_args=extra_args)
    (root / "working").mkdir(parents=True, exist_ok=True)
    python = _make_venv(workdir / "venv")

    env_before = dict(os.environ)
    kernel_env = _clean_env(
        SOLVER_KAGGLE_ROOT=str(root),
        JUPYTER_PATH=str(workdir / "venv" / "share" / "jupyter"),
        PIP_NO_INDEX="1",               # the network stays unused
        PIP_FIND_LINKS="",
        PIP_EXTRA_INDEX_URL="",
    )
    kernel_env.pop("KAGGLE_IS_COMPETITION_RERUN", None)
    os.environ.clear()  # the kernel inherits this process's environment
    os.environ.update(kernel_env)
    try:
        nb = nbformat.read(path, as_version=4)
        print(f"executing {path} with {python}")
        NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=timeout_s,
                       resources={"metadata": {"path": str(root / "working")}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    nbformat.write(nb, workdir / "executed.ipynb")
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if text:
                print(text, end="" if text.endswith("\n") else "\n")

    tasks = grids.load_tasks(comp / "arc-agi_test_challenges.json").tasks
    sub_path = root / "working" / "submission.json"
    problems = submission.validate(submission.load(sub_path), tasks)
    if problems:
        print("\n".join(problems))
        print(f"FAILED: {sub_path} is invalid")
        return 1
    print(f"OK: {sub_path} is a valid submission for {len(tasks)} tasks; "
          f"executed notebook in {workdir / 'executed.ipynb'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", type=Path, help="packed dataset folder (tools/pack_dataset.py)")
    p.add_argument("--out", type=Path, help="kernel folder to write")
    p.add_argument("--competition", default="arc-prize-2025")
    p.add_argument("--time-budget", default="11h30m", help="solve budget on a competition rerun")
    p.add_argument("--dry-run-budget", default="20m", help="budget of each run outside a rerun")
    p.add_argument("--dry-run-tasks", type=int, default=10, help="evaluation tasks in the dry-run")
    p.add_argument("--id", dest="kernel_id", help="kernel id user/slug (default: <dataset user>/arc-solver-kernel)")
    p.add_argument("--solver-arg", action="append", default=[],
                   help="extra argument passed to solver solve/dry-run (repeatable), e.g. --solver-arg=--samples=64")
    p.add_argument("--run-local", action="store_true",
                   help="pack, build and execute the notebook on an emulated Kaggle tree")
    p.add_argument("--workdir", type=Path, help="with --run-local: where the emulated tree goes")
    p.add_argument("--local-tasks", type=int, default=3, help="with --run-local: tasks per file")
    p.add_argument("--timeout", type=int, default=3600, help="with --run-local: seconds per cell")
    args = p.parse_args(argv)
    if args.run_local:
        if not args.workdir:
            p.error("--run-local needs --workdir")
        return run_local(args.workdir, args.competition, args.local_tasks, args.dry_run_budget,
                         tuple(args.solver_arg), args.timeout)
    if not args.dataset or not args.out:
        p.error("--dataset and --out are required (or --run-local --workdir DIR)")
    path = build(args.dataset, args.out, args.competition, args.time_budget,
                 args.dry_run_budget, args.dry_run_tasks, args.kernel_id,
                 extra_args=tuple(args.solver_arg))
    print(f"wrote {path} and {args.out / 'kernel-metadata.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
