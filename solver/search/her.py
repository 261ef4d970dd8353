"""Search and learn on one task: sample programs, run them, relabel what they did as new
training examples (hindsight), fine-tune the task's LoRA, repeat (DESIGN.md, steps 1-9).

One *round* samples ``samples`` programs from the current model and runs them on the
train and test inputs; with ``repair`` on, :mod:`solver.repair` then edits the best
programs so far with lines the model wrote on this task (and their near neighbours), and
the edited programs run, rank and are relabeled like samples. Round 0 uses the base
model; after each round that does not end the task, one *epoch* of training adapts the
task's LoRA on the round's relabeled examples and the next round samples from the adapted
model. So ``epochs=E`` means at most E trainings and E + 1 rounds; ``epochs=0`` samples
once and learns nothing. The task ends when a program is exact on every train pair, after
``epochs`` trainings, or at the deadline.

Per round the report records: samples, valid programs (ran, returned a grid for every
input), distinct outputs, best / mean train pixel accuracy (over valid samples, and the
per-sample list for the distribution figure; ``mean_train_acc_all`` counts failed samples
as 0), new relabeled examples, examples trained, loss, and seconds per stage. The report
also has ``solved_round``, ``solved_s`` (seconds from the task's start) and ``solved_by``
(``sample`` or ``repair``) when a program became exact on every train pair; rounds with
repair record ``repair_pool`` (pooled lines), ``repaired`` and ``repair_best_acc``.

Attempts (two per test input) are ranked over every program of every round by (exact on
all train pairs, mean train pixel accuracy, votes = samples that produced the same
outputs, shorter code); when nothing ran, the deterministic fallback of
:mod:`solver.submission` fills the gaps, and an error at any point still returns attempts.

Heavy imports (torch, the model, the sandbox) happen only inside functions, so the pure
parts (relabeling, dedupe, ordering, ranking) import light and test without a model.
"""

from __future__ import annotations

import random
import time
import traceback
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

from solver.lm import prompt as prompt_mod
from solver.arc.grids import Grid, Pair, Task, grid_problem, pixel_accuracy
from solver.arc.submission import fallback
from solver.search.config import ORDERS, HerConfig  # noqa: F401

def next_heat(heat: float, distinct: int, samples: int, config: HerConfig) -> float:
    """The temperature multiplier of the next round. Learning from its own programs can
    collapse the model onto one of them (256 samples, 1 distinct output, round after
    round); then each round samples hotter, and cools a step once the distinct share is
    back above twice the threshold (a margin, so it does not flip every round)."""
    share = distinct / max(samples, 1)
    if share < config.heat_below:
        return heat * config.heat_factor
    if share >= 2 * config.heat_below and heat > 1.0:
        return max(1.0, heat / config.heat_factor)
    return heat


# ---------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """One distinct behaviour: the outputs on (train inputs + test inputs), the shortest
    program that produced them, and how many samples did."""

    outputs: tuple[Grid, ...]
    code: str
    votes: int
    train_acc: float  # mean pixel accuracy over the train pairs
    exact: bool  # every train output right
    round: int  # first round that produced it


def train_score(outputs: Sequence[Grid], task: Task) -> tuple[float, bool]:
    """(mean train pixel accuracy, exact on every train pair) of outputs on the train inputs."""
    accs = [pixel_accuracy(o, p.output) for o, p in zip(outputs, task.train)]
    acc = sum(accs) / len(accs) if accs else 0.0
    return acc, all(a == 1.0 for a in accs) and len(accs) == len(task.train)


def as_grid(value: Any) -> Grid | None:
    """A valid grid from whatever a program returned (list, tuple, numpy), else None."""
    try:
        if hasattr(value, "tolist"):
            value = value.tolist()
        if grid_problem(value) is not None:
            return None
        return tuple(tuple(int(v) for v in row) for row in value)
    except Exception:
        return None


def merge_candidates(pool: dict[tuple, Candidate], found: Iterable[tuple[str, tuple[Grid, ...], int]],
                     task: Task, round_: int) -> list[tuple]:
    """Add ``(code, outputs, votes)`` to ``pool`` (keyed by outputs; the shortest code
    wins, votes add up). Returns the keys new in this round."""
    new = []
    for code, outputs, votes in found:
        cand = pool.get(outputs)
        if cand is None:
            acc, exact = train_score(outputs[:len(task.train)], task)
            pool[outputs] = Candidate(outputs, code, votes, acc, exact, round_)
            new.append(outputs)
        else:
            cand.votes += votes
            if len(code) < len(cand.code):
                cand.code = code
    return new


def rank(pool: dict[tuple, Candidate] | Iterable[Candidate]) -> list[Candidate]:
    """Best first: exact on train, train pixel accuracy, votes, shorter code (then code
    text, so the order is deterministic)."""
    cands = list(pool.values()) if isinstance(pool, dict) else list(pool)
    return sorted(cands, key=lambda c: (not c.exact, -c.train_acc, -c.votes, len(c.code),
                                        c.code))


def attempts(task: Task, pool: dict[tuple, Candidate] | Iterable[Candidate],
             k: int = 2) -> list[list[Grid]]:
    """``k`` distinct test outputs per test input from the ranked candidates; the
    deterministic fallback (the test input) fills what is missing."""
    ranked = rank(pool)
    n_train = len(task.train)
    out = []
    for i, pair in enumerate(task.test):
        chosen: list[Grid] = []
        for c in ranked:
            g = c.outputs[n_train + i] if n_train + i < len(c.outputs) else None
            if g is not None and g not in chosen:
                chosen.append(g)
            if len(chosen) == k:
                break
        while len(chosen) < k:
            chosen.append(fallback(pair.input))
        out.append(chosen)
    return out


# ---------------------------------------------------------------- relabeling


@dataclass
class Relabeled:
    """A hindsight example: the task's train inputs with the outputs a program produced."""

    task: Task
    code: str
    train_acc: float
    key: tuple  # the train outputs (dedupe across rounds)


