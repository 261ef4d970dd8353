"""One training loop for both uses: base training of the embedded model from scratch on
synthetic tasks (a stream of batches, :mod:`solver.lm.base`) and test-time fine-tuning of a
LoRA adapter on hindsight examples (:func:`train`, a few dozen examples, one pass).

An example is ``(prompt, target)``: the prompt from :func:`solver.lm.prompt.build_prompt`, the
target from :func:`solver.lm.prompt.build_target`. The loss is the mean cross-entropy over the
target tokens plus the end-of-sequence token; prompt and padding tokens are masked out.
Examples are grouped by length into batches of at most ``batch_tokens`` padded tokens; a
batch may also hold examples already encoded by :func:`encode_example` (the embedded model's
task stream encodes in its worker processes).
Only parameters with ``requires_grad`` are trained, so the same call trains a whole model
or only a peft adapter on top of a frozen (even 4-bit) base.

Memory: the language-model head runs only at target positions (the prompt's positions
never become vocabulary-sized logits: with an 8k-token prompt and a 128k vocabulary that
is 4 GB of fp32 per copy); ``gradient_checkpointing`` recomputes activations in the
backward pass instead of keeping them; an out-of-memory error in a step splits the batch
in halves (gradients accumulated, one optimizer step) and keeps the smaller size for the
rest of the call; an example that does not fit alone is skipped and counted
(``TrainStats.oom_skipped``), never an error.

Timing tolerates being paused (SIGSTOP/SIGCONT, used here to share the CPU with
benchmarks): a step during which the process was continued is left out of tokens/s.
"""

from __future__ import annotations

import math
import random
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import torch

from solver.arc.settings import setting
from solver.lm.config import SCHEDULES

Example = tuple[str, str]


@dataclass
class TrainConfig:
    lr: float = setting(3e-4, "peak learning rate (LoRA on the tiny model: 1e-4..1e-3)",
                        group="optimizer")
    epochs: int = setting(1, "passes over the examples (ignored when steps is set)",
                          group="optimizer")
    steps: int | None = setting(None, "optimizer steps; None: as many as `epochs` passes take",
                                group="optimizer")
    batch_tokens: int = setting(4096, "padded tokens per batch (rows x longest row)",
                                group="optimizer")
    max_rows: int = setting(64, "at most this many examples per batch", group="optimizer")
    warmup_steps: int = setting(10, "linear warmup, capped at a tenth of the steps",
                                group="optimizer")
    schedule: str = setting("cosine", "after warmup (decay to min_lr_ratio)", SCHEDULES,
                            group="optimizer")
    min_lr_ratio: float = setting(0.1, "final lr as a fraction of lr (cosine, linear)",
                                  group="optimizer")
    grad_clip: float = setting(1.0, "clip the global gradient norm (0: off)", group="optimizer")
    weight_decay: float = setting(0.0, "AdamW weight decay on matrices (not on norms/biases)",
                                  group="optimizer")
    bf16: bool = setting(True, "bf16 autocast where the device computes bf16 natively (a CUDA GPU "
                               "with bf16; a CPU with AVX512-BF16 or AMX); fp32 elsewhere",
                         group="machine")
    shuffle: bool = setting(True, "shuffle the batches (order within a length bucket stays)",
                            group="optimizer")
    seed: int = setting(0, "batch order and dropout", group="optimizer")
    progress: bool = setting(True, "tqdm bar with loss and tokens/s", group="call")
    schedule_start: int = setting(0, "the step at which warmup and decay begin (a warm restart)",
                                  group="optimizer")
    gradient_checkpointing: bool = setting(False, "recompute activations in the backward pass "
                                                  "(less memory, about a third slower)",
                                           group="machine")

    def __post_init__(self) -> None:
        if self.schedule not in ("cosine", "constant", "linear"):
            raise ValueError(f"schedule must be cosine, constant or linear, got {self.schedule!r}")
        if self.lr <= 0 or self.batch_tokens < 1 or (self.steps is not None and self.steps < 0):
            raise ValueError("lr and batch_tokens must be positive, steps >= 0")


