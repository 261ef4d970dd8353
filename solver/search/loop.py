"""Search and learn on one task: sample programs, run them, relabel what they did as new
training examples (hindsight), fine-tune the task's LoRA, repeat.

One *round* samples ``samples`` programs from the current model and runs them on the
train and test inputs; with ``repair`` on, :mod:`solver.search.repair` then edits the best
programs so far with lines the model wrote on this task (and their near neighbours), and
the edited programs run, rank and are relabeled like samples. Round 0 uses the base
model; after each round that does not end the task, one *epoch* of training adapts the
task's LoRA on the round's relabeled examples and the next round samples from the adapted
model. So ``epochs=E`` means at most E trainings and E + 1 rounds; ``epochs=0`` samples
once and learns nothing. The task ends when a program is exact on every train pair, after
``epochs`` trainings, or at the deadline; an error at any point still returns attempts.
Once a program is exact, the rounds go on for a bounded look for a simpler one (announced
by a progress line): ``after_exact`` of the time then left at most, and no longer than
``after_exact_rounds`` rounds in a row that find no simpler exact program.
With the enumerator on, its programs join the pool before round 0; round 0's training
relabels them too, and its best near misses are prompts that the model continues each
round (the model writes the lines that follow the near miss's).

With the guide on, each round's programs are also read as sketches (their primitives in
order) that the enumerator fills with arguments fitted on the train pairs
(:mod:`solver.search.guide`).

A round is the steps :func:`sample`, :func:`execute_and_merge`, :func:`guide`,
:func:`repair`, :func:`record`, :func:`decide` and :func:`learn` over one :class:`TaskState`, which holds
all that crosses rounds. Heavy imports (torch, the model) happen only inside functions.
"""

from __future__ import annotations

import dataclasses
import random
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from solver.arc.grids import Grid, Task
from solver.lm.config import ModelConfig
from solver.lm.seeds import mix_seed
from solver.search import repair as repair_mod
from solver.search.candidates import (Candidate, Pool, attempts, merge_candidates, rank,
                                      simplest_exact)
from solver.search.config import HerConfig, dialect_of, for_model
from solver.search.execute import Ran, outputs_of, run_in_frames, status_counts
from solver.search.heat import collapsed, next_heat, round_temperatures
from solver.search.prune import prune_batch
from solver.search.relabel import (Relabeled, cross_copies, mutate, order_examples, recolor,
                                   relabel, split_copies)
from solver.sandbox.executor import SandboxConfig
from solver.search.report import RoundRecord, TaskReport
from solver.search.training import (Encoded, PassStats, TrainRate, encode_examples,
                                    first_step, fit_to_time, train_pass, writable)

Progress = Callable[[dict], None]
# trainer(model, items, config, seed, until) -> stats with examples, steps, tokens and losses
Trainer = Callable[..., object]


@dataclass
class TaskState:
    """What crosses the rounds of one task."""

    task: Task
    config: HerConfig
    deadline: float | None  # time.time() seconds; None: no limit
    rate: TrainRate  # the worker's training speed (kept across its tasks)
    report: TaskReport
    inputs: list[Grid]  # train inputs, then test inputs
    rng: random.Random  # example order, recolouring, cuts for time
    started: float = field(default_factory=time.time)
    prompt: str = ""
    pool: Pool = field(default_factory=dict)  # every distinct behaviour so far
    used: set[tuple] = field(default_factory=set)  # train outputs already relabeled
    lines: repair_mod.LinePool | None = None  # the lines the model wrote (repair on)
    heat: float = 1.0  # the temperatures' multiplier of the next round
    collapsed: int = 0  # collapsed rounds in a row (fewer distinct outputs than heat_below)
    adapter: bool = False  # a LoRA is attached to the model
    sample_s: float | None = None  # the last round's sampling time
    exact_until: float | None = None  # once exact: look for a simpler program until then
    simplest: tuple | None = None  # during that look: the simplest exact program's simplicity
    stale: int = 0  # during that look: rounds in a row that found no simpler exact program
    train_s: float | None = None  # the last training's time
    filled: set[tuple] = field(default_factory=set)  # the sketches (families) the guide filled

    @classmethod
    def start(cls, task: Task, config: HerConfig, deadline: float | None,
              rate: TrainRate) -> "TaskState":
        lines = (repair_mod.LinePool(task, variants=config.repair_variants) if config.repair
                 else None)
        return cls(task, config, deadline, rate, TaskReport(task.id, config),
                   [p.input for p in task.train] + [p.input for p in task.test],
                   random.Random(mix_seed(config.seed, task.id, "order")), lines=lines)

    def left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.time()


