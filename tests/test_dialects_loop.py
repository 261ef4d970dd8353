"""The search loop in each checkpoint dialect (barc, python), end to end on CPU: a tiny
checkpoint (byte-level BPE tokenizer with a chat template; Llama for barc, Qwen2 for
python) warmed to write one program of its dialect is loaded in 4-bit by the search's
solver factory, which builds the sandbox with the dialect's entry point, input type,
modules and timeout, and takes the dialect's sampling and LoRA defaults where the user
set none. The loop samples, runs the programs through the entry point, relabels them
(the test inputs stay in the prompt), trains the LoRA one epoch on the full answers, and
leaves the base weights bit-identical; ``solver solve`` writes a valid submission."""

from __future__ import annotations

import dataclasses
import json

import pytest

import tiny
from solver.arc import grids, submission
from solver.arc.grids import Pair, Task
from solver.lm import dialects as D
from solver.search.config import HerConfig


def _task() -> Task:
    """The output is the input's first column, colours unchanged; the warmed program also
    swaps blue and red, so it runs everywhere but is exact nowhere."""
    train = [((1, 0, 2), (0, 1, 0), (2, 2, 1)), ((2, 1), (1, 0))]
    pairs = tuple(Pair(g, tuple((row[0],) for row in g)) for g in train)
    return Task("firstcol", pairs, (Pair(((2, 0), (1, 1), (0, 2))),))


# what the swap-then-first-column program draws on the train and test inputs
DRAWN = (((2,), (0,), (1,)), ((1,), (2,)), ((1,), (2,), (0,)))

BARC_CODE = '''from common import *
import numpy as np

# concepts:
# colour swap, cropping

# description:
# Swap blue and red, then keep the leftmost column.

def transform(input_grid):
    out = input_grid.copy()
    out[input_grid == Color.BLUE] = Color.RED
    out[input_grid == Color.RED] = Color.BLUE
    return out[:1, :]
'''

PYTHON_CODE = '''import numpy as np

def transform(grid_lst: list[list[int]]) -> list[list[int]]:
    grid = np.array(grid_lst)
    out = grid.copy()
    out[grid == 1] = 2
    out[grid == 2] = 1
    return [[int(row[0])] for row in out]
'''

CASES = {"barc": (BARC_CODE, "llama", "grouped", "llama3"),
         "python": (PYTHON_CODE, "qwen2", "single", "qwen")}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread (and far slower on two of a busy machine)."""
    with tiny.torch_threads(1):
        yield


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Per dialect, a tiny checkpoint that writes the dialect's program for _task()
    (learned on the full answer, fp32) and names its dialect in solver.json."""
    import torch

    from solver.lm import train as T

    task, out = _task(), {}
    for name, (code, arch, digits, style) in CASES.items():
        d = D.get(name)
        texts = [d.user_text(task), d.system, d.answer_prefix, code] * 3
        tok = tiny.make_bpe_tokenizer(texts, digits=digits, style=style)
        model = tiny.make_causal_lm(tok, arch=arch, hidden=64, layers=2, init_std=0.02)
        torch.manual_seed(0)
        stats = T.train(model, tok, [d.example(task, code, tok)], T.TrainConfig(
            lr=3e-3, steps=120, warmup_steps=0, schedule="constant", bf16=False,
            progress=False))
        assert stats.last_loss < 0.05, stats
        out[name] = tiny.make_tiny_checkpoint(
            tmp_path_factory.mktemp(name), tok, model=model,
            solver_json={"dialect": name, "max_new_tokens": 300})
    return out