@dataclass
class TrainStats:
    steps: int = 0
    examples: int = 0  # examples trained (those skipped for memory not counted)
    tokens: int = 0  # target tokens the loss was computed on
    first_loss: float = float("nan")
    last_loss: float = float("nan")
    mean_loss: float = float("nan")
    seconds: float = 0.0  # wall time of the steps, paused steps excluded
    tokens_per_s: float = 0.0  # all tokens the model ran (prompt + target + padding) per second
    oom_splits: int = 0  # batches split in halves after an out-of-memory error
    oom_skipped: int = 0  # examples skipped because they did not fit even alone
    losses: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("losses")
        return d


def lr_at(step: int, total: int, config: TrainConfig) -> float:
    """The learning rate for optimizer step ``step`` (0-based) of ``total``; the schedule
    (warmup, then decay) runs from ``config.schedule_start``."""
    start = min(max(config.schedule_start, 0), step)
    step, total = step - start, total - start
    warm = min(config.warmup_steps, max(total // 10, 0))
    if step < warm:
        return config.lr * (step + 1) / warm
    if config.schedule == "constant" or total <= warm + 1:
        return config.lr
    frac = min(1.0, (step - warm) / (total - warm - 1))
    lo = config.min_lr_ratio
    if config.schedule == "linear":
        return config.lr * (1 - (1 - lo) * frac)
    return config.lr * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * frac)))


# ---------------------------------------------------------------- batches


def encode_example(tokenizer, prompt: str, target: str) -> tuple[list[int], int]:
    """Token ids of prompt + target + EOS, and how many leading ids are the prompt."""
    p = tokenizer.encode(prompt, add_special_tokens=False)
    t = tokenizer.encode(target, add_special_tokens=False)
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no eos token")
    return p + t + [tokenizer.eos_token_id], len(p)


def length_batches(lengths: Sequence[int], batch_tokens: int, max_rows: int) -> list[list[int]]:
    """Indices grouped by length (longest first) so that rows x longest <= batch_tokens; an
    example longer than batch_tokens gets a batch of its own."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        longest = lengths[cur[0]] if cur else lengths[i]
        if cur and ((len(cur) + 1) * longest > batch_tokens or len(cur) >= max_rows):
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    return batches


def collate(encoded: Sequence[tuple[list[int], int]], pad_id: int):
    """input_ids, attention_mask, labels (-100 on prompt and padding), right-padded."""
    width = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    labels = torch.full((len(encoded), width), -100, dtype=torch.long)
    for r, (seq, n_prompt) in enumerate(encoded):
        ids[r, :len(seq)] = torch.tensor(seq)
        mask[r, :len(seq)] = 1
        labels[r, n_prompt:len(seq)] = torch.tensor(seq[n_prompt:])
    return ids, mask, labels


# ---------------------------------------------------------------- the loop


def _attention_kernels(device: torch.device):
    """On CUDA, attention without the cuDNN backend: it builds a graph for every new sequence
    length (seen on an H100: ~17 ms of host time per layer per backward, with batches of
    ever-changing widths, against ~7 ms of GPU work per whole step). Elsewhere, no change."""
    import contextlib

    if device.type != "cuda":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


class _HeadAtTargets:
    """While active, the model's output layer sees only the hidden states of ``positions``
    (a bool [batch, length] mask): a forward pre-hook replaces its input [B, T, D] by
    [1, n, D], so the model returns logits [1, n, V] for those positions alone, with
    whatever the model does after its head (soft-capping, scaling) still applied."""

    def __init__(self, model, positions: torch.Tensor):
        self.head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        self.positions = positions
        self.handle = None

    def __enter__(self) -> bool:
        if not isinstance(self.head, torch.nn.Module):
            return False
        positions = self.positions

        def pick(module, args):
            hidden = args[0]
            if hidden.dim() != 3 or hidden.shape[:2] != positions.shape:
                return None  # not the shape this hook is for: leave it alone
            return (hidden[positions].unsqueeze(0), *args[1:])

        self.handle = self.head.register_forward_pre_hook(pick)
        return True

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.remove()


def cpu_bf16_is_native(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bf16 in hardware (the ``avx512_bf16`` or ``amx_bf16`` flag
    of ``/proc/cpuinfo``). Elsewhere bf16 is emulated: a bf16 matmul measured 50x slower than
    fp32 on an AVX2-only CPU, so autocast would slow training down, not up."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: no flags to read, fp32 is the safe choice
            return False
    flags = set(cpuinfo.split())
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bf16_is_native(device: torch.device) -> bool:
    """Whether bf16 autocast speeds training up on ``device``: a CUDA GPU with bf16, or a CPU
    with bf16 in hardware (:func:`cpu_bf16_is_native`)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_bf16_is_native()


