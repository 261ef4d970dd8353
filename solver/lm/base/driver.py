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
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator

from solver.lm import dialects
from solver.lm.base.checkpoints import MODEL_FILES, load_checkpoint, one_trainer, save_checkpoint
from solver.lm.base.config import (MACHINE_SETTINGS, RESUME_SETTINGS, BaseConfig, new_model,
                                   resolve_device)
from solver.lm.base.evaluation import (eval_tasks, eval_tasks_v2, evaluate, evaluate_v2,
                                       family_line)
from solver.lm.base.streams import batch_stream, check_stream, new_counts
from solver.lm.base.tokenizer import build_tokenizer
from solver.lm.prompt import ENCODERS


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