def test_unset_settings_are_the_dialects_and_set_ones_win():
    for d in (D.BARC, D.PYTHON):
        cfg = HerConfig().for_dialect(d)
        assert (cfg.temperatures, cfg.top_p, cfg.lr, cfg.lora_r, cfg.lora_alpha) == (
            (1.0,), 0.95, 1e-5, 16, 16)
        assert cfg.lora_targets == D.ATTENTION and cfg.lora_rslora and cfg.gradient_checkpointing
        assert (cfg.prune, cfg.repair) == (False, False)  # DSL-only steps
    dsl = HerConfig().for_dialect(D.DSL)
    assert (dsl.temperatures, dsl.lr, dsl.lora_alpha, dsl.lora_targets) == (
        (0.5, 0.75, 1.0), 1e-3, 32, None)
    assert (dsl.lora_rslora, dsl.gradient_checkpointing, dsl.prune, dsl.repair) == (
        False, False, True, True)
    mine = HerConfig(lr=1e-4, temperatures=(0.3,), repair=True, lora_rslora=False,
                     gradient_checkpointing=False).for_dialect(D.BARC)
    assert (mine.lr, mine.temperatures, mine.repair, mine.prune) == (1e-4, (0.3,), True, False)
    assert (mine.lora_rslora, mine.gradient_checkpointing, mine.lora_alpha) == (False, False, 16)
    assert mine.for_dialect(D.DSL) == mine.for_dialect(D.BARC)  # resolved once: stays


def test_hindsight_pairs_are_programs_of_the_dialect_only():
    """A drawing-DSL program (the enumerator's, say) in the pool is no training answer for
    a model that writes ``transform``; the model's own programs are, as full answers."""
    from solver.search.relabel import Relabeled
    from solver.search.training import encode_examples

    class Stub:
        dialect, tokenizer = D.PYTHON, tiny.make_tokenizer([PYTHON_CODE])

        def example_for(self, task, code):
            return self.dialect.example(task, code)

    task, dsl_code = _task(), "def task(img):\n    return img[:, :1]\n"
    items = encode_examples(Stub(), [Relabeled(task, dsl_code, 0.5, ()),
                                     Relabeled(task, PYTHON_CODE, 0.5, ()),
                                     Relabeled(task, PYTHON_CODE + "```\n", 0.5, ())])
    (ids, n_prompt), = items  # the DSL program and the one with a fence are left out
    assert Stub.tokenizer.decode(ids[n_prompt:-1]) == "```python\n" + PYTHON_CODE + "```"


class Recorder:
    """The default trainer, recording what it was given and the adapter it trained."""

    def __init__(self):
        self.items, self.configs, self.lora_modules, self.peft = [], [], set(), None

    def __call__(self, model, items, config, seed, until):
        from solver.search.training import train_pass

        self.items += list(items)
        self.configs.append(config)
        self.lora_modules |= {n.split(".lora_A")[0].rsplit(".", 1)[-1]
                              for n, _ in model.model.named_parameters() if ".lora_A" in n}
        self.peft = model.model.peft_config["default"]
        return train_pass(model, items, config, seed, until)


def _state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.model.state_dict().items()}


