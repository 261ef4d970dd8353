"""The embedded model from scratch: tokenizer, model shape, the on-the-fly seeded task
stream with a curriculum, held-out pass@k evaluation, checkpoints, and the ``train-base``
driver (resumable, meant to run in the background for hours on a CPU).

Two task streams (``BaseConfig.tasks``): ``drawings``, the drawing tasks of
:mod:`solver.dsl.synth` (one pair on an empty grid, the shipped model's), and ``v2``, the
ARC-like DSL v2 tasks of :mod:`solver.dsl.gen` (2..5 train pairs, sides up to 30,
programs of ``img = op(img, ...)`` lines), made into examples exactly as the solver
prompts at test time (the ``dsl`` dialect) and evaluated by running the sampled programs
in the sandbox.

The tokenizer is word level and exact: every DSL name, ``(img, ``, ``, ``, the indent and
the prompt's words are one token each, every digit is one token, and any other printable
character is a token of its own, so decoding gives back the text byte for byte. A ``v2``
run's tokenizer also has every DSL v2 primitive name, ``img = ``, ``(img)``, ``True``,
``False`` and the string arguments of v2 programs (quoted) as one token each; a run saves
its own tokenizer, so the shipped model's vocabulary never changes.

A run directory holds ``state.json`` (step, stream position, the pass@k curve, the
settings), ``model.safetensors`` + ``config.json`` + tokenizer files + ``solver.json``
(a loadable model), ``optimizer.pt``, ``log.jsonl`` (one line per evaluation) and
``steps/NNNNN/`` (copies kept at the ``keep_steps`` for the weaker-model experiments).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from solver import dsl
from solver.dsl import program, synth
from solver.arc.grids import Task, atomic_write, train_score
from solver.arc.settings import setting
from solver.lm.config import SCHEDULES
from solver.lm.prompt import ENCODERS, PromptConfig, build_prompt, build_target, extract_code

TASKS = ("drawings", "v2")  # the task streams a run can train on

SPECIAL = ["<pad>", "<eos>", "<unk>"]
WORDS = ["draw_horizontal_line", "draw_vertical_line", "draw_rectangle", "draw_pixel",
         "draw_line", "flood_fill", "create_img", "(img, ", ", ", "    ", "def", "task",
         "img", "return", "shape", "bg", "input", "output", "np"]
CHARS = ["\n", "\t"] + [chr(c) for c in range(32, 127)]
# v2 runs only (appended after the drawings' vocabulary): the v2 primitive names (from
# solver.dsl.V2_PRIMITIVES when the run starts), these, and the string arguments quoted
V2_WORDS = ["img = ", "(img)", "True", "False"]
V2_STRINGS = ["largest", "smallest", "single", "not_single", "unique_color", "touches_border",
              "inner", "has_hole", "no_hole", "rectangle", "not_rectangle", "unique_shape",
              "common_shape", "most_colors", "tallest", "widest", "symmetric", "asymmetric",
              "top", "bottom", "left", "right", "up", "down", "h", "v", "hv", "diag", "all",
              "lr", "ud", "tb", "both", "rot", "sep", "fg", "bg", "color", "majority", "box",
              "x", "cross", "size", "size_rank", "size_rank_asc", "shape_count", "width",
              "border", "holes", "first", "last", "toward", "squares", "and", "or", "xor",
              "nor", "diff", "rdiff", "most_fg", "least_fg"]


def task_words(tasks: str = "drawings") -> list[str]:
    """The multi-character tokens of a run on ``tasks`` (beyond the single characters)."""
    if tasks not in TASKS:
        raise ValueError(f"unknown task stream {tasks!r}; choose one of {', '.join(TASKS)}")
    if tasks == "drawings":
        return list(WORDS)
    names = sorted(dsl.V2_PRIMITIVES)
    quoted = [f"'{w}'" for w in V2_STRINGS]
    return list(dict.fromkeys(WORDS + V2_WORDS + names + quoted))


def build_tokenizer(directory: str | os.PathLike | None = None, tasks: str = "drawings",
                    max_length: int = 2048):
    """The embedded model's word-level tokenizer (a ``PreTrainedTokenizerFast``) for a run
    on ``tasks`` (``drawings``: the shipped model's vocabulary); saved to ``directory`` when
    given."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    all_words = task_words(tasks)
    vocab: dict[str, int] = {}
    for t in SPECIAL + all_words + CHARS:
        vocab.setdefault(t, len(vocab))
    words = sorted(all_words, key=len, reverse=True)
    pattern = "|".join(re.escape(w) for w in words) + r"|[\s\S]"
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = _wrap(tok, max_length)
    if directory is not None:
        fast.save_pretrained(str(directory))
    return fast


def _wrap(tok, max_length: int = 2048):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                   unk_token="<unk>", clean_up_tokenization_spaces=False,
                                   model_max_length=max_length)


def tokenizer_from_json(text: str):
    """A tokenizer from :func:`tokenizer_json`'s text (what worker processes encode with)."""
    from tokenizers import Tokenizer

    return _wrap(Tokenizer.from_str(text))


def tokenizer_json(tokenizer) -> str:
    return tokenizer.backend_tokenizer.to_str()


