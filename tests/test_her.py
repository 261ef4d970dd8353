"""search.loop: the per-task loop with a scripted model and the real sandbox (typed
report fields); the end-to-end loop on a tiny real model is in
test_her_tiny_model_end_to_end."""

import time
from dataclasses import dataclass

import pytest
from search_helpers import EMPTY, HALF, RIGHT, TARGET, TASK, WRONG, grid_with, prog

from solver.lm import prompt as prompt_mod
from solver.lm.dialects import DSL
from solver.sandbox import Executor
from solver.search import loop
from solver.search.config import HerConfig
from solver.search.heat import next_heat
from solver.search.loop import solve_task
from solver.search.training import TrainRate


@pytest.fixture(scope="module")
def executor():
    with Executor(workers=1, timeout_s=1.0) as ex:
        yield ex


@dataclass
class S:
    code: str
    text: str = ""
    n_tokens: int = 1
    temperature: float = 1.0


class CharTokenizer:
    """One token per character; EOS is 0."""

    eos_token_id = 0
    pad_token_id = 0

    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]


def target_of(item):
    ids, n_prompt = item
    return "".join(chr(i) for i in ids[n_prompt:-1])


class ScriptedModel:
    """Returns the scripted programs per round; records adapters and calls."""

    prompt_config = None
    tokenizer = CharTokenizer()

    def __init__(self, rounds, fail_round=None, too_long=False):
        self.rounds = rounds
        self.fail_round = fail_round
        self.too_long = too_long
        self.calls = 0
        self.adapters = []
        self.has_adapter = False
        self.seeds = []
        self.temperatures = []
        self.removed = 0  # remove_adapter calls

    def prompt_for(self, task, max_new_tokens=None):
        if self.too_long:
            raise ValueError("prompt too long: 5000 prompt tokens + 512 new tokens > context 2048")
        return "PROMPT"

    def sample(self, prompt, cfg, deadline=None):
        i = self.calls
        self.calls += 1
        self.seeds.append(cfg.seed)
        self.temperatures.append(cfg.temperatures)
        if i == self.fail_round:
            raise RuntimeError("sampler exploded")
        codes = self.rounds[min(i, len(self.rounds) - 1)]
        return [S(c) for c in codes[:cfg.n]]

    def example_for(self, task, code):
        from solver.lm.dialects import DSL

        return DSL.example(task, code, self.tokenizer, self.prompt_config)

    def add_adapter(self, r, alpha, seed=0, target_modules=None, rslora=False):
        assert not self.has_adapter
        self.has_adapter = True
        self.adapters.append((r, alpha))

    def tune_all(self):
        assert not self.has_adapter
        self.has_adapter = True
        self.adapters.append("full")

    def remove_adapter(self):
        self.has_adapter = False
        self.removed += 1


@dataclass
class Stats:
    examples: int
    steps: int = 1
    tokens: int = 10
    first_loss: float = 2.0
    last_loss: float = 1.0
    mean_loss: float = 1.5


class Trainer:
    """Trains everything it is given; each call may take ``seconds`` on a fake clock."""

    def __init__(self, clock=None, seconds=0.0):
        self.calls = []
        self.clock, self.seconds = clock, seconds

    def __call__(self, model, items, config, seed, until):
        assert model.has_adapter
        self.calls.append(items)
        if self.clock is not None:
            self.clock.offset += self.seconds
        return Stats(examples=len(items))


