"""Training speed of the embedded model's shape on this CPU: tokens/s of solver.lm.train's loop
(bf16 autocast and fp32) and the fraction of the measured matmul ceiling it reaches.

    python bench/train_speed.py [--steps 12] [--threads 2] [--layers 4 --hidden 256 ...]

Model FLOPs per token are counted as 6 x (matrix parameters, the tied output layer
included) + 12 x layers x hidden x mean context (attention scores and values), i.e. forward +
backward. The ceiling is the median GFLOP/s of a 2048x2048 matmul in the same dtype.
bf16 and fp32 steps and the ceilings are interleaved batch by batch (the load on a shared
machine drifts); medians over the steps. Pause other CPU jobs first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.base import BaseConfig  # noqa: E402

SHAPE = ("layers", "hidden", "heads", "intermediate", "batch_tokens")  # train-base's settings
SHIPPED = {"layers": 4, "intermediate": 768}  # the shipped model's shape (with the defaults)


def matmul_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 7) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=12, help="timed steps per setting (after 3 warm-up)")
    h.add_threads(ap, 2)
    h.add_solver_settings(ap, BaseConfig, SHAPE, "model", "train-base's settings (default: the "
                          "shipped model's shape)", defaults=SHIPPED)
    h.add_out(ap, help="the table as JSON")
    return ap


def main(argv=None) -> int:
    from solver.lm import base
    from solver.lm.train import TrainConfig, collate, encode_example, run_steps

    args = parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = h.build(BaseConfig, args)
    tok = base.build_tokenizer()
    stream = base.batch_stream(cfg, tok, 1000, 0, {})  # full-range tasks (past the curriculum)
    batches = [next(stream) for _ in range(args.steps + 3)]
    shapes = [collate([encode_example(tok, p, t) for p, t in b], tok.pad_token_id)[0].shape
              for b in batches[3:]]
    mean_ctx = statistics.mean(s[1] for s in shapes) / 2  # mean causal context per token

    ceil = {"bf16": [], "fp32": []}
    models, times = {}, {"bf16": [], "fp32": []}
    for name, bf16 in (("bf16", True), ("fp32", False)):
        torch.manual_seed(0)
        models[name] = (base.new_model(cfg, tok), TrainConfig(lr=1e-3, warmup_steps=0, bf16=bf16,
                                                               progress=False))
        run_steps(models[name][0], tok, batches[:3], models[name][1], 3)  # warm up kernels
    model = models["bf16"][0]
    matrix = sum(p.numel() for n, p in model.named_parameters() if p.ndim == 2)
    flops_per_token = 6 * matrix + 12 * cfg.layers * cfg.hidden * mean_ctx
    for b in batches[3:]:  # interleaved: bf16 step, fp32 step, both matmul ceilings
        ntok = collate([encode_example(tok, p, t) for p, t in b], tok.pad_token_id)[0].numel()
        for name in ("bf16", "fp32"):
            st = run_steps(models[name][0], tok, [b], models[name][1], 1)
            times[name].append((st.seconds, ntok))
            ceil[name].append(matmul_gflops(torch.bfloat16 if name == "bf16" else torch.float32,
                                            repeats=3))
    print(f"{args.threads} thread(s); model: layers {cfg.layers}, hidden {cfg.hidden}, "
          f"intermediate {cfg.intermediate}, batch_tokens {cfg.batch_tokens}; "
          f"{args.steps} interleaved steps per dtype")
    table = h.Table(("dtype", "tokens/s", "model GFLOP/s", "matmul 2048^2 GFLOP/s", "of ceiling",
                     "s/step"))
    for name in ("bf16", "fp32"):
        tps = statistics.median(n / s for s, n in times[name])
        secs = statistics.median(s for s, _ in times[name])
        c = statistics.median(ceil[name])
        gf = tps * flops_per_token / 1e9
        table.line((name, f"{tps:,.0f}", f"{gf:.1f}", f"{c:.0f}", f"{gf / c:.1%}", f"{secs:.2f}"))
    print(table.render())
    print(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M; "
          f"FLOPs/token {flops_per_token / 1e6:.1f} M; mean padded row {2 * mean_ctx:.0f} tokens")
    h.write_json(args.out, {"threads": args.threads, "steps": args.steps,
                            "model": {k: getattr(cfg, k) for k in SHAPE}, **table.as_dict(),
                            "flops_per_token": flops_per_token, "mean_padded_row": 2 * mean_ctx})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
