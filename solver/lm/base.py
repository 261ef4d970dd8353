"""The embedded model from scratch: tokenizer, model shape, the on-the-fly seeded task
stream with a curriculum, held-out pass@k evaluation, checkpoints, and the ``train-base``
driver (resumable, meant to run in the background for hours on a CPU).

The tokenizer is word level and exact: every DSL name, ``(img, ``, ``, ``, the indent and
the prompt's words are one token each, every digit is one token, and any other printable
character is a token of its own, so decoding gives back the text byte for byte.

A run directory holds ``state.json`` (step, stream position, the pass@k curve, the
settings), ``model.safetensors`` + ``config.json`` + tokenizer files + ``solver.json``
(a loadable model), ``optimizer.pt``, ``log.jsonl`` (one line per evaluation) and
``steps/NNNNN/`` (copies kept at the ``keep_steps`` for the weaker-model experiments).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from solver import dsl
from solver.dsl import program, synth
from solver.arc.grids import Task, atomic_write, train_score
from solver.arc.settings import setting
from solver.lm.config import SCHEDULES
from solver.lm.prompt import ENCODERS, PromptConfig, build_prompt, build_target, extract_code

SPECIAL = ["<pad>", "<eos>", "<unk>"]
WORDS = ["draw_horizontal_line", "draw_vertical_line", "draw_rectangle", "draw_pixel",
         "draw_line", "flood_fill", "create_img", "(img, ", ", ", "    ", "def", "task",
         "img", "return", "shape", "bg", "input", "output", "np"]
CHARS = ["\n", "\t"] + [chr(c) for c in range(32, 127)]


def build_tokenizer(directory: str | os.PathLike | None = None):
    """The embedded model's word-level tokenizer (a ``PreTrainedTokenizerFast``); saved to
    ``directory`` when given."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for t in SPECIAL + WORDS + CHARS:
        vocab.setdefault(t, len(vocab))
    words = sorted(WORDS, key=len, reverse=True)
    pattern = "|".join(re.escape(w) for w in words) + r"|[\s\S]"
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                   unk_token="<unk>", clean_up_tokenization_spaces=False,
                                   model_max_length=2048)
    if directory is not None:
        fast.save_pretrained(str(directory))
    return fast


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
                      max_position_embeddings=2048, rms_norm_eps=1e-5, tie_word_embeddings=True,
                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      bos_token_id=None)
    return LlamaForCausalLM(cfg)


def curriculum(step: int, config: BaseConfig) -> tuple[int, int]:
    """(max side, max draws) of the tasks generated at ``step``."""
    if config.curriculum_steps <= 0 or step >= config.curriculum_steps:
        return config.max_side, config.max_draws
    f = step / config.curriculum_steps
    side = round(config.start_max_side + f * (config.max_side - config.start_max_side))
    draws = round(config.start_max_draws + f * (config.max_draws - config.start_max_draws))
    return max(config.min_side, min(side, config.max_side)), max(1, min(draws, config.max_draws))


def example(st: synth.SynthTask, encoder: str) -> tuple[str, str]:
    return build_prompt(st.task, PromptConfig(encoder=encoder, chat=False)), build_target(st.program)


def make_pool(pool: int, step: int, config: BaseConfig, tokenizer, encode: bool = False) -> list[list]:
    """The batches of pool number ``pool`` (first used at ``step``): random tasks from the
    training seed, length-bucketed, in a seeded order; (prompt, target) examples, or with
    ``encode`` their (ids, prompt length) from :func:`solver.train.encode_example`.
    Deterministic in (seed, pool) and the stream settings (sides, draws, weights, order,
    batch_tokens)."""
    from solver.lm.train import encode_example, length_batches

    side, draws = curriculum(step, config)
    rng = np.random.default_rng([config.seed, 7, pool])
    examples, lengths, budget = [], [], config.batch_tokens * config.pool_steps
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
    groups = length_batches(lengths, config.batch_tokens, 256)
    random.Random(pool).shuffle(groups)
    if encode:
        return [[encode_example(tokenizer, *examples[j]) for j in g] for g in groups]
    return [[examples[j] for j in g] for g in groups]


_WORKER_TOKENIZER = None


def _pool_job(pool: int, config: BaseConfig) -> list[list[tuple[list[int], int]]]:
    """:func:`make_pool` in a worker process, encoded there so the trainer only collates
    (the tokenizer is built once per process, the same word-level vocabulary as the run's)."""
    global _WORKER_TOKENIZER
    if _WORKER_TOKENIZER is None:
        _WORKER_TOKENIZER = build_tokenizer()
    return make_pool(pool, pool * config.pool_steps, config, _WORKER_TOKENIZER, encode=True)