class Clock:
    """The loop's ``time`` module with ``offset`` seconds added (training's fake duration)."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


def fake_prompt(monkeypatch):
    monkeypatch.setattr(prompt_mod, "build_prompt", lambda t, c, tok: repr(t.train))


def test_loop_learns_until_exact(monkeypatch, executor):
    fake_prompt(monkeypatch)
    bad = prog("draw_pixel(img, (9, 9), 1)")  # draws outside: output == input
    rounds = [[HALF, HALF, WRONG, "not python", bad], [HALF, WRONG, RIGHT + "    # x\n"], [RIGHT]]
    model, trainer = ScriptedModel(rounds), Trainer()
    updates = []
    rep = solve_task(TASK, model, executor, HerConfig(samples=8, epochs=5, recolor=0),
                     progress=updates.append, trainer=trainer)
    assert rep.status == "exact" and rep.stopped == "exact" and rep.solved_round == 1
    assert rep.solved_by == "sample" and 0 < rep.solved_s <= rep.seconds
    r0, r1 = rep.rounds
    assert (r0.samples, r0.valid, r0.distinct, r0.new_outputs) == (5, 4, 3, 3)
    assert r0.statuses == {"ok": 4, "error": 1} and "NameError" in r0.status_examples["error"]
    assert r0.best_train_acc == pytest.approx(8 / 9)
    assert r0.mean_train_acc == pytest.approx((8 / 9 * 2 + 6 / 9 + 7 / 9) / 4)
    assert r0.mean_train_acc_all == pytest.approx((8 / 9 * 2 + 6 / 9 + 7 / 9) / 5)
    assert r0.examples_trained == 2 and r0.loss == 1.5  # the identity is no example
    assert r0.new_examples == 2 and r0.cut_for_time is None and len(r0.accuracies) == 4
    assert r1.new_outputs == 1 and r1.examples_trained == 0 and r1.exact_programs == 1
    assert len(trainer.calls) == 1
    targets = [target_of(item) for item in trainer.calls[0]]
    assert len(targets) == 2  # the program drawing outside the grid drew nothing: no example
    # worst first: WRONG (6/9), then the best (8/9) last
    assert targets[0] == "    draw_pixel(img, (2, 2), 5)\n    return img\n"
    assert targets[-1] == "    draw_pixel(img, (0, 0), 3)\n    return img\n"
    assert rep.attempts == [[TARGET, grid_with(((0, 0), 3))]]
    assert rep.best_code == RIGHT  # the comment line was pruned
    assert not model.has_adapter and model.adapters == [(16, 32)]
    assert len(updates) == 2 and updates[-1]["attempts"][0][0] == TARGET
    assert updates[0]["line"].startswith("round 0: valid 4/5 (error 1) distinct 3")
    assert updates[-1]["round"]["round"] == 1 and "accuracies" not in updates[-1]["round"]
    assert model.seeds[0] != model.seeds[1]
    # the JSON the run directory keeps
    d = rep.to_json()
    assert d["status"] == "exact" and d["rounds"][0]["statuses"] == {"ok": 4, "error": 1}
    assert d["rounds"][1]["loss"] is None and "new_examples" not in d["rounds"][1]


def test_outputs_used_in_earlier_epochs_are_skipped(monkeypatch, executor):
    fake_prompt(monkeypatch)
    rounds = [[HALF, WRONG], [HALF, WRONG], [HALF, prog("draw_pixel(img, (1, 2), 6)")]]
    trainer = Trainer()
    rep = solve_task(TASK, ScriptedModel(rounds), executor,
                     HerConfig(samples=8, epochs=3, recolor=0), trainer=trainer)
    assert rep.status == "inexact" and rep.stopped == "epochs"
    assert [r.examples_trained for r in rep.rounds] == [2, 0, 1, 0]
    assert len(trainer.calls) == 2  # round 1 had nothing new: no training
    assert rep.epochs_run == 2


def test_without_dedupe_every_epoch_trains_its_round(monkeypatch, executor):
    fake_prompt(monkeypatch)
    rounds = [[HALF, WRONG], [HALF, WRONG], [HALF, prog("draw_pixel(img, (1, 2), 6)")]]
    trainer = Trainer()
    rep = solve_task(TASK, ScriptedModel(rounds), executor,
                     HerConfig(samples=8, epochs=3, recolor=0, dedupe=False), trainer=trainer)
    assert [r.examples_trained for r in rep.rounds] == [2, 2, 2, 0]


def test_a_collapsed_task_resets_its_training(monkeypatch, executor):
    """reset_after=2: two rounds in a row with one distinct output of eight drop the
    adapter and the heat; the next training attaches a fresh adapter."""
    fake_prompt(monkeypatch)
    varied = [prog(f"draw_pixel(img, (1, {c}), {k})") for c in range(3) for k in (1, 2)]
    rounds = [varied, [HALF] * 6, [HALF] * 6, [WRONG] + varied[1:]]
    model, trainer = ScriptedModel(rounds), Trainer()
    rep = solve_task(TASK, model, executor,
                     HerConfig(samples=6, epochs=3, recolor=0, heat_below=0.5, dedupe=False,
                               reset_after=2, repair=False), trainer=trainer)
    assert [r.distinct for r in rep.rounds] == [6, 1, 1, 6], (rep.stopped, rep.error)
    assert [bool(r.reset) for r in rep.rounds] == [False, False, True, False]
    assert rep.rounds[3].heat == 1.0 and rep.rounds[2].heat > 1.0
    assert model.adapters == [(16, 32), (16, 32)] and model.removed == 2
    assert "| reset |" in rep.rounds[2].line()


def test_full_tuning_instead_of_an_adapter(monkeypatch, executor):
    fake_prompt(monkeypatch)
    model, trainer = ScriptedModel([[HALF, WRONG], [RIGHT]]), Trainer()
    rep = solve_task(TASK, model, executor, HerConfig(samples=4, epochs=2, recolor=0,
                                                      tune="full"), trainer=trainer)
    assert rep.status == "exact" and model.adapters == ["full"] and not model.has_adapter
    with pytest.raises(ValueError, match="tune must be one of"):
        HerConfig(tune="half")


def outputs_text(task, *_):
    """A prompt that is the task's train outputs as text (the copying model reads it)."""
    return repr([p.output for p in task.train])


