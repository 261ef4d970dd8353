"""Settings declarations and the flags built from them: every field of every settings
dataclass declares its help group; a field has one shown flag, the same on every verb, its
older spellings hidden aliases that still parse; ``synth`` and ``train-base`` take their
flags, defaults and help from the declarations too."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import re
from pathlib import Path

import orjson
import pytest

import solver
from solver.arc.settings import GROUPS, setting
from solver.cli.main import build_parser, main
from solver.cli.settings import _show, add_settings, build, dest, flag_names
from solver.dsl.gen import DRAWING_SIDES, V2_SIDES, SynthConfig
from solver.lm.base import BaseCall, BaseConfig
from solver.lm.config import ModelConfig, SampleConfig
from solver.lm.prompt import PromptConfig
from solver.lm.train import TrainConfig
from solver.run.config import RunConfig
from solver.sandbox.executor import SandboxConfig
from solver.search.config import HerConfig

PACKAGE = Path(solver.__file__).parent
CLASSES = (RunConfig, HerConfig, ModelConfig, SampleConfig, PromptConfig, SandboxConfig,
           TrainConfig, BaseConfig, BaseCall, SynthConfig)
REQUIRED = {"solve": ["--tasks", "t.json", "--out", "s.json"], "dry-run": [],
            "sample": ["--tasks", "t.json"], "exec": ["--program", "p.py"],
            "train-base": ["--out", "o"], "synth": ["--seed", "1", "--out", "o"]}
# older spellings that stay, hidden, for a release: (verb, flag) -> (class, field)
OLD_SPELLINGS = {
    ("exec", "--timeout-s"): (SandboxConfig, "timeout_s"),
    ("exec", "--timeout"): (SandboxConfig, "timeout_s"),
    ("sample", "--timeout-s"): (SandboxConfig, "timeout_s"),
    ("sample", "--timeout"): (SandboxConfig, "timeout_s"),
    ("solve", "--exec-timeout"): (SandboxConfig, "timeout_s"),
    ("dry-run", "--exec-timeout"): (SandboxConfig, "timeout_s"),
    ("exec", "--workers"): (SandboxConfig, "workers"),
    ("sample", "--memory-mb"): (SandboxConfig, "memory_mb"),
    ("exec", "--grace-s"): (SandboxConfig, "grace_s"),
    ("sample", "--recycle-after"): (SandboxConfig, "recycle_after"),
    ("solve", "--train-rows"): (HerConfig, "max_rows"),
}


def verbs() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def parse(verb: str, *flags: str) -> argparse.Namespace:
    return build_parser().parse_args([verb, *REQUIRED.get(verb, []), *flags])


def help_text(verb: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([verb, "--help"])
    return capsys.readouterr().out


def setting_calls() -> list[tuple[str, int, ast.Call]]:
    """(file, line, call) for every ``setting(...)`` in the package's source."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setting":
                out.append((path.relative_to(PACKAGE.parent).as_posix(), node.lineno, node))
    return out


# ------------------------------------------------------------------ groups


def test_every_setting_in_the_package_declares_a_known_group():
    calls = [(f, line) for f, line, c in setting_calls() if f != "solver/arc/settings.py"]
    assert len(calls) > 150  # the scan sees the declarations
    missing = [f"{f}:{line}" for f, line, c in setting_calls()
               if f != "solver/arc/settings.py"
               and not any(k.arg == "group" and isinstance(k.value, ast.Constant)
                           and k.value.value in GROUPS for k in c.keywords)]
    assert missing == []


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_of_the_settings_classes_has_a_group(cls):
    assert [f.name for f in dataclasses.fields(cls) if f.metadata.get("group") not in GROUPS] == []


def test_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="unknown settings group 'nope'"):
        setting(1, "help", group="nope")