def batch_loss(model, ids, mask, labels, bf16: bool = False):
    """(mean cross-entropy over the labelled positions, their count): token t+1 is predicted
    from position t; the forward may run under bf16 autocast, the loss is taken in fp32.
    The output layer runs only where a label follows (:class:`_HeadAtTargets`; models
    without an output layer to hook get full logits). ``mask`` may be None for
    right-padded rows: under causal attention a real token never sees the pads after it,
    and without a mask attention runs its fused causal kernel."""
    device = ids.device
    shift_labels = labels[:, 1:]
    at = torch.zeros(labels.shape, dtype=torch.bool, device=labels.device)
    at[:, :-1] = shift_labels != -100
    n_target = int(at.sum())
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16), _attention_kernels(device):
        with _HeadAtTargets(model, at) as picked:
            logits = model(input_ids=ids, attention_mask=mask, use_cache=False).logits
    if picked and logits.shape[:2] == (1, n_target):  # (n_target < length: the hook ran)
        logits, targets = logits[0].float(), shift_labels[at[:, :-1]]
    else:  # full logits (no hook, or every position is a target anyway)
        logits, targets = logits[:, :-1].float(), shift_labels
        logits = logits.reshape(-1, logits.size(-1))
        targets = targets.reshape(-1)
    loss = torch.nn.functional.cross_entropy(logits, targets, ignore_index=-100,
                                             reduction="sum") / max(n_target, 1)
    return loss, n_target


def is_oom(e: BaseException) -> bool:
    """An out-of-memory error (CUDA's, or the CPU allocator's)."""
    if isinstance(e, torch.OutOfMemoryError):
        return True
    msg = str(e).lower()
    return isinstance(e, RuntimeError) and ("out of memory" in msg or "can't allocate memory" in msg)