class CopyingModel(ScriptedModel):
    """Prompts are the train outputs as text; for an augmented prompt it writes a program
    that paints the first painted cell of the output it reads (a task's own prompt gets an
    empty drawing): only the augmented frames can get anything right."""

    def __init__(self):
        super().__init__([[]])
        self.prompts = []

    def prompt_for(self, task, max_new_tokens=None):
        return outputs_text(task)

    def sample(self, prompt, cfg, deadline=None):
        self.prompts.append(prompt)
        self.calls += 1
        out = eval(prompt)[0]
        if out == TARGET:  # the task's own prompt
            return [S(prog("draw_pixel(img, (2, 2), 0)"))] * cfg.n
        r, c = next((r, c) for r, row in enumerate(out) for c, v in enumerate(row) if v)
        return [S(prog(f"draw_pixel(img, ({r}, {c}), {out[r][c]})"))] * cfg.n


def test_augmented_prompts_are_run_mapped_back_and_taught_in_their_frame(monkeypatch, executor):
    monkeypatch.setattr(prompt_mod, "build_prompt", outputs_text)
    model, trainer = CopyingModel(), Trainer()
    cfg = HerConfig(samples=7, epochs=1, recolor=0, augment=2)
    assert (cfg.for_dialect(DSL).repair, HerConfig().for_dialect(DSL).repair) == (False, True)
    rep = solve_task(TASK, model, executor, cfg, trainer=trainer)
    r0 = rep.rounds[0]
    assert r0.samples == 7 and r0.augmented == 4  # 3 + 2 + 2 samples over three prompts
    assert len(set(model.prompts[:3])) == 3
    # each augmented program painted one of the target's cells in its frame: mapped back,
    # it is the half-right drawing HALF or the other cell, never a cell the target lacks
    halves = {grid_with(((0, 0), 3)), grid_with(((1, 1), 4))}
    assert r0.best_train_acc == pytest.approx(8 / 9) and rep.attempts[0][0] in halves
    # taught in its own frame: the example shows the program's own drawing as the program
    # saw it (augmented), so the program is right on it
    assert trainer.calls and trainer.calls[0]
    for ids, n in trainer.calls[0]:
        shown = eval("".join(chr(i) for i in ids[:n]))[0]
        (r, c), v = next(((r, c), v) for r, row in enumerate(shown) for c, v in enumerate(row) if v)
        assert target_of((ids, n)) == f"    draw_pixel(img, ({r}, {c}), {v})\n    return img\n"
        assert shown not in (grid_with(((0, 0), 3)), grid_with(((1, 1), 4)))  # not the own frame
    with pytest.raises(ValueError, match="augment needs"):
        HerConfig(augment=1, repair=True).for_dialect(DSL)


def test_learning_without_repair_trains_mutated_split_and_crossed_copies_by_default():
    """recolor, mutate, split_best and cross_best follow repair unless set: 2 recoloured
    copies with repair; 2 mutated ones and the split and crossed copies of the 4 best
    without (the learning alone gains from them); what the user sets wins."""
    def copies(**kw):
        cfg = HerConfig(**kw).for_dialect(DSL)
        return cfg.recolor, cfg.mutate, cfg.split_best, cfg.cross_best

    assert copies() == (2, 0, 0, 0)
    assert copies(repair=False) == (0, 2, 4, 4)
    assert copies(augment=1) == (0, 2, 4, 4)  # augment turns repair off
    assert copies(repair=False, recolor=1, split_best=0, cross_best=2) == (1, 2, 0, 2)
    assert copies(repair=True, mutate=3, split_best=2, cross_best=1) == (2, 3, 2, 1)
    with pytest.raises(ValueError, match="mutate"):
        HerConfig(mutate=-1)
    with pytest.raises(ValueError, match="split_best"):
        HerConfig(split_best=-1)
    with pytest.raises(ValueError, match="cross_best"):
        HerConfig(cross_best=-1)
    with pytest.raises(ValueError, match="mutate_top"):
        HerConfig(mutate_top=0)


def test_sampling_only(monkeypatch, executor):
    fake_prompt(monkeypatch)
    model, trainer = ScriptedModel([[HALF]]), Trainer()
    rep = solve_task(TASK, model, executor, HerConfig(samples=4, epochs=0), trainer=trainer)
    assert len(rep.rounds) == 1 and rep.stopped == "epochs"
    assert trainer.calls == [] and model.adapters == []


def test_deadline_passed_gives_fallback(monkeypatch, executor):
    fake_prompt(monkeypatch)
    rep = solve_task(TASK, ScriptedModel([[RIGHT]]), executor, HerConfig(samples=4),
                     deadline=time.time() - 1)
    assert rep.rounds == [] and rep.stopped == "deadline"
    assert rep.attempts == [[EMPTY, EMPTY]]


def one_pixel_programs(n):
    """``n`` distinct one-pixel programs of the same length (examples of equal tokens)."""
    cells = [(r, c, k) for k in (5, 6, 7) for r in range(3) for c in range(3)]
    return [prog(f"draw_pixel(img, ({r}, {c}), {k})") for r, c, k in cells[:n]]