@dataclass
class BaseConfig:
    steps: int = setting(5000, "optimizer steps (the schedule's length)")
    batch_tokens: int = setting(2048, "padded tokens per step")
    lr: float = setting(1e-3, "peak learning rate")
    warmup_steps: int = setting(100, "linear warmup")
    restart_at: int = setting(0, "step at which warmup and decay start again (a warm restart on resume)")
    schedule: str = setting("cosine", "learning-rate schedule after warmup", SCHEDULES)
    min_lr_ratio: float = setting(0.05, "final lr / peak lr")
    weight_decay: float = setting(0.01, "AdamW weight decay on matrices")
    grad_clip: float = setting(1.0, "global gradient-norm clip")
    hidden: int = setting(256, "model width")
    layers: int = setting(4, "transformer blocks")
    heads: int = setting(8, "attention heads")
    intermediate: int = setting(768, "MLP width")
    encoder: str = setting("runs", "grid encoder of the prompts (solver.lm.prompt.ENCODERS)", ENCODERS)
    max_draws: int = setting(5, "random tasks have 1..max_draws draws")
    draw_weights: str = setting("uniform", "draw counts: uniform, or linear (p(k) proportional to k: "
                                           "more many-object tasks)", synth.DRAW_WEIGHTS)
    order: str = setting("canonical", "draw order of the target programs: canonical (reading order) "
                                      "or generated", ("canonical", "generated"))
    min_side: int = setting(3, "smallest grid side")
    max_side: int = setting(10, "largest grid side")
    curriculum_steps: int = setting(1000, "grow sides/draws from the start values to the full range (0: off)")
    start_max_side: int = setting(5, "largest side at step 0 of the curriculum")
    start_max_draws: int = setting(2, "most draws at step 0 of the curriculum")
    seed: int = setting(0, "training stream seed (evaluation uses eval_seed: held out)")
    pool_steps: int = setting(8, "examples for this many steps are generated together and length-bucketed")
    eval_every: int = setting(500, "steps between held-out evaluations (0: only at the end)")
    eval_tasks: int = setting(50, "held-out random tasks per evaluation")
    eval_seed: int = setting(1_000_003, "seed of the held-out tasks")
    eval_samples: int = setting(8, "samples per task (pass@k with k = this)")
    temperature: float = setting(0.5, "sampling temperature of the evaluation")
    max_new_tokens: int = setting(192, "longest sampled program in the evaluations (tokens)")
    solve_max_new_tokens: int = setting(512, "program budget at test time, in solver.json (25 squares "
                                             "take ~430 tokens)")
    save_every: int = setting(250, "steps between checkpoints")
    keep_steps: tuple[int, ...] = setting((200, 400, 800, 1600, 3200),
                                          "steps whose checkpoints are kept as copies (weaker models)")
    threads: int = setting(2, "torch CPU threads")
    device: str = setting("auto", "auto (cuda when there is one) | cpu | cuda | cuda:N")
    workers: int = setting(0, "processes generating the task stream ahead of the trainer (0: in-process)")
    tasks: str = setting("drawings", "task stream: drawings (solver.dsl.synth, the shipped model's) or "
                                      "v2 (the ARC-like DSL v2 tasks of solver.dsl.gen)", TASKS)
    max_positions: int = setting(2048, "the model's context (tokens); longer examples are dropped "
                                       "(v2) and counted")
    v2_families: str = setting("random-v2=4", "v2 family weights, NAME=W,... (families not named "
                                              "weigh 1; W=0 leaves one out)")
    v2_max_side: int = setting(30, "v2: largest grid side")
    v2_start_max_side: int = setting(10, "v2: largest side at step 0 of the curriculum")
    v2_max_steps: int = setting(3, "v2: most operations of a random-v2 composition")
    v2_start_max_steps: int = setting(1, "v2: most random-v2 operations at step 0 of the curriculum")

    @classmethod
    def from_dict(cls, d: dict) -> "BaseConfig":
        names = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        if "keep_steps" in d:
            d["keep_steps"] = tuple(d["keep_steps"])
        return cls(**d)


