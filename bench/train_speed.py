"""Training speed of the embedded model's shape on this CPU: tokens/s of solver.train's loop
(bf16 autocast and fp32) and the fraction of the measured matmul ceiling it reaches.

    python bench/train_speed.py [--steps 12] [--threads 2] [--layers 4 --hidden 256 ...]

Model FLOPs per token are counted as 6 x (matrix parameters, the tied output layer
included) + 12 x layers x hidden x mean context (attention scores and values), i.e. forward +
backward. The ceiling is the median GFLOP/s of a 2048x2048 matmul in the same dtype.
Everything is measured in one run; medians over repeats. Pause other CPU jobs first.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def matmul_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 7) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def main(argv=None) -> int:
    from solver import base
    from solver.train import TrainConfig, collate, encode_example, run_steps

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=12, help="timed steps per setting (after 3 warm-up)")
    ap.add_argument("--threads", type=int, default=2)
    for name in ("layers", "hidden", "heads", "intermediate", "batch_tokens"):
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = base.BaseConfig(layers=4, intermediate=768)  # the shipped model's shape
    for name in ("layers", "hidden", "heads", "intermediate", "batch_tokens"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    tok = base.build_tokenizer()
    stream = base.batch_stream(cfg, tok, 1000, 0, {})  # full-range tasks (past the curriculum)
    batches = [next(stream) for _ in range(args.steps + 3)]
    shapes = [collate([encode_example(tok, p, t) for p, t in b], tok.pad_token_id)[0].shape
              for b in batches[3:]]
    mean_ctx = statistics.mean(s[1] for s in shapes) / 2  # mean causal context per token

    ceil = {"bf16": matmul_gflops(torch.bfloat16), "fp32": matmul_gflops(torch.float32)}
    print(f"matmul 2048^2 ceiling: bf16 {ceil['bf16']:.0f} GFLOP/s, fp32 {ceil['fp32']:.0f} GFLOP/s "
          f"({args.threads} threads)")
    print(f"model: layers {cfg.layers}, hidden {cfg.hidden}, intermediate {cfg.intermediate}, "
          f"batch_tokens {cfg.batch_tokens}")
    print(f"{'dtype':>6} {'tokens/s':>9} {'GFLOP/s':>8} {'of ceiling':>10} {'s/step':>7}")
    for name, bf16 in (("bf16", True), ("fp32", False)):
        torch.manual_seed(0)
        model = base.new_model(cfg, tok)
        matrix = sum(p.numel() for n, p in model.named_parameters() if p.ndim == 2)
        flops_per_token = 6 * matrix + 12 * cfg.layers * cfg.hidden * mean_ctx
        tc = TrainConfig(lr=1e-3, warmup_steps=0, bf16=bf16, progress=False)
        run_steps(model, tok, batches[:3], tc, 3)  # warm up kernels
        per_step = []
        for b in batches[3:]:
            st = run_steps(model, tok, [b], tc, 1)
            ntok = collate([encode_example(tok, p, t) for p, t in b], tok.pad_token_id)[0].numel()
            per_step.append((st.seconds, ntok))
        secs = statistics.median(s for s, _ in per_step)
        tps = statistics.median(n / s for s, n in per_step)
        gf = tps * flops_per_token / 1e9
        print(f"{name:>6} {tps:>9,.0f} {gf:>8.1f} {gf / ceil[name]:>10.1%} {secs:>7.2f}")
    print(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M; "
          f"FLOPs/token {flops_per_token / 1e6:.1f} M; mean padded row {2 * mean_ctx:.0f} tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
