"""Submission building, atomic writing, validation and ARC Prize scoring."""

import json

from solver.arc import submission
from solver.cli import main
from solver.cli.tables import scores_table
from solver.arc.grids import Pair, Task, write_tasks

A = ((1, 2),)
B = ((3, 4),)
C = ((5, 5),)


def make_tasks():
    return {
        "t1": Task("t1", (Pair(A, B),), (Pair(A, B),)),
        "t2": Task("t2", (Pair(A, B),), (Pair(A, B), Pair(C, C))),
    }


def test_build_fills_every_gap():
    tasks = make_tasks()
    sub = submission.build(tasks, {"t2": [[B]]})
    assert sub["t1"] == [{"attempt_1": A, "attempt_2": A}]  # fallback: the test input
    assert sub["t2"][0] == {"attempt_1": B, "attempt_2": A}
    assert sub["t2"][1] == {"attempt_1": C, "attempt_2": C}
    assert submission.validate(json.loads(json.dumps(sub)), tasks) == []


def test_build_drops_invalid_candidates():
    tasks = make_tasks()
    sub = submission.build(tasks, {"t1": [[((10,),), B]]})
    assert sub["t1"][0]["attempt_1"] == B


def test_write_is_atomic_and_valid_json(tmp_path):
    path = tmp_path / "sub" / "submission.json"
    submission.write(path, submission.build(make_tasks(), {}))
    assert json.loads(path.read_text())["t1"][0]["attempt_1"] == [[1, 2]]
    assert [p.name for p in path.parent.iterdir()] == ["submission.json"]  # no temp files left


def test_validate_names_each_problem():
    tasks = make_tasks()
    sub = {"t2": [{"attempt_1": [[1]]}, "x"], "zz": []}
    problems = submission.validate(sub, tasks)
    assert "task t1: missing" in problems
    assert "task t2: [0].attempt_2: missing" in problems
    assert any(p.startswith("task t2: [1]: expected an object") for p in problems)
    assert "task zz: not in the challenges file" in problems
    bad = {"t1": [{"attempt_1": [[10]], "attempt_2": [[1, 2], [3]]}],
           "t2": [{"attempt_1": [[1]], "attempt_2": [[1]]}]}
    problems = submission.validate(bad, tasks)
    assert any("t1: [0].attempt_1: row 0 col 0: value 10" in p for p in problems)
    assert any("t1: [0].attempt_2: row 1" in p for p in problems)
    assert any("t2: 1 entries, the task has 2 test inputs" in p for p in problems)


def test_score_rule():
    sols = {"t1": [B], "t2": [B, C]}
    sub = {"t1": [{"attempt_1": [[0]], "attempt_2": [[3, 4]]}],  # second attempt right
           "t2": [{"attempt_1": [[3, 4]], "attempt_2": [[0]]},
                  {"attempt_1": [[0]], "attempt_2": [[0]]}]}
    total, rows = submission.score(sub, sols)
    assert [r.score for r in rows] == [1.0, 0.5]
    assert total == 0.75
    assert scores_table(total, rows).splitlines() == [
        "task  correct  score", "t1        1/1  1.000", "t2        1/2  0.500",
        "score: 0.7500 (solved tasks 1/2)"]
    total, _ = submission.score({}, sols)  # missing tasks score zero, no crash
    assert total == 0.0


def test_cli_validate_and_score(tmp_path, capsys):
    tasks = make_tasks()
    write_tasks(tmp_path / "c.json", tasks.values())
    (tmp_path / "sol.json").write_text(json.dumps({"t1": [B], "t2": [B, C]}))
    good = tmp_path / "good.json"
    submission.write(good, submission.build(tasks, {"t1": [[B]], "t2": [[B], [C]]}))
    assert main(["validate-submission", "--submission", str(good), "--tasks",
                 str(tmp_path / "c.json")]) == 0
    assert "valid (2 tasks)" in capsys.readouterr().out
    assert main(["score", "--submission", str(good), "--solutions", str(tmp_path / "sol.json")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "score: 1.0000 (solved tasks 2/2)"

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"t1": [{"attempt_1": [[1]]}]}))
    assert main(["validate-submission", "--submission", str(bad), "--tasks",
                 str(tmp_path / "c.json")]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: task t1: [0].attempt_2: missing" in out and f"{bad}: task t2: missing" in out

    (tmp_path / "broken.json").write_text("[")
    assert main(["score", "--submission", str(tmp_path / "broken.json"), "--solutions",
                 str(tmp_path / "sol.json")]) == 2
    assert "broken.json: not valid JSON" in capsys.readouterr().err