@dataclass
class RoundWork:
    """One round's programs on their way through the steps."""

    record: RoundRecord
    started: float
    samples: list  # solver.lm.model.Sample
    frames: list  # per sample, the augmentation of its prompt (None: the task's own)
    # distinct (code, frame) -> samples that wrote it
    votes: dict[tuple, int] = field(default_factory=dict)
    runs: list[Ran] = field(default_factory=list)  # per distinct program, in votes' order
    # sampled outputs (the task's own frame) -> the (code, frame) programs behind them
    groups: dict[tuple, list[tuple]] = field(default_factory=dict)
    keys: list[tuple] = field(default_factory=list)  # this round's outputs (sampled, repaired)
    new_keys: list[tuple] = field(default_factory=list)  # those no earlier round produced
    continued: set[str] = field(default_factory=set)  # codes only a near miss's continuation wrote


# ---------------------------------------------------------------- the steps


def time_for_round(state: TaskState, rnd: int) -> bool:
    """Whether a round can start: time is left, and after round 0 at least the last
    round's sampling time."""
    left = state.left()
    return left > 0 and not (rnd > 0 and state.sample_s and left < state.sample_s)


def sample(state: TaskState, model, rnd: int) -> RoundWork:
    """``samples`` programs from the current model at this round's temperatures, split
    among the task's own prompt and ``augment`` augmented ones (:func:`round_prompts`)."""
    from solver.lm.model import SampleConfig  # light once the model is loaded

    cfg = state.config
    temps = round_temperatures(state.heat, cfg)
    t0 = time.time()
    prompts = round_prompts(state, model, rnd)
    samples, frames, n_continued = [], [], 0
    continued, plain = set(), set()  # codes written continuing a near miss / from scratch
    for i, (frame, prompt, start) in enumerate(prompts):
        n = cfg.samples // len(prompts) + (1 if i < cfg.samples % len(prompts) else 0)
        seed = mix_seed(cfg.seed, state.task.id, rnd, *([i] if i else []))
        sample_cfg = SampleConfig(n=n, temperatures=temps, top_p=cfg.top_p,
                                  max_new_tokens=cfg.max_new_tokens, seed=seed % (2 ** 31))
        try:
            got = model.sample(prompt + start, sample_cfg, deadline=state.deadline)
        except ValueError:  # a near miss's lines made the prompt too long: that one is left out
            if not start:
                raise
            continue
        if start:  # the program is the near miss's lines and what the model wrote after them
            extract = dialect_of(model).extract
            got = [dataclasses.replace(s, text=start + s.text, code=extract(start + s.text))
                   for s in got]
            continued.update(s.code for s in got)
            n_continued += len(got)
        else:
            plain.update(s.code for s in got)
        samples += got
        frames += [frame] * len(got)
    state.sample_s = time.time() - t0
    rec = RoundRecord(round=rnd, heat=state.heat, temperatures=temps, samples=len(samples),
                      tokens=sum(getattr(s, "n_tokens", 0) for s in samples),
                      sample_s=state.sample_s)
    if any(frame is not None for frame, _, _ in prompts):
        rec.augmented = sum(1 for f in frames if f is not None)
    if any(start for _, _, start in prompts):
        rec.continued = n_continued
    return RoundWork(rec, t0, samples, frames, continued=continued - plain)