def new_model(config: BaseConfig, tokenizer):
    """A randomly initialised Llama of the configured size for ``tokenizer``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=config.hidden,
                      intermediate_size=config.intermediate, num_hidden_layers=config.layers,
                      num_attention_heads=config.heads, num_key_value_heads=config.heads,
                      max_position_embeddings=config.max_positions, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      bos_token_id=None)
    return LlamaForCausalLM(cfg)


def _grow(step: int, steps: int, start: int, end: int) -> int:
    """A value grown linearly from ``start`` at step 0 to ``end`` at ``steps`` (and after;
    ``end`` throughout when ``steps`` <= 0), rounded."""
    if steps <= 0 or step >= steps:
        return end
    return round(start + step / steps * (end - start))


def curriculum(step: int, config: BaseConfig) -> tuple[int, int]:
    """(max side, max draws) of the tasks generated at ``step``."""
    n = config.curriculum_steps
    side = _grow(step, n, config.start_max_side, config.max_side)
    draws = _grow(step, n, config.start_max_draws, config.max_draws)
    return max(config.min_side, min(side, config.max_side)), max(1, min(draws, config.max_draws))


def example(st: synth.SynthTask, encoder: str) -> tuple[str, str]:
    return build_prompt(st.task, PromptConfig(encoder=encoder, chat=False)), build_target(st.program)


# ---------------------------------------------------------------- the v2 stream


def curriculum_v2(step: int, config: BaseConfig) -> tuple[int, int]:
    """(max side, most random-v2 operations) of the v2 tasks generated at ``step``."""
    n = config.curriculum_steps
    side = _grow(step, n, config.v2_start_max_side, config.v2_max_side)
    ops = _grow(step, n, config.v2_start_max_steps, config.v2_max_steps)
    return (max(config.min_side, min(side, config.v2_max_side)),
            max(1, min(ops, config.v2_max_steps)))


def family_weights(spec: str) -> tuple[tuple[str, ...], np.ndarray]:
    """The v2 families and their probabilities from ``NAME=W,...`` (others weigh 1)."""
    from solver.dsl.gen import GENERATORS

    weights = {name: 1.0 for name in GENERATORS}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, eq, value = part.partition("=")
        name = name.strip()
        if name not in weights or not eq:
            raise ValueError(f"v2_families: {part!r} is not NAME=W with NAME one of "
                             f"{', '.join(weights)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"v2_families: weight of {name} is not a number: {value!r}") from None
        if weights[name] < 0:
            raise ValueError(f"v2_families: weight of {name} is negative")
    names = tuple(n for n, w in weights.items() if w > 0)
    if not names:
        raise ValueError("v2_families: every family has weight 0")
    p = np.array([weights[n] for n in names])
    return names, p / p.sum()


def v2_gen_config(config: BaseConfig, side: int, ops: int):
    from solver.dsl.gen.core import V2Config

    cfg = V2Config(min_side=min(config.min_side, side), max_side=side, max_steps=ops)
    cfg.check()
    return cfg


def v2_example(vt, encoder: str) -> tuple[str, str]:
    """(prompt, target) of a v2 task as the solver writes them at test time (the ``dsl``
    dialect: the train pairs and ``def task(img):``; the target is the program's body)."""
    from solver.lm import dialects

    return dialects.DSL.example(vt.task, vt.program, None, PromptConfig(encoder=encoder, chat=False))


V2_TRIES = 20  # draws of one v2 example's family before it is skipped


def draw_v2(seed_key: list[int], family: str, task_id: str, cfg, stats):
    """A verified v2 task of ``family`` from rngs seeded by ``seed_key + [try]``, or None."""
    from solver.dsl.gen import make_task_v2

    for attempt in range(V2_TRIES):
        vt = make_task_v2(family, np.random.default_rng([*seed_key, attempt]), task_id, cfg, stats)
        if vt is not None:
            return vt
    return None


def new_counts() -> dict[str, int]:
    """What the stream made and dropped: examples used, examples over the context, v2 tasks
    the generators dropped (verification) before one was made."""
    return {"examples": 0, "too_long": 0, "generator_drops": 0}


def _pool_examples(pool: int, step: int, config: BaseConfig, tokenizer,
                   counts: dict) -> tuple[list[tuple[str, str]], list[int]]:
    budget = config.batch_tokens * config.pool_steps
    examples, lengths = [], []
    if config.tasks == "drawings":
        side, draws = curriculum(step, config)
        rng = np.random.default_rng([config.seed, 7, pool])
        i = 0
        while sum(lengths) < budget * 0.85:  # leave room for padding
            st = synth.make_task("random", rng, f"train-{pool}-{i}", draws, config.min_side, side,
                                 order=config.order, draw_weights=config.draw_weights)
            i += 1
            if st is None:
                continue
            p, t = example(st, config.encoder)
            examples.append((p, t))
            lengths.append(len(tokenizer.encode(p + t, add_special_tokens=False)) + 1)
        counts["examples"] += len(examples)
        return examples, lengths
    tasks = v2_stream(pool, step, config, counts)
    made = 0
    while sum(lengths) < budget * 0.85:  # leave room for padding
        vt = next(tasks)
        made += 1
        if made > 200 and len(examples) < made // 10:
            raise RuntimeError(f"v2 stream, pool {pool}: {made} tasks made, {len(examples)} fit "
                               f"max_positions {config.max_positions} (raise it or lower "
                               f"v2_max_side)")
        p, t = v2_example(vt, config.encoder)
        n = len(tokenizer.encode(p + t, add_special_tokens=False)) + 1
        if n > config.max_positions:
            counts["too_long"] += 1
            continue
        examples.append((p, t))
        lengths.append(n)
        counts["examples"] += 1
    return examples, lengths


def v2_stream(pool: int, step: int, config: BaseConfig, counts: dict | None = None) -> Iterator:
    """The verified v2 tasks of pool ``pool`` in order (endless; the pool takes what it
    needs): families drawn by ``v2_families`` from (seed, pool), task i from (seed, pool, i,
    try), sides and operations by the curriculum at ``step``. ``counts["generator_drops"]``
    is increased by the tasks the generators dropped."""
    from solver.dsl.gen.core import V2Stats

    side, ops = curriculum_v2(step, config)
    cfg = v2_gen_config(config, side, ops)
    names, probs = family_weights(config.v2_families)
    rng = np.random.default_rng([config.seed, 7, pool])
    for i in itertools.count():
        fam = names[int(rng.choice(len(names), p=probs))]
        stats = V2Stats()
        vt = draw_v2([config.seed, 11, pool, i], fam, f"train-{pool}-{i}", cfg, stats)
        if counts is not None:
            counts["generator_drops"] += sum(stats.dropped.values())
        if vt is not None:
            yield vt


def make_pool(pool: int, step: int, config: BaseConfig, tokenizer, encode: bool = False,
              counts: dict | None = None) -> list[list]:
    """The batches of pool number ``pool`` (first used at ``step``): random tasks from the
    training seed, length-bucketed, in a seeded order; (prompt, target) examples, or with
    ``encode`` their (ids, prompt length) from :func:`solver.lm.train.encode_example`.
    Deterministic in (seed, pool) and the stream settings (tasks, sides, draws or v2
    families and operations, weights, order, batch_tokens, max_positions). ``counts`` (see
    :func:`new_counts`) is increased by what was made and dropped."""
    from solver.lm.train import encode_example, length_batches

    examples, lengths = _pool_examples(pool, step, config, tokenizer,
                                       counts if counts is not None else new_counts())
    groups = length_batches(lengths, config.batch_tokens, 256)
    random.Random(pool).shuffle(groups)
    if encode:
        return [[encode_example(tokenizer, *examples[j]) for j in g] for g in groups]
    return [[examples[j] for j in g] for g in groups]


_WORKER_TOKENIZER = None


def _worker_init(tokenizer_text: str) -> None:
    import signal

    # a Ctrl-C reaches the whole process group: the trainer decides what it means (a
    # checkpointed stop), so a stream worker must not die of it mid-pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = tokenizer_from_json(tokenizer_text)


def _pool_job(pool: int, config: BaseConfig) -> tuple[list[list[tuple[list[int], int]]], dict]:
    """:func:`make_pool` in a worker process, encoded there so the trainer only collates
    (with the run's own tokenizer, sent once when the worker starts); and its counts."""
    counts = new_counts()
    batches = make_pool(pool, pool * config.pool_steps, config, _WORKER_TOKENIZER, encode=True,
                        counts=counts)
    return batches, counts


def _pools(config: BaseConfig, tokenizer, first: int) -> Iterator[tuple[list[list], dict]]:
    """Pools ``first``, ``first + 1``, ... in order, each with its counts: made here, or,
    with ``config.workers``, by worker processes that stay at most ``2 * workers`` pools
    ahead (their batches come encoded; :func:`solver.lm.train.run_steps` takes either form)."""
    if config.workers <= 0:
        for pool in itertools.count(first):
            # the curriculum follows the pool's nominal step, so a pool is the same on resume
            counts = new_counts()
            yield make_pool(pool, pool * config.pool_steps, config, tokenizer, counts=counts), counts
        return
    import collections
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the trainer may hold CUDA, which forked children must not inherit
    with ProcessPoolExecutor(config.workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_init,
                             initargs=(tokenizer_json(tokenizer),)) as ex:
        ahead: collections.deque = collections.deque()
        counter = itertools.count(first)
        try:
            while True:
                while len(ahead) < 2 * config.workers:
                    ahead.append(ex.submit(_pool_job, next(counter), config))
                yield ahead.popleft().result()
        finally:
            for f in ahead:
                f.cancel()


def batch_stream(config: BaseConfig, tokenizer, pool: int, offset: int, position: dict,
                 counts: dict | None = None) -> Iterator[list[tuple[str, str]]]:
    """Batches from (pool, offset) on; ``position`` is updated to the next unread batch;
    ``counts`` (see :func:`new_counts`) is increased by each pool's when the stream enters
    it (a pool resumed mid-way is not counted again)."""
    for batches, made in _pools(config, tokenizer, pool):
        if counts is not None and offset == 0:
            for k, v in made.items():
                counts[k] = counts.get(k, 0) + v
        for k in range(offset, len(batches)):
            position.update(pool=pool, offset=k + 1)
            yield batches[k]
        pool, offset = pool + 1, 0
        position.update(pool=pool, offset=0)


# ---------------------------------------------------------------- evaluation


def run_draws(draws: list[program.Draw], grid) -> tuple[tuple[int, ...], ...]:
    img = dsl.to_img(grid)
    for d in draws:
        d.apply(img)
    return tuple(tuple(int(v) for v in row) for row in img)


def score_program(code: str, task: Task) -> dict:
    """Legality (see :func:`solver.dsl.program.parse_program`), pixel accuracy on the train pairs
    and whether every train and test pair is exact; legal programs run in-process (they are
    only draw calls with literal arguments)."""
    draws = program.parse_program(code)
    if draws is None:
        return {"legal": False, "accuracy": 0.0, "solved": False}
    pairs = [*task.train, *[p for p in task.test if p.output is not None]]
    outs = [run_draws(draws, p.input) for p in pairs]
    acc, _ = train_score(outs, task)
    return {"legal": True, "accuracy": acc, "solved": all(o == p.output for o, p in zip(outs, pairs))}


def sample_programs(model, tokenizer, task: Task, encoder: str, n: int, temperature: float,
                    max_new_tokens: int, seed: int) -> list[str]:
    """``n`` programs for ``task``: through :mod:`solver.lm.model`'s shared-prefix sampler when
    it is there, else plain ``generate``."""
    import torch

    prompt = build_prompt(task, PromptConfig(encoder=encoder, chat=False))
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)], device=model.device)
    torch.manual_seed(seed)
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True,
                             temperature=temperature, top_p=1.0, top_k=0, num_return_sequences=n,
                             max_new_tokens=max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                             pad_token_id=tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(out[:, ids.shape[1]:], skip_special_tokens=True)
    return [extract_code(t) for t in texts]