def test_training_pass_is_cut_to_the_time_left(monkeypatch, executor):
    fake_prompt(monkeypatch)
    rounds = [[HALF, WRONG, prog("draw_pixel(img, (1, 2), 6)")]]
    tokens = len(repr(TASK.train)) + len("    draw_pixel(img, (0, 0), 3)\n    return img\n") + 1
    # measured earlier in this worker: 1 example costs ~400 s; ~1,000 s are left
    trainer = Trainer()
    rep = solve_task(TASK, ScriptedModel(rounds), executor,
                     HerConfig(samples=4, epochs=1, recolor=0), deadline=time.time() + 1000,
                     trainer=trainer, rate=TrainRate(400.0 / tokens))
    r0 = rep.rounds[0]
    assert r0.new_examples == 3 and r0.cut_for_time == 1 and r0.examples_trained == 2
    assert len(trainer.calls) == 1 and len(trainer.calls[0]) == 2
    # nothing fits: no training, the task stops at its deadline
    trainer = Trainer()
    rep = solve_task(TASK, ScriptedModel(rounds), executor, HerConfig(samples=4, epochs=3),
                     deadline=time.time() + 1000, trainer=trainer,
                     rate=TrainRate(5000.0 / tokens))
    assert rep.stopped == "deadline" and trainer.calls == [] and len(rep.rounds) == 1
    assert rep.rounds[0].cut_for_time == rep.rounds[0].new_examples * 3  # with two recolourings


def test_first_pass_measures_the_speed_on_its_first_step(monkeypatch, executor):
    """No speed known in the worker yet: the first step (two examples) takes 400 s, so of
    the other four only two fit in the ~600 s left; the speed is kept for later tasks."""
    fake_prompt(monkeypatch)
    clock = Clock()
    monkeypatch.setattr(loop, "time", clock)
    trainer = Trainer(clock, seconds=400.0)
    rate = TrainRate()
    rep = solve_task(TASK, ScriptedModel([one_pixel_programs(6)]), executor,
                     HerConfig(samples=8, epochs=1, recolor=0, mutate=0, cross_best=0,
                               repair=False),
                     deadline=time.time() + 1000, trainer=trainer, rate=rate)
    r0 = rep.rounds[0]
    assert [len(c) for c in trainer.calls] == [2, 2]
    assert r0.new_examples == 6 and r0.examples_trained == 4 and r0.cut_for_time == 2
    tokens = sum(len(ids) for ids, _ in trainer.calls[0])
    assert rate.s_per_token == pytest.approx(400.0 / tokens)
    assert rep.stopped == "epochs" and len(rep.rounds) == 2
    # a known speed: one call, fitted before it starts
    trainer = Trainer(clock, seconds=400.0)
    solve_task(TASK, ScriptedModel([one_pixel_programs(6)]), executor,
               HerConfig(samples=8, epochs=1, recolor=0, mutate=0, repair=False),
               deadline=clock.time() + 1000, trainer=trainer, rate=rate)
    assert [len(c) for c in trainer.calls] == [4]


def test_task_that_raises_mid_epoch_keeps_attempts_and_resets(monkeypatch, executor):
    fake_prompt(monkeypatch)
    model = ScriptedModel([[HALF, WRONG]], fail_round=1)
    rep = solve_task(TASK, model, executor, HerConfig(samples=4, epochs=3), trainer=Trainer())
    assert rep.status == "error" and "sampler exploded" in rep.error
    assert "RuntimeError" in rep.traceback
    assert rep.attempts == [[grid_with(((0, 0), 3)), grid_with(((2, 2), 5))]]
    assert len(rep.rounds) == 1
    assert not model.has_adapter and model.adapters  # trained once, then removed


def test_prompt_too_long_is_skipped(executor):
    rep = solve_task(TASK, ScriptedModel([[RIGHT]], too_long=True), executor, HerConfig())
    assert rep.status == "skipped" and rep.stopped == "prompt" and "prompt too long" in rep.error
    assert rep.attempts == [[EMPTY, EMPTY]]


def test_a_collapsed_round_makes_the_next_one_hotter(monkeypatch, executor):
    fake_prompt(monkeypatch)
    model = ScriptedModel([[HALF] * 8, [HALF] * 8, [RIGHT]])  # 1 distinct output of 8, twice
    cfg = HerConfig(samples=8, epochs=5, recolor=0, repair=False, temperatures=(0.5, 1.0),
                    max_temperature=2.0)
    updates = []
    rep = solve_task(TASK, model, executor, cfg, trainer=Trainer(), progress=updates.append)
    assert rep.status == "exact"
    assert model.temperatures == [(0.5, 1.0), (0.75, 1.5), (1.125, 2.0)]  # capped at 2.0
    assert [r.heat for r in rep.rounds] == [1.0, 1.5, 2.25]
    assert [r.temperatures for r in rep.rounds] == model.temperatures
    assert "(temps 1.12-2.00)" in updates[-1]["line"]  # what was used, not the multiplier
    # diversity back (above twice the threshold): one step cooler; in between: unchanged
    assert next_heat(2.25, 128, 256, cfg) == 1.5
    assert next_heat(1.5, 100, 256, cfg) == 1.5
    assert next_heat(1.0, 256, 256, cfg) == 1.0
    assert next_heat(1.0, 1, 256, HerConfig(heat_below=0)) == 1.0  # off


