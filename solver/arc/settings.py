"""How settings are declared: every settings dataclass of the package declares each field
with :func:`setting` — its default, a one-line help, its choices where there are, the
help group it belongs to (one of :data:`GROUPS`) and, where it is not ``--`` + the field's
name, its flag — so that every verb's command line is built from the declarations
(``solver.cli.settings``) and no default, help, group or flag name is written twice."""

from __future__ import annotations

from dataclasses import MISSING, field
from typing import Any, Iterable

# The help groups, in the order a verb's help shows them: name -> what they are about.
GROUPS: dict[str, str] = {
    # solve, dry-run (RunConfig, HerConfig)
    "run": "what to solve, where the results go, time and workers",
    "search": "the per-task loop: rounds of sample, run, learn",
    "enumerator": "DSL v2 programs searched without a model",
    "attempts": "choosing among programs exact on the train pairs",
    "sampling": "programs sampled from the model",
    "training": "hindsight examples and the task's LoRA",
    "repair": "editing the best programs with lines the model wrote",
    # the model, its prompts and the sandbox (ModelConfig, PromptConfig, SandboxConfig)
    "model": "the language model",
    "prompt": "how a task becomes the model's prompt",
    "sandbox": "running the programs",
    # synth (SynthConfig)
    "synth": "the tasks to generate and where they go",
    # train-base (BaseCall, BaseConfig) and the trainer (TrainConfig)
    "call": "this call: the run folder, where it starts and stops, its progress bar",
    "optimizer": "steps, batches, the learning rate and its schedule",
    "network": "the model's shape, context and grid encoder",
    "task stream": "the seeded tasks trained on, and their curriculum",
    "evaluation": "held-out evaluations during the run",
    "checkpoints": "what is saved, and when",
    "machine": "threads, device and worker processes",
}


def setting(default: Any = MISSING, help: str | None = None, choices: Iterable | None = None,
            none_is_a_value: bool = False, *, group: str | None = None, flag: str | None = None,
            aliases: Iterable[str] = (), metavar: str | None = None) -> Any:
    """A dataclass field with ``default`` and, in its metadata, ``help`` (one line),
    ``group`` (its help group, a key of :data:`GROUPS`; every field of the package declares
    one, tests/test_cli.py checks) and ``choices`` (the values allowed, when there is a
    fixed set). No ``default``: the flag is required (the field is keyword-only).
    ``none_is_a_value``: the word ``none`` on the command line is kept as text, not read as
    None. ``flag``: the field's one flag, the same on every verb (default: ``--`` + the
    name with ``-`` for ``_``); ``aliases``: older spellings, still accepted, not shown in
    the help; ``metavar``: the value's name in the help."""
    if not help:
        raise ValueError("a setting needs a one-line help")
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown settings group {group!r}; one of {', '.join(GROUPS)}")
    meta: dict[str, Any] = {"help": help}
    if group is not None:
        meta["group"] = group
    if none_is_a_value:
        meta["none_is_a_value"] = True
    if choices is not None:
        meta["choices"] = tuple(choices)
    if flag is not None:
        meta["flag"] = flag
    if aliases:
        meta["aliases"] = tuple(aliases)
    if metavar is not None:
        meta["metavar"] = metavar
    if default is MISSING:
        return field(metadata=meta, kw_only=True)
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