@dataclass
class EvalResult:
    tasks: int = 0
    solved: int = 0  # tasks with at least one exact program among the samples
    samples: int = 0
    legal: int = 0  # samples that parse as legal DSL programs
    mean_accuracy: float = 0.0  # mean over samples of train pixel accuracy
    max_accuracy: float = 0.0  # mean over tasks of the best sample's pixel accuracy
    seconds: float = 0.0
    families: dict = field(default_factory=dict)  # v2: family -> {"tasks": n, "solved": k}
    per_task: list[dict] = field(default_factory=list, repr=False)

    @property
    def pass_at_k(self) -> float:
        return self.solved / self.tasks if self.tasks else 0.0

    @property
    def legal_rate(self) -> float:
        return self.legal / self.samples if self.samples else 0.0

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("per_task")
        if not d["families"]:
            d.pop("families")
        d.update(pass_at_k=round(self.pass_at_k, 4), legal_rate=round(self.legal_rate, 4))
        return d


def evaluate(model, tokenizer, tasks: Sequence[Task], encoder: str, n: int = 8,
             temperature: float = 0.5, max_new_tokens: int = 192, seed: int = 0,
             progress: bool = False) -> EvalResult:
    """pass@n, legality and pixel accuracy of ``n`` samples per task."""
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    t0 = time.perf_counter()
    res = EvalResult()
    for i, task in enumerate(tqdm(tasks, desc="eval", disable=not progress, leave=False)):
        codes = sample_programs(model, tokenizer, task, encoder, n, temperature,
                                max_new_tokens, seed + i)
        scores = [score_program(c, task) for c in codes]
        res.tasks += 1
        res.samples += len(scores)
        res.legal += sum(s["legal"] for s in scores)
        solved = any(s["solved"] for s in scores)
        res.solved += solved
        accs = [s["accuracy"] for s in scores]
        res.mean_accuracy += sum(accs)
        res.max_accuracy += max(accs)
        res.per_task.append({"id": task.id, "solved": solved, "max_accuracy": max(accs),
                             "mean_accuracy": sum(accs) / len(accs),
                             "best": codes[int(np.argmax(accs))]})
    res.mean_accuracy /= max(res.samples, 1)
    res.max_accuracy /= max(res.tasks, 1)
    res.seconds = time.perf_counter() - t0
    model.train(was_training)
    return res