def _free_memory(device: torch.device) -> None:
    import gc

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def accumulate(model, encoded: Sequence[tuple[list[int], int]], pad_id: int,
               device: torch.device, bf16: bool, rows: int | None, stats: "TrainStats",
               forward=None) -> tuple[float | None, int, int, int | None]:
    """Forward and backward over ``encoded`` in chunks of at most ``rows`` examples (None:
    all at once), the gradients summed so that they equal one batch's mean loss. On
    out-of-memory the chunk size is halved and the whole batch starts again; an example
    that fails alone is dropped (``stats.oom_skipped``). Returns (mean loss or None when
    nothing fit, target tokens, tokens run, the chunk size to use from now on: ``rows``
    unless an out-of-memory error lowered it)."""
    forward = forward or batch_loss
    items = list(encoded)
    cap = rows
    rows = max(1, min(rows or len(items), len(items)))
    while items:
        model.zero_grad(set_to_none=True)
        chunks = [items[i:i + rows] for i in range(0, len(items), rows)]
        n_all = sum(len(seq) - max(n_prompt, 1) for seq, n_prompt in items)  # labelled positions
        total, done_tokens, n_done, k = 0.0, 0, 0, 0
        try:
            for k, chunk in enumerate(chunks):
                ids, _, labels = collate(chunk, pad_id)  # right-padded: no mask needed
                ids = ids.to(device, non_blocking=True)
                labels = labels.to(device, non_blocking=True)
                loss, n_target = forward(model, ids, None, labels, bf16)
                (loss * (n_target / max(n_all, 1))).backward()
                total += float(loss.detach()) * n_target
                n_done += n_target
                done_tokens += int(ids.numel())
                del loss, ids, labels
            return total / max(n_done, 1), n_done, done_tokens, cap
        except Exception as e:  # noqa: BLE001 - only out-of-memory is handled
            if not is_oom(e):
                raise
            model.zero_grad(set_to_none=True)
            _free_memory(device)
            if rows > 1:
                rows //= 2
                cap = rows
                stats.oom_splits += 1
                continue
            del items[k]  # this example does not fit even alone: drop it, redo the rest
            stats.oom_skipped += 1
    return None, 0, 0, cap


class _PauseWatch:
    """Notices SIGCONT (the process was stopped and resumed) so a step's time can be dropped."""

    def __init__(self) -> None:
        self.resumed = False
        self._old = None

    def __enter__(self):
        try:
            self._old = signal.signal(signal.SIGCONT, self._on_cont)
        except (ValueError, AttributeError, OSError):  # not the main thread / no SIGCONT
            self._old = None
        return self

    def _on_cont(self, *_):
        self.resumed = True

    def take(self) -> bool:
        r, self.resumed = self.resumed, False
        return r

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGCONT, self._old)


def make_optimizer(model, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("no parameter requires grad: nothing to train")
    decay = [p for p in params if p.ndim >= 2]
    other = [p for p in params if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": other, "weight_decay": 0.0}]
    fused = all(p.is_cuda for p in params)  # one kernel for the whole update on a GPU
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=config.lr,
                             betas=(0.9, 0.95), eps=1e-8, fused=fused or None)


class _TrainingMode:
    """``model`` in training mode (with gradient checkpointing when ``checkpointing`` and
    the model has none on yet) for the block; the mode it had before afterwards."""

    def __init__(self, model, checkpointing: bool) -> None:
        self.model = model
        self.checkpointing = checkpointing and not getattr(
            model, "is_activation_checkpointing", False)

    def __enter__(self):
        self.was_training = self.model.training
        self.model.train()
        if self.checkpointing:
            self.model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False})
        return self

    def __exit__(self, *exc):
        if self.checkpointing:
            self.model.gradient_checkpointing_disable()
        self.model.train(self.was_training)


