"""Attempts that generalize: ranking by description length, the second attempt as a
different hypothesis, simplification inside the loop, the bounded look for a simpler
program after the first exact one; and the enumerator in the loop (--model none)."""

from __future__ import annotations

import json
import time

from search_helpers import prog
from test_her import ScriptedModel, Trainer, executor, fake_prompt  # noqa: F401  (fixture)

from solver.arc.grids import Pair, Task
from solver.cli import main
from solver.dsl.program import Draw, render
from solver.search.candidates import Candidate, attempts, rank
from solver.search.config import HerConfig
from solver.search.loop import solve_task

A = ((1, 1),)
B = ((2, 2),)
C = ((3, 3),)


def cand(code, test_out, votes=1, exact=True, acc=1.0):
    return Candidate(((0,),) + (test_out,), code, votes, acc, exact, 0)


def test_exact_programs_rank_by_description_length_then_votes():
    long_ = cand(prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (1, 1), 0)"), A, votes=9)
    short = cand(prog("draw_pixel(img, (0, 0), 3)"), B, votes=1)
    inexact = cand(prog("draw_pixel(img, (0, 0), 3)"), C, votes=50, exact=False, acc=0.9)
    assert rank([long_, short, inexact]) == [short, long_, inexact]
    assert rank([long_, short, inexact], by="votes") == [long_, short, inexact]


def test_the_second_attempt_is_a_different_hypothesis():
    task = Task("t", (Pair(((0,),), ((0,),)),), (Pair(((0,),), None),))
    literal = cand(prog("draw_line(img, (0, 0), (0, 5), 0)"), A, votes=5)
    near_copy = cand(prog("draw_line(img, (0, 0), (0, 5), 0)", "draw_pixel(img, (9, 9), 1)"), B,
                     votes=5)
    reads = cand(prog("draw_line(img, (0, 0), (0, 5), img[0, 0])", "draw_pixel(img, (9, 9), 2)",
                      "draw_pixel(img, (8, 8), 2)"), C, votes=1)
    # the reader is longer, so it does not come first; it still beats the near-copy as second
    assert attempts(task, [literal, near_copy, reads]) == [[A, C]]
    assert attempts(task, [literal, near_copy, reads], by="votes") == [[A, B]]


def blank(shape, bg):
    return render(shape, bg, [])


def test_an_eraser_program_is_simplified_and_its_simple_form_is_the_first_attempt(
        monkeypatch, executor):  # noqa: F811
    fake_prompt(monkeypatch)
    draws = [Draw("draw_line", ((2, 0), (2, 2), 7)), Draw("draw_line", ((2, 6), (2, 8), 7))]
    train = Pair(blank((9, 9), 0), render((9, 9), 0, draws))
    test = Pair(blank((9, 9), 4), render((9, 9), 4, draws))
    task = Task("eraser", (train,), (Pair(test.input, None),))
    eraser = prog("draw_line(img, (2, 0), (2, 8), 7)", "draw_line(img, (2, 3), (2, 5), 0)")
    cfg = HerConfig(samples=4, epochs=0, recolor=0, repair=False, enumerate=False)
    rep = solve_task(task, ScriptedModel([[eraser]]), executor, cfg, trainer=Trainer())
    assert rep.status == "exact" and rep.rounds[0].simplified == 1
    assert rep.attempts[0][0] == test.output  # the simple form generalises
    assert rep.best_code == prog("draw_line(img, (2, 0), (2, 2), 7)",
                                 "draw_line(img, (2, 6), (2, 8), 7)")
    plain = solve_task(task, ScriptedModel([[eraser]]), executor,
                       HerConfig(samples=4, epochs=0, recolor=0, repair=False, enumerate=False,
                                 simplify=False, rank_by="votes"), trainer=Trainer())
    assert plain.attempts[0][0] != test.output  # without it, the eraser paints the old background


def test_after_the_first_exact_program_the_search_goes_on_for_a_bounded_time(
        monkeypatch, executor):  # noqa: F811
    fake_prompt(monkeypatch)
    right = prog("draw_pixel(img, (0, 0), 3)")
    task = Task("t", (Pair(blank((3, 3), 0), render((3, 3), 0, [Draw("draw_pixel", ((0, 0), 3))])),),
                (Pair(blank((3, 3), 0), None),))

    class Slow(ScriptedModel):
        def sample(self, prompt, cfg, deadline=None):
            time.sleep(0.2)
            return super().sample(prompt, cfg)

    cfg = HerConfig(samples=2, epochs=50, recolor=0, repair=False, enumerate=False, after_exact=0.5)
    t0 = time.time()
    rep = solve_task(task, Slow([[right]] * 60), executor, cfg, deadline=t0 + 3.0, trainer=Trainer())
    took = time.time() - t0
    assert rep.stopped == "exact" and rep.solved_round == 0 and len(rep.rounds) >= 2
    assert took < 3.0  # half of what was left at the first exact round, then stop
    once = solve_task(task, Slow([[right]] * 60), executor,
                      HerConfig(samples=2, epochs=50, recolor=0, repair=False, enumerate=False,
                                after_exact=0.0), deadline=time.time() + 3.0, trainer=Trainer())
    assert len(once.rounds) == 1


