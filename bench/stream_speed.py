"""How fast one process makes ``train-base``'s task stream: tokens and examples per second
of generating, verifying and tokenizing whole pools (no model). On a GPU machine the
stream comes from ``--workers`` such processes; their sum must keep up with the device.

    python bench/stream_speed.py --stream v2 --batch-tokens 32768 --max-positions 4096 --pools 3

Prints one JSON line (also written to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm.base import BaseConfig  # noqa: E402

# train-base's stream settings measured here; --stream is train-base's --tasks (a stream
# kind, not a task set: in bench/ --tasks always names a set)
STREAM = ("tasks", "batch_tokens", "max_positions")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_solver_settings(ap, BaseConfig, STREAM, "task stream",
                          defaults={"tasks": "v2", "batch_tokens": 32768, "max_positions": 4096},
                          flags={"tasks": ("--stream",)})
    h.alias(ap, "--tasks", "--stream")  # the old spelling
    ap.add_argument("--step", type=int, default=5000,
                    help="the training step the pools are made for (past the curriculum: full sizes)")
    ap.add_argument("--pools", type=int, default=3)
    h.add_out(ap, help="the JSON line, to this file too")
    return ap


def main(argv=None) -> None:
    from solver.lm import base

    a = parser().parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    c = h.build(BaseConfig, a, max_new_tokens=64, threads=1)
    tok = base.build_tokenizer(tasks=c.tasks, max_length=10**6)
    counts, tokens = base.new_counts(), 0
    t0 = time.time()
    for pool in range(a.pools):
        batches = base.make_pool(pool, a.step, c, tok, encode=True, counts=counts)
        tokens += sum(len(ids) for b in batches for ids, _ in b)
    dt = time.time() - t0
    result = {"tasks": c.tasks, "pools": a.pools, "seconds": round(dt, 1),
              "examples": counts["examples"], "too_long": counts["too_long"],
              "tokens": tokens, "tokens_per_s": round(tokens / dt),
              "examples_per_s": round(counts["examples"] / dt, 1)}
    print(json.dumps(result))
    h.write_json(a.out, result)


if __name__ == "__main__":
    main()