def round_prompts(state: TaskState, model, rnd: int) -> list[tuple]:
    """``(frame, prompt, start)``: the task's own prompt, then ``augment`` prompts of the
    task under random augmentations (rigid transform and colour permutation, black kept),
    new each round (one the model cannot take, too long, is left out), then the task's
    own prompt once per near miss to continue (:func:`near_miss_starts`), ``start`` being
    the answer's first lines ("" for the others)."""
    from solver.arc.augment import random_augmentation

    out = [(None, state.prompt, "")]
    rng = random.Random(mix_seed(state.config.seed, state.task.id, rnd, "augment"))
    for _ in range(state.config.augment):
        frame = random_augmentation(rng)
        if frame.is_identity:
            continue
        try:
            out.append((frame, model.prompt_for(frame.task(state.task),
                                                state.config.max_new_tokens), ""))
        except ValueError:
            continue
    out += [(None, state.prompt, start) for start in near_miss_starts(state, model)]
    return out


def near_miss_starts(state: TaskState, model) -> list[str]:
    """The lines of the enumerator's ``continue_near_misses`` most accurate near misses
    (train-inexact programs in a form the model can write), each as the start of an answer
    in the dsl layout (the body without its ``return``): the model writes what follows,
    a fix the enumerator's short programs could not reach."""
    from solver.lm.prompt import build_target

    k = state.config.continue_near_misses
    if not k or dialect_of(model).layout != "dsl":
        return []
    misses = sorted((c for c in state.pool.values() if c.source == "enumerator"
                     and not c.exact and writable(model, c.code)),
                    key=lambda c: (-c.train_acc, len(c.code), c.code))
    starts = []
    for c in misses[:k]:
        lines = build_target(c.code).splitlines(keepends=True)
        if lines and lines[-1].strip().startswith("return"):
            lines = lines[:-1]
        if lines:
            starts.append("".join(lines))
    return starts


def execute_and_merge(state: TaskState, executor, work: RoundWork) -> None:
    """Run each distinct program once (votes: the samples that wrote it), group them by
    outputs, prune each group's shortest program, and merge the groups into the pool."""
    t0 = time.time()
    for s, frame in zip(work.samples, work.frames):
        work.votes[(s.code, frame)] = work.votes.get((s.code, frame), 0) + 1
    programs = list(work.votes)
    work.runs = run_in_frames(executor, programs, state.inputs)
    for prog, ran in zip(programs, work.runs):
        if ran.outputs is not None:
            work.groups.setdefault(ran.outputs, []).append(prog)
    work.keys = list(work.groups)
    shortest = [min(work.groups[k], key=lambda p: (len(p[0]), p[0])) for k in work.keys]
    codes = [code for code, _ in shortest]
    if state.config.prune and codes:  # (prune is off with augmented prompts: one frame)
        codes = prune_batch(codes, work.keys, state.inputs,
                            lambda progs: outputs_of(executor, progs, state.inputs))
    votes = [sum(work.votes[p] for p in work.groups[k]) for k in work.keys]
    rows = [(code, key, n, frame) for code, key, n, (_, frame)
            in zip(codes, work.keys, votes, shortest)]
    work.new_keys = merge_candidates(state.pool, rows, state.task, work.record.round)
    work.record.exec_s = time.time() - t0