def relabel(task: Task, cands: Iterable[Candidate], used: set[tuple]) -> list[Relabeled]:
    """One example per candidate whose train outputs were not used before (``used`` is
    updated); among candidates with the same train outputs the shortest code is kept.
    Programs that drew nothing (every train output equals its input) make no example: a
    task whose output is its input is not a drawing task (the generators drop those too)."""
    n = len(task.train)
    inputs = tuple(p.input for p in task.train)
    best: dict[tuple, Candidate] = {}
    for c in cands:
        key = c.outputs[:n]
        if key in used or key == inputs:
            continue
        if key not in best or (len(c.code), c.code) < (len(best[key].code), best[key].code):
            best[key] = c
    out = []
    for key, c in best.items():
        used.add(key)
        pairs = tuple(Pair(p.input, o) for p, o in zip(task.train, key))
        out.append(Relabeled(Task(f"{task.id}/her", pairs, ()), c.code, c.train_acc, key))
    return out


def order_examples(examples: list[Relabeled], order: str, max_examples: int,
                   rng: random.Random) -> list[Relabeled]:
    """Select at most ``max_examples`` and order them for one training pass.

    worst-first: lowest train pixel accuracy first (a random subset when there are too
    many); shuffle: random order (and subset); prioritized: the most accurate
    ``max_examples``, worst of them first.
    """
    items = sorted(examples, key=lambda e: (e.train_acc, len(e.code), e.code))
    if order == "prioritized":
        return items[-max_examples:] if len(items) > max_examples else items
    if len(items) > max_examples:
        keep = sorted(rng.sample(range(len(items)), max_examples))
        items = [items[i] for i in keep]
    if order == "shuffle":
        rng.shuffle(items)
    return items


def recolor(examples: list[Relabeled], copies: int, rng: random.Random) -> list[Relabeled]:
    """Each example followed by ``copies`` versions of it with the colours permuted: the
    same permutation on every grid and on the program's colour arguments, so the copy is
    as true as the original. Only programs in the DSL's literal form
    (:func:`solver.program.parse_program`) are recoloured; the copies' outputs are drawn
    again from the recoloured draws (our own code, no model code runs here). A model
    that confuses a colour with a coordinate on this task's grids gets the same drawing
    in other colours to read."""
    if copies <= 0:
        return list(examples)
    from solver import dsl
    from solver.dsl import program

    out: list[Relabeled] = []
    for ex in examples:
        out.append(ex)
        draws = program.parse_program(ex.code)
        if not draws:
            continue
        for k in range(copies):
            perm = list(range(10))
            rng.shuffle(perm)
            moved = [program.Draw(d.fn, (*d.args[:-1], perm[d.args[-1]])) for d in draws]
            pairs = []
            for pair in ex.task.train:
                inp = tuple(tuple(perm[v] for v in row) for row in pair.input)
                img = dsl.to_img(inp)
                for d in moved:
                    d.apply(img)
                pairs.append(Pair(inp, tuple(tuple(int(v) for v in row) for row in img)))
            out.append(Relabeled(Task(f"{ex.task.id}/recolor{k}", tuple(pairs), ()),
                                 program.program_code(moved), ex.train_acc, ()))
    return out


