"""The ``train-base`` driver: train (or resume) the embedded model, checkpointed and
evaluated as it goes; resumable, meant to run in the background for hours on a CPU.

A run directory holds ``ckpt/`` (the checkpoint, :mod:`solver.lm.base.checkpoints`),
``config.json`` (the settings), ``log.jsonl`` (one line per evaluation), ``train.lock``
(:func:`solver.lm.base.checkpoints.run_lock`) and ``steps/NNNNN/`` (copies kept at the
``keep_steps`` for the weaker-model experiments).

torch, :mod:`solver.lm.train` and the sandbox's executor are imported by the functions
that use them, so ``import solver.lm.base`` stays light.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from solver.lm import dialects
from solver.lm.base.checkpoints import MODEL_FILES, load_checkpoint, one_trainer, save_checkpoint
from solver.lm.base.config import (MACHINE_SETTINGS, RESUME_SETTINGS, BaseConfig, new_model,
                                   resolve_device)
from solver.lm.base.evaluation import (eval_tasks, eval_tasks_v2, evaluate, evaluate_v2,
                                       family_line)
from solver.lm.base.streams import batch_stream, check_stream, new_counts
from solver.lm.base.tokenizer import build_tokenizer
from solver.lm.prompt import ENCODERS


@one_trainer
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
    from solver.lm.train import TrainStats, run_steps

    call_start = time.time()
    config = config or BaseConfig()
    overrides = dict(overrides or {})
    out = Path(out)
    ckpt = out / "ckpt"
    if init is not None:
        _adopt_export(init, ckpt, overrides, log)
        resume = True
    if resume and (ckpt / "state.json").exists():
        model, tokenizer, state, config = _resume_run(ckpt, overrides, log)
    else:
        model, tokenizer, state = _new_run(ckpt, config, overrides, resume)
    check_stream(config)  # before the run folder is written
    _place(model, tokenizer, config, out, log)
    tcfg, optimizer = _optimizer(model, config, progress, ckpt if resume else None)
    held_out, executor = _held_out(config, tokenizer, log)
    counts = state.setdefault("stream", new_counts())
    position = {"pool": state["pool"], "offset": state["offset"], "step": state["step"]}
    stream = batch_stream(config, tokenizer, state["pool"], state["offset"], position, counts)
    batches = _stopping(stream, state["step"], stop_at, stop_after, stop_requested, call_start)
    run = _Run(out, config, model, tokenizer, optimizer, state, held_out, executor, position,
               counts, log, TrainStats())
    (out / "config.json").write_text(json.dumps(asdict(config), indent=1) + "\n")
    try:
        try:
            stats = run_steps(model, tokenizer, batches, tcfg, config.steps, optimizer,
                              start_step=state["step"], on_step=run.on_step, desc="train-base",
                              stats=run.stats)
        finally:
            stream.close()  # stops the stream's worker processes, if any
        run.finish(stats)
    finally:
        if executor is not None:
            executor.close()
    return state


# ---------------------------------------------------------------- the run's parts


def _apply(config: BaseConfig, overrides: dict) -> None:
    for name, value in overrides.items():
        setattr(config, name, tuple(value) if name == "keep_steps" else value)


def _adopt_export(init: str | os.PathLike, ckpt: Path, overrides: dict, log) -> None:
    """Copy an exported model folder into the new run folder's ``ckpt`` as its checkpoint
    (no optimizer state); the machine settings in ``overrides`` default to this machine's."""
    if (ckpt / "state.json").exists():
        raise ValueError(f"{ckpt} already holds a run: --init starts a new run folder")
    ckpt.mkdir(parents=True)
    for name in MODEL_FILES:
        if (Path(init) / name).exists():
            shutil.copy2(Path(init) / name, ckpt / name)
    shutil.copy2(Path(init) / "training.json", ckpt / "state.json")
    # the exported run may come from another machine: its device, workers and threads
    # are not this one's
    for name in MACHINE_SETTINGS:
        overrides.setdefault(name, getattr(BaseConfig(), name))
    log(f"continuing the run exported to {init} (fresh optimizer state)")