def repair(state: TaskState, executor, work: RoundWork) -> None:
    """Pool this round's programs' lines, hill-climb from the best candidates so far, run
    the repaired programs in the sandbox and merge those that ran (with no votes)."""
    t0 = time.time()
    cfg, lines = state.config, state.lines
    lines.add([code for (code, _), ran in zip(work.votes, work.runs) if ran.outputs is not None])
    starts = [c.code for c in rank(state.pool)[:cfg.repair_starts]]
    fixed = [r.code for r in repair_mod.repair(lines, starts, seconds=cfg.repair_seconds,
                                               kick_starts=cfg.repair_kicks,
                                               kick_pairs=cfg.repair_kick_pairs,
                                               trim=cfg.repair_trim)]
    found = [(code, out, 0) for code, out in zip(fixed, outputs_of(executor, fixed, state.inputs))
             if out is not None and out not in work.groups]
    work.new_keys += merge_candidates(state.pool, found, state.task, work.record.round)
    for _, out, _ in found:
        if out not in work.keys:
            work.keys.append(out)
    rec = work.record
    rec.repair_pool, rec.repair_written, rec.repaired = len(lines), len(lines.written), len(found)
    rec.repair_best_acc = max((state.pool[out].train_acc for _, out, _ in found), default=0.0)
    rec.repair_s = time.time() - t0


def simplify(state: TaskState, executor, work: RoundWork) -> None:
    """This round's new train-exact drawing programs rewritten to paint only where their
    paint shows (:mod:`solver.search.simplify`); the rewrites run in the sandbox on every
    input and join the pool (their train outputs are the same, their test outputs may not
    be)."""
    from solver.search.simplify import simplify_program

    t0 = time.time()
    train = [p.input for p in state.task.train]
    codes = []
    for key in work.new_keys:
        cand = state.pool[key]
        if cand.exact:
            simpler = simplify_program(cand.code, train, seconds=state.config.simplify_seconds)
            if simpler != cand.code:
                codes.append(simpler)
    if not codes:
        return
    found = [(code, out, 0) for code, out in zip(codes, outputs_of(executor, codes, state.inputs))
             if out is not None]
    new = merge_candidates(state.pool, found, state.task, work.record.round, source="simplify")
    work.new_keys += new
    work.keys += [out for _, out, _ in found if out not in work.keys]
    work.record.simplified = len(found)
    work.record.simplify_s = time.time() - t0


def enumerate_step(state: TaskState, alone: bool) -> None:
    """DSL v2 programs for the task, found without a model (:mod:`solver.search.enumerate`),
    into the pool: every program the enumerator kept, exact ones and near misses, with its
    outputs (the enumerator runs only programs it builds itself, in this process). With a
    model it takes ``enumerate_share`` of the time left, alone all of it, never more than
    ``enumerate_seconds``."""
    from solver.search.enumerate import EnumStats, enumerate_programs

    cfg, rep = state.config, state.report
    seconds = min(cfg.enumerate_seconds, state.left() * (1.0 if alone else cfg.enumerate_share))
    if seconds <= 0:
        return
    stats = EnumStats()
    found = enumerate_programs(state.task, seconds, cfg.enumerate_depth, stats)
    new = into_pool(state, found, 0, "enumerator")
    rep.enumerated, rep.enumerate_s, rep.enumerate_depth = len(found), stats.seconds, stats.depth_done
    if any(state.pool[k].exact and not state.pool[k].misses_test for k in new) \
            and rep.solved_round is None:
        rep.solved_round, rep.solved_by = 0, "enumerator"
        rep.solved_s = time.time() - state.started


def into_pool(state: TaskState, found: list, round_: int, source: str) -> list[tuple]:
    """Enumerated programs (:class:`solver.search.enumerate.Found`) into the pool, with
    their outputs; returns the outputs new to the pool. An outputs tuple misses a test value
    (or fails leave-one-out) only if every program behind it does."""
    rows = [(f.code, (*f.train_outputs, *f.test_outputs), 0) for f in found]
    new = merge_candidates(state.pool, rows, state.task, round_, source=source)
    fresh = set(new)
    behind: dict[tuple, list] = {}
    for f, (_, key, _) in zip(found, rows):
        if key in fresh:
            behind.setdefault(key, []).append(f)
    for key, fs in behind.items():
        state.pool[key].misses_test = all(f.misses for f in fs)
        state.pool[key].loo_failed = all(f.loo is False for f in fs)
    return new