def ordered_batches(lengths: Sequence[int], batch_tokens: int, max_rows: int) -> list[list[int]]:
    """Consecutive index batches that keep the given order (rows x longest <= batch_tokens,
    at most ``max_rows``; an over-long example gets a batch of its own)."""
    batches: list[list[int]] = []
    cur: list[int] = []
    longest = 0
    for i, n in enumerate(lengths):
        if cur and ((len(cur) + 1) * max(longest, n) > batch_tokens or len(cur) >= max_rows):
            batches.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        batches.append(cur)
    return batches


# ---------------------------------------------------------------- pruning


def _body_lines(code: str) -> list[int]:
    """Indices of the lines that pruning may delete (body lines except ``return``)."""
    lines = code.split("\n")
    return [i for i, ln in enumerate(lines)
            if i > 0 and ln.strip() and not ln.strip().startswith("return")
            and ln.startswith((" ", "\t"))]


def _strip_comments(code: str) -> str:
    lines = code.rstrip("\n").split("\n")
    keep = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    return "\n".join(keep) + "\n"


def _without(code: str, drop: Iterable[int]) -> str:
    drop = set(drop)
    return "\n".join(ln for i, ln in enumerate(code.split("\n")) if i not in drop)


def prune_batch(codes: Sequence[str], outputs: Sequence[tuple], inputs: Sequence[Grid],
                run: Callable[[list[str]], list[tuple | None]]) -> list[str]:
    """Delete the lines that change no output, for many programs at once.

    ``run(programs)`` returns each program's outputs (None on failure). Every single-line
    deletion of every program runs in one batch; the deletions that keep the outputs are
    applied together and the result is checked in a second batch. A program whose combined
    deletion changes its outputs (two duplicate lines, say) is pruned line by line
    instead, so the result always reproduces the original outputs.
    """
    originals = list(codes)
    codes = [_strip_comments(c) for c in codes]  # blank and comment lines go without a run
    variants: list[str] = []
    owners: list[tuple[int, int]] = []
    for k, code in enumerate(codes):
        for i in _body_lines(code):
            variants.append(_without(code, [i]))
            owners.append((k, i))
    results = run(variants) if variants else []
    removable: dict[int, list[int]] = {}
    for (k, i), out in zip(owners, results):
        if out is not None and out == outputs[k]:
            removable.setdefault(k, []).append(i)
    pruned = list(originals)
    trials = [_without(codes[k], removable.get(k, [])) for k in range(len(codes))]
    checked = run(trials) if trials else []
    for k, (code, out) in enumerate(zip(trials, checked)):
        if out is not None and out == outputs[k]:
            pruned[k] = code
        else:
            pruned[k] = _prune_sequential(originals[k], outputs[k], run)
    return pruned


def _prune_sequential(code: str, outputs: tuple, run) -> str:
    changed = True
    while changed:
        changed = False
        for i in _body_lines(code):
            trial = _without(code, [i])
            if run([trial])[0] == outputs:
                code, changed = trial, True
                break
    return code


# ---------------------------------------------------------------- the loop


def _mix_seed(*parts: Any) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def _run_programs(executor, codes: list[str], inputs: list[Grid]) -> list[tuple | None]:
    """Outputs per program (a tuple of grids, one per input) or None when it failed."""
    if not codes:
        return []
    results = executor.run(codes, inputs)
    out: list[tuple | None] = []
    for r in results:
        status = str(getattr(r, "status", ""))
        outs = getattr(r, "outputs", None)
        if not status.startswith("ok") or outs is None or len(outs) != len(inputs):
            out.append(None)
            continue
        grids = tuple(as_grid(o) for o in outs)
        out.append(None if any(g is None for g in grids) else grids)
    return out