@pytest.mark.parametrize("name", ["barc", "python"])
def test_search_loop_in_the_dialect_end_to_end(checkpoints, name):
    import torch

    from solver.lm.config import ModelConfig
    from solver.lm.train import encode_example
    from solver.sandbox.executor import SandboxConfig
    from solver.search.loop import HerSolver, solve_task

    code = CASES[name][0]
    d, task = D.get(name), _task()
    # no enumerator (it would solve the task: the model's path is under test here)
    factory = HerSolver(model=ModelConfig(path=str(checkpoints[name]), quantization="4bit",
                                          device="cpu"),
                        her=HerConfig(samples=2, epochs=1, enumerate=False),
                        sandbox=SandboxConfig(workers=1))
    worker = factory()
    ex, m = worker.executor, worker.model
    try:
        assert m.dialect is d and any("4bit" in type(mod).__name__
                                      for mod in m.model.modules())
        assert (ex.cfg.entry, ex.cfg.input_type, ex.cfg.preload, ex.cfg.timeout_s) == (
            "transform", d.input_type, d.preload, d.timeout_s)
        cfg = worker.config
        assert (cfg.temperatures, cfg.lr, cfg.lora_alpha, cfg.lora_rslora) == ((1.0,), 1e-5, 16, True)
        assert cfg.gradient_checkpointing and not cfg.repair and not cfg.prune
        before = _state(m)
        rec = Recorder()
        greedy = dataclasses.replace(cfg, temperatures=(0.0,))  # the samples: the warmed program
        rep = solve_task(task, m, ex, greedy, trainer=rec)
        assert rep.error is None, rep.traceback
        assert rep.status == "inexact" and rep.stopped == "epochs" and len(rep.rounds) == 2
        r0 = rep.rounds[0]
        assert r0.statuses == {"ok": 2} and r0.distinct == 1 and r0.examples_trained == 1
        assert rep.best_code == code  # no pruning: comments and layout kept
        assert r0.best_train_acc == pytest.approx(grids.train_score(DRAWN[:2], task)[0])
        assert rep.attempts[0][0] == DRAWN[2]  # the test output, read back from the entry point
        # hindsight: the program's own outputs, the test inputs kept, the whole answer taught
        relabeled = Task("firstcol/her", tuple(Pair(p.input, o) for p, o in zip(task.train, DRAWN)),
                         (Pair(task.test[0].input),))
        assert rec.items == [encode_example(m.tokenizer, *d.example(relabeled, code, m.tokenizer))]
        head, target = m.example_for(relabeled, code)
        assert target.startswith(d.answer_prefix) and target.endswith(code + "```")
        sampled, taught = m.prompt_for(task), head + d.answer_prefix
        assert "Test\nInput:" in sampled  # the prompts from the test inputs on are the same
        assert taught[taught.index("Test\nInput:"):] == sampled[sampled.index("Test\nInput:"):]
        assert rec.lora_modules == set(D.ATTENTION) and rec.peft.use_rslora
        assert rec.peft.r == 16 and rec.peft.lora_alpha == 16
        assert rec.configs[0].lr == 1e-5 and rec.configs[0].gradient_checkpointing
        assert r0.train_steps == 1 and r0.loss == r0.loss  # trained (not NaN)
        # the task's LoRA is gone: the base weights are bit-identical
        assert not m.has_adapter
        after = _state(m)
        assert after.keys() == before.keys()
        assert all(torch.equal(before[k], after[k]) for k in before)
    finally:
        ex.__exit__(None, None, None)


@pytest.mark.parametrize("name", [pytest.param("barc", marks=pytest.mark.slow), "python"])
def test_cli_solve_in_the_dialect_writes_a_valid_submission(checkpoints, tmp_path, name):
    from solver.cli import main

    task = _task()
    chal, out = tmp_path / "challenges.json", tmp_path / "submission.json"
    grids.write_tasks(chal, [task])
    code = main(["solve", "--tasks", str(chal), "--out", str(out), "--model",
                 str(checkpoints[name]), "--quantization", "4bit", "--device", "cpu",
                 "--samples", "2", "--epochs", "1", "--temperatures", "0", "--workers", "1",
                 "--no-enumerate",
                 "--exec-workers", "1", "--time-budget", "3m"])
    assert code == 0
    sub = submission.load(out)
    assert submission.validate(sub, {task.id: task}) == []
    assert sub[task.id][0]["attempt_1"] == [list(r) for r in DRAWN[2]]
    run = out.parent / "submission.json.run"
    settings = json.loads((run / "settings.json").read_text())
    assert settings["her"]["lr"] is None and settings["sandbox"]["timeout_s"] is None
    report = json.loads((run / "tasks" / f"{task.id}.json").read_text())  # the dialect's, used
    assert report["status"] == "inexact" and report["epochs_run"] == 1
    assert (report["config"]["lr"], report["config"]["lora_alpha"]) == (1e-5, 16)
    assert (report["config"]["repair"], report["config"]["temperatures"]) == (False, [0.0])
