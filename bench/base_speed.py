"""Wall-clock speed of ``train-base``'s loop: optimizer steps/s and tokens/s for a few
batch sizes, data generation included (the stream runs in-process or in ``--workers``
processes, as in training). Nothing is saved: the model is reloaded from the checkpoint for
each batch size and its updates are thrown away.

    python bench/base_speed.py --ckpt runs/abB/ckpt --device cuda --workers 14 \
        --batch-tokens 8192 16384 32768 --steps 200
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from solver.lm import base
from solver.lm.train import TrainConfig, make_optimizer, run_steps


def measure(ckpt: str, config: base.BaseConfig, state: dict, steps: int, warmup: int) -> dict:
    model, tokenizer, _ = base.load_checkpoint(ckpt)
    model.to(base.resolve_device(config.device))
    tcfg = TrainConfig(lr=1e-4, batch_tokens=config.batch_tokens, warmup_steps=0,
                       schedule="constant", progress=False)
    optimizer = make_optimizer(model, tcfg)
    stream = base.batch_stream(config, tokenizer, state["pool"], 0, {})
    marks: list[float] = []

    def on_step(step: int, loss: float, bar) -> None:
        marks.append(time.perf_counter())

    run_steps(model, tokenizer, stream, tcfg, warmup + steps, optimizer, on_step=on_step)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    end = time.perf_counter()
    stream.close()
    seconds = end - marks[warmup - 1]
    return {"steps_per_s": steps / seconds, "seconds": seconds,
            "padded_tokens_per_s": steps * config.batch_tokens / seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True, help="a train-base checkpoint folder")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-tokens", type=int, nargs="+", default=[2048])
    ap.add_argument("--steps", type=int, default=100, help="timed steps per batch size")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the first batch size; print the top functions by own time")
    ap.add_argument("--torch-profile", action="store_true",
                    help="torch.profiler over the first batch size; print the top ops by device time")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    _, _, state = base.load_checkpoint(args.ckpt)
    config = base.BaseConfig.from_dict(state["config"])
    print(f"device {base.resolve_device(args.device)}, workers {args.workers}, "
          f"threads {args.threads}")
    print("| batch tokens | steps/s | padded tokens/s |")
    print("|---:|---:|---:|")
    for i, bt in enumerate(args.batch_tokens):
        c = replace(config, batch_tokens=bt, device=args.device, workers=args.workers)
        if args.torch_profile and i == 0:
            from torch.profiler import ProfilerActivity, profile

            acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
            with profile(activities=acts) as prof:
                r = measure(args.ckpt, c, state, args.steps, args.warmup)
            key = "self_cuda_time_total" if torch.cuda.is_available() else "self_cpu_time_total"
            print(prof.key_averages().table(sort_by=key, row_limit=20, max_name_column_width=50))
        elif args.profile and i == 0:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            r = prof.runcall(measure, args.ckpt, c, state, args.steps, args.warmup)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        else:
            r = measure(args.ckpt, c, state, args.steps, args.warmup)
        print(f"| {bt} | {r['steps_per_s']:.2f} | {r['padded_tokens_per_s']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
