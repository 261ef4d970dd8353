"""The command line's settings: every field of the settings dataclasses is a flag, a flag
round-trips into its dataclass, defaults live in the dataclasses only, the help is grouped;
the one table helper; ``solver report``'s rounds with sandbox statuses."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass

import orjson
import pytest

from solver.arc.settings import setting
from solver.cli.main import build_parser, main
from solver.cli.settings import add_settings, build, dest, given
from solver.cli.tables import format_table
from solver.lm.base import BaseConfig
from solver.lm.config import ModelConfig, SampleConfig
from solver.run.config import RunConfig
from solver.sandbox.executor import SandboxConfig
from solver.search.config import HerConfig

# verb -> the settings dataclasses whose every field it takes
VERBS = {
    "solve": (HerConfig, ModelConfig, RunConfig),
    "dry-run": (HerConfig, ModelConfig, RunConfig),
    "sample": (SampleConfig, ModelConfig, SandboxConfig),
    "train-base": (BaseConfig,),
    "exec": (SandboxConfig,),
}
REQUIRED = {"solve": ["--tasks", "t.json", "--out", "s.json"], "sample": ["--tasks", "t.json"],
            "train-base": ["--out", "o"], "exec": ["--program", "p.py"], "dry-run": []}
# flags in use before the settings became flags (README, kernel, benchmarks): they stay
OLD_SOLVE_FLAGS = ("--tasks --out --time-budget --run-dir --model --quantization --device "
                   "--workers --threads --epochs --samples --temperatures --top-p "
                   "--max-new-tokens --order --lr --lora-r --lora-alpha --recolor --repair "
                   "--no-repair --max-examples --train-rows --max-task-time --seed "
                   "--exec-timeout").split()


def subparser(verb: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[verb]


def parse(verb: str, *flags: str) -> argparse.Namespace:
    return build_parser().parse_args([verb, *REQUIRED[verb], *flags])


def other_value(f: dataclasses.Field, kind) -> tuple[list[str], object]:
    """Flag arguments giving field ``f`` a value other than its default, and that value."""
    kind, _ = _unwrap(kind)
    flag = "--" + f.name.replace("_", "-")
    if kind is bool:
        value = not f.default if f.default is not None else True
        return [flag if value else "--no-" + flag[2:]], value
    if "choices" in f.metadata:
        value = next(c for c in f.metadata["choices"] if c != f.default)
        return [flag, value], value
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        value = (item(1), item(2))
        return [flag, "1,2"], value
    if kind is int:
        value = (f.default or 0) + 3
    elif kind is float:  # shares in (0, 1] stay shares
        value = (f.default / 2 if 0 < f.default <= 1 else f.default * 2) if f.default else 0.5
    else:
        value = "cuda:1" if f.name == "device" else "something"
    return [flag, str(value)], value


def _unwrap(tp):
    if typing.get_origin(tp) in (typing.Union, __import__("types").UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], True
    return tp, False


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_settings_field_has_a_flag(verb):
    dests = {a.dest for a in subparser(verb)._actions}
    for cls in VERBS[verb]:
        missing = [f.name for f in dataclasses.fields(cls) if dest(cls, f.name) not in dests]
        assert missing == [], f"{verb}: {cls.__name__} fields without a flag: {missing}"


@pytest.mark.parametrize("cls", [HerConfig, ModelConfig, SampleConfig, BaseConfig,
                                 SandboxConfig, RunConfig])
def test_every_field_round_trips_from_its_flag(cls):
    verb = next(v for v, classes in VERBS.items() if cls in classes)
    flags = {"path": "--model", "n": "-n", "timeout_s": "--timeout-s"}  # the verbs' names
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        argv, value = other_value(f, hints[f.name])
        if f.name in flags and argv[0].startswith("--") and not argv[0].startswith("--no-"):
            argv[0] = flags[f.name]
        got = build(cls, parse(verb, *argv))
        assert getattr(got, f.name) == value, (f.name, argv)
        assert got == dataclasses.replace(cls(), **{f.name: value})  # nothing else moved


def test_flags_not_given_keep_the_dataclass_defaults():
    args = parse("solve")
    assert build(HerConfig, args) == HerConfig()
    assert build(ModelConfig, args) == ModelConfig()
    assert build(SandboxConfig, args) == SandboxConfig()
    assert given(BaseConfig, parse("train-base")) == {}  # train-base: only what was given
    assert given(BaseConfig, parse("train-base", "--steps", "8")) == {"steps": 8}


def test_solve_flags_in_use_before_still_work():
    option_strings = {s for a in subparser("solve")._actions for s in a.option_strings}
    assert set(OLD_SOLVE_FLAGS) <= option_strings
    assert "--solutions" in {s for a in subparser("dry-run")._actions for s in a.option_strings}
    args = parse("solve", "--samples", "4", "--temperatures", "0.1,0.9", "--no-repair",
                 "--train-rows", "3", "--order", "shuffle", "--epochs", "0", "--model", "m",
                 "--quantization", "4bit", "--exec-timeout", "1.5", "--max-new-tokens", "none",
                 "--time-budget", "90s", "--workers", "2")
    assert build(HerConfig, args) == HerConfig(samples=4, temperatures=(0.1, 0.9), repair=False,
                                               max_rows=3, order="shuffle", epochs=0)
    assert build(ModelConfig, args) == ModelConfig(path="m", quantization="4bit")
    assert build(SandboxConfig, args).timeout_s == 1.5
    assert build(RunConfig, args) == RunConfig(time_budget="90s", workers=2)
    assert build(RunConfig, parse("dry-run")).time_budget == "1h"  # dry-run's own default


def test_bad_values_are_refused_with_the_flag_named(capsys):
    with pytest.raises(SystemExit):
        parse("solve", "--order", "random")
    assert "--order: invalid choice: 'random'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("solve", "--samples", "many")
    assert "--samples: invalid int value: 'many'" in capsys.readouterr().err


def test_one_per_program_timeout_default():
    """The sandbox's per-program timeout has one default (SandboxConfig's, also the dsl
    dialect's), whatever the verb: solve leaves it to the model's dialect unless given,
    exec and sample hand it to the sandbox."""
    from solver.cli.solve import her_solver
    from solver.lm.dialects import BARC, DSL

    default = SandboxConfig().timeout_s
    assert build(SandboxConfig, parse("exec")).timeout_s == default
    assert build(SandboxConfig, parse("sample")).timeout_s == default
    assert DSL.timeout_s == default
    factory = her_solver(ModelConfig(), HerConfig(), build(SandboxConfig, parse("solve")),
                         timeout_given=False)
    assert factory.dialect_timeout and factory.sandbox_for(BARC).timeout_s == BARC.timeout_s
    given_ = build(SandboxConfig, parse("solve", "--exec-timeout-s", "0.5"))
    assert her_solver(ModelConfig(), HerConfig(), given_).sandbox_for(BARC).timeout_s == 0.5
    assert build(SandboxConfig, parse("exec", "--timeout", "0.5")).timeout_s == 0.5


def test_solve_hands_its_settings_to_the_workers_whole():
    """The solver factory carries the command line's dataclasses as they are (pickled to
    the workers); the sandbox takes the model dialect's entry point, input type, modules."""
    import pickle

    from solver.cli.solve import her_solver
    from solver.lm.dialects import PYTHON

    args = parse("solve", "--model", "none", "--exec-memory-mb", "256", "--exec-workers", "2",
                 "--samples", "3")
    model, her, sandbox = (build(c, args) for c in (ModelConfig, HerConfig, SandboxConfig))
    back = pickle.loads(pickle.dumps(her_solver(model, her, sandbox)))
    assert (back.model, back.her, back.sandbox) == (model, her, sandbox)
    assert back.without_model() and not back.dialect_timeout
    cfg = back.sandbox_for(PYTHON)
    assert (cfg.memory_mb, cfg.workers, cfg.timeout_s) == (256, 2, sandbox.timeout_s)
    assert (cfg.entry, cfg.input_type, cfg.preload) == ("transform", "list", PYTHON.preload)