def test_each_verb_shows_its_settings_in_their_declared_groups(capsys):
    for verb, parser in verbs().items():
        for g in parser._action_groups:
            for a in g._group_actions:
                cls_name, _, name = a.dest.partition(".")
                if not name or a.help == argparse.SUPPRESS:
                    continue
                cls = next(c for c in CLASSES if c.__name__ == cls_name)
                field = next(f for f in dataclasses.fields(cls) if f.name == name)
                assert g.title == field.metadata["group"], (verb, a.dest, g.title)
                assert g.description == GROUPS[g.title]
    heads = [line[:-1] for line in help_text("train-base", capsys).splitlines()
             if line.endswith(":") and not line[0].isspace()]
    assert heads == ["options", "call", "optimizer", "network", "task stream", "evaluation",
                     "checkpoints", "machine"]  # GROUPS' order


def test_repair_settings_are_in_the_repair_group(capsys):
    text = help_text("solve", capsys)
    repair = text.split("\nrepair:")[1].split("\nmodel:")[0]
    search = text.split("\nsearch:")[1].split("\nenumerator:")[0]
    for flag in ("--repair-kick-pairs", "--repair-trim", "--repair-kicks", "--repair-starts"):
        assert flag in repair and flag not in search


# ------------------------------------------------------------------ one flag per field


def shown_flags() -> dict[str, dict[str, set[str]]]:
    """settings dest -> verb -> the option strings shown for it (``--no-x`` left out)."""
    out: dict[str, dict[str, set[str]]] = {}
    for verb, parser in verbs().items():
        for a in parser._actions:
            if "." not in a.dest or a.help == argparse.SUPPRESS:
                continue
            names = {s for s in a.option_strings if not s.startswith("--no-")}
            out.setdefault(a.dest, {}).setdefault(verb, set()).update(names)
    return out


def test_no_field_shows_two_flag_names_across_verbs():
    two = {d: by_verb for d, by_verb in shown_flags().items()
           if len(set().union(*by_verb.values())) != 1}
    assert two == {}


def test_the_shown_flag_is_the_declared_one():
    for d, by_verb in shown_flags().items():
        cls_name, name = d.split(".")
        cls = next(c for c in CLASSES if c.__name__ == cls_name)
        field = next(f for f in dataclasses.fields(cls) if f.name == name)
        (flag,) = set().union(*by_verb.values())
        assert flag == flag_names(cls, field)[0]


def test_sandbox_settings_are_exec_flags_on_every_verb():
    for f in dataclasses.fields(SandboxConfig):
        assert f.metadata["flag"] == "--exec-" + f.name.replace("_", "-")
        assert "--" + f.name.replace("_", "-") in f.metadata["aliases"]
    by_verb = shown_flags()[dest(SandboxConfig, "timeout_s")]
    assert set(by_verb) == {"solve", "dry-run", "exec", "sample"}
    assert all(flags == {"--exec-timeout-s"} for flags in by_verb.values())


@pytest.mark.parametrize("verb, flag", sorted(OLD_SPELLINGS))
def test_an_old_spelling_still_parses_to_its_field_hidden(verb, flag, capsys):
    cls, name = OLD_SPELLINGS[verb, flag]
    value = {"timeout_s": 0.5, "grace_s": 0.75, "max_rows": 3}.get(name, 7)
    args = parse(verb, flag, str(value))
    assert getattr(build(cls, args), name) == value
    new_flag = flag_names(cls, next(f for f in dataclasses.fields(cls) if f.name == name))[0]
    assert getattr(build(cls, parse(verb, new_flag, str(value))), name) == value
    assert not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text(verb, capsys))


def test_an_old_boolean_spelling_keeps_its_negation():
    assert build(SandboxConfig, parse("exec", "--no-isolate-network")).isolate_network is False
    assert build(SandboxConfig, parse("exec", "--no-exec-empty-root")).empty_root is False


def test_an_alias_another_option_holds_is_left_out():
    # solve's --workers is RunConfig's; the sandbox's workers are --exec-workers there
    args = parse("solve", "--workers", "3", "--exec-workers", "2")
    assert build(RunConfig, args).workers == 3 and build(SandboxConfig, args).workers == 2


@pytest.mark.parametrize("cls", [SandboxConfig, SampleConfig, ModelConfig, HerConfig,
                                 BaseConfig], ids=lambda c: c.__name__)