def _resume_run(ckpt: Path, overrides: dict, log) -> tuple[Any, Any, dict, BaseConfig]:
    """(model, tokenizer, state, settings) of the run saved in ``ckpt``, its settings
    changed by ``overrides`` (only those in RESUME_SETTINGS)."""
    model, tokenizer, state = load_checkpoint(ckpt)
    config = BaseConfig.from_dict(state["config"])
    bad = sorted(set(overrides) - set(RESUME_SETTINGS))
    if bad:
        raise ValueError(f"cannot change {', '.join(bad)} when resuming (the model shape "
                         f"and data stream come from the checkpoint); can change: "
                         f"{', '.join(RESUME_SETTINGS)}")
    _apply(config, overrides)
    state["config"] = asdict(config)
    log(f"resuming {ckpt} at step {state['step']} of {config.steps}")
    return model, tokenizer, state, config


def _new_run(ckpt: Path, config: BaseConfig, overrides: dict,
             resume: bool) -> tuple[Any, Any, dict]:
    """(model, tokenizer, state) of a new run on ``config`` (changed by ``overrides``):
    a fresh tokenizer and a seeded random model at step 0."""
    import torch

    _apply(config, overrides)
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
    return model, tokenizer, state


def _place(model, tokenizer, config: BaseConfig, out: Path, log) -> None:
    """The model on its device with the run's threads, the run folder made, the model
    announced."""
    import torch

    device = resolve_device(config.device)
    torch.set_num_threads(config.threads)
    model.to(device)
    out.mkdir(parents=True, exist_ok=True)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f} M parameters, vocab {len(tokenizer)}; "
        f"encoder {config.encoder}; steps {config.steps}; device {device}"
        + (f"; v2 tasks, context {config.max_positions}" if config.tasks == "v2" else ""))


def _optimizer(model, config: BaseConfig, progress: bool, resume_from: Path | None):
    """(the training loop's settings, the optimizer), its state loaded from the checkpoint
    ``resume_from`` when that has one."""
    import torch

    from solver.lm.train import TrainConfig, make_optimizer

    tcfg = TrainConfig(lr=config.lr, steps=config.steps, batch_tokens=config.batch_tokens,
                       warmup_steps=config.warmup_steps, schedule=config.schedule,
                       min_lr_ratio=config.min_lr_ratio, grad_clip=config.grad_clip,
                       weight_decay=config.weight_decay, seed=config.seed, progress=progress,
                       schedule_start=config.restart_at)
    optimizer = make_optimizer(model, tcfg)
    if resume_from is not None and (resume_from / "optimizer.pt").exists():
        # saved on whatever device trained it; load_state_dict moves it to the parameters'
        optimizer.load_state_dict(torch.load(resume_from / "optimizer.pt", map_location="cpu",
                                             weights_only=True))
    return tcfg, optimizer


def _held_out(config: BaseConfig, tokenizer, log) -> tuple[list, Any]:
    """The held-out tasks of the evaluations, and the sandbox that runs a v2 run's sampled
    programs (None for drawings)."""
    if config.tasks != "v2":
        return eval_tasks(config), None
    from solver.sandbox.executor import Executor

    held_out, passed_over = eval_tasks_v2(config, tokenizer)
    log(f"held-out: {len(held_out)} v2 tasks (seed {config.eval_seed}; {passed_over} "
        f"passed over: prompt + {config.max_new_tokens} new tokens > context "
        f"{config.max_positions})")
    # the model's programs are untrusted: they run in the sandbox, never here
    return held_out, Executor(workers=1, timeout_s=dialects.DSL.timeout_s)


def _stopping(stream: Iterator, step: int, stop_at: int | None, stop_after: float | None,
              stop_requested: Callable[[], bool] | None, call_start: float) -> Iterator:
    """``stream`` from ``step`` until ``stop_at``, ``stop_after`` seconds after
    ``call_start`` or ``stop_requested()``, whichever comes first."""
    batches = stream
    if stop_at is not None:
        batches = itertools.islice(stream, max(0, stop_at - step))
    asked = stop_requested or (lambda: False)
    deadline = math.inf if stop_after is None else call_start + stop_after
    return _until(batches, lambda: asked() or time.time() >= deadline)


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


# ---------------------------------------------------------------- evaluations and checkpoints