def test_solve_help_is_grouped_by_concern(capsys):
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    text = capsys.readouterr().out
    heads = [line[:-1] for line in text.splitlines() if line.endswith(":") and not line[0].isspace()]
    assert heads == ["options", "run", "search", "enumerator", "attempts", "sampling", "training",
                     "repair", "model",
                     "sandbox"]
    section = text.split("\nsampling:")[1].split("\ntraining:")[0]
    assert "--temperatures" in section and "--samples" in section and "--lr" not in section
    assert "(default: 256)" in section  # HerConfig's default, shown from the dataclass


def test_a_field_without_help_is_refused():
    @dataclass
    class Bad:
        good: int = setting(1, "has help")
        bad: int = 2

    with pytest.raises(ValueError, match="Bad.bad has no help"):
        add_settings(argparse.ArgumentParser(), Bad)


def test_optional_and_tuple_values():
    @dataclass
    class Opt:
        cap: int | None = setting(5, "a cap; None: none")
        steps: tuple[int, ...] = setting((1, 2), "steps")
        chat: bool | None = setting(None, "chat; None: when there is a template")

    p = argparse.ArgumentParser()
    add_settings(p, Opt)
    assert build(Opt, p.parse_args(["--cap", "none", "--steps", ""])) == Opt(cap=None, steps=())
    assert build(Opt, p.parse_args(["--steps", "3,4,5", "--no-chat"])) == Opt(steps=(3, 4, 5),
                                                                               chat=False)
    assert build(Opt, p.parse_args([])) == Opt()