def flip_task(tid):
    grids = [((1, 2, 0), (0, 3, 0)), ((4, 0), (0, 0), (5, 6)), ((7, 7, 1),)]
    flip = [tuple(tuple(reversed(r)) for r in g) for g in grids]
    return {"train": [{"input": g, "output": f} for g, f in zip(grids[:2], flip[:2])],
            "test": [{"input": grids[2], "output": flip[2]}]}


def test_model_none_runs_the_enumerator_alone_and_limit_picks_a_subset(tmp_path, capsys):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps({f"flip{i}": flip_task(i) for i in range(3)}))
    out = tmp_path / "sub.json"
    code = main(["dry-run", "--tasks", str(path), "--out", str(out), "--model", "none",
                 "--time-budget", "60s", "--workers", "1", "--limit", "2",
                 "--run-dir", str(tmp_path / "run")])
    text = capsys.readouterr().out
    assert code == 0 and "score: 1.0000 (solved tasks 2/2)" in text
    assert "train-exact: 2 tasks; wrong on test: 0 (0 %)" in text
    assert sorted(json.loads(out.read_text())) == ["flip0", "flip1"]
    report = json.loads((tmp_path / "run" / "tasks" / "flip0.json").read_text())
    assert report["solved_by"] == "enumerator" and report["stopped"] == "exact"
    assert "flip_lr" in report["best_code"] and report["enumerated"] >= 1
    code = main(["solve", "--tasks", str(path), "--out", str(tmp_path / "one.json"), "--model",
                 "none", "--time-budget", "30s", "--workers", "1", "--task-ids", "flip2"])
    assert code == 0 and list(json.loads((tmp_path / "one.json").read_text())) == ["flip2"]
    capsys.readouterr()
    assert main(["solve", "--tasks", str(path), "--out", str(tmp_path / "x.json"), "--model",
                 "none", "--task-ids", "nope"]) != 0
    assert "tasks.json: no valid task 'nope'" in capsys.readouterr().err


def test_only_the_word_none_means_no_model():
    from solver.cli.settings import build
    from solver.lm.config import ModelConfig
    from solver.search.loop import HerSolver

    assert not HerSolver().without_model()  # unset: the embedded model
    assert not HerSolver(model=ModelConfig(path=None)).without_model()
    assert HerSolver(model=ModelConfig(path="none")).without_model()
    import argparse

    from solver.cli.settings import add_settings
    p = argparse.ArgumentParser()
    add_settings(p, ModelConfig, flags={"path": ("--model",)})
    assert build(ModelConfig, p.parse_args(["--model", "none"])).path == "none"
    assert build(ModelConfig, p.parse_args([])).path is None


def test_an_attempt_that_gives_the_test_input_back_comes_after_the_others():
    test_in = ((5,),)
    task = Task("t", (Pair(((0,),), ((1,),)),), (Pair(test_in, None),))
    unchanged = cand(prog("draw_pixel(img, (0, 0), 1)"), test_in, votes=9)  # shortest, most votes
    changed = cand(prog("draw_pixel(img, (0, 0), 1)", "draw_pixel(img, (0, 0), 1)"), A)
    assert attempts(task, [unchanged, changed]) == [[A, test_in]]
    identity = Task("i", (Pair(((0,),), ((0,),)),), (Pair(test_in, None),))
    assert attempts(identity, [unchanged, changed]) == [[test_in, A]]


def test_a_program_whose_table_misses_the_test_input_ranks_after_the_exact_others():
    short_missing = cand(prog("draw_pixel(img, (0, 0), 3)"), A, votes=9)
    short_missing.misses_test = True
    longer = cand(prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (1, 1), 3)"), B)
    inexact = cand(prog("draw_pixel(img, (0, 0), 3)"), C, exact=False, acc=0.9)
    assert rank([short_missing, longer, inexact]) == [longer, short_missing, inexact]


def test_exact_but_wrong_line_counts_train_exact_tasks_that_miss_the_test(tmp_path):
    from solver.arc.submission import TaskScore
    from solver.cli.solve import exact_but_wrong_line

    run = tmp_path / "run"
    run.mkdir()
    tasks = [{"task_id": "a", "status": "exact", "best_train_acc": 1.0},
             {"task_id": "b", "status": "exact", "best_train_acc": 1.0},
             {"task_id": "c", "status": "inexact", "best_train_acc": 0.9},
             {"task_id": "d", "status": "skipped", "best_train_acc": None}]
    (run / "summary.json").write_text(json.dumps({"tasks": tasks}))
    rows = [TaskScore("a", 1, 1), TaskScore("b", 0, 1), TaskScore("c", 0, 1), TaskScore("d", 0, 1)]
    assert exact_but_wrong_line(run, rows) == "train-exact: 2 tasks; wrong on test: 1 (50 %)"