def guide(state: TaskState, work: RoundWork) -> None:
    """The round's programs read as sketches, the most written filled by the enumerator's
    fitters (:mod:`solver.search.guide`); what they make joins the pool and the round like
    a repaired program (no votes). A sketch filled in an earlier round is not filled again
    (what it made is in the pool): the next most written one takes its place."""
    from solver.search import guide as guide_mod

    cfg, rec = state.config, work.record
    seconds = min(cfg.guide_seconds, state.left() * cfg.enumerate_share)
    codes = [code for (code, _), n in work.votes.items() for _ in range(n)]
    sketches = [s for s in guide_mod.sketches_of(codes, len(codes))
                if guide_mod.kinds(s) not in state.filled][:cfg.guide_sketches]
    if not sketches or seconds <= 0:
        return
    state.filled.update(guide_mod.kinds(s) for s in sketches)
    t0 = time.time()
    found = guide_mod.fill(state.task, sketches, seconds)
    new = into_pool(state, found, rec.round, "guide")
    work.new_keys += new
    work.keys += [k for k in new if k not in work.keys]
    rec.sketches, rec.guided, rec.guide_s = len(sketches), len(new), time.time() - t0


def record(state: TaskState, work: RoundWork) -> list[Candidate]:
    """The round's figures into its record, and the task's first exact round into the
    report; returns this round's candidates that are exact on every train pair."""
    rec, pool = work.record, state.pool
    weights = list(work.votes.values())  # per distinct code, in runs' order
    accs: list[float] = []
    for ran, w in zip(work.runs, weights):
        if ran.outputs is not None:
            accs += [pool[ran.outputs].train_acc] * w
    rec.statuses, rec.status_examples = status_counts(work.runs, weights)
    rec.valid = len(accs)
    rec.distinct = len(work.groups)
    rec.new_outputs = len(work.new_keys)
    rec.best_train_acc = max(accs, default=0.0)
    rec.mean_train_acc = sum(accs) / len(accs) if accs else 0.0
    rec.mean_train_acc_all = sum(accs) / rec.samples if rec.samples else 0.0
    rec.accuracies = accs
    exact = [pool[k] for k in work.keys if pool[k].exact]
    rec.exact_programs = sum(work.votes[c] for cand in exact
                             for c in work.groups.get(cand.outputs, ()))
    report = state.report
    if exact and report.solved_round is None:
        report.solved_round = rec.round
        report.solved_s = time.time() - state.started
        sampled = [code for c in exact for code, _ in work.groups.get(c.outputs, ())]
        report.solved_by = ("guide" if not sampled and all(c.source == "guide" for c in exact)
                            else "repair" if not sampled
                            else "sample" if any(code not in work.continued for code in sampled)
                            else "continued")
    return exact


def decide(state: TaskState, work: RoundWork, exact: list[Candidate]) -> str | None:
    """The next round's heat, and why the task stops now (exact | epochs | deadline), or
    None to learn and go on. "exact": a program is exact and the look for a simpler one
    (started by the first exact round) is over, by its time or by its stale rounds."""
    cfg = state.config
    state.heat = next_heat(state.heat, len(work.groups), len(work.samples), cfg)
    state.collapsed = (state.collapsed + 1
                       if collapsed(len(work.groups), len(work.samples), cfg) else 0)
    if cfg.stop_when_exact and (exact or state.exact_until is not None):
        if state.exact_until is None:  # a bounded look for a simpler program first
            extra = cfg.after_exact * state.left() if state.deadline is not None else 0.0
            state.exact_until = time.time() + extra
            state.simplest, state.stale = simplest_exact(state.pool), 0
        else:
            stale = look_goes_stale(state)
            work.record.look = state.stale
            if stale:
                return "exact"
        if look_over(state):
            return "exact"
    if work.record.round == cfg.epochs:
        return "epochs"
    if state.left() <= (state.train_s or 0.0) + state.sample_s:
        return "deadline"
    return None