def eval_tasks(config: BaseConfig) -> list[Task]:
    made, _ = synth.generate("random", config.eval_tasks, config.eval_seed, config.max_draws,
                             config.min_side, config.max_side)
    return [m.task for m in made]


def eval_tasks_v2(config: BaseConfig, tokenizer) -> tuple[list, int]:
    """Held-out v2 tasks (``eval_seed``; the full sides and operations, the training
    family weights) whose prompt plus ``max_new_tokens`` fits the context, and how many
    were passed over for not fitting. Each has ``.task``, ``.program`` and ``.family``."""
    from solver.dsl.gen.core import V2Stats
    from solver.lm import dialects

    cfg = v2_gen_config(config, config.v2_max_side, config.v2_max_steps)
    names, probs = family_weights(config.v2_families)
    rng = np.random.default_rng([config.eval_seed, 7])
    out, too_long = [], 0
    for i in range(50 * max(config.eval_tasks, 1)):
        if len(out) >= config.eval_tasks:
            break
        fam = names[int(rng.choice(len(names), p=probs))]
        vt = draw_v2([config.eval_seed, 11, i], fam, f"eval-{fam}-{i}", cfg, V2Stats())
        if vt is None:
            continue
        prompt = dialects.DSL.prompt(vt.task, None, PromptConfig(encoder=config.encoder, chat=False))
        if len(tokenizer.encode(prompt, add_special_tokens=False)) + config.max_new_tokens \
                > config.max_positions:
            too_long += 1
            continue
        out.append(vt)
    return out, too_long


def score_programs_v2(codes: Sequence[str], task: Task, executor) -> list[dict]:
    """Each program run in the sandbox on every train and test input: legal (it ran and
    returned grids), pixel accuracy on the train pairs, solved (every train and test output
    exact)."""
    pairs = [*task.train, *[p for p in task.test if p.output is not None]]
    results = executor.run(list(codes), [p.input for p in pairs])
    scores = []
    for r in results:
        if not r.ok:
            scores.append({"legal": False, "accuracy": 0.0, "solved": False, "status": r.kind})
            continue
        acc, _ = train_score(r.outputs[:len(task.train)], task)
        solved = all(o == p.output for o, p in zip(r.outputs, pairs))
        scores.append({"legal": True, "accuracy": acc, "solved": solved, "status": "ok"})
    return scores