def test_each_field_round_trips_from_its_declared_flag(cls):
    verb = {SandboxConfig: "sample", SampleConfig: "sample", ModelConfig: "sample",
            HerConfig: "solve", BaseConfig: "train-base"}[cls]
    for f in dataclasses.fields(cls):
        flag, _ = flag_names(cls, f)
        if f.default is True or f.default is False:
            argv, value = ["--no-" + flag[2:] if f.default else flag], not f.default
        elif "choices" in f.metadata:
            value = next(c for c in f.metadata["choices"] if c != f.default)
            argv = [flag, value]
        else:
            continue  # the value forms are test_cli's
        assert getattr(build(cls, parse(verb, *argv)), f.name) == value, (cls, f.name)


def test_bench_style_calls_keep_working():
    """add_settings' older keywords: one titled group, a prefix, flags (the first shown)."""
    p = argparse.ArgumentParser()
    group = add_settings(p, SandboxConfig, "sandbox here", only=("workers", "chunk"),
                         flags={"workers": ("--procs", "--n-procs")})
    assert group.title == "sandbox here"
    assert [a.option_strings for a in group._group_actions if a.help != argparse.SUPPRESS] == [
        ["--procs"], ["--exec-chunk"]]
    args = p.parse_args(["--n-procs", "4", "--exec-chunk", "8"])
    assert build(SandboxConfig, args) == SandboxConfig(workers=4, chunk=8)

    @dataclasses.dataclass
    class Plain:  # no group, no flag declared (a bench's own settings)
        rate: float = setting(0.5, "a rate")

    p = argparse.ArgumentParser()
    groups = add_settings(p, Plain, prefix="my-")
    assert list(groups) == ["Plain"]
    assert build(Plain, p.parse_args(["--my-rate", "0.25"])) == Plain(rate=0.25)


# ------------------------------------------------------------------ synth and train-base


@pytest.mark.parametrize("verb, classes", [("synth", (SynthConfig,)),
                                           ("train-base", (BaseCall, BaseConfig))])
def test_the_help_shows_the_declared_defaults(verb, classes):
    parser = verbs()[verb]
    actions = {a.dest: a for a in parser._actions}
    for cls in classes:
        for f in dataclasses.fields(cls):
            a = actions[dest(cls, f.name)]
            assert a.help.startswith(f.metadata["help"].replace("%", "%%"))
            if f.default is dataclasses.MISSING:
                assert a.required
            elif f.default is not None:
                assert a.help.endswith(f"(default: {_show(f.default)})"), (cls, f.name)


def test_synth_help_states_the_family_defaults(capsys):
    text = " ".join(help_text("synth", capsys).split())
    assert "(default: 10)" in text and "(default: random)" in text  # n-tasks, family
    assert (f"largest grid side; None: the family's ({DRAWING_SIDES[1]} for drawings, "
            f"{V2_SIDES[1]} for DSL v2)") in text


@pytest.mark.parametrize("family, sides", [("random", DRAWING_SIDES), ("rigid", V2_SIDES)])
def test_synth_sides_not_given_are_the_ones_its_help_states(tmp_path, family, sides, capsys):
    base = ["synth", "--family", family, "--seed", "3", "--n-tasks", "2"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--min-side", str(sides[0]), "--max-side", str(sides[1]),
                 "--out", str(tmp_path / "b")]) == 0
    for name in ("challenges.json", "programs.json"):
        assert orjson.loads((tmp_path / "a" / name).read_bytes()) == \
            orjson.loads((tmp_path / "b" / name).read_bytes())


def test_synth_and_train_base_build_their_settings():
    assert build(SynthConfig, parse("synth")) == SynthConfig(seed=1, out="o")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["synth", "--out", "o"])  # --seed is required
    assert build(BaseCall, parse("train-base")) == BaseCall(out="o")
    call = build(BaseCall, parse("train-base", "--resume", "--no-progress", "--stop-at", "5",
                                 "--stop-after", "8m", "--init", "m", "--export", "e"))
    assert call == BaseCall(out="o", resume=True, progress=False, stop_at=5, stop_after="8m",
                            init="m", export="e")