def _pools(config: BaseConfig, tokenizer, first: int) -> Iterator[list[list]]:
    """Pools ``first``, ``first + 1``, ... in order: made here, or, with ``config.workers``,
    by worker processes that stay at most ``2 * workers`` pools ahead (their batches come
    encoded; :func:`solver.train.run_steps` takes either form)."""
    if config.workers <= 0:
        for pool in itertools.count(first):
            # the curriculum follows the pool's nominal step, so a pool is the same on resume
            yield make_pool(pool, pool * config.pool_steps, config, tokenizer)
        return
    import collections
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the trainer may hold CUDA, which forked children must not inherit
    with ProcessPoolExecutor(config.workers, mp_context=multiprocessing.get_context("spawn")) as ex:
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


def batch_stream(config: BaseConfig, tokenizer, pool: int, offset: int,
                 position: dict) -> Iterator[list[tuple[str, str]]]:
    """Batches from (pool, offset) on; ``position`` is updated to the next unread batch."""
    for batches in _pools(config, tokenizer, pool):
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
    """Legality (see :func:`solver.program.parse_program`), pixel accuracy on the train pairs
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
    """``n`` programs for ``task``: through :mod:`solver.model`'s shared-prefix sampler when
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


# ---------------------------------------------------------------- checkpoints


def solver_json(config: BaseConfig) -> dict:
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
    :func:`solver.model.load` reads; ``training.json`` keeps the run's settings, step, stream
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


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; other names as given."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: torch sees no CUDA GPU here")
    return name


def train_base(out: str | os.PathLike, config: BaseConfig | None = None, resume: bool = False,
               progress: bool = True, log=print, stop_at: int | None = None,
               overrides: dict | None = None, init: str | os.PathLike | None = None) -> dict:
    """Train (or resume) the embedded model in ``out/ckpt``; returns the final state.

    A new run uses ``config``. ``resume`` continues the run saved in ``out`` with its own
    settings, changed only by ``overrides`` (those in RESUME_SETTINGS: e.g. more ``steps``;
    the cosine schedule then stretches to the new length). ``stop_at``: end this call at
    that step (checkpointed; the schedule still spans ``steps``, so a later resume
    continues exactly as if never stopped). ``init``: an exported model folder (e.g. the
    shipped default) whose run to continue in ``out``, with a fresh optimizer state."""
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
        torch.manual_seed(config.seed)
        tokenizer = build_tokenizer()
        model = new_model(config, tokenizer)
        state = {"step": 0, "pool": 0, "offset": 0, "tokens": 0, "seconds": 0.0,
                 "wall_seconds": 0.0, "curve": [], "config": asdict(config)}
    synth.check_draw_weights(config.draw_weights)  # before the run folder is written
    device = resolve_device(config.device)
    torch.set_num_threads(config.threads)
    model.to(device)
    out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f} M parameters, vocab {len(tokenizer)}; "
        f"encoder {config.encoder}; steps {config.steps}; device {device}")
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
    held_out = eval_tasks(config)
    position = {"pool": state["pool"], "offset": state["offset"], "step": state["step"]}
    stream = batch_stream(config, tokenizer, state["pool"], state["offset"], position)
    batches = stream
    if stop_at is not None:
        batches = itertools.islice(stream, max(0, stop_at - state["step"]))
    wall0 = time.time() - state.get("wall_seconds", 0.0)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=1) + "\n")

    def do_eval(step: int) -> dict:
        r = evaluate(model, tokenizer, held_out, config.encoder, config.eval_samples,
                     config.temperature, config.max_new_tokens, seed=config.eval_seed)
        row = {"step": step, "wall_s": round(time.time() - wall0, 1),
               **{k: v for k, v in r.summary().items() if k != "samples"}}
        with open(out / "log.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        log(f"step {step}: pass@{config.eval_samples} {r.pass_at_k:.1%}  legal "
            f"{r.legal_rate:.1%}  max px acc {r.max_accuracy:.3f}  ({r.seconds:.0f} s)")
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
        stats = run_steps(model, tokenizer, batches, tcfg, config.steps, optimizer,
                          start_step=state["step"], on_step=on_step, desc="train-base", stats=run)
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
    return state