def test_config_validation():
    with pytest.raises(ValueError):
        HerConfig(order="best-first")
    with pytest.raises(ValueError):
        HerConfig(temperatures=())
    assert HerConfig(temperatures=[1, 0.5]).temperatures == (1.0, 0.5)


def test_repair_assembles_lines_from_two_samples(monkeypatch, executor):
    fake_prompt(monkeypatch)
    rounds = [[HALF, prog("draw_pixel(img, (1, 1), 4)", "draw_pixel(img, (2, 0), 7)")]]
    rep = solve_task(TASK, ScriptedModel(rounds), executor, HerConfig(samples=4, epochs=0))
    assert rep.status == "exact" and rep.solved_round == 0 and rep.solved_by == "repair"
    r0 = rep.rounds[0]
    assert r0.repaired >= 1 and r0.repair_best_acc == 1.0
    assert r0.best_train_acc < 1.0  # the round's own samples were not exact
    assert rep.attempts[0][0] == TARGET
    off = solve_task(TASK, ScriptedModel(rounds), executor,
                     HerConfig(samples=4, epochs=0, repair=False))
    assert off.status == "inexact" and off.rounds[0].repaired is None
    assert "repaired" not in off.to_json()["rounds"][0]


def test_worker_solver_keeps_the_speed_across_tasks(monkeypatch, executor):
    fake_prompt(monkeypatch)
    worker = loop.TaskSolver(ScriptedModel([[HALF, WRONG]]), executor,
                             HerConfig(samples=4, epochs=1, recolor=0), Trainer())
    got = worker(TASK, time.time() + 1000, lambda update: None)
    assert isinstance(got, dict) and got["task_id"] == "demo" and got["status"] == "inexact"
    assert worker.rate.s_per_token is not None  # measured on the first task's pass


# ---------------------------------------------------------------- end to end, tiny real model


def tiny_model(tmp_path):
    """A tiny Llama first taught (a few seconds) to write valid one-pixel programs for
    TASK's prompt."""
    from tiny import make_tiny_model

    from solver.lm import model as model_mod
    from solver.lm import train as train_mod

    folder = make_tiny_model(tmp_path / "m", hidden=64, layers=2, solver_json={
        "prompt": {"encoder": "sparse"}, "max_new_tokens": 40, "context_length": 512})
    m = model_mod.load(model_mod.ModelConfig(path=str(folder), device="cpu"))
    prompt = prompt_mod.build_prompt(TASK, m.prompt_config, m.tokenizer)
    progs = [prog(f"draw_pixel(img, ({r}, {c}), {col})") for r in (0, 1) for c in (0, 1)
             for col in (3, 4)]
    train_mod.train(m.model, m.tokenizer, [(prompt, prompt_mod.build_target(p)) for p in progs],
                    train_mod.TrainConfig(lr=2e-2, epochs=20, warmup_steps=0, progress=False))
    return m


@pytest.mark.slow
def test_her_tiny_model_end_to_end(tmp_path, executor):
    """Really sample, execute, relabel, fine-tune the LoRA and reset it."""
    import math

    import torch

    from solver.search.training import train_pass

    m = tiny_model(tmp_path)
    base = {k: v.clone() for k, v in m.model.state_dict().items()}
    changed = []

    def trainer(model, items, config, seed, until):
        lora = {n: p.detach().clone() for n, p in model.model.named_parameters() if p.requires_grad}
        assert lora and all("lora" in n for n in lora)
        stats = train_pass(model, items, config, seed, until)
        after = dict(model.model.named_parameters())
        changed.append(any(not torch.equal(lora[n], after[n].detach()) for n in lora))
        return stats

    cfg = HerConfig(samples=16, epochs=2, temperatures=(1.0, 0.7), max_new_tokens=40, lr=1e-2,
                    stop_when_exact=False, repair=False)  # repair would join two pixels: exact
    rep = solve_task(TASK, m, executor, cfg, deadline=time.time() + 300, trainer=trainer)
    assert rep.status == "inexact" and rep.stopped == "epochs", rep.error
    r0 = rep.rounds[0]
    assert r0.samples == 16 and r0.valid > 0 and r0.distinct >= 2
    # each relabeled example and its copies (mutated, split, crossed: repair is off)
    assert r0.new_examples >= 2 and math.isfinite(r0.loss)
    assert r0.examples_trained + (r0.cut_for_time or 0) == r0.new_examples + (r0.copies or 0)
    assert changed and all(changed)  # the LoRA really learned
    assert len(rep.rounds) == 3 and rep.epochs_run >= 1
    # one-pixel programs reach at most 8/9 on a two-pixel target; attempts are real outputs
    assert 0 < rep.best_train_acc <= 8 / 9
    assert len(rep.attempts[0]) == 2 and all(len(g) == 3 for g in rep.attempts[0])
    assert not m.has_adapter
    after = m.model.state_dict()
    assert set(after) == set(base) and all(torch.equal(base[k], after[k]) for k in base)


