"""Wall-clock speed of ``train-base``'s loop: optimizer steps/s and tokens/s for a few
batch sizes, data generation included (the stream runs in-process or in ``--workers``
processes, as in training). Nothing is saved: the model is reloaded from the checkpoint for
each batch size and its updates are thrown away.

    python bench/base_speed.py --model runs/abB/ckpt --device cuda --workers 14 \
        --batch-tokens 8192 16384 32768 --steps 200
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm import base  # noqa: E402
from solver.lm.base import BaseConfig  # noqa: E402
from solver.lm.train import TrainConfig, make_optimizer, run_steps  # noqa: E402


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


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    h.add_model(ap, "a train-base checkpoint folder (RUN/ckpt) or an exported model folder "
                    "(required)", aliases=("--ckpt",))
    h.add_solver_settings(ap, BaseConfig, ("device", "workers"), "machine")
    h.add_threads(ap, 2)
    ap.add_argument("--batch-tokens", type=int, nargs="+", default=[2048])
    ap.add_argument("--steps", type=int, default=100, help="timed steps per batch size")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile the first batch size; print the top functions by own time")
    ap.add_argument("--torch-profile", action="store_true",
                    help="torch.profiler over the first batch size; print the top ops by device time")
    h.add_out(ap, help="the table as JSON")
    return ap


def main(argv=None) -> None:
    ap = parser()
    args = ap.parse_args(argv)
    ckpt = h.model_path(args)
    if not ckpt:
        ap.error("--model (a checkpoint folder) is required")
    machine = h.build(BaseConfig, args)  # device and workers as given, else train-base's defaults
    args.device, args.workers = machine.device, machine.workers
    torch.set_num_threads(args.threads)
    _, _, state = base.load_checkpoint(ckpt)
    config = base.BaseConfig.from_dict(state["config"])
    print(f"device {base.resolve_device(args.device)}, workers {args.workers}, "
          f"threads {args.threads}")
    table = h.Table(("batch tokens", "steps/s", "padded tokens/s"), ">>>")
    print(table.head())
    for i, bt in enumerate(args.batch_tokens):
        c = replace(config, batch_tokens=bt, device=args.device, workers=args.workers)
        if args.torch_profile and i == 0:
            from torch.profiler import ProfilerActivity, profile

            acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
            with profile(activities=acts) as prof:
                r = measure(ckpt, c, state, args.steps, args.warmup)
            key = "self_cuda_time_total" if torch.cuda.is_available() else "self_cpu_time_total"
            print(prof.key_averages().table(sort_by=key, row_limit=20, max_name_column_width=50))
        elif args.profile and i == 0:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            r = prof.runcall(measure, ckpt, c, state, args.steps, args.warmup)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        else:
            r = measure(ckpt, c, state, args.steps, args.warmup)
        print(table.line((bt, f"{r['steps_per_s']:.2f}", f"{r['padded_tokens_per_s']:,.0f}")),
              flush=True)
    h.write_json(args.out, {"model": ckpt, "device": base.resolve_device(args.device),
                            "workers": args.workers, "threads": args.threads, **table.as_dict()})


if __name__ == "__main__":
    main()