def evaluate_v2(model, tokenizer, tasks: Sequence, config: BaseConfig, executor,
                progress: bool = False) -> EvalResult:
    """pass@``eval_samples`` on v2 tasks: programs sampled by the solver's own sampler
    (:class:`solver.lm.model.Model`, the ``dsl`` dialect's prompt and stop rule) and run in
    the sandbox (``executor``); per-family counts in ``families``."""
    from tqdm.auto import tqdm

    from solver.lm.config import SampleConfig
    from solver.lm.model import Model

    was_training = model.training
    model.eval()
    m = Model(model, tokenizer, PromptConfig(encoder=config.encoder, chat=False), model.device,
              config.max_positions, config.max_new_tokens)
    t0 = time.perf_counter()
    res = EvalResult()
    for i, vt in enumerate(tqdm(tasks, desc="eval", disable=not progress, leave=False)):
        task = vt.task
        samples = m.sample(m.prompt_for(task, config.max_new_tokens),
                           SampleConfig(n=config.eval_samples, temperatures=(config.temperature,),
                                        top_p=1.0, max_new_tokens=config.max_new_tokens,
                                        seed=config.eval_seed + i))
        codes = [s.code for s in samples]
        scores = score_programs_v2(codes, task, executor)
        solved = any(s["solved"] for s in scores)
        accs = [s["accuracy"] for s in scores]
        res.tasks += 1
        res.samples += len(scores)
        res.legal += sum(s["legal"] for s in scores)
        res.solved += solved
        res.mean_accuracy += sum(accs)
        res.max_accuracy += max(accs)
        fam = res.families.setdefault(vt.family, {"tasks": 0, "solved": 0})
        fam["tasks"] += 1
        fam["solved"] += solved
        res.per_task.append({"id": task.id, "family": vt.family, "solved": solved,
                             "max_accuracy": max(accs), "mean_accuracy": sum(accs) / len(accs),
                             "best": codes[int(np.argmax(accs))], "truth": vt.program})
    res.mean_accuracy /= max(res.samples, 1)
    res.max_accuracy /= max(res.tasks, 1)
    res.seconds = time.perf_counter() - t0
    model.train(was_training)
    return res


def family_line(families: dict) -> str:
    """``rigid 2/3, scale 0/4, ...`` (solved/tasks per family, by name)."""
    return ", ".join(f"{k} {v['solved']}/{v['tasks']}" for k, v in sorted(families.items()))


# ---------------------------------------------------------------- checkpoints


def solver_json(config: BaseConfig) -> dict:
    if config.tasks == "v2":  # the drawing grammar would forbid v2 programs: none declared
        return {"prompt": {"encoder": config.encoder, "chat": False},
                "max_new_tokens": config.solve_max_new_tokens}
    return {"prompt": {"encoder": config.encoder, "chat": False},
            "max_new_tokens": config.solve_max_new_tokens,
            "grammar": "dsl"}  # it writes only DSL programs: sample inside the grammar


def save_checkpoint(directory: Path, model, tokenizer, optimizer, state: dict,
                    config: BaseConfig) -> None:
    """Write a loadable model + optimizer + state to ``directory`` (atomically: a temporary
    folder renamed over the old one)."""
    import torch

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    (tmp / "solver.json").write_text(json.dumps(solver_json(config), indent=1) + "\n")
    if optimizer is not None:
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=1) + "\n")
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(directory: Path):
    """(model, tokenizer, state) of a checkpoint directory or an exported model folder
    (whose ``training.json`` holds the state)."""
    from transformers import AutoTokenizer, LlamaForCausalLM

    directory = Path(directory)
    model = LlamaForCausalLM.from_pretrained(str(directory), dtype="float32")
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    name = "state.json" if (directory / "state.json").exists() else "training.json"
    state = json.loads((directory / name).read_text())
    return model, tokenizer, state


MODEL_FILES = ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
               "tokenizer_config.json", "special_tokens_map.json", "solver.json")


def export(checkpoint: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy a checkpoint's model (no optimizer state) to ``dest`` as a model folder that
    :func:`solver.lm.model.load` reads; ``training.json`` keeps the run's settings, step, stream
    position and pass@k curve, so ``train-base --init dest`` can continue the run."""
    src, dest = Path(checkpoint), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (src / name).exists():
            shutil.copy2(src / name, dest / name)
    state = json.loads((src / "state.json").read_text())
    (dest / "training.json").write_text(json.dumps(state, indent=1) + "\n")
    return dest


# ---------------------------------------------------------------- the driver


RESUME_SETTINGS = ("order", "draw_weights", "solve_max_new_tokens", "steps", "eval_every",
                   "save_every", "keep_steps", "threads", "lr", "schedule", "min_lr_ratio",
                   "eval_tasks", "eval_samples", "temperature", "device", "workers",
                   "batch_tokens", "warmup_steps", "restart_at")

MACHINE_SETTINGS = ("device", "workers", "threads")  # set anew by train-base --init


def check_stream(config: BaseConfig) -> None:
    """ValueError naming the setting when the task stream's settings cannot work."""
    if config.tasks not in TASKS:
        raise ValueError(f"tasks must be one of {', '.join(TASKS)}, got {config.tasks!r}")
    synth.check_draw_weights(config.draw_weights)
    if config.max_positions < 64:
        raise ValueError(f"max_positions must be at least 64, got {config.max_positions}")
    if config.tasks == "v2":
        family_weights(config.v2_families)
        if not 1 <= config.v2_start_max_side <= 30 or not 1 <= config.v2_max_side <= 30:
            raise ValueError("v2_max_side and v2_start_max_side must be in 1..30")
        if config.v2_max_steps < 1 or config.v2_start_max_steps < 1:
            raise ValueError("v2_max_steps and v2_start_max_steps must be >= 1")


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other names as given."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch sees no CUDA GPU here")
    return name