def look_over(state: TaskState) -> bool:
    """Whether the look for a simpler program after the first exact one has no room left
    for another round (its last round's sampling time)."""
    return (state.exact_until is not None
            and time.time() + (state.sample_s or 0.0) >= state.exact_until)


def look_goes_stale(state: TaskState) -> bool:
    """A round of the look after the first exact program: whether it makes
    ``after_exact_rounds`` rounds in a row that found no simpler exact program
    (:func:`solver.search.candidates.simplest_exact` did not go down)."""
    now = simplest_exact(state.pool)
    if now is not None and (state.simplest is None or now < state.simplest):
        state.simplest, state.stale = now, 0
    else:
        state.stale += 1
    rounds = state.config.after_exact_rounds
    return bool(rounds) and state.stale >= rounds


def announce_look(state: TaskState, progress: Progress | None, rnd: int) -> None:
    """Once, at the round whose program was the first exact one, when the look has room
    for another round: that the rounds that follow look for a simpler program, and for
    how long at most."""
    if progress is None or look_over(state):
        return
    rounds = state.config.after_exact_rounds
    progress({"line": f"exact at round {rnd}; looking for a simpler program until "
                      f"+{max(state.exact_until - time.time(), 0.0):.0f}s"
                      + (f" (or {rounds} round{'s' * (rounds > 1)} without one)" if rounds
                         else "")})


def best_found(state: TaskState, n: int) -> list[Relabeled]:
    """The ``n`` most accurate distinct train outputs found so far, in any round, as
    hindsight examples (none when ``n`` is 0)."""
    if n <= 0:
        return []
    ranked = sorted(state.pool.values(), key=lambda c: -c.train_acc)  # ties: found first
    return relabel(state.task, ranked[:4 * n], set())[:n]


def learn(state: TaskState, model, trainer: Trainer, work: RoundWork) -> str | None:
    """Hindsight: this round's programs (at round 0 also the enumerator's that the model
    can write) as correct examples of what they drew, selected and ordered, with
    recoloured copies; one training pass of the task's LoRA on them that
    ends in time for one more round's sampling. Returns "deadline" when nothing fit."""
    cfg, rec = state.config, work.record
    t0 = time.time()
    if cfg.reset_after and state.collapsed >= cfg.reset_after and state.adapter:
        # collapsed onto its own programs: learning starts again from the base model, at
        # the base temperatures, on outputs not trained on before
        model.remove_adapter()
        state.adapter, state.collapsed, state.heat = False, 0, 1.0
        rec.reset = True
    cands = [state.pool[k] for k in work.keys]
    enumerated = []
    if rec.round == 0 and cfg.teach_enumerated:  # the enumerator's finds, taught once
        keys = set(work.keys)
        enumerated = [c for k, c in state.pool.items() if c.source == "enumerator"
                      and k not in keys and writable(model, c.code)]
    examples = relabel(state.task, cands + enumerated, state.used if cfg.dedupe else set())
    if enumerated:
        rec.enumerated_examples = sum(1 for e in examples if e.source == "enumerator")
    chosen = order_examples(examples, cfg.order, cfg.max_examples, state.rng)
    near = split_copies(chosen, cfg.split_best)  # trained last, after the best
    near += cross_copies(best_found(state, cfg.cross_best), cfg.cross_best)
    chosen = recolor(mutate(chosen, cfg.mutate, state.rng, cfg.mutate_top) + near, cfg.recolor,
                     state.rng)
    rec.new_examples = len(examples)
    copies = [e for e in chosen if not e.key]  # a copy has no key of its own
    if copies:
        rec.copies = len(copies)
        own = tuple(p.output for p in state.task.train)
        rec.copies_exact = sum(tuple(p.output for p in e.task.train) == own for e in copies)
    items = encode_examples(model, chosen)
    until = None if state.deadline is None else state.deadline - state.sample_s
    if state.exact_until is not None:  # after the first exact program: only the bounded look
        bound = state.exact_until - state.sample_s
        until = bound if until is None else min(until, bound)
    seed = mix_seed(cfg.seed, state.task.id, work.record.round)
    parts = []
    if until is not None and state.rate.s_per_token is None and items:
        # no speed measured in this worker yet: its first step measures it
        head = first_step(items, cfg)
        parts.append(_train(state, model, trainer, items[:head], seed, until))
        rest = items[head:]
    else:
        rest = items
    room = None if until is None else until - time.time()
    keep = fit_to_time([len(ids) for ids, _ in rest], room, state.rate, state.rng)
    if keep:
        parts.append(_train(state, model, trainer, [rest[i] for i in keep], seed, until))
    stats = PassStats.combine(parts)
    if stats.examples < len(items):
        rec.cut_for_time = len(items) - stats.examples
    if not stats.examples:
        return "deadline" if rec.cut_for_time else None
    rec.examples_trained, rec.loss = stats.examples, stats.mean_loss
    rec.first_loss, rec.last_loss = stats.first_loss, stats.last_loss
    rec.train_steps, rec.train_tokens = stats.steps, stats.tokens
    state.train_s = rec.train_s = time.time() - t0
    return None