def _repair_round(lines, codes: list[str], pool: dict[tuple, Candidate], config: HerConfig,
                  executor, inputs: list[Grid]) -> list[tuple[str, tuple]]:
    """Pool this round's programs' lines, hill-climb from the best candidates so far, and
    run the repaired programs in the sandbox like any sample: (code, outputs) of those
    that ran."""
    from solver.search.repair import repair

    lines.add(codes)
    starts = [c.code for c in rank(pool)[:config.repair_starts]]
    fixed = [r.code for r in repair(lines, starts, seconds=config.repair_seconds,
                                    kick_starts=config.repair_kicks)]
    outs = _run_programs(executor, fixed, inputs)
    return [(c, o) for c, o in zip(fixed, outs) if o is not None]


def _default_trainer(model, examples: list[tuple[str, str]], config: HerConfig, seed: int):
    """One pass over ``examples`` in the given order (constant lr), through the LoRA."""
    from solver.lm import train as train_mod

    tcfg = train_mod.TrainConfig(lr=config.lr, epochs=1, batch_tokens=config.batch_tokens,
                                 max_rows=config.max_rows, warmup_steps=0,
                                 schedule="constant", shuffle=False, seed=seed, progress=False)
    tok = model.tokenizer
    lengths = [len(tok.encode(p + t, add_special_tokens=False)) + 1 for p, t in examples]
    batches = [[examples[i] for i in b] for b in
               ordered_batches(lengths, config.batch_tokens, config.max_rows)]
    if hasattr(train_mod, "run_steps"):
        stats = train_mod.run_steps(model.model, tok, iter(batches), tcfg, len(batches),
                                    desc="her")
    else:  # pragma: no cover - older train module
        stats = train_mod.train(model.model, tok, examples, tcfg)
    model.model.eval()
    return stats


# Seconds of training per token, measured on the last training pass in this process (a
# worker keeps it across tasks): a pass that would not fit the task's time left is cut.
TRAIN_RATE: dict[str, float] = {}


def _n_tokens(model, pairs: Sequence[tuple[str, str]]) -> list[int]:
    tok = getattr(model, "tokenizer", None)
    if tok is None:
        return [len(p) + len(t) for p, t in pairs]
    return [len(tok.encode(p + t, add_special_tokens=False)) + 1 for p, t in pairs]


def fit_to_time(pairs: list, tokens: list[int], seconds: float | None,
                rng: random.Random) -> list[int]:
    """Indices (in order) of the examples whose training fits ``seconds`` at the measured
    rate; all of them when there is no rate or no limit. A subset is drawn at random (the
    order of the kept ones is unchanged), so a cut pass still spans the whole ordering."""
    rate = TRAIN_RATE.get("s_per_token")
    idx = list(range(len(pairs)))
    if not rate or seconds is None or sum(tokens) * rate <= seconds:
        return idx
    if seconds <= 0:
        return []
    per = sum(tokens) / len(tokens)
    k = int(seconds / (rate * per))
    return sorted(rng.sample(idx, k)) if k > 0 else []


def _fmt_round(rec: dict) -> str:
    line = (f"round {rec['round']}: valid {rec['valid']}/{rec['samples']} distinct "
            f"{rec['distinct']} (new {rec['new_outputs']}) best {rec['best_train_acc']:.3f} "
            f"mean {rec['mean_train_acc']:.3f}")
    if rec.get("heat", 1.0) > 1.0:
        line += f" (temperature x{rec['heat']:.2f})"
    if rec.get("repaired"):
        line += f" | repaired {rec['repaired']} best {rec['repair_best_acc']:.3f}"
    if rec.get("examples_trained"):
        line += f" | trained {rec['examples_trained']} loss {rec['loss']:.3f}"
    return line + f" | {rec['seconds']:.1f}s"


