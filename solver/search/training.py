"""One training pass of the task's LoRA on relabeled examples, within the time left.

Examples are tokenized once (:func:`encode_examples`); their lengths batch them in the
given order and size the pass. A pass is fitted to the time left at the worker's measured
training speed (:class:`TrainRate`: seconds per token of the last pass; a cut pass keeps a
random subset in order, so it still spans the whole ordering), and the default trainer
also stops at the deadline inside its step loop, so no pass overruns by more than a step.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

from solver.search.config import HerConfig, dialect_of, for_model
from solver.search.relabel import Relabeled

Encoded = tuple[list[int], int]  # token ids of prompt + target + EOS, and the prompt's length


@dataclass
class TrainRate:
    """Seconds of training per token (prompt, target and EOS), measured on the last pass;
    one per worker process, kept across its tasks. None until the first pass."""

    s_per_token: float | None = None

    def update(self, seconds: float, tokens: int) -> None:
        if tokens > 0:
            self.s_per_token = seconds / tokens


@dataclass
class PassStats:
    """What a training pass did (the trainer's statistics, summed over its parts)."""

    examples: int = 0
    steps: int = 0
    tokens: int = 0  # target tokens the loss was computed on
    first_loss: float = math.nan
    last_loss: float = math.nan
    mean_loss: float = math.nan

    @classmethod
    def combine(cls, parts: Iterable) -> "PassStats":
        """The sum of trainer results in the order they ran (parts with no step are left out)."""
        parts = [p for p in parts if p.steps]
        if not parts:
            return cls()
        steps = sum(p.steps for p in parts)
        return cls(examples=sum(p.examples for p in parts), steps=steps,
                   tokens=sum(p.tokens for p in parts), first_loss=parts[0].first_loss,
                   last_loss=parts[-1].last_loss,
                   mean_loss=sum(p.mean_loss * p.steps for p in parts) / steps)


def encode_examples(model, examples: Sequence[Relabeled]) -> list[Encoded]:
    """Each example as the model's training pair in its dialect
    (:meth:`solver.lm.model.Model.example_for`: the prompt for its task, and the program,
    or the whole answer, as the target), tokenized
    (:func:`solver.lm.train.encode_example`); a program the dialect cannot write as a
    target (``ValueError``) is left out, and so is one that does not define the dialect's
    entry point (a drawing-DSL program of the enumerator, say, is no answer of a model
    that writes ``transform``) or that the model's grammar cannot write (a DSL v2 program
    of the enumerator is no answer of a model constrained to the drawing DSL)."""
    from solver.lm.train import encode_example

    out = []
    for ex in examples:
        if not writable(model, ex.code):
            continue
        try:
            prompt, target = model.example_for(ex.task, ex.code)
        except ValueError:
            continue
        out.append(encode_example(model.tokenizer, prompt, target))
    return out


def writable(model, code: str) -> bool:
    """Whether ``model`` could write ``code``: it defines the dialect's entry point, and a
    model whose grammar is the drawing DSL's gets only programs in its literal form."""
    from solver.dsl.program import parse_program

    if f"def {dialect_of(model).entry}(" not in code:
        return False
    return getattr(model, "grammar", None) != "dsl" or parse_program(code) is not None


def ordered_batches(lengths: Sequence[int], batch_tokens: int, max_rows: int) -> list[list[int]]:
    """Consecutive index batches that keep the given order (rows x longest <= batch_tokens,
    at most ``max_rows``; an over-long example gets a batch of its own)."""
    batches: list[list[int]] = []
    cur: list[int] = []
    longest = 0
    for i, n in enumerate(lengths):
        if cur and ((len(cur) + 1) * max(longest, n) > batch_tokens or len(cur) >= max_rows):
            batches.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        batches.append(cur)
    return batches


def fit_to_time(tokens: Sequence[int], seconds: float | None, rate: TrainRate,
                rng: random.Random) -> list[int]:
    """Indices (in order) of the examples whose training fits ``seconds`` at ``rate``; all
    of them when there is no rate or no limit. A subset is drawn at random (the order of
    the kept ones is unchanged), so a cut pass still spans the whole ordering."""
    idx = list(range(len(tokens)))
    s = rate.s_per_token
    if not s or seconds is None or sum(tokens) * s <= seconds:
        return idx
    if seconds <= 0:
        return []
    per = sum(tokens) / len(tokens)
    k = int(seconds / (s * per))
    return sorted(rng.sample(idx, k)) if k > 0 else []


def first_step(items: Sequence[Encoded], config: HerConfig) -> int:
    """How many of ``items`` the pass's first optimizer step takes."""
    batches = ordered_batches([len(ids) for ids, _ in items], config.batch_tokens,
                              config.max_rows)
    return len(batches[0]) if batches else 0


class Deadline:
    """``stop()`` for :func:`solver.lm.train.run_steps`: True once the next step, taking as
    long as the one before it, would end at or after ``until`` (``time.time()`` seconds)."""

    def __init__(self, until: float):
        self.until = until
        self.last: float | None = None  # when the previous step started
        self.step_s = 0.0

    def __call__(self) -> bool:
        now = time.time()
        if self.last is not None:
            self.step_s = now - self.last
        self.last = now
        return now + self.step_s >= self.until


def train_pass(model, items: Sequence[Encoded], config: HerConfig, seed: int,
               until: float | None = None):
    """The default trainer: one pass over ``items`` in the given order (constant lr),
    through the model's LoRA, ending early where the next step would end after ``until``
    (``time.time()`` seconds; :class:`Deadline`). Returns
    :class:`solver.lm.train.TrainStats`."""
    from solver.lm import train as train_mod

    config = for_model(config, model)  # (the loop's is already)
    tcfg = train_mod.TrainConfig(lr=config.lr, epochs=1, batch_tokens=config.batch_tokens,
                                 max_rows=config.max_rows, warmup_steps=0,
                                 schedule="constant", shuffle=False, seed=seed, progress=False,
                                 gradient_checkpointing=bool(config.gradient_checkpointing))
    batches = [[items[i] for i in b] for b in
               ordered_batches([len(ids) for ids, _ in items], config.batch_tokens,
                               config.max_rows)]
    stop = None if until is None else Deadline(until)
    stats = train_mod.run_steps(model.model, model.tokenizer, iter(batches), tcfg,
                                len(batches), desc="her", stop=stop)
    model.model.eval()
    return stats
