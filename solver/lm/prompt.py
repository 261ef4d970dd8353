"""Task <-> text: grid encoders, the prompt for a task, and code from a completion.

Grid encoders (a setting, ``PromptConfig.encoder``, or fixed by a dialect,
:mod:`solver.lm.dialects`):

- ``dense`` (the research note's format, used with real checkpoints): a ``shape HxW``
  header, then one line per row: the row number, a space, the row's digits with no
  separators.
- ``sparse`` (measured here to be far easier for a tiny model to read, see DESIGN.md):
  ``shape HxW bg C`` with C the most common colour, then one ``r c color`` line per cell
  that differs from it.
- ``runs``: like sparse, one line per horizontal run (the embedded model's).
- ``colors``: colour names separated by spaces, one row a line (BARC's checkpoints).
- ``digits``: digits with no separators, one row a line, nothing else.
- ``lists``: a Python list of row lists.
- ``rle``, ``rle-diff``: the compact encodings of :mod:`solver.lm.encoding` (rows of runs
  with count letters, ``=`` for a repeated row; under ``rle-diff`` a train output of its
  input's shape is written against the input, ``.`` for an unchanged cell). They cost at
  most one token a cell under the v2 tokenizer; at a context of 2,048 tokens ``rle-diff``
  fits the most ARC prompts whole (docs/MODEL.md).

``dense`` and ``digits`` need a tokenizer that keeps every digit a token of its own
(:func:`check_digit_tokens`, run at load only for them, :data:`DIGIT_TOKEN_ENCODERS`).

The plain prompt (no chat template) is the train pairs followed by the program's first
line, so the model's completion is the body of ``def task(img):``. With a tokenizer that
has a chat template (real LLM checkpoints) the same text goes in a user message and the
answer is a fenced Python block.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from solver.arc.grids import Grid, Pair, Task
from solver.arc.settings import setting
from solver.lm import encoding

PROGRAM_HEAD = "def task(img):\n"
INSTRUCTION = ("Write a Python function `def task(img)` that turns each input into its "
               "output, using the drawing DSL (create_img, draw_pixel, draw_line, "
               "draw_horizontal_line, draw_vertical_line, draw_rectangle, flood_fill).")


def encode_dense(grid: Grid) -> str:
    rows = [f"{r} " + "".join(str(v) for v in row) for r, row in enumerate(grid)]
    return f"shape {len(grid)}x{len(grid[0])}\n" + "\n".join(rows)


def most_common_color(grid: Grid) -> int:
    counts = Counter(v for row in grid for v in row)
    return min(counts, key=lambda c: (-counts[c], c))  # ties -> smallest colour


def encode_sparse(grid: Grid) -> str:
    bg = most_common_color(grid)
    cells = [f"{r} {c} {v}" for r, row in enumerate(grid) for c, v in enumerate(row) if v != bg]
    return "\n".join([f"shape {len(grid)}x{len(grid[0])} bg {bg}", *cells])


def encode_runs(grid: Grid) -> str:
    """Like ``sparse``, but one ``r c0 c1 color`` line per horizontal run of equal colour
    (cells c0..c1 of row r) that differs from the background: shorter, and a rectangle's
    or line's end columns can be read off directly (the embedded model's encoder)."""
    bg = most_common_color(grid)
    lines = [f"shape {len(grid)}x{len(grid[0])} bg {bg}"]
    for r, row in enumerate(grid):
        c = 0
        while c < len(row):
            end = c
            while end + 1 < len(row) and row[end + 1] == row[c]:
                end += 1
            if row[c] != bg:
                lines.append(f"{r} {c} {end} {row[c]}")
            c = end + 1
    return "\n".join(lines)


COLOR_NAMES = ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple",
               "Brown")


def encode_colors(grid: Grid) -> str:
    """One line per row, each cell's colour name, separated by spaces (the BARC dialect's
    grids: no header, no numbers; a Llama-3 tokenizer reads a name as one token)."""
    return "\n".join(" ".join(COLOR_NAMES[v] for v in row) for row in grid)


def encode_digits(grid: Grid) -> str:
    """One line per row, the row's digits with no separators (no header, no row numbers)."""
    return "\n".join("".join(str(v) for v in row) for row in grid)


def encode_lists(grid: Grid) -> str:
    """The grid as a Python list of row lists, one row a line (``[[0, 1],\n [2, 3]]``)."""
    return "[" + ",\n ".join("[" + ", ".join(str(v) for v in row) + "]" for row in grid) + "]"


ENCODERS: dict[str, Callable[[Grid], str]] = {"dense": encode_dense, "sparse": encode_sparse,
                                              "runs": encode_runs, "colors": encode_colors,
                                              "digits": encode_digits, "lists": encode_lists,
                                              "rle": encoding.encode_grid,
                                              "rle-diff": encoding.encode_grid}
# Encoders that write digits side by side, so a cell is readable only when every digit is
# a token of its own (checked when a model loads with one of them; the others separate
# every number or write no digits, and load with any tokenizer).
DIGIT_TOKEN_ENCODERS = frozenset({"dense", "digits", "rle", "rle-diff"})