def _train(state: TaskState, model, trainer: Trainer, items: list[Encoded], seed: int,
           until: float | None):
    """One trainer call (the adapter attached first); measures the worker's speed."""
    if not state.adapter:
        cfg = state.config
        if cfg.tune == "full":
            model.tune_all()
        else:
            model.add_adapter(r=cfg.lora_r, alpha=cfg.lora_alpha, seed=cfg.seed,
                              target_modules=cfg.lora_targets, rslora=cfg.lora_rslora)
        state.adapter = True
    t0 = time.time()
    stats = trainer(model, items, state.config, seed, until)
    state.rate.update(time.time() - t0, sum(len(ids) for ids, _ in items[:stats.examples]))
    return stats


def emit(state: TaskState, progress: Progress | None, rec: RoundRecord) -> None:
    """The round's line, record (without the per-sample accuracies) and current attempts."""
    if progress is not None:
        progress({"attempts": attempts(state.task, state.pool, by=state.config.rank_by),
                  "line": rec.line(),
                  "round": {k: v for k, v in rec.to_json().items() if k != "accuracies"}})


def finish(state: TaskState, model) -> TaskReport:
    """Remove the adapter; the report's status, attempts and best program."""
    if state.adapter:
        model.remove_adapter()
        state.adapter = False
    rep = state.report
    best = rank(state.pool, state.config.rank_by)[:1]
    if rep.status not in ("error", "skipped"):
        rep.status = "exact" if best and best[0].exact else "inexact"
    rep.attempts = attempts(state.task, state.pool, by=state.config.rank_by)
    rep.best_code = best[0].code if best else None
    rep.best_train_acc = best[0].train_acc if best else 0.0
    rep.candidates = len(state.pool)
    rep.epochs_run = sum(1 for r in rep.rounds if r.examples_trained)
    rep.seconds = time.time() - state.started
    return rep


# ---------------------------------------------------------------- the loop


