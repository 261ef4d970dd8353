"""The on-the-fly seeded task streams a run trains on, with their curricula.

``drawings``: the drawing tasks of :mod:`solver.dsl.synth` (one pair on an empty grid, the
shipped model's). ``v2``: the ARC-like DSL v2 tasks of :mod:`solver.dsl.gen` (2..5 train
pairs, sides up to 30, programs of ``img = op(img, ...)`` lines), made into examples
exactly as the solver prompts at test time (the ``dsl`` dialect).

Examples come in pools of ``pool_steps`` steps, length-bucketed into batches; a pool is
deterministic in (seed, pool number) and the stream settings, so a resumed run reads the
same batches. With ``workers``, pools are made ahead by worker processes.

Imported where used, to keep ``import solver.lm.base`` light: :mod:`solver.dsl.gen`
(its generators), :mod:`solver.lm.train` (torch) and the process pool of ``workers``.
"""

from __future__ import annotations

import collections
import itertools
import random
import signal
from typing import Iterator

import numpy as np

from solver.dsl import synth
from solver.lm import dialects
from solver.lm.base.config import TASKS, V2_TARGETS, BaseConfig
from solver.lm.base.tokenizer import tokenizer_from_json, tokenizer_json
from solver.lm.prompt import PromptConfig, build_prompt, build_target


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
    if config.v2_target not in V2_TARGETS:
        raise ValueError(f"v2_target must be one of {', '.join(V2_TARGETS)}, got {config.v2_target!r}")
    if config.v2_target != "program" and config.tasks != "v2":
        raise ValueError("v2_target sketch needs tasks v2 (the drawing programs have no sketches)")


# ---------------------------------------------------------------- the v2 tasks


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


def v2_example(vt, encoder: str, target: str = "program") -> tuple[str, str]:
    """(prompt, target) of a v2 task as the solver writes them at test time (the ``dsl``
    dialect: the train pairs and ``def task(img):``; the target is the program's body, or
    its sketch when ``target`` is ``sketch``)."""
    dialect = dialects.DSL.with_overrides(sketches=target == "sketch")
    return dialect.example(vt.task, vt.program, None, PromptConfig(encoder=encoder, chat=False))


V2_TRIES = 20  # draws of one v2 example's family before it is skipped


def draw_v2(seed_key: list[int], family: str, task_id: str, cfg, stats):
    """A verified v2 task of ``family`` from rngs seeded by ``seed_key + [try]``, or None."""
    from solver.dsl.gen import make_task_v2

    for attempt in range(V2_TRIES):
        vt = make_task_v2(family, np.random.default_rng([*seed_key, attempt]), task_id, cfg, stats)
        if vt is not None:
            return vt
    return None


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


# ---------------------------------------------------------------- pools and batches


def new_counts() -> dict[str, int]:
    """What the stream made and dropped: examples used, examples over the context, v2 tasks
    the generators dropped (verification) before one was made."""
    return {"examples": 0, "too_long": 0, "generator_drops": 0}


def _pool_examples(pool: int, step: int, config: BaseConfig, tokenizer,
                   counts: dict) -> tuple[list[tuple[str, str]], list[int]]:
    """(prompt, target) examples of pool ``pool`` and their lengths in tokens, enough to
    fill ``pool_steps`` batches."""
    budget = config.batch_tokens * config.pool_steps
    if config.tasks == "drawings":
        return _drawing_examples(pool, step, config, tokenizer, counts, budget)
    return _v2_examples(pool, step, config, tokenizer, counts, budget)


def _drawing_examples(pool: int, step: int, config: BaseConfig, tokenizer, counts: dict,
                      budget: int) -> tuple[list[tuple[str, str]], list[int]]:
    examples, lengths = [], []
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


def _v2_examples(pool: int, step: int, config: BaseConfig, tokenizer, counts: dict,
                 budget: int) -> tuple[list[tuple[str, str]], list[int]]:
    """The v2 examples that fit the context (those over it are counted in ``too_long``)."""
    examples, lengths = [], []
    tasks = v2_stream(pool, step, config, counts)
    made = 0
    while sum(lengths) < budget * 0.85:  # leave room for padding
        vt = next(tasks)
        made += 1
        if made > 200 and len(examples) < made // 10:
            raise RuntimeError(f"v2 stream, pool {pool}: {made} tasks made, {len(examples)} fit "
                               f"max_positions {config.max_positions} (raise it or lower "
                               f"v2_max_side)")
        p, t = v2_example(vt, config.encoder, config.v2_target)
        n = len(tokenizer.encode(p + t, add_special_tokens=False)) + 1
        if n > config.max_positions:
            counts["too_long"] += 1
            continue
        examples.append((p, t))
        lengths.append(n)
        counts["examples"] += 1
    return examples, lengths


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
    import multiprocessing  # only a run with workers needs the process pool
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