@pytest.mark.slow
def test_her_tiny_model_first_pass_ends_in_time(tmp_path, executor, monkeypatch):
    """A worker's first training pass with a tiny deadline: it trains, is cut inside its
    step loop, and the task ends by its deadline whatever the pass would have taken."""
    from solver.lm import train as train_module
    from solver.lm.model import SampleConfig

    m = tiny_model(tmp_path)
    m.add_adapter()  # peft's first import (seconds) is not the pass's time
    m.remove_adapter()
    cfg = HerConfig(samples=32, epochs=3, temperatures=(1.0,), max_new_tokens=40, recolor=20,
                    stop_when_exact=False, repair=False, max_rows=1, enumerate=False)
    t0 = time.time()
    m.sample(m.prompt_for(TASK), SampleConfig(n=32, temperatures=(1.0,), max_new_tokens=40))
    sample_s = time.time() - t0
    deadline = time.time() + 3 * sample_s + 2.0  # a round, a cut pass, a round
    # every step takes at least a quarter of the time the pass has, so that the pass is cut
    # on a fast machine too (at least a few dozen recoloured examples, one per step)
    step_floor = (2 * sample_s + 2.0) / 4
    real_loss = train_module.batch_loss

    def slow_loss(*args, **kwargs):
        time.sleep(step_floor)
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(train_module, "batch_loss", slow_loss)
    rep = solve_task(TASK, m, executor, cfg, deadline=deadline)
    assert rep.error is None, rep.error
    r0 = rep.rounds[0]
    assert r0.examples_trained >= 1 and r0.cut_for_time >= 1  # trained, then cut
    assert time.time() <= deadline + step_floor + 0.5  # at most about a step past it
    assert not m.has_adapter


def test_round_0_also_teaches_the_enumerators_programs_the_model_can_write(monkeypatch, executor):
    """The enumerator's near misses are relabeled with round 0's samples (once); a model
    constrained to the drawing DSL is not taught a program outside it."""
    from solver.search import enumerate as enum_mod

    fake_prompt(monkeypatch)
    v2 = "def task(img):\n    img = flip_h(img)\n    return img\n"  # outside the drawing DSL
    drawn = grid_with(((2, 2), 7))
    found = [enum_mod.Found(code=v2, steps=(), train_outputs=[drawn], test_outputs=[drawn],
                            depth=1, families=("rigid",), exact=False, accuracy=7 / 9)]
    monkeypatch.setattr(enum_mod, "enumerate_programs", lambda *a, **k: found)
    for grammar, taught in ((None, True), ("dsl", False)):
        model, trainer = ScriptedModel([[HALF], [HALF]]), Trainer()
        model.grammar = grammar
        rep = solve_task(TASK, model, executor,
                         HerConfig(samples=4, epochs=2, recolor=0, cross_best=0, repair=False),
                         trainer=trainer)
        assert rep.enumerated == 1 and rep.solved_by is None
        r0 = rep.rounds[0]
        targets = [target_of(item) for item in trainer.calls[0]]
        assert ("    img = flip_h(img)\n    return img\n" in targets) == taught
        assert r0.new_examples == (2 if taught else 1)
        assert r0.enumerated_examples == (1 if taught else None)
        assert r0.examples_trained == r0.new_examples
        assert ("(1 enumerated)" in r0.line()) == taught
        # taught once: later rounds relabel only their own programs
        assert all(r.enumerated_examples is None for r in rep.rounds[1:])
    model, trainer = ScriptedModel([[HALF], [HALF]]), Trainer()
    rep = solve_task(TASK, model, executor, HerConfig(samples=4, epochs=2, recolor=0,
                                                      repair=False, teach_enumerated=False),
                     trainer=trainer)
    assert rep.rounds[0].new_examples == 1 and rep.rounds[0].enumerated_examples is None