@dataclass
class PromptConfig:
    encoder: str = setting("dense", "grid encoder: dense (the note's format), sparse or runs "
                                    "(tiny models), colors, digits, lists (dialects), rle or "
                                    "rle-diff (compact)", ENCODERS,
                           group="prompt")
    chat: bool | None = setting(None, "use the tokenizer's chat template; None: when it has one",
                                group="prompt")

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown grid encoder {self.encoder!r}; choose one of "
                             + ", ".join(ENCODERS))


def encode_output(pair: Pair, encoder: str) -> str:
    """A train pair's output as text: under ``rle-diff`` written against its input when
    both have one shape."""
    if encoder in encoding.ENCODINGS:
        return encoding.encode_grid(pair.output, encoding.output_ref(pair, encoder))
    return ENCODERS[encoder](pair.output)


def task_text(task: Task, encoder: str = "dense") -> str:
    """The train pairs as text, in order (the compact encodings: as
    :func:`solver.lm.encoding.encode_task` writes them)."""
    if encoder in encoding.ENCODINGS:
        return encoding.encode_task(task, encoder)
    enc = ENCODERS[encoder]
    parts = []
    for i, pair in enumerate(task.train):
        parts.append(f"input {i}\n{enc(pair.input)}\noutput {i}\n{enc(pair.output)}")
    return "\n".join(parts) + "\n"


def build_prompt(task: Task, config: PromptConfig, tokenizer=None) -> str:
    """The text the model continues; its completion is the program body."""
    body = task_text(task, config.encoder)
    chat = use_chat(config, tokenizer)
    if chat:
        messages = [{"role": "user", "content": f"{body}\n{INSTRUCTION}"}]
        body = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return body + answer_prefix(chat)


def answer_prefix(chat: bool) -> str:
    """The end of :func:`build_prompt`, where the answer starts: the program's first line,
    after an opened code fence under a chat template."""
    return ("```python\n" if chat else "") + PROGRAM_HEAD


def build_target(code: str) -> str:
    """The training target for a program: the completion that :func:`extract_code` inverts."""
    code = code.strip("\n") + "\n"
    if not code.startswith(PROGRAM_HEAD):
        raise ValueError("a program must start with 'def task(img):'")
    return code[len(PROGRAM_HEAD):]


_CALL_LINE = re.compile(r"^(\s*)img = ([A-Za-z_]\w*)\(img\b.*$")


def sketch_code(code: str) -> str:
    """``code`` with every ``img = name(img, ...)`` line reduced to ``img = name(img)``: what
    a model that writes sketches learns (the operations in order; the enumerator fits their
    arguments, :mod:`solver.search.guide`). Other lines are kept as they are."""
    return "\n".join(_CALL_LINE.sub(r"\1img = \2(img)", line) for line in code.split("\n"))


_FENCE_END = re.compile(r"```")  # a closing fence, also at the end of a code line


def extract_code(completion: str) -> str:
    """The full program from a completion of :func:`build_prompt`: the head plus the
    indented body, stopping at a closing fence or the first non-indented line."""
    m = _FENCE_END.search(completion)
    if m:
        completion = completion[:m.start()]
    lines = []
    for line in completion.split("\n"):
        if line.strip() and not line.startswith((" ", "\t")):
            break
        lines.append(line)
    return (PROGRAM_HEAD + "\n".join(lines)).rstrip() + "\n"


def use_chat(config: PromptConfig, tokenizer) -> bool:
    """Whether the prompt goes through the tokenizer's chat template: ``config.chat``, or
    (None) whether the tokenizer has one; ValueError for chat without a template."""
    has_template = tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))
    if config.chat is None:
        return has_template
    if config.chat and not has_template:
        raise ValueError("chat=True but the tokenizer has no chat template")
    return config.chat


def check_digit_tokens(tokenizer) -> None:
    """Every digit 0..9 must be exactly one token, alone and inside a row of digits
    (grids are read digit by digit; a tokenizer that merges "12" cannot show cells)."""
    bad = []
    for d in "0123456789":
        ids = tokenizer.encode(d, add_special_tokens=False)
        if len(ids) != 1:
            bad.append(f"{d!r} -> {ids}")
    for row in ("0 0123456789", "12 9876543210 1 1"):
        for tid in tokenizer.encode(row, add_special_tokens=False):
            piece = tokenizer.decode([tid])
            if sum(ch.isdigit() for ch in piece) > 1:
                bad.append(f"{piece!r} in {row!r}")
    if bad:
        raise ValueError("tokenizer does not keep digits as single tokens: " + ", ".join(bad))


class PromptTooLong(ValueError):
    """A task whose prompt plus the program budget does not fit the model's context: the
    caller skips the task with ``str(e)`` as the reason."""

    def __init__(self, task_id: str | None, prompt_tokens: int, max_new_tokens: int,
                 context_length: int):
        self.task_id = task_id
        self.prompt_tokens = prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.context_length = context_length
        who = f"task {task_id}: " if task_id is not None else ""
        super().__init__(f"{who}prompt too long: {prompt_tokens} prompt tokens + "
                         f"{max_new_tokens} new tokens > context {context_length}")
