"""Sampling speed: plain ``generate`` vs :meth:`solver.lm.model.Model.sample` on one model.

A randomly initialised Llama of the embedded model's size (hidden 256, 4 layers, about
4.2 M parameters, word-level tokenizer) continues one ~600-token dense prompt for a fixed
number of new tokens (no early stop), in the same process:

- plain: ``model.generate(ids, do_sample=True, temperature, top_p,
  num_return_sequences=B)``: the prompt is run once per row;
- ours: ``Model.sample`` with ``batch_size=B``: the prompt is run once and its cache
  shared by all rows.

Prints a markdown table (batch, seconds, predictions/s for each, speedup; ``--out``: as
JSON too); each cell is the median of ``--repeats`` runs (after one warm-up of each method
at batch 4). ``--quick`` measures batch 128 only and ends with ``speedup: X.X``.

    python bench/sampling.py --quick
    python bench/sampling.py --batches 1,2,4,8,16,32,64,128,256
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.dsl import synth  # noqa: E402
from solver.lm import model as M  # noqa: E402
from solver.lm.prompt import PROGRAM_HEAD, encode_dense  # noqa: E402


def _load_tiny():
    """tests/tiny.py (the tiny model/tokenizer builder the tests use), loaded by path."""
    path = Path(__file__).resolve().parent.parent / "tests" / "tiny.py"
    spec = importlib.util.spec_from_file_location("solver_tests_tiny", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_prompt(tokenizer, target: int) -> str:
    """A dense prompt of at most ``target`` tokens: train pairs of synthetic tasks (sides
    3-10), each added while it still fits."""
    made, _ = synth.generate("random", 20, 0, 5)
    parts: list[str] = []
    for m in made:
        for pair in m.task.train:
            part = (f"input {len(parts)}\n{encode_dense(pair.input)}\n"
                    f"output {len(parts)}\n{encode_dense(pair.output)}\n")
            if len(tokenizer.encode("".join(parts) + part + PROGRAM_HEAD)) <= target:
                parts.append(part)
    return "".join(parts) + PROGRAM_HEAD


def time_it(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="batch 128 only; last line 'speedup: X.X'")
    ap.add_argument("--batches", default="1,2,4,8,16,32,64,128,256")
    ap.add_argument("--new-tokens", type=int, default=100)
    ap.add_argument("--prompt-tokens", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=None, help="runs per cell (median); default 3 quick, 1 table")
    h.add_threads(ap, None, "torch threads (default: torch's)")
    h.add_out(ap, help="the table as JSON")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    batches = [128] if args.quick else [int(b) for b in args.batches.split(",")]
    repeats = args.repeats or (3 if args.quick else 1)
    tiny = _load_tiny()

    with tempfile.TemporaryDirectory() as d:
        tiny.make_tiny_model(d, hidden=256, layers=4, heads=4, intermediate=1024, init_std=0.02)
        m = M.load(M.ModelConfig(path=d, device="cpu" if not torch.cuda.is_available() else "auto"))
    n_params = sum(p.numel() for p in m.model.parameters())
    prompt = make_prompt(m.tokenizer, args.prompt_tokens)
    ids = torch.tensor([m.encode(prompt)], device=m.device)
    new = args.new_tokens
    print(f"model: Llama, {n_params / 1e6:.2f} M parameters, {m.device}, "
          f"{torch.get_num_threads()} threads; prompt {ids.shape[1]} tokens; {new} new tokens "
          f"per row; temperature 0.5, top_p 0.95; median of {repeats} per cell")

    def plain(b):
        with torch.inference_mode():
            out = m.model.generate(ids, do_sample=True, temperature=0.5, top_p=0.95, top_k=0,
                                   num_return_sequences=b, max_new_tokens=new,
                                   min_new_tokens=new, pad_token_id=m.tokenizer.pad_token_id)
        assert out.shape == (b, ids.shape[1] + new)

    def ours(b):
        got = m.sample(prompt, M.SampleConfig(n=b, temperatures=(0.5,), top_p=0.95,
                                              max_new_tokens=new, batch_size=b, stop=False))
        assert len(got) == b and all(s.n_tokens == new for s in got)

    table = h.Table(("batch", "plain s", "plain pred/s", "ours s", "ours pred/s", "speedup"),
                    ">>>>>>")
    print(table.head())
    plain(4)  # warm-up (one-time setup, allocator) for both, on a small batch
    ours(4)
    speedup = None
    for b in batches:
        tp = time_it(lambda: plain(b), repeats)
        to = time_it(lambda: ours(b), repeats)
        speedup = tp / to
        print(table.line((b, f"{tp:.2f}", f"{b / tp:.1f}", f"{to:.2f}", f"{b / to:.1f}",
                          f"{speedup:.1f}x")), flush=True)
    if args.quick:
        print(f"speedup: {speedup:.1f}")
    h.write_json(args.out, {"parameters": n_params, "device": str(m.device),
                            "threads": torch.get_num_threads(), "prompt_tokens": int(ids.shape[1]),
                            "new_tokens": new, "repeats": repeats, **table.as_dict(),
                            "speedup": speedup})
    return 0


if __name__ == "__main__":
    sys.exit(main())