def _until(batches: Iterator, stop: Callable[[], bool]) -> Iterator:
    """``batches`` until ``stop()`` says so, asked before each batch is pulled: the
    stream's position (what a resume starts from) never moves past a batch that was not
    trained."""
    batches = iter(batches)
    while not stop():
        try:
            batch = next(batches)
        except StopIteration:
            return
        yield batch


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold ``out/train.lock`` while training: two trainers on one run folder would overwrite
    each other's checkpoints (each from its own step), so the second one stops at once with
    the first one's pid in its error."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "a process"
            raise ValueError(f"{out} is being trained by {holder}: stop it first (SIGTERM "
                             f"checkpoints it), or give another --out") from None
        f.truncate(0)
        f.write(f"pid {os.getpid()}\n")
        f.flush()
        yield  # closing the file releases the lock, as does the process's end


def _one_trainer(train: Callable) -> Callable:
    """``train(out, ...)`` under :func:`run_lock`."""
    @functools.wraps(train)
    def locked(out, *args, **kwargs):
        with run_lock(Path(out)):
            return train(out, *args, **kwargs)
    return locked


@_one_trainer
def train_base(out: str | os.PathLike, config: BaseConfig | None = None, resume: bool = False,
               progress: bool = True, log=print, stop_at: int | None = None,
               overrides: dict | None = None, init: str | os.PathLike | None = None,
               stop_after: float | None = None,
               stop_requested: Callable[[], bool] | None = None) -> dict:
    """Train (or resume) the embedded model in ``out/ckpt``; returns the final state.

    A new run uses ``config``. ``resume`` continues the run saved in ``out`` with its own
    settings, changed only by ``overrides`` (those in RESUME_SETTINGS: e.g. more ``steps``;
    the cosine schedule then stretches to the new length). ``stop_at``: end this call at
    that step (checkpointed; the schedule still spans ``steps``, so a later resume
    continues exactly as if never stopped). ``stop_after``: end this call like ``stop_at``
    once that many seconds have passed since it started (checked between steps; the final
    checkpoint and evaluation come after, so leave them time on a lent machine).
    ``stop_requested``: asked between steps; once it returns True the call ends the same
    way (the CLI sets it on SIGTERM or a first Ctrl-C).
    ``init``: an exported model folder (e.g. the shipped default) whose run to continue in
    ``out``, with a fresh optimizer state."""
    call_start = time.time()
    config = config or BaseConfig()
    overrides = dict(overrides or {})
    import torch

    from solver.lm.train import TrainConfig, TrainStats, make_optimizer, run_steps

    out = Path(out)
    ckpt = out / "ckpt"
    if init is not None:
        if (ckpt / "state.json").exists():
            raise ValueError(f"{ckpt} already holds a run: --init starts a new run folder")
        ckpt.mkdir(parents=True)
        for name in MODEL_FILES:
            if (Path(init) / name).exists():
                shutil.copy2(Path(init) / name, ckpt / name)
        shutil.copy2(Path(init) / "training.json", ckpt / "state.json")
        resume = True
        # the exported run may come from another machine: its device, workers and threads
        # are not this one's
        for name in MACHINE_SETTINGS:
            overrides.setdefault(name, getattr(BaseConfig(), name))
        log(f"continuing the run exported to {init} (fresh optimizer state)")
    if resume and (ckpt / "state.json").exists():
        model, tokenizer, state = load_checkpoint(ckpt)
        config = BaseConfig.from_dict(state["config"])
        bad = sorted(set(overrides) - set(RESUME_SETTINGS))
        if bad:
            raise ValueError(f"cannot change {', '.join(bad)} when resuming (the model shape "
                             f"and data stream come from the checkpoint); can change: "
                             f"{', '.join(RESUME_SETTINGS)}")
        for name, value in overrides.items():
            setattr(config, name, tuple(value) if name == "keep_steps" else value)
        state["config"] = asdict(config)
        log(f"resuming {ckpt} at step {state['step']} of {config.steps}")
    else:
        for name, value in overrides.items():
            setattr(config, name, tuple(value) if name == "keep_steps" else value)
        if (ckpt / "state.json").exists() and not resume:
            raise ValueError(f"{ckpt} already holds a run: pass --resume or another --out")
        if config.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {config.encoder!r}")
        check_stream(config)  # before anything is built
        torch.manual_seed(config.seed)
        tokenizer = build_tokenizer(tasks=config.tasks, max_length=config.max_positions)
        model = new_model(config, tokenizer)
        state = {"step": 0, "pool": 0, "offset": 0, "tokens": 0, "seconds": 0.0,
                 "wall_seconds": 0.0, "curve": [], "stream": new_counts(),
                 "config": asdict(config)}
    check_stream(config)  # before the run folder is written
    device = resolve_device(config.device)
    torch.set_num_threads(config.threads)
    model.to(device)
    out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f} M parameters, vocab {len(tokenizer)}; "
        f"encoder {config.encoder}; steps {config.steps}; device {device}"
        + (f"; v2 tasks, context {config.max_positions}" if config.tasks == "v2" else ""))
    tcfg = TrainConfig(lr=config.lr, steps=config.steps, batch_tokens=config.batch_tokens,
                       warmup_steps=config.warmup_steps, schedule=config.schedule,
                       min_lr_ratio=config.min_lr_ratio, grad_clip=config.grad_clip,
                       weight_decay=config.weight_decay, seed=config.seed, progress=progress,
                       schedule_start=config.restart_at)
    optimizer = make_optimizer(model, tcfg)
    if resume and (ckpt / "optimizer.pt").exists():
        # saved on whatever device trained it; load_state_dict moves it to the parameters'
        optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", map_location="cpu",
                                             weights_only=True))
    executor = None
    if config.tasks == "v2":
        from solver.lm import dialects
        from solver.sandbox.executor import Executor

        held_out, passed_over = eval_tasks_v2(config, tokenizer)
        log(f"held-out: {len(held_out)} v2 tasks (seed {config.eval_seed}; {passed_over} "
            f"passed over: prompt + {config.max_new_tokens} new tokens > context "
            f"{config.max_positions})")
        # the model's programs are untrusted: they run in the sandbox, never here
        executor = Executor(workers=1, timeout_s=dialects.DSL.timeout_s)
    else:
        held_out = eval_tasks(config)
    counts = state.setdefault("stream", new_counts())
    position = {"pool": state["pool"], "offset": state["offset"], "step": state["step"]}
    stream = batch_stream(config, tokenizer, state["pool"], state["offset"], position, counts)
    batches = stream
    if stop_at is not None:
        batches = itertools.islice(stream, max(0, stop_at - state["step"]))
    asked = stop_requested or (lambda: False)
    deadline = math.inf if stop_after is None else call_start + stop_after
    batches = _until(batches, lambda: asked() or time.time() >= deadline)
    wall0 = time.time() - state.get("wall_seconds", 0.0)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=1) + "\n")

    def do_eval(step: int) -> dict:
        if executor is not None:
            r = evaluate_v2(model, tokenizer, held_out, config, executor)
        else:
            r = evaluate(model, tokenizer, held_out, config.encoder, config.eval_samples,
                         config.temperature, config.max_new_tokens, seed=config.eval_seed)
        row = {"step": step, "wall_s": round(time.time() - wall0, 1),
               **{k: v for k, v in r.summary().items() if k != "samples"}}
        if executor is not None:
            row["stream"] = dict(counts)
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        log(f"step {step}: pass@{config.eval_samples} {r.pass_at_k:.1%}  legal "
            f"{r.legal_rate:.1%}  max px acc {r.max_accuracy:.3f}  ({r.seconds:.0f} s)")
        if r.families:
            log(f"  per family (solved/tasks): {family_line(r.families)}; stream: "
                f"{counts['examples']} examples, {counts['too_long']} over the context")
        return row

    run = TrainStats()
    seconds0, tokens0 = state.get("seconds", 0.0), state.get("tokens", 0)

    def snapshot(step: int) -> None:
        state.update(step=step, pool=position["pool"], offset=position["offset"],
                     wall_seconds=round(time.time() - wall0, 1),
                     seconds=round(seconds0 + run.seconds, 1), tokens=tokens0 + run.tokens)
        save_checkpoint(ckpt, model, tokenizer, optimizer, state, config)
        if step in config.keep_steps:
            keep = out / "steps" / f"{step:05d}"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(ckpt, keep, ignore=shutil.ignore_patterns("optimizer.pt"))

    losses: list[float] = []

    def on_step(step: int, loss: float, bar) -> str | None:
        losses.append(loss)
        position["step"] = step
        msg = None
        if config.eval_every and step % config.eval_every == 0 and step < config.steps:
            row = do_eval(step)
            row["loss"] = round(sum(losses[-50:]) / len(losses[-50:]), 4)
            state["curve"].append(row)
            msg = f"pass@{config.eval_samples} {row['pass_at_k']:.0%}"
        if step % config.save_every == 0 or step in config.keep_steps or step == config.steps:
            snapshot(step)
        return msg

    try:
        try:
            stats = run_steps(model, tokenizer, batches, tcfg, config.steps, optimizer,
                              start_step=state["step"], on_step=on_step, desc="train-base",
                              stats=run)
        finally:
            stream.close()  # stops the stream's worker processes, if any
        state["tokens"] = tokens0 + stats.tokens
        state["seconds"] = round(seconds0 + stats.seconds, 1)
        state["tokens_per_s"] = round(stats.tokens_per_s)
        if state["step"] != position["step"]:
            snapshot(position["step"])
        if not state["curve"] or state["curve"][-1]["step"] != position["step"]:
            row = do_eval(position["step"])
            row["loss"] = round(sum(losses[-50:]) / max(len(losses[-50:]), 1), 4) if losses else None
            state["curve"].append(row)
            snapshot(position["step"])
    finally:
        if executor is not None:
            executor.close()
    return state