def _optimizer_step(optimizer: torch.optim.Optimizer, trainable, grad_clip: float) -> None:
    """Clip the gradients (``grad_clip`` > 0), step, and clear the gradients."""
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(trainable, grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _count_step(stats: TrainStats, examples: int, n_target: int, loss: float) -> None:
    stats.steps += 1
    stats.examples += examples
    stats.tokens += n_target
    stats.losses.append(loss)


def _close_stats(stats: TrainStats, run_tokens: int) -> None:
    """The loss summary and the speed (tokens of the steps whose time counted)."""
    if stats.losses:
        stats.first_loss, stats.last_loss = stats.losses[0], stats.losses[-1]
        stats.mean_loss = sum(stats.losses) / len(stats.losses)
    stats.tokens_per_s = run_tokens / stats.seconds if stats.seconds else 0.0


def run_steps(model, tokenizer, batches: Iterable[Sequence[Example]], config: TrainConfig,
              total_steps: int, optimizer: torch.optim.Optimizer | None = None,
              start_step: int = 0,
              on_step: Callable[[int, float, "object"], str | None] | None = None,
              desc: str = "train", stats: TrainStats | None = None,
              stop: Callable[[], bool] | None = None) -> TrainStats:
    """The loop: one optimizer step per batch from ``batches`` until ``total_steps`` (the
    schedule's length; counting starts at ``start_step`` when resuming). ``on_step(step,
    loss, bar)`` runs after each step (evaluation, checkpoints) and may return a short
    string for the progress bar; its time is not counted in tokens/s. ``stats``: accumulate
    into this object (so that ``on_step`` can read the running totals). ``stop()`` is asked
    before each step; True ends the loop there (a deadline)."""
    from tqdm.auto import tqdm

    optimizer = optimizer or make_optimizer(model, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    device = next(model.parameters()).device
    use_bf16 = config.bf16 and bf16_is_native(device)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    torch.manual_seed(config.seed + start_step)
    rows = None  # examples per forward: the whole batch, until an out-of-memory error lowers it
    stats = stats if stats is not None else TrainStats()
    run_tokens = 0
    extra = ""
    step = start_step
    with _TrainingMode(model, config.gradient_checkpointing), _PauseWatch() as pause:
        bar = tqdm(total=total_steps, initial=start_step, desc=desc, disable=not config.progress,
                   dynamic_ncols=True, leave=False)
        try:
            it: Iterator = iter(batches)
            while step < total_steps:
                if stop is not None and stop():
                    break
                try:
                    batch = next(it)
                except StopIteration:
                    break
                t0 = time.perf_counter()
                pause.take()
                encoded = [item if isinstance(item[0], list) else encode_example(tokenizer, *item)
                           for item in batch]
                for g in optimizer.param_groups:
                    g["lr"] = lr_at(step, total_steps, config)
                skipped = stats.oom_skipped
                value, n_target, n_run, rows = accumulate(model, encoded, pad_id, device, use_bf16,
                                                          rows, stats)
                if value is None:  # nothing of the batch fit in memory: no step
                    step += 1
                    bar.update(1)
                    continue
                _optimizer_step(optimizer, trainable, config.grad_clip)
                dt = time.perf_counter() - t0
                step += 1
                _count_step(stats, len(batch) - (stats.oom_skipped - skipped), n_target, value)
                if not pause.take():  # a paused step's wall time says nothing about speed
                    stats.seconds += dt
                    run_tokens += n_run
                if on_step is not None:
                    extra = on_step(step, value, bar) or extra
                bar.update(1)
                if config.progress:
                    tps = run_tokens / stats.seconds if stats.seconds else 0.0
                    bar.set_postfix_str(f"loss {value:.4f} tok/s {tps:,.0f}{' ' + extra if extra else ''}",
                                        refresh=False)
        finally:
            bar.close()
    _close_stats(stats, run_tokens)
    return stats


def epoch_batches(tokenizer, examples: Sequence[Example], config: TrainConfig) -> list[list[Example]]:
    """One pass over ``examples`` as length-bucketed batches, in a seeded shuffled order."""
    lengths = [len(tokenizer.encode(p + t, add_special_tokens=False)) + 1 for p, t in examples]
    groups = length_batches(lengths, config.batch_tokens, config.max_rows)
    return [[examples[i] for i in g] for g in groups]


def train(model, tokenizer, examples: Sequence[Example], config: TrainConfig) -> TrainStats:
    """Train ``model``'s trainable parameters on ``(prompt, target)`` examples: ``config.steps``
    steps, or ``config.epochs`` passes when steps is None. Returns the loss and speed."""
    if not examples:
        return TrainStats()
    one_pass = epoch_batches(tokenizer, examples, config)
    total = config.steps if config.steps is not None else len(one_pass) * config.epochs
    rng = random.Random(config.seed)

    def stream():
        while True:
            order = list(one_pass)
            if config.shuffle:
                rng.shuffle(order)
            yield from order

    return run_steps(model, tokenizer, stream(), config, total)