def solve_task(task: Task, model, executor, config: HerConfig | None = None,
               deadline: float | None = None,
               progress: Callable[[dict], None] | None = None,
               trainer: Callable | None = None) -> dict:
    """Search and learn on ``task`` until exact on train, ``config.epochs`` trainings, or
    ``deadline`` (``time.time()`` seconds). Returns the task report (JSON-able):
    ``status`` (exact | inexact | skipped | error), ``attempts`` (per test input, two
    grids), ``rounds`` (per-round records), ``stopped`` (why the loop ended) and more.
    Never raises for a problem of the task; the model's adapter is always removed."""
    config = config or HerConfig()
    trainer = trainer or _default_trainer
    t_start = time.time()
    pool: dict[tuple, Candidate] = {}
    rounds: list[dict] = []
    report: dict[str, Any] = {"task_id": task.id, "status": "inexact", "stopped": None,
                              "rounds": rounds, "config": asdict(config)}
    inputs = [p.input for p in task.train] + [p.input for p in task.test]
    rng = random.Random(_mix_seed(config.seed, task.id, "order"))
    used: set[tuple] = set()
    lines = None
    if config.repair:
        from solver.search.repair import LinePool

        lines = LinePool(task, variants=config.repair_variants)
    adapter = False
    timing = {"sample": None, "train": None}

    def left() -> float:
        return float("inf") if deadline is None else deadline - time.time()

    def emit(rec: dict | None) -> None:
        if progress is None:
            return
        update: dict[str, Any] = {"attempts": attempts(task, pool)}
        if rec is not None:
            update["line"] = _fmt_round(rec)
            update["round"] = {k: v for k, v in rec.items() if k != "accuracies"}
        progress(update)

    try:
        try:
            prompt = model.prompt_for(task, config.max_new_tokens)
        except ValueError as e:  # PromptTooLong and bad task shapes: a clean skip
            report.update(status="skipped", stopped="prompt", error=str(e))
            return report
        from solver.lm.model import SampleConfig  # light once the model is loaded

        heat = 1.0
        for rnd in range(config.epochs + 1):
            if left() <= 0 or (rnd > 0 and timing["sample"] and left() < timing["sample"]):
                report["stopped"] = "deadline"
                break
            rec: dict[str, Any] = {"round": rnd, "heat": round(heat, 4)}
            t0 = time.time()
            temps = tuple(min(t * heat, max(t, config.max_temperature)) for t in config.temperatures)
            samples = model.sample(prompt, SampleConfig(
                n=config.samples, temperatures=temps, top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
                seed=_mix_seed(config.seed, task.id, rnd) % (2 ** 31)))
            t1 = time.time()
            timing["sample"] = t1 - t0
            # run each distinct program once; votes = samples that wrote it
            votes: dict[str, int] = {}
            for s in samples:
                votes[s.code] = votes.get(s.code, 0) + 1
            codes = list(votes)
            outs = _run_programs(executor, codes, inputs)
            ok = [(c, o) for c, o in zip(codes, outs) if o is not None]
            groups: dict[tuple, list[str]] = {}
            for c, o in ok:
                groups.setdefault(o, []).append(c)
            keys = list(groups)
            shortest = [min(groups[k], key=lambda c: (len(c), c)) for k in keys]
            if config.prune and shortest:
                shortest = prune_batch(shortest, keys, inputs,
                                       lambda progs: _run_programs(executor, progs, inputs))
            group_votes = [sum(votes[c] for c in groups[k]) for k in keys]
            new_keys = merge_candidates(pool, zip(shortest, keys, group_votes), task, rnd)
            sampled_keys = set(keys)
            t_rep = time.time()
            if lines is not None:
                fixed = _repair_round(lines, [c for c, _ in ok], pool, config, executor, inputs)
                found = [(code, o, 0) for code, o in fixed if o not in sampled_keys]
                new_keys += merge_candidates(pool, found, task, rnd)
                keys += [o for _, o, _ in found if o not in keys]
                rec.update(repair_pool=len(lines), repair_written=len(lines.written),
                           repaired=len(found),
                           repair_best_acc=max((pool[o].train_acc for _, o, _ in found),
                                               default=0.0),
                           repair_s=round(time.time() - t_rep, 3))
            t2 = time.time()
            accs = []
            for c, o in zip(codes, outs):
                if o is not None:
                    accs += [train_score(o[:len(task.train)], task)[0]] * votes[c]
            n_valid = len(accs)
            exact_now = [pool[k] for k in keys if pool[k].exact]
            rec.update(samples=len(samples), valid=n_valid, distinct=len(sampled_keys),
                       new_outputs=len(new_keys),
                       best_train_acc=max(accs) if accs else 0.0,
                       mean_train_acc=sum(accs) / n_valid if n_valid else 0.0,
                       mean_train_acc_all=sum(accs) / len(samples) if samples else 0.0,
                       exact_programs=sum(votes[c] for k in keys if pool[k].exact
                                          for c in groups.get(k, ())),
                       accuracies=[round(a, 4) for a in accs],
                       tokens=sum(getattr(s, "n_tokens", 0) for s in samples),
                       sample_s=round(t1 - t0, 3), exec_s=round(t_rep - t1, 3),
                       examples_trained=0, loss=None, train_s=0.0)
            heat = next_heat(heat, len(sampled_keys), len(samples), config)
            if exact_now and "solved_round" not in report:
                report["solved_round"] = rnd
                report["solved_s"] = round(t2 - t_start, 3)
                report["solved_by"] = ("sample" if any(c.outputs in sampled_keys for c in exact_now)
                                       else "repair")
            last = rnd == config.epochs
            stop = None
            if exact_now and config.stop_when_exact:
                stop = "exact"
            elif last:
                stop = "epochs"
            elif left() <= (timing["train"] or 0.0) + timing["sample"]:
                stop = "deadline"
            if stop is None:
                # hindsight: this round's programs as correct examples of what they did
                examples = relabel(task, [pool[k] for k in keys], used)
                chosen = order_examples(examples, config.order, config.max_examples, rng)
                chosen = recolor(chosen, config.recolor, rng)
                pairs = []
                for ex in chosen:
                    p = prompt_mod.build_prompt(ex.task, model.prompt_config, model.tokenizer)
                    try:
                        pairs.append((p, prompt_mod.build_target(ex.code)))
                    except ValueError:
                        continue
                rec["new_examples"] = len(examples)
                tokens = _n_tokens(model, pairs)
                room = None if deadline is None else left() - timing["sample"]
                keep = fit_to_time(pairs, tokens, room, rng)
                if len(keep) < len(pairs):
                    rec["cut_for_time"] = len(pairs) - len(keep)
                    pairs = [pairs[i] for i in keep]
                    tokens = [tokens[i] for i in keep]
                if not pairs and rec.get("cut_for_time"):
                    stop = "deadline"
                if pairs:
                    if not adapter:
                        model.add_adapter(r=config.lora_r, alpha=config.lora_alpha,
                                          seed=config.seed)
                        adapter = True
                    t_train = time.time()
                    stats = trainer(model, pairs, config, _mix_seed(config.seed, task.id, rnd))
                    if sum(tokens):
                        TRAIN_RATE["s_per_token"] = (time.time() - t_train) / sum(tokens)
                    rec.update(examples_trained=len(pairs), loss=stats.mean_loss,
                               first_loss=stats.first_loss, last_loss=stats.last_loss,
                               train_steps=stats.steps, train_tokens=stats.tokens,
                               train_s=round(time.time() - t2, 3))
                    timing["train"] = time.time() - t2
            rec["seconds"] = round(time.time() - t0, 3)
            rounds.append(rec)
            emit(rec)
            if stop:
                report["stopped"] = stop
                break
    except Exception as e:  # an error in the loop still returns the attempts found so far
        report.update(status="error", error=f"{type(e).__name__}: {e}",
                      traceback=traceback.format_exc(limit=6))
    finally:
        if adapter:
            model.remove_adapter()
        best = rank(pool)[:1]
        if report["status"] != "error" and report["status"] != "skipped":
            report["status"] = "exact" if best and best[0].exact else "inexact"
        report["attempts"] = attempts(task, pool)
        report["best_code"] = best[0].code if best else None
        report["best_train_acc"] = best[0].train_acc if best else 0.0
        report["candidates"] = len(pool)
        report["epochs_run"] = sum(1 for r in rounds if r.get("examples_trained"))
        report["seconds"] = round(time.time() - t_start, 3)
    return report


# ---------------------------------------------------------------- worker factory


@dataclass
class HerSolver:
    """Picklable factory for :func:`solver.run.run_tasks`: called once per worker process,
    it loads the model and starts the sandbox, and returns ``solve(task, deadline,
    progress)``."""

    model: dict = field(default_factory=dict)  # ModelConfig fields
    her: HerConfig = field(default_factory=HerConfig)
    exec_timeout_s: float = 2.0  # per program run, all inputs
    exec_memory_mb: int = 512  # per sandbox worker
    exec_workers: int | None = None  # sandbox processes; None: the sandbox's default

    def __call__(self):
        import atexit

        from solver.lm.model import ModelConfig, load
        from solver.sandbox.executor import Executor

        m = load(ModelConfig(**self.model))
        ex = Executor(workers=self.exec_workers, timeout_s=self.exec_timeout_s,
                      memory_mb=self.exec_memory_mb)
        ex.__enter__()
        atexit.register(ex.__exit__, None, None, None)

        def solve(task: Task, deadline: float, progress) -> dict:
            return solve_task(task, m, ex, self.her, deadline, progress)

        return solve