@dataclass
class _Run:
    """What the training loop's step callback shares with the end of the call: the model,
    the held-out tasks, the run's state (updated in place) and the stream's position."""
    out: Path
    config: BaseConfig
    model: Any
    tokenizer: Any
    optimizer: Any
    state: dict
    held_out: list
    executor: Any  # the sandbox of a v2 run; None for drawings
    position: dict  # the stream's next unread batch and the last step trained
    counts: dict  # what the stream made and dropped (streams.new_counts)
    log: Callable
    stats: Any  # this call's solver.lm.train.TrainStats, filled in by run_steps
    losses: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wall0 = time.time() - self.state.get("wall_seconds", 0.0)
        self.seconds0 = self.state.get("seconds", 0.0)
        self.tokens0 = self.state.get("tokens", 0)

    def on_step(self, step: int, loss: float, bar) -> str | None:
        """After each step: an evaluation every ``eval_every`` steps (its pass@k goes to the
        progress bar), a checkpoint every ``save_every`` and at the ``keep_steps``."""
        config, state = self.config, self.state
        self.losses.append(loss)
        self.position["step"] = step
        msg = None
        if config.eval_every and step % config.eval_every == 0 and step < config.steps:
            row = self.evaluate(step)
            row["loss"] = self.recent_loss()
            state["curve"].append(row)
            msg = f"pass@{config.eval_samples} {row['pass_at_k']:.0%}"
        if step % config.save_every == 0 or step in config.keep_steps or step == config.steps:
            self.snapshot(step)
        return msg

    def finish(self, stats) -> None:
        """After the last step of this call: the totals in the state, a checkpoint at the
        step reached and, unless that step was just evaluated, an evaluation."""
        state, step = self.state, self.position["step"]
        state["tokens"] = self.tokens0 + stats.tokens
        state["seconds"] = round(self.seconds0 + stats.seconds, 1)
        state["tokens_per_s"] = round(stats.tokens_per_s)
        if state["step"] != step:
            self.snapshot(step)
        if not state["curve"] or state["curve"][-1]["step"] != step:
            row = self.evaluate(step)
            row["loss"] = self.recent_loss()
            state["curve"].append(row)
            self.snapshot(step)

    def recent_loss(self) -> float | None:
        """The mean training loss of the last 50 steps of this call (None before any)."""
        recent = self.losses[-50:]
        return round(sum(recent) / len(recent), 4) if recent else None

    def evaluate(self, step: int) -> dict:
        """Evaluate on the held-out tasks; the row is logged and appended to ``log.jsonl``."""
        config, counts = self.config, self.counts
        if self.executor is not None:
            r = evaluate_v2(self.model, self.tokenizer, self.held_out, config, self.executor)
        else:
            r = evaluate(self.model, self.tokenizer, self.held_out, config.encoder,
                         config.eval_samples, config.temperature, config.max_new_tokens,
                         seed=config.eval_seed)
        row = {"step": step, "wall_s": round(time.time() - self.wall0, 1),
               **{k: v for k, v in r.summary().items() if k != "samples"}}
        if self.executor is not None:
            row["stream"] = dict(counts)
        with open(self.out / "log.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        self.log(f"step {step}: pass@{config.eval_samples} {r.pass_at_k:.1%}  legal "
                 f"{r.legal_rate:.1%}  max px acc {r.max_accuracy:.3f}  ({r.seconds:.0f} s)")
        if r.families:
            self.log(f"  per family (solved/tasks): {family_line(r.families)}; stream: "
                     f"{counts['examples']} examples, {counts['too_long']} over the context")
        return row

    def snapshot(self, step: int) -> None:
        """Checkpoint at ``step`` (the stream's position and this call's totals in the
        state); a copy without the optimizer kept at the ``keep_steps``."""
        self.state.update(step=step, pool=self.position["pool"], offset=self.position["offset"],
                          wall_seconds=round(time.time() - self.wall0, 1),
                          seconds=round(self.seconds0 + self.stats.seconds, 1),
                          tokens=self.tokens0 + self.stats.tokens)
        ckpt = self.out / "ckpt"
        save_checkpoint(ckpt, self.model, self.tokenizer, self.optimizer, self.state, self.config)
        if step in self.config.keep_steps:
            keep = self.out / "steps" / f"{step:05d}"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(ckpt, keep, ignore=shutil.ignore_patterns("optimizer.pt"))
