"""Training memory: the output layer runs at target positions only (peak memory grows with
the target, not with prompt x vocabulary), out-of-memory errors split the batch instead of
ending the call, gradient checkpointing is an option."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import tiny
from solver.lm import train as T

# One training step in a fresh process: its peak resident memory above the size before it.
CHILD = r"""
import json, resource, sys, torch
torch.set_num_threads(1)
from transformers import LlamaConfig, LlamaForCausalLM
from solver.lm.train import batch_loss
P, N, V = map(int, sys.argv[1:4])
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=V, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                  num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=P + N + 8,
                  tie_word_embeddings=False)
model = LlamaForCausalLM(cfg)
ids = torch.randint(0, V, (1, P + N))
labels = ids.clone()
labels[:, :P] = -100
w = ids[:, :4].clone()
wl = w.clone()
wl[:, :2] = -100
batch_loss(model, w, None, wl)[0].backward()  # warm-up: lazy allocations are not counted
model.zero_grad(set_to_none=True)

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))

before = status("VmRSS")
try:  # Linux: reset the peak (VmHWM) to the current size
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    peak = lambda: status("VmHWM")
except OSError:  # no reset: the peak of the whole process (an upper bound)
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
loss, n = batch_loss(model, ids, None, labels)
loss.backward()
print(json.dumps({"n": n, "mb": (peak() - before) / 1024}))
"""

VOCAB = 128_256  # Llama 3's


def peak_mb(prompt: int, target: int) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, str(prompt), str(target), str(VOCAB)],
                         capture_output=True, text=True, timeout=600, env=dict(os.environ),
                         check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["n"] == target
    return data["mb"]


def test_peak_memory_grows_with_the_target_not_the_prompt():
    full_logits_mb = 8000 * VOCAB * 4 / 2**20  # one fp32 copy of the prompt's logits: 3.9 GB
    short, long_ = peak_mb(8000, 32), peak_mb(8000, 256)
    small_prompt = peak_mb(500, 256)
    assert short < 0.05 * full_logits_mb, short  # measured ~60 MB (the old loss: ~12 GB)
    per_token = VOCAB * 4 / 2**20  # one fp32 logit row, 0.49 MB
    assert long_ - short > 224 * per_token, (short, long_)  # grows with the target...
    assert abs(long_ - small_prompt) < 0.25 * long_, (long_, small_prompt)  # ...not the prompt


@pytest.fixture(scope="module")
def tok():
    return tiny.make_tokenizer()


def _model(tok, seed=0):
    torch.manual_seed(seed)
    return tiny.make_causal_lm(tok, hidden=32, layers=2, init_std=0.02)


def _examples(n):
    return [(f"input {i}\nshape 3x3 bg 0\n" * (1 + i % 3), f"    draw_pixel(img, ({i}, 1), 2)\n")
            for i in range(n)]


def test_loss_at_target_positions_equals_the_full_logits_loss(tok):
    model = _model(tok)
    enc = [T.encode_example(tok, p, t) for p, t in _examples(3)]
    ids, mask, labels = T.collate(enc, tok.pad_token_id)
    loss, n = T.batch_loss(model, ids, None, labels)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[:, :-1].float()
    ref = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                            labels[:, 1:].reshape(-1), ignore_index=-100)
    assert n == int((labels[:, 1:] != -100).sum())
    assert float(loss) == pytest.approx(float(ref), rel=1e-5)
    # the hook is gone afterwards: a plain forward gives full logits again
    assert model(input_ids=ids).logits.shape[:2] == ids.shape


def _grads(model):
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_out_of_memory_splits_the_batch_with_the_same_gradient(tok, monkeypatch):
    model = _model(tok)
    enc = [T.encode_example(tok, p, t) for p, t in _examples(4)]
    stats = T.TrainStats()
    loss, n, _, rows = T.accumulate(model, enc, tok.pad_token_id, torch.device("cpu"), False,
                                    None, stats)
    assert rows is None and stats.oom_splits == 0
    want = _grads(model)

    def flaky(model, ids, mask, labels, bf16=False):  # more than one row does not fit
        if ids.shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return T.batch_loss(model, ids, mask, labels, bf16)

    loss2, n2, _, rows2 = T.accumulate(model, enc, tok.pad_token_id, torch.device("cpu"),
                                       False, None, stats, forward=flaky)
    assert (n2, rows2, stats.oom_splits) == (n, 1, 2)  # 4 -> 2 -> 1 rows
    assert loss2 == pytest.approx(loss, rel=1e-5)
    got = _grads(model)
    assert all(torch.allclose(got[k], want[k], atol=1e-6) for k in want)


def test_an_example_too_big_alone_is_skipped_and_training_goes_on(tok, monkeypatch):
    model = _model(tok)
    examples = _examples(6)
    huge = ("input 9\n" * 200, "    return img\n")
    calls = []
    real = T.batch_loss

    def flaky(model, ids, mask, labels, bf16=False):
        calls.append(tuple(ids.shape))
        if ids.shape[1] > 400:
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: "
                               "can't allocate memory: you tried to allocate 9 GB")
        return real(model, ids, mask, labels, bf16)

    monkeypatch.setattr(T, "batch_loss", flaky)
    batches = [[examples[0], huge, examples[1]], [huge], examples[2:4], examples[4:]]
    stats = T.run_steps(model, tok, batches, T.TrainConfig(lr=1e-3, progress=False), 4)
    assert stats.steps == 3 and len(stats.losses) == 3  # the batch of only `huge`: no step
    assert stats.oom_skipped == 2 and stats.oom_splits == 1  # 3 rows -> 1
    assert all(s[0] == 1 for s in calls[-2:])  # the smaller size is kept for later batches
    with pytest.raises(ValueError, match="other"):  # other errors still raise
        monkeypatch.setattr(T, "batch_loss", lambda *a, **k: (_ for _ in ()).throw(ValueError("other")))
        T.run_steps(model, tok, [examples[:1]], T.TrainConfig(progress=False), 1)


def test_gradient_checkpointing_gives_the_same_training(tok):
    a, b = _model(tok), _model(tok)
    ex = _examples(4)
    cfg = dict(lr=1e-3, steps=3, progress=False, bf16=False, warmup_steps=0)
    sa = T.train(a, tok, ex, T.TrainConfig(**cfg))
    sb = T.train(b, tok, ex, T.TrainConfig(**cfg, gradient_checkpointing=True))
    assert sb.losses == pytest.approx(sa.losses, rel=1e-5)
    assert not getattr(b, "is_activation_checkpointing", False)  # switched off again
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    assert all(torch.allclose(pa[k], pb[k], atol=1e-6) for k in pa)