def solve_task(task: Task, model, executor, config: HerConfig | None = None,
               deadline: float | None = None, progress: Progress | None = None,
               trainer: Trainer | None = None, rate: TrainRate | None = None) -> TaskReport:
    """Search and learn on ``task`` until exact on train, ``config.epochs`` trainings, or
    ``deadline`` (``time.time()`` seconds). ``rate``: the worker's training speed (a new
    one when None). Never raises for a problem of the task; the model's adapter is always
    removed."""
    state = TaskState.start(task, for_model(config or HerConfig(), model), deadline,
                            rate or TrainRate())
    trainer = trainer or train_pass
    rep = state.report
    try:
        if state.config.enumerate:
            enumerate_step(state, alone=model is None)
            if rep.solved_by == "enumerator" and state.config.stop_when_exact:
                rep.stopped = "exact"
                return rep
        if model is None:  # the enumerator alone
            rep.stopped = "no model"
            return rep
        try:
            state.prompt = model.prompt_for(task, state.config.max_new_tokens)
        except ValueError as e:  # PromptTooLong and bad task shapes: the enumerator's finds stay
            rep.status, rep.stopped, rep.error = "skipped", "prompt", str(e)
            return rep
        for rnd in range(state.config.epochs + 1):
            if look_over(state):  # the last round's training used up the look
                rep.stopped = "exact"
                break
            if not time_for_round(state, rnd):
                rep.stopped = "deadline"
                break
            work = sample(state, model, rnd)
            execute_and_merge(state, executor, work)
            if state.config.guide:
                guide(state, work)
            if state.lines is not None:
                repair(state, executor, work)
            if state.config.simplify:
                simplify(state, executor, work)
            exact = record(state, work)
            looking = state.exact_until is not None
            stop = decide(state, work, exact)
            if stop is None:
                stop = learn(state, model, trainer, work)
            work.record.seconds = time.time() - work.started
            rep.rounds.append(work.record)
            emit(state, progress, work.record)
            if not looking and state.exact_until is not None and not stop:
                announce_look(state, progress, rnd)
            if stop:
                rep.stopped = stop
                break
    except Exception as e:  # an error in the loop still returns the attempts found so far
        rep.status, rep.error = "error", f"{type(e).__name__}: {e}"
        rep.traceback = traceback.format_exc(limit=6)
    finally:
        finish(state, model)
    return rep


# ---------------------------------------------------------------- worker factory


class TaskSolver:
    """``solve(task, deadline, progress) -> report JSON`` in one worker: its model, its
    sandbox and its training speed, kept across its tasks."""

    def __init__(self, model, executor, config: HerConfig, trainer: Trainer = train_pass):
        self.model = model
        self.executor = executor
        self.config = config
        self.trainer = trainer
        self.rate = TrainRate()

    def __call__(self, task: Task, deadline: float, progress: Progress) -> dict:
        return solve_task(task, self.model, self.executor, self.config, deadline, progress,
                          self.trainer, self.rate).to_json()


@dataclass
class HerSolver:
    """Picklable factory for :func:`solver.run.coordinator.run_tasks`: called once per
    worker process, it loads the model and starts the sandbox, and returns a
    :class:`TaskSolver`. The settings cross to the worker whole, as the dataclasses the
    command line built (pickled with the factory)."""

    model: ModelConfig = field(default_factory=ModelConfig)  # path "none": no model
    her: HerConfig = field(default_factory=HerConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)  # entry, input type: the dialect's
    dialect_timeout: bool = True  # per program run: the dialect's timeout, not sandbox.timeout_s

    def without_model(self) -> bool:
        """``--model none``: the enumerator alone, no model loaded (torch never imported)."""
        path = self.model.path
        return isinstance(path, str) and path.lower() == "none"

    def sandbox_for(self, dialect) -> SandboxConfig:
        """The sandbox's settings for programs in ``dialect``: its entry point, input type
        and modules, and its timeout unless one was given."""
        timeout_s = dialect.timeout_s if self.dialect_timeout else self.sandbox.timeout_s
        return dataclasses.replace(self.sandbox, timeout_s=timeout_s, entry=dialect.entry,
                                   input_type=dialect.input_type, preload=dialect.preload)

    def __call__(self) -> TaskSolver:
        import atexit

        from solver.sandbox.executor import Executor

        m = None
        if not self.without_model():
            from solver.lm.model import load

            m = load(self.model)
        ex = Executor(**dataclasses.asdict(self.sandbox_for(dialect_of(m))))
        ex.__enter__()
        atexit.register(ex.__exit__, None, None, None)
        return TaskSolver(m, ex, for_model(self.her, m))
