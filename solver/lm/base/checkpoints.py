"""A run's checkpoints (atomic saves, loading, export as a model folder) and the lock that
keeps one trainer per run folder.

A checkpoint directory holds ``model.safetensors`` + ``config.json`` + tokenizer files +
``solver.json`` (a loadable model), ``optimizer.pt`` and ``state.json`` (step, stream
position, the pass@k curve, the settings). torch and transformers are imported where
used, so ``import solver.lm.base`` stays light.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

from solver.lm.base.config import BaseConfig

MODEL_FILES = ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
               "tokenizer_config.json", "special_tokens_map.json", "solver.json")


def solver_json(config: BaseConfig) -> dict:
    if config.tasks == "v2":  # the drawing grammar would forbid v2 programs: none declared
        data = {"prompt": {"encoder": config.encoder, "chat": False},
                "max_new_tokens": config.solve_max_new_tokens}
        if config.v2_target == "sketch":  # its test-time targets are sketches too
            data["dialect"] = {"name": "dsl", "sketches": True}
        return data
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


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold ``out/train.lock`` while training: two trainers on one run folder would overwrite
    each other's checkpoints (each from its own step), so the second one stops at once with
    the first one's pid in its error."""
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


def one_trainer(train: Callable) -> Callable:
    """``train(out, ...)`` under :func:`run_lock`."""
    @functools.wraps(train)
    def locked(out, *args, **kwargs):
        with run_lock(Path(out)):
            return train(out, *args, **kwargs)
    return locked