def test_mutated_copies_follow_each_example(monkeypatch, executor):
    fake_prompt(monkeypatch)
    trainer = Trainer()
    rep = solve_task(TASK, ScriptedModel([[HALF, WRONG], [HALF]]), executor,
                     HerConfig(samples=4, epochs=1, recolor=0, mutate=2, repair=False,
                               enumerate=False), trainer=trainer)
    r0 = rep.rounds[0]
    targets = [target_of(item) for item in trainer.calls[0]]
    assert r0.new_examples == 2 and 2 < r0.examples_trained == len(targets) <= 6
    # worst first: WRONG and its copies, then HALF and its copies
    assert targets[0] == "    draw_pixel(img, (2, 2), 5)\n    return img\n"
    half = targets.index("    draw_pixel(img, (0, 0), 3)\n    return img\n")
    assert all(t.startswith("    draw_pixel(img, (") for t in targets)
    assert len(set(targets)) == len(targets)  # every copy draws something new
    assert 1 <= half < len(targets)


def test_split_copies_of_the_best_are_trained_last(monkeypatch, executor):
    fake_prompt(monkeypatch)
    trainer = Trainer()
    line = prog("draw_line(img, (0, 0), (0, 2), 3)")  # 3 cells: one way to cut it
    worse = prog("draw_rectangle(img, (0, 0), (2, 2), 5)")  # no cell right
    solve_task(TASK, ScriptedModel([[line, worse]]), executor,
               HerConfig(samples=4, epochs=1, recolor=0, mutate=0, split_best=1, cross_best=0,
                         repair=False, enumerate=False), trainer=trainer)
    targets = [target_of(item) for item in trainer.calls[0]]
    assert targets == ["    draw_rectangle(img, (0, 0), (2, 2), 5)\n    return img\n",
                       "    draw_line(img, (0, 0), (0, 2), 3)\n    return img\n",
                       "    draw_line(img, (0, 0), (0, 0), 3)\n"
                       "    draw_line(img, (0, 2), (0, 2), 3)\n    return img\n"]


def test_crossed_copies_of_the_best_found_so_far_are_trained_last(monkeypatch, executor):
    fake_prompt(monkeypatch)
    trainer = Trainer()
    other = prog("draw_pixel(img, (1, 1), 4)")  # right where HALF is wrong, and the reverse
    rep = solve_task(TASK, ScriptedModel([[HALF, other], [WRONG]]), executor,
                     HerConfig(samples=2, epochs=2, recolor=0, mutate=0, split_best=0,
                               cross_best=2, repair=False, enumerate=False), trainer=trainer)
    crossed = ["    draw_pixel(img, (0, 0), 3)\n    draw_pixel(img, (1, 1), 4)\n    return img\n",
               "    draw_pixel(img, (1, 1), 4)\n    draw_pixel(img, (0, 0), 3)\n    return img\n"]
    assert [target_of(item) for item in trainer.calls[0]][2:] == crossed
    # round 1 wrote nothing new but WRONG: the best found so far are still round 0's
    assert [target_of(item) for item in trainer.calls[1]] == [
        "    draw_pixel(img, (2, 2), 5)\n    return img\n", *crossed]
    # both crossed copies draw the task's own outputs: the report says so (and the model,
    # scripted here, still never writes them)
    assert [(r.copies, r.copies_exact) for r in rep.rounds] == [(2, 2), (2, 2), (None, None)]
    assert rep.status != "exact"


def test_the_model_continues_the_enumerators_best_near_miss(monkeypatch, executor):
    from solver.search import enumerate as enum_mod

    fake_prompt(monkeypatch)
    half = grid_with(((0, 0), 3))
    found = [enum_mod.Found(code=HALF, steps=(), train_outputs=[half], test_outputs=[half],
                            depth=1, families=("x",), exact=False, accuracy=8 / 9)]
    monkeypatch.setattr(enum_mod, "enumerate_programs", lambda *a, **k: found)
    start = "    draw_pixel(img, (0, 0), 3)\n"  # the near miss's lines, without its return

    class Continuing(ScriptedModel):
        def sample(self, prompt, cfg, deadline=None):
            self.seen.append((prompt, cfg.n))
            if prompt == "PROMPT" + start:  # the model writes the missing pixel
                return [S("", text="    draw_pixel(img, (1, 1), 4)\n    return img\n")] * cfg.n
            return [S(WRONG)] * cfg.n

    model = Continuing([[WRONG]])
    model.seen = []
    rep = solve_task(TASK, model, executor, HerConfig(samples=5, epochs=2, repair=False),
                     trainer=Trainer())
    assert model.seen == [("PROMPT", 3), ("PROMPT" + start, 2)]
    assert rep.status == "exact" and rep.solved_round == 0 and rep.solved_by == "continued"
    assert rep.rounds[0].continued == 2 and "(continued 2)" in rep.rounds[0].line()
    assert rep.best_code == RIGHT
    model = Continuing([[WRONG]])
    model.seen = []
    rep = solve_task(TASK, model, executor,
                     HerConfig(samples=5, epochs=0, repair=False, continue_near_misses=0),
                     trainer=Trainer())
    assert model.seen == [("PROMPT", 5)] and rep.rounds[0].continued is None


class FrozenClock:
    """The loop's ``time`` module, stopped: only the time bounds set in a test pass."""

    def __init__(self, now=1_000_000.0):
        self.now = now

    def time(self):
        return self.now


