"""Dialects: the prompt and program conventions a checkpoint was trained on.

A model folder's ``solver.json`` names its dialect (``"dialect": "barc"``, or an object
``{"name": "barc", ...}`` that overrides fields of :class:`Dialect`); without one it is
``dsl``. A dialect owns everything that differs between checkpoints:

- the prompt: chat messages (system + user) or plain text, how grids are written, whether
  the test inputs are shown, and the *answer prefix* appended after the prompt so that
  the completion starts inside the code;
- the stop rule and the extraction of the program from a completion: ``body`` (the
  completion is the indented body of ``def task(img):``, it ends at the first unindented
  line) or ``fence`` (the completion is a whole Python file that ends at a closing code
  fence: top-level imports and helper functions after the entry point survive);
- the entry point the sandbox calls and the input type it passes (see
  :mod:`solver.sandbox.worker`), the execution timeout, extra modules to preload;
- defaults for sampling (temperatures, top-p, new tokens) and for test-time training
  (LoRA rank, alpha, rsLoRA, target modules, learning rate, gradient checkpointing, and
  the training target: ``body``, the program after the prompt and prefix, or
  ``response``, the whole answer including its prefix).

Two layouts, two classes: :class:`Dialect` writes the ``examples`` layout (a system
message, an intro, ``Example k`` pairs, the test inputs, a request, then the answer
prefix); :class:`DslDialect` writes this project's own (the prompt, target and extraction
of :mod:`solver.lm.prompt`). Both read the same fields; neither branches on the other.

Dialects:

- ``dsl`` (a :class:`DslDialect`): this project's: ``def task(img)`` over the drawing DSL,
  int8 images, grids by :class:`solver.lm.prompt.PromptConfig`'s encoder (prompt, target
  and extraction are :mod:`solver.lm.prompt`'s, unchanged).
- ``barc``: BARC's induction checkpoints (Llama-3.1-8B-Instruct chat template): colour
  names, ``Example k`` / ``Input:`` / ``Output:``, the test input(s), a request for
  ``transform``; the answer is a short sentence and a fenced file that starts with
  ``from common import *`` (:mod:`solver.dsl.common`) and defines
  ``transform(input_grid)``, which gets int64 arrays indexed ``[x, y]`` (x the column).
- ``python``: plain Python in the style of SOAR's checkpoints:
  ``transform(grid_lst: list[list[int]]) -> list[list[int]]``, lists in and out, numpy
  (and scipy where installed) allowed, grids as digit rows (one token per digit).

:data:`PRESETS` gives ``solver.json`` defaults for known public checkpoints
(``"preset": "barc-llama3.1-8b-induction"``); docs/CHECKPOINTS.md explains every key.

Pure Python: importing this module loads no model library.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from solver.arc.grids import Task
from solver.lm import prompt as prompt_mod
from solver.lm.prompt import PromptConfig

STOPS = ("body", "fence")
TARGETS = ("body", "response")
FENCE = "```"
ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")  # Llama/Qwen/Mistral attention projections

# How the prompt tells the model what a grid looks like, by encoder.
GRID_NOTES = {
    "colors": "Grids are written one row per line, the colour of each cell as a name, "
              "separated by spaces.",
    "digits": "Grids are written one row per line, one digit per cell (a colour from 0 to 9).",
    "lists": "Grids are written as Python lists of rows, each cell a colour from 0 to 9.",
    "dense": "Each grid has a shape line, then one line per row: the row number and the "
             "row's digits.",
    "sparse": "Each grid has a shape line with its background colour, then one "
              "`row col colour` line per other cell.",
    "runs": "Each grid has a shape line with its background colour, then one "
            "`row first_col last_col colour` line per run of another colour.",
    "rle": "Each grid has a shape line, then one line per row: runs of one colour, a run "
           "of three or more cells written as the colour and a count letter (a = 1, b = 2, "
           "...); `=` repeats the row above.",
    "rle-diff": "Each grid has a shape line, then one line per row: runs of one colour, a "
                "run of three or more cells written as the colour and a count letter (a = 1, "
                "b = 2, ...); `=` repeats the row above. In an output of its input's shape, "
                "`.` is a cell the input has too.",
}


@dataclass(frozen=True)
class Dialect:
    """One checkpoint family's conventions (see the module docstring), in the ``examples``
    layout: system message, intro, the pairs, the test inputs, request, answer prefix."""

    layout: ClassVar[str] = "examples"  # the prompt layout this class writes (DslDialect: dsl)

    name: str
    grid_format: str | None = None  # a prompt encoder; None: PromptConfig.encoder (solver.json "prompt")
    chat: bool | None = None  # use the tokenizer's chat template; None: when it has one (else PromptConfig.chat)
    system: str = ""  # system message (examples layout; empty: none)
    intro: str = ""  # the user message's first paragraph ({grid_note} becomes GRID_NOTES[format])
    request: str = ""  # the user message's last paragraph
    show_test_inputs: bool = False  # the test inputs are part of the prompt
    answer_prefix: str = ""  # text the answer starts with, appended to the prompt (examples layout)
    stop: str = "body"  # body: the completion ends at the first unindented line | fence: at a closing ``` fence
    target: str = "body"  # training target: body (after prompt and prefix) | response (the whole answer)
    entry: str = "task"  # the function the sandbox calls
    input_type: str = "int8"  # int8 | int64 | int64_xy | list (solver.sandbox.worker.INPUT_TYPES)
    timeout_s: float = 2.0  # sandbox time per program (all inputs)
    preload: tuple[str, ...] = ()  # extra modules programs may import (skipped where not installed)
    temperatures: tuple[float, ...] = (0.5, 0.75, 1.0)  # sampling temperatures, cycled over samples
    top_p: float = 0.95  # nucleus sampling
    max_new_tokens: int | None = None  # None: solver.json's, else the model default
    lora_r: int = 16  # test-time LoRA rank
    lora_alpha: int = 32  # LoRA alpha
    lora_rslora: bool = False  # rank-stabilised scaling (alpha / sqrt(r))
    lora_targets: tuple[str, ...] | None = None  # module names; None: peft's default for the architecture
    lr: float = 1e-3  # test-time learning rate (constant)
    gradient_checkpointing: bool = False  # recompute activations when training (long answers, large models)
    dsl_constraints: bool = True  # the drawing DSL's decoding constraints apply (legal line angles, grammar)

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ValueError(f"dialect {self.name!r}: " + "; ".join(problems))
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        object.__setattr__(self, "preload", tuple(self.preload))
        if self.lora_targets is not None:
            object.__setattr__(self, "lora_targets", tuple(self.lora_targets))

    def _problems(self) -> list[str]:
        """What is wrong with the fields (empty: nothing)."""
        problems = []
        if self.grid_format is not None and self.grid_format not in prompt_mod.ENCODERS:
            problems.append(f"grid_format must be one of {', '.join(prompt_mod.ENCODERS)}")
        if self.stop not in STOPS:
            problems.append(f"stop must be one of {', '.join(STOPS)}")
        if self.target not in TARGETS:
            problems.append(f"target must be one of {', '.join(TARGETS)}")
        if not (self.entry.isidentifier() and self.entry.isascii()):
            problems.append(f"entry must be a Python identifier, got {self.entry!r}")
        if self.input_type not in ("int8", "int64", "int64_xy", "list"):
            problems.append("input_type must be int8, int64, int64_xy or list")
        if not self.temperatures or any(t < 0 for t in self.temperatures):
            problems.append("temperatures must be a non-empty list of values >= 0")
        if not 0 < self.top_p <= 1:
            problems.append("top_p must be in (0, 1]")
        if self.timeout_s <= 0 or self.lr <= 0 or self.lora_r < 1:
            problems.append("timeout_s, lr and lora_r must be positive")
        return problems

    # ------------------------------------------------------------ grids and tokenizers

    def encoder(self, config: PromptConfig | None = None) -> str:
        """The grid encoder's name: the dialect's own, else the prompt config's."""
        return self.grid_format or (config or PromptConfig()).encoder

    def needs_digit_tokens(self, config: PromptConfig | None = None) -> bool:
        """Whether the grids are unreadable unless every digit is one token."""
        return self.encoder(config) in prompt_mod.DIGIT_TOKEN_ENCODERS

    def check_tokenizer(self, tokenizer, config: PromptConfig | None = None) -> None:
        """ValueError when the tokenizer cannot read this dialect's grids."""
        if self.needs_digit_tokens(config):
            prompt_mod.check_digit_tokens(tokenizer)

    def prompt_config(self, config: PromptConfig | None = None) -> PromptConfig:
        """``config`` (default: PromptConfig()) with the dialect's own grid format and chat
        choice where it has them."""
        config = config or PromptConfig()
        chat = self.chat if self.chat is not None else config.chat
        return PromptConfig(encoder=self.encoder(config), chat=chat)

    def uses_chat(self, tokenizer, config: PromptConfig | None = None) -> bool:
        """Whether prompts go through the tokenizer's chat template."""
        return prompt_mod.use_chat(self.prompt_config(config), tokenizer)

    # ------------------------------------------------------------ prompts and targets

    def user_text(self, task: Task, config: PromptConfig | None = None) -> str:
        """The user message (examples layout): intro, the pairs, the test inputs, request."""
        fmt = self.encoder(config)
        enc = prompt_mod.ENCODERS[fmt]
        parts = [self.intro.format(grid_note=GRID_NOTES.get(fmt, "")).strip()]
        for k, pair in enumerate(task.train, 1):
            parts.append(f"Example {k}\nInput:\n{enc(pair.input)}\n"
                         f"Output:\n{prompt_mod.encode_output(pair, fmt)}")
        if self.show_test_inputs and task.test:
            for k, pair in enumerate(task.test, 1):
                name = "Test" if len(task.test) == 1 else f"Test {k}"
                parts.append(f"{name}\nInput:\n{enc(pair.input)}")
        parts.append(self.request.strip())
        return "\n\n".join(p for p in parts if p) + "\n"

    def head(self, task: Task, tokenizer=None, config: PromptConfig | None = None) -> str:
        """The prompt up to where the answer starts (before the answer prefix)."""
        user = self.user_text(task, config)
        if self.uses_chat(tokenizer, config):
            messages = ([{"role": "system", "content": self.system}] if self.system else [])
            messages.append({"role": "user", "content": user})
            return tokenizer.apply_chat_template(messages, tokenize=False,
                                                 add_generation_prompt=True)
        return (self.system.strip() + "\n\n" if self.system else "") + user + "\n"

    def prefix(self, tokenizer=None, config: PromptConfig | None = None) -> str:
        """The answer prefix appended to the prompt (the completion continues it)."""
        return self.answer_prefix

    def prompt(self, task: Task, tokenizer=None, config: PromptConfig | None = None) -> str:
        """The text the model continues when sampling programs for ``task``."""
        return self.head(task, tokenizer, config) + self.prefix(tokenizer, config)

    def example(self, task: Task, code: str, tokenizer=None,
                config: PromptConfig | None = None) -> tuple[str, str]:
        """A training example ``(prompt, target)`` teaching ``code`` for ``task``; the loss
        covers the target (plus EOS). ValueError for a program this dialect cannot write."""
        body = code.strip("\n") + "\n" + FENCE
        if FENCE in code:
            raise ValueError("a program cannot contain a code fence")
        head, prefix = self.head(task, tokenizer, config), self.prefix(tokenizer, config)
        if self.target == "response":
            return head, prefix + body
        return head + prefix, body

    # ------------------------------------------------------------ completions

    def extract(self, completion: str) -> str:
        """The program in a completion of :meth:`prompt`."""
        if self.stop == "body":
            return prompt_mod.extract_code(completion)
        end = completion.find(FENCE)
        code = completion if end < 0 else completion[:end]
        code = code.strip("\n").rstrip()
        return code + "\n" if code else ""

    def with_overrides(self, **changes: Any) -> "Dialect":
        """A copy with some fields changed (ValueError names an unknown field)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown dialect field(s) {', '.join(unknown)}; known: "
                             + ", ".join(sorted(names)))
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class DslDialect(Dialect):
    """This project's layout: :mod:`solver.lm.prompt`'s prompt (the train pairs, in a user
    message under a chat template), its target (the body of ``def task(img):``) and its
    extraction (the body ends at the first unindented line or a closing fence). The
    fields of the examples layout (system, intro, request, show_test_inputs,
    answer_prefix, target) are not read."""

    layout: ClassVar[str] = "dsl"
    # the model writes sketches: its training targets (base and test-time) are programs
    # whose lines keep only the operation (prompt.sketch_code), for the search to fill
    sketches: bool = False

    def _problems(self) -> list[str]:
        problems = super()._problems()
        if self.stop != "body" or self.entry != "task":
            problems.append("the dsl layout writes `def task(img):` bodies: stop body, entry task")
        return problems

    def head(self, task: Task, tokenizer=None, config: PromptConfig | None = None) -> str:
        full = self.prompt(task, tokenizer, config)
        return full[:len(full) - len(self.prefix(tokenizer, config))]

    def prefix(self, tokenizer=None, config: PromptConfig | None = None) -> str:
        return prompt_mod.answer_prefix(self.uses_chat(tokenizer, config))

    def prompt(self, task: Task, tokenizer=None, config: PromptConfig | None = None) -> str:
        return prompt_mod.build_prompt(task, self.prompt_config(config), tokenizer)

    def example(self, task: Task, code: str, tokenizer=None,
                config: PromptConfig | None = None) -> tuple[str, str]:
        code = prompt_mod.sketch_code(code) if self.sketches else code
        return self.prompt(task, tokenizer, config), prompt_mod.build_target(code)

    def extract(self, completion: str) -> str:
        return prompt_mod.extract_code(completion)


# ---------------------------------------------------------------- the dialects

DSL = DslDialect(name="dsl", timeout_s=0.25)  # the sandbox's default: DSL programs take ~1 ms

# What BARC and python share: sampling and test-time training settings of a full-file
# answer that the model ends with a code fence.
_FENCED_FILE: dict[str, Any] = dict(
    temperatures=(1.0,),
    top_p=0.95,
    max_new_tokens=1024,
    lora_r=16,
    lora_alpha=16,
    lora_rslora=True,
    lora_targets=ATTENTION,
    lr=1e-5,
    gradient_checkpointing=True,
    dsl_constraints=False,
)

BARC = Dialect(
    name="barc",
    grid_format="colors",
    system=("You are an expert at visual puzzles and a skilled Python programmer. Given a "
            "few examples of a puzzle, you work out the rule behind them and write it as a "
            "Python program."),
    intro=("The examples below come from one puzzle: in each, a hidden rule turns the input "
           "grid into the output grid. {grid_note}"),
    request=("Write a Python function `transform` that turns any input grid of this puzzle "
             "into its output grid, following the rule the examples share."),
    show_test_inputs=True,
    answer_prefix=("I will work out the rule from the examples and write it as Python code "
                   "with the helpers of the common library.\n```python\n"),
    stop="fence",
    target="response",
    entry="transform",
    input_type="int64_xy",
    timeout_s=2.0,
    **_FENCED_FILE,
)

PYTHON = Dialect(
    name="python",
    grid_format="digits",
    system="You are an expert Python programmer who solves abstract reasoning puzzles on grids.",
    intro=("Each example below shows an input grid and the output grid one rule makes of it. "
           "{grid_note}"),
    request=("Write a Python function `transform(grid_lst: list[list[int]]) -> "
             "list[list[int]]` that maps every input grid to its output grid. It gets the "
             "grid as a list of rows and returns one; numpy may be used."),
    show_test_inputs=True,
    answer_prefix="```python\n",
    stop="fence",
    target="response",
    entry="transform",
    input_type="list",
    timeout_s=2.0,
    preload=("scipy", "scipy.ndimage"),
    **_FENCED_FILE,
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (DSL, BARC, PYTHON)}

# solver.json defaults for public checkpoints (a folder's own keys win); "source" is where
# the weights are published (documentation only).
PRESETS: dict[str, dict[str, Any]] = {
    "barc-llama3.1-8b-induction": {
        "dialect": "barc", "max_new_tokens": 1024, "context_length": 8192,
        "source": "barc0/Llama-3.1-ARC-Potpourri-Induction-8B"},
    "soar-qwen2.5-7b": {
        "dialect": "python", "max_new_tokens": 1024, "context_length": 16384,
        "source": "julien31/Soar-qwen-7b"},
    "soar-qwen2.5-14b": {
        "dialect": "python", "max_new_tokens": 1024, "context_length": 16384,
        "source": "julien31/Soar-qwen-14b"},
}

SOLVER_JSON_KEYS = frozenset({"dialect", "preset", "source"})


def with_preset(data: dict, where: str = "solver.json") -> dict:
    """``data`` over the defaults of its ``"preset"`` (if any); ValueError names the file."""
    name = data.get("preset")
    if name is None:
        return dict(data)
    if name not in PRESETS:
        raise ValueError(f"{where}: unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return {**PRESETS[name], **data}


def from_solver_json(data: dict, where: str = "solver.json") -> Dialect:
    """The dialect a (preset-merged) solver.json declares; ValueError names the file."""
    spec = data.get("dialect", "dsl")
    overrides: dict[str, Any] = {}
    if isinstance(spec, dict):
        overrides = dict(spec)
        spec = overrides.pop("name", "dsl")
    if not isinstance(spec, str) or spec not in DIALECTS:
        raise ValueError(f"{where}: dialect must be one of {', '.join(DIALECTS)} (or an object "
                         f"with a \"name\"), got {spec!r}")
    for key in ("temperatures", "preload", "lora_targets"):
        if isinstance(overrides.get(key), list):
            overrides[key] = tuple(overrides[key])
    try:
        return DIALECTS[spec].with_overrides(**overrides) if overrides else DIALECTS[spec]
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: dialect: {e}") from None


def get(name: str) -> Dialect:
    """A dialect by name (ValueError lists the known ones)."""
    if name not in DIALECTS:
        raise ValueError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}")
    return DIALECTS[name]