# ---------------------------------------------------------------- tables and report


def test_format_table_aligns_columns():
    text = format_table(("task", "n", "note"), [("a", 1, "x"), ("long-id", 12, None)], "<><")
    assert text.splitlines() == ["task      n  note", "a         1  x", "long-id  12  -"]
    with pytest.raises(ValueError):
        format_table(("a", "b"), [(1,)])


def _round(i, **extra):
    return {"round": i, "samples": 8, "valid": 6, "distinct": 5, "best_train_acc": 0.5 + i / 10,
            "mean_train_acc": 0.25, "accuracies": [0.25] * 6, **extra}


def test_report_shows_sandbox_statuses_per_round(tmp_path, capsys):
    (tmp_path / "tasks").mkdir()
    new = {"task_id": "new", "status": "inexact", "seconds": 3.0, "rounds": [
        _round(0, statuses={"ok": 6, "error": 1, "timeout": 1},
               status_examples={"error": "NameError: name 'x' is not defined",
                                "timeout": "over 0.25 s"}),
        _round(1, statuses={"ok": 7, "error": 1}, status_examples={"error": "ZeroDivisionError"})]}
    old = {"task_id": "old", "status": "exact", "seconds": 1.0, "solved_round": 0,
           "solved_by": "sample", "rounds": [_round(0)]}  # written before the counts existed
    for rep in (new, old):
        (tmp_path / "tasks" / f"{rep['task_id']}.json").write_bytes(orjson.dumps(rep))
    assert main(["report", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].split() == ["task", "status", "rounds", "solved@", "by", "best", "first→last",
                                "mean", "first→last", "seconds"]
    assert lines[2].split() == ["old", "exact", "1", "0", "sample", "0.500→0.500",
                                "0.250→0.250", "1.0"]
    assert "    0        8      6         5  0.500  0.250  ok 6, error 1, timeout 1" in lines
    assert "    1        8      6         5  0.600  0.250  ok 7, error 1" in lines
    assert "  error: NameError: name 'x' is not defined" in lines  # the first example
    assert "  timeout: over 0.25 s" in lines
    assert "    0        8      6         5  0.500  0.250  -" in lines  # the older report
    assert (tmp_path / "report" / "rounds.txt").read_text().startswith("new (inexact, 2 rounds)")