LONGER = prog("draw_line(img, (0, 0), (0, 0), 3)", "draw_pixel(img, (1, 1), 4)")  # = RIGHT's outputs


def look_config(**kw):
    return HerConfig(samples=2, epochs=12, recolor=0, repair=False, simplify=False,
                     enumerate=False, after_exact=0.2, **kw)


@pytest.mark.parametrize("rounds_without", [1, 2, 3])
def test_the_look_after_exact_ends_after_rounds_without_a_simpler_program(
        monkeypatch, executor, rounds_without):
    """Exact at round 0 (a longer program), nothing simpler at round 1, the simpler one at
    round 2: the look goes on until ``after_exact_rounds`` rounds in a row found nothing
    simpler (the clock stands still, so its time bound never ends it)."""
    fake_prompt(monkeypatch)
    clock = FrozenClock()
    monkeypatch.setattr(loop, "time", clock)
    model = ScriptedModel([[LONGER], [LONGER], [RIGHT]])  # then RIGHT every round
    updates = []
    rep = solve_task(TASK, model, executor, look_config(after_exact_rounds=rounds_without),
                     deadline=clock.now + 1000, trainer=Trainer(), progress=updates.append)
    assert rep.status == "exact" and rep.stopped == "exact" and rep.solved_round == 0
    looks = [r.look for r in rep.rounds]
    if rounds_without == 1:  # round 1 found nothing simpler: the look ended there
        assert looks == [None, 1] and rep.best_code == LONGER
    else:  # round 2's simpler program started the count again
        assert looks == [None, 1, 0, *range(1, rounds_without + 1)] and rep.best_code == RIGHT
    assert updates[-1]["line"].endswith(f" | {rounds_without} without simpler | 0.0s")
    looks = [u["line"] for u in updates if "round" not in u]
    assert looks == [f"exact at round 0; looking for a simpler program until +200s "
                     f"(or {rounds_without} round{'s' * (rounds_without > 1)} without one)"]
    assert updates[1]["line"] == looks[0]  # right after round 0's line


def test_without_the_rounds_rule_the_look_ends_by_its_time_or_the_epochs(monkeypatch, executor):
    fake_prompt(monkeypatch)
    clock = FrozenClock()
    monkeypatch.setattr(loop, "time", clock)
    cfg = look_config(after_exact_rounds=0)
    rep = solve_task(TASK, ScriptedModel([[RIGHT]]), executor, cfg, deadline=clock.now + 1000,
                     trainer=Trainer())
    assert rep.stopped == "epochs" and len(rep.rounds) == cfg.epochs + 1  # the clock stood still
    # each round's sampling takes 30 s: exact at 30 s, the look gets 0.2 of the 970 s left
    # and ends when another round would not fit (at 210 s, the 7th round)
    clock, updates = FrozenClock(), []
    monkeypatch.setattr(loop, "time", clock)

    class Ticking(ScriptedModel):
        def sample(self, prompt, cfg, deadline=None):
            clock.now += 30.0
            return super().sample(prompt, cfg)

    rep = solve_task(TASK, Ticking([[RIGHT]]), executor, cfg, deadline=clock.now + 1000,
                     trainer=Trainer(), progress=updates.append)
    assert rep.stopped == "exact" and len(rep.rounds) == 7
    assert [u["line"] for u in updates if "round" not in u] == [
        "exact at round 0; looking for a simpler program until +194s"]


def test_no_look_no_announcement(monkeypatch, executor):
    """Stopping at the first exact program (no time share to look in, or the last epoch)
    says nothing more than the round's line."""
    fake_prompt(monkeypatch)
    for cfg, deadline in ((look_config(), None), (HerConfig(samples=2, epochs=0, enumerate=False,
                                                            repair=False), time.time() + 1000)):
        updates = []
        rep = solve_task(TASK, ScriptedModel([[RIGHT]]), executor, cfg, deadline=deadline,
                         trainer=Trainer(), progress=updates.append)
        assert rep.status == "exact" and len(rep.rounds) == 1
        assert all("round" in u for u in updates)


def test_a_training_that_uses_up_the_look_ends_the_task_unannounced(monkeypatch, executor):
    """The first exact round's training runs past the look's end: no round is sampled
    after it, and nothing is announced."""
    fake_prompt(monkeypatch)
    clock = FrozenClock()
    monkeypatch.setattr(loop, "time", clock)

    class Slow(Trainer):
        def __call__(self, model, items, config, seed, until):
            clock.now += 300.0  # the look has 200 s
            return super().__call__(model, items, config, seed, until)

    updates = []
    model = ScriptedModel([[RIGHT]])
    rep = solve_task(TASK, model, executor, look_config(), deadline=clock.now + 1000,
                     trainer=Slow(), progress=updates.append)
    assert rep.stopped == "exact" and len(rep.rounds) == 1 and model.calls == 1
    assert all("round" in u for u in updates)
