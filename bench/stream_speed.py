"""How fast one process makes ``train-base``'s task stream: tokens and examples per second
of generating, verifying and tokenizing whole pools (no model). On a GPU machine the
stream comes from ``--workers`` such processes; their sum must keep up with the device.

    python bench/stream_speed.py --tasks v2 --batch-tokens 32768 --max-positions 4096 --pools 3
"""

from __future__ import annotations

import argparse
import json
import os
import time

from solver.lm import base


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", default="v2", choices=("v2", "drawings"))
    ap.add_argument("--batch-tokens", type=int, default=32768)
    ap.add_argument("--max-positions", type=int, default=4096)
    ap.add_argument("--step", type=int, default=5000,
                    help="the training step the pools are made for (past the curriculum: full sizes)")
    ap.add_argument("--pools", type=int, default=3)
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    c = base.BaseConfig(tasks=a.tasks, batch_tokens=a.batch_tokens, max_positions=a.max_positions,
                        max_new_tokens=64, threads=1)
    tok = base.build_tokenizer(tasks=a.tasks, max_length=10**6)
    counts, tokens = base.new_counts(), 0
    t0 = time.time()
    for pool in range(a.pools):
        batches = base.make_pool(pool, a.step, c, tok, encode=True, counts=counts)
        tokens += sum(len(ids) for b in batches for ids, _ in b)
    dt = time.time() - t0
    print(json.dumps({"tasks": a.tasks, "pools": a.pools, "seconds": round(dt, 1),
                      "examples": counts["examples"], "too_long": counts["too_long"],
                      "tokens": tokens, "tokens_per_s": round(tokens / dt),
                      "examples_per_s": round(counts["examples"] / dt, 1)}))


if __name__ == "__main__":
    main()
