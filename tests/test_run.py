"""solver.run with trivial solvers in real worker processes (spawn): journal, resume after
SIGKILL, budget hard stop, two workers, crashes, malformed tasks; the solve verbs end to end."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from solver.arc import grids
from solver.arc import submission
from solver.arc.budget import Budget
from solver.arc.grids import Pair, Task
from solver.dsl.demo import DEMO_DIR
from solver.run import malformed_entries, read_journal, run_tasks


def make_tasks(n: int, tests: int = 1) -> dict[str, Task]:
    tasks = {}
    for i in range(n):
        inp = ((i % 10, 0), (0, 0))
        out = ((i % 10, 1), (1, 1))
        tasks[f"t{i}"] = Task(f"t{i}", (Pair(inp, out),), tuple(Pair(inp, out) for _ in range(tests)))
    return tasks


def copy_output(task: Task) -> list:
    return [[task.train[0].output] for _ in task.test]


# ---------------------------------------------------------------- trivial solvers (picklable)


@dataclass
class Copy:
    """Answers every test input with the first train output, after ``sleep_s``; raises for
    the ids in ``fail``; dies (os._exit) for the ids in ``die``; logs ids to ``trace``."""

    sleep_s: float = 0.0
    fail: tuple = ()
    die: tuple = ()
    trace: str = ""

    def __call__(self):
        def solve(task, deadline, progress):
            if self.trace:
                with open(self.trace, "a") as f:
                    f.write(f"{task.id} {os.getpid()}\n")
            progress({"line": "epoch 0: started"})
            if task.id in self.fail:
                raise RuntimeError(f"boom in {task.id}")
            if task.id in self.die:
                os._exit(3)
            time.sleep(self.sleep_s)
            return {"status": "solved", "attempts": copy_output(task), "pid": os.getpid(),
                    "deadline": deadline, "omp": os.environ.get("OMP_NUM_THREADS")}
        return solve


@dataclass
class Partial:
    """Reports a partial attempt at once, then works far past any deadline."""

    def __call__(self):
        def solve(task, deadline, progress):
            progress({"attempts": copy_output(task), "line": "epoch 0: best 1.000"})
            time.sleep(60)
            return {"status": "solved", "attempts": copy_output(task)}
        return solve


@dataclass
class Stubborn:
    """Task ``hard`` ends inexact at its deadline on its first try, with ``first`` attempts
    (best train accuracy 0.5); tried again it reports ``again_status`` (best 1.0 when
    exact, else ``again_acc``). Other tasks: exact at once. ``trace``: one line a call."""

    trace: str
    again_status: str = "exact"
    again_acc: float = 0.25

    def __call__(self):
        def solve(task, deadline, progress):
            calls = Path(self.trace).read_text().split() if Path(self.trace).exists() else []
            with open(self.trace, "a") as f:
                f.write(f"{task.id}\n")
            if task.id != "hard":
                return {"status": "exact", "attempts": copy_output(task), "best_train_acc": 1.0}
            wrong = [[((9, 9), (9, 9))] for _ in task.test]
            if "hard" not in calls:
                progress({"attempts": wrong})
                return {"status": "inexact", "stopped": "deadline", "attempts": wrong,
                        "best_train_acc": 0.5, "deadline": deadline}
            progress({"attempts": [[((8, 8), (8, 8))] for _ in task.test]})  # not yet kept
            if self.again_status == "exact":
                return {"status": "exact", "attempts": copy_output(task),
                        "best_train_acc": 1.0, "deadline": deadline}
            return {"status": "inexact", "stopped": "deadline", "best_train_acc": self.again_acc,
                    "attempts": [[((7, 7), (7, 7))] for _ in task.test], "deadline": deadline}
        return solve


@dataclass
class BrokenFactory:
    def __call__(self):
        raise OSError("no model here")


@dataclass
class DyingFactory:
    def __call__(self):
        os._exit(5)


def check_complete(path, tasks):
    sub = submission.load(path)
    assert submission.validate(sub, tasks) == []
    return sub


# ---------------------------------------------------------------- tests


def test_run_writes_journal_reports_and_submission(tmp_path):
    tasks = make_tasks(3, tests=2)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, Copy(), out=out, run_dir=rd, budget=Budget(total_s=120),
                        settings={"solver": "copy"}, log=None)
    assert summary.statuses == {"t0": "solved", "t1": "solved", "t2": "solved"}
    sub = check_complete(out, tasks)
    total, _ = submission.score(sub, {t: [p.output for p in task.test] for t, task in tasks.items()})
    assert total == 1.0
    assert set(read_journal(rd)) == set(tasks)
    rep = orjson.loads((rd / "tasks" / "t1.json").read_bytes())
    assert rep["status"] == "solved" and rep["task_id"] == "t1"
    settings = orjson.loads((rd / "settings.json").read_bytes())
    assert settings["solver"] == "copy" and settings["n_tasks"] == 3
    assert "epoch 0: started" in (rd / "run.log").read_text()
    # every task got a deadline inside the work time
    assert rep["deadline"] <= Budget(total_s=120).work_deadline + 1


def test_task_that_raises_gets_fallback_and_others_finish(tmp_path):
    tasks = make_tasks(3)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, Copy(fail=("t1",)), out=out, run_dir=rd,
                        budget=Budget(total_s=120), log=None)
    assert summary.statuses["t1"] == "error" and summary.statuses["t0"] == "solved"
    sub = check_complete(out, tasks)
    assert sub["t1"][0]["attempt_1"] == [list(r) for r in tasks["t1"].test[0].input]  # fallback
    assert sub["t0"][0]["attempt_1"] == [list(r) for r in tasks["t0"].train[0].output]
    rep = orjson.loads((rd / "tasks" / "t1.json").read_bytes())
    assert "boom in t1" in rep["error"] and "RuntimeError" in rep["traceback"]
    # a resumed run retries the task that failed (the error may have been transient), and
    # only that one
    summary = run_tasks(tasks, Copy(), out=out, run_dir=rd, budget=Budget(total_s=120), log=None)
    assert summary.resumed == 2 and summary.statuses["t1"] == "solved"
    assert "1 to do, 1 of them retried after an error" in (rd / "run.log").read_text()
    sub = check_complete(out, tasks)
    assert sub["t1"][0]["attempt_1"] == [list(r) for r in tasks["t1"].train[0].output]


def test_worker_that_dies_costs_only_its_task(tmp_path):
    tasks = make_tasks(3)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, Copy(die=("t0",)), out=out, run_dir=rd,
                        budget=Budget(total_s=120), log=None)
    assert summary.statuses == {"t0": "crashed", "t1": "solved", "t2": "solved"}
    check_complete(out, tasks)


def test_budget_too_small_still_complete_and_before_deadline(tmp_path):
    tasks = make_tasks(4)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    budget = Budget(total_s=4.0)
    summary = run_tasks(tasks, Copy(sleep_s=30), out=out, run_dir=rd, budget=budget, log=None)
    end = time.time()
    assert end < budget.deadline  # finished (submission written) before the deadline
    assert out.stat().st_mtime < budget.deadline
    assert summary.stopped_by_budget
    assert set(summary.statuses.values()) <= {"stopped", "not started"}
    assert read_journal(rd) == {}
    sub = check_complete(out, tasks)
    assert all(sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].test[0].input] for t in tasks)


def test_partial_attempts_survive_the_hard_stop(tmp_path):
    tasks = make_tasks(1)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, Partial(), out=out, run_dir=rd, budget=Budget(total_s=6.0),
                        log=None)
    assert summary.statuses["t0"] == "stopped"
    sub = check_complete(out, tasks)
    assert sub["t0"][0]["attempt_1"] == [list(r) for r in tasks["t0"].train[0].output]


def test_no_worker_starts_all_fallbacks(tmp_path):
    tasks = make_tasks(2)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, BrokenFactory(), out=out, run_dir=rd, budget=Budget(total_s=60),
                        log=None)
    assert summary.statuses == {"t0": "not started", "t1": "not started"}
    assert summary.problems == ["worker 0 could not start: OSError: no model here"]
    log = (rd / "run.log").read_text()
    assert "Traceback (most recent call last)" in log and "raise OSError" in log
    check_complete(out, tasks)


def test_workers_failing_alike_say_it_once(tmp_path):
    tasks = make_tasks(2)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    lines = []
    summary = run_tasks(tasks, BrokenFactory(), out=out, run_dir=rd, budget=Budget(total_s=60),
                        workers=2, log=lines.append)
    assert len(summary.problems) == 2
    said = [ln for ln in lines if "could not start" in ln]
    assert said == [f"error: {summary.problems[0]} (traceback in {rd / 'run.log'})"]
    assert (rd / "run.log").read_text().count("Traceback (most recent call last)") == 2


def test_worker_dying_while_starting_is_not_respawned_forever(tmp_path):
    tasks = make_tasks(2)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    t0 = time.time()
    summary = run_tasks(tasks, DyingFactory(), out=out, run_dir=rd, budget=Budget(total_s=120),
                        log=None)
    assert time.time() - t0 < 60
    assert set(summary.statuses.values()) == {"not started"}
    assert "exit code 5" in summary.problems[0]
    check_complete(out, tasks)


def test_two_workers_share_the_queue(tmp_path):
    tasks = make_tasks(6)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    summary = run_tasks(tasks, Copy(sleep_s=0.6), out=out, run_dir=rd, workers=2,
                        budget=Budget(total_s=120), log=None)
    assert summary.count("solved") == 6
    pids = {orjson.loads((rd / "tasks" / f"t{i}.json").read_bytes())["pid"] for i in range(6)}
    assert len(pids) == 2 and os.getpid() not in pids
    check_complete(out, tasks)


def test_threads_per_worker(tmp_path):
    tasks = make_tasks(2)
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    run_tasks(tasks, Copy(), out=out, run_dir=rd, workers=1, threads=1,
              budget=Budget(total_s=120), log=None)
    reports = [orjson.loads((rd / "tasks" / f"t{i}.json").read_bytes()) for i in range(2)]
    assert [r["omp"] for r in reports] == ["1", "1"]


def test_malformed_tasks_mixed_with_good_ones(tmp_path):
    good = make_tasks(2)
    raw = {t: task.to_json() for t, task in good.items()}
    raw["bad_value"] = {"train": [{"input": [[1]], "output": [[12]]}], "test": [{"input": [[3, 4]]}]}
    raw["bad_shape"] = {"train": [], "test": [{"input": [[1], [2, 3]]}, {"input": [[5]]}]}
    raw["not_a_task"] = [1, 2]
    path = tmp_path / "challenges.json"
    path.write_bytes(grids.dumps(raw))
    loaded = grids.load_tasks(path)
    assert set(loaded.tasks) == {"t0", "t1"}
    extra = malformed_entries(path, loaded.tasks)
    assert set(extra) == {"bad_value", "bad_shape", "not_a_task"}
    out, rd = tmp_path / "sub.json", tmp_path / "run"
    run_tasks(loaded.tasks, Copy(), out=out, run_dir=rd, budget=Budget(total_s=60),
              extra_entries=extra, log=None)
    sub = submission.load(out)
    assert set(sub) == set(raw)
    assert submission.validate({t: sub[t] for t in loaded.tasks}, loaded.tasks) == []
    assert sub["bad_value"] == [{"attempt_1": [[3, 4]], "attempt_2": [[3, 4]]}]
    assert [e["attempt_1"] for e in sub["bad_shape"]] == [[[0]], [[5]]]
    assert len(sub["not_a_task"]) == 1
    table = orjson.loads((rd / "summary.json").read_bytes())["tasks"]
    assert {r["task_id"]: r["status"] for r in table}["bad_value"] == "malformed"


def test_sigkill_then_resume_loses_no_finished_task(tmp_path):
    tasks = make_tasks(6)
    chal = tmp_path / "challenges.json"
    grids.write_tasks(chal, tasks.values())
    out, rd, trace = tmp_path / "sub.json", tmp_path / "run", tmp_path / "trace.txt"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_run import Copy
        from solver.arc import grids
        from solver.arc.budget import Budget
        from solver.run import run_tasks
        if __name__ == "__main__":
            tasks = grids.load_tasks({str(chal)!r}).tasks
            run_tasks(tasks, Copy(sleep_s=0.8, trace={str(trace)!r}), out={str(out)!r},
                      run_dir={str(rd)!r}, budget=Budget(total_s=300), log=None)
    """)
    (tmp_path / "go.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "go.py")], start_new_session=True)
    t0 = time.time()
    while len(read_journal(rd)) < 2:
        assert time.time() - t0 < 60 and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = set(read_journal(rd))
    assert 2 <= len(finished) < 6
    sub = check_complete(out, tasks)  # complete even right after the kill
    for t in finished:
        assert sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].train[0].output]
    trace.write_text("")
    summary = run_tasks(tasks, Copy(trace=str(trace)), out=out, run_dir=rd,
                        budget=Budget(total_s=120), log=None)
    rerun = {line.split()[0] for line in trace.read_text().splitlines()}
    assert rerun == set(tasks) - finished  # finished tasks were skipped
    assert summary.resumed == len(finished) and summary.count("solved") == 6
    sub = check_complete(out, tasks)
    assert all(sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].train[0].output] for t in tasks)
    assert len(orjson.loads((rd / "settings.json").read_bytes())["previous_starts"]) == 1


# ---------------------------------------------------------------- the CLI, end to end


@pytest.mark.slow
def test_cli_dry_run_and_report_with_a_tiny_model(tmp_path, capsys):
    """``solver dry-run`` on the bundled demo set with a tiny random model: every task is
    sampled in a worker process, the submission is complete and valid, the table and the
    score line are printed; ``solver report`` draws the figures."""
    from tiny import make_tiny_model

    from solver.cli import main

    folder = make_tiny_model(tmp_path / "m", solver_json={"prompt": {"encoder": "sparse"},
                                                          "max_new_tokens": 16})
    rd = tmp_path / "run"
    code = main(["dry-run", "--model", str(folder), "--run-dir", str(rd), "--samples", "4",
                 "--epochs", "1", "--time-budget", "5m", "--workers", "1"])
    text = capsys.readouterr().out
    assert code == 0, text
    tasks = grids.load_tasks(DEMO_DIR / "challenges.json").tasks
    assert len(tasks) == 7
    sub = check_complete(rd / "submission.json", tasks)
    assert set(sub) == set(tasks)
    assert "score: 0.0000 (solved tasks 0/7)" in text  # a random model solves nothing
    assert "submission" in text and "valid" in text
    journal = read_journal(rd)
    assert set(journal) == set(tasks)
    rep = orjson.loads((rd / "tasks" / "squares-9-s2025-0000.json").read_bytes())
    assert rep["rounds"][0]["samples"] == 4 and rep["config"]["epochs"] == 1
    assert "[squares-9-s2025-0000] round 0: valid" in (rd / "run.log").read_text()
    settings = orjson.loads((rd / "settings.json").read_bytes())
    assert settings["her"]["samples"] == 4 and settings["model"]["path"] == str(folder)

    assert main(["report", str(rd)]) == 0
    out = capsys.readouterr().out
    assert "squares-25-s2025-0000" in out
    pytest.importorskip("matplotlib")
    assert len(list((rd / "report").glob("*.png"))) == 14


def test_cli_solve_missing_model_and_tiny_budget_still_write_a_submission(tmp_path, capsys):
    """The real solver path: a model folder that does not exist (every worker fails to
    start) and a budget shorter than loading the model both end with a complete, valid
    submission of fallbacks, written before the deadline."""
    from solver.cli import main

    chal = DEMO_DIR / "challenges.json"
    tasks = grids.load_tasks(chal).tasks
    out = tmp_path / "a" / "submission.json"
    code = main(["solve", "--tasks", str(chal), "--out", str(out), "--model",
                 str(tmp_path / "nowhere"), "--time-budget", "2m"])
    text = capsys.readouterr().out
    assert code == 1
    assert [ln for ln in text.splitlines() if "does not exist" in ln] == [
        f"error: worker 0 could not start: ModelLoadError: model folder {tmp_path / 'nowhere'} "
        f"does not exist (traceback in {out.parent / 'submission.json.run' / 'run.log'})"]
    sub = check_complete(out, tasks)
    assert all(sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].test[0].input] for t in tasks)
    assert (out.parent / "submission.json.run" / "settings.json").exists()

    out = tmp_path / "b" / "submission.json"
    t0 = time.time()
    code = main(["solve", "--tasks", str(chal), "--out", str(out), "--time-budget", "3s",
                 "--model", str(tmp_path / "nowhere-either")])
    assert time.time() - t0 < 3.0 + 1.0  # the submission is on disk before the deadline
    assert out.stat().st_mtime < t0 + 3.0
    check_complete(out, tasks)


def model_with_merging_tokenizer(folder: Path) -> Path:
    """A tiny model folder whose tokenizer merges digits ("12" is one token): the loader
    refuses it (grids are read digit by digit)."""
    from tiny import make_tiny_model
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    folder = make_tiny_model(folder)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[EOS]", *"0123456789", "12"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                            eos_token="[EOS]").save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_cli_solve_with_a_model_the_loader_refuses_says_it_in_one_line(tmp_path, capsys):
    """A model folder whose tokenizer the loader refuses: one console line names the folder
    and the reason (no traceback on the console; it is in run.log), the fallback
    submission is written and the exit status is 1."""
    from solver.cli import main

    folder = model_with_merging_tokenizer(tmp_path / "m")
    chal = DEMO_DIR / "challenges.json"
    tasks = grids.load_tasks(chal).tasks
    out, rd = tmp_path / "submission.json", tmp_path / "run"
    capsys.readouterr()
    code = main(["solve", "--tasks", str(chal), "--out", str(out), "--run-dir", str(rd),
                 "--model", str(folder), "--time-budget", "2m", "--device", "cpu"])
    text = capsys.readouterr().out
    assert code == 1
    said = [ln for ln in text.splitlines() if str(folder) in ln]
    assert said == [f"error: worker 0 could not start: ModelLoadError: model folder {folder}: "
                    "tokenizer does not keep digits as single tokens: '12' in "
                    f"'12 9876543210 1 1' (traceback in {rd / 'run.log'})"]
    assert "Traceback" not in text
    log = (rd / "run.log").read_text()
    assert "Traceback (most recent call last)" in log and "solver.lm.model.ModelLoadError" in log
    sub = check_complete(out, tasks)
    assert all(sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].test[0].input] for t in tasks)


def _alive(pid: int) -> bool:
    """Running, not a zombie: an orphan that exited stays a zombie until its new parent
    reaps it, and in a container whose init does not reap, that is never."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_coordinator_leaves_no_worker_behind(tmp_path, sig):
    tasks = make_tasks(2)
    chal = tmp_path / "challenges.json"
    grids.write_tasks(chal, tasks.values())
    out, rd, trace = tmp_path / "sub.json", tmp_path / "run", tmp_path / "trace.txt"
    (tmp_path / "go.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_run import Copy
        from solver.arc import grids
        from solver.arc.budget import Budget
        from solver.run import run_tasks
        if __name__ == "__main__":
            tasks = grids.load_tasks({str(chal)!r}).tasks
            run_tasks(tasks, Copy(sleep_s=60, trace={str(trace)!r}), out={str(out)!r},
                      run_dir={str(rd)!r}, budget=Budget(total_s=300), log=None)
    """))
    proc = subprocess.Popen([sys.executable, str(tmp_path / "go.py")])
    t0 = time.time()
    while not trace.exists() or not trace.read_text().strip():
        assert time.time() - t0 < 60 and proc.poll() is None
        time.sleep(0.05)
    worker = int(trace.read_text().split()[1])
    os.kill(proc.pid, sig)  # the coordinator only, as a scheduler would
    proc.wait(timeout=30)
    t0 = time.time()
    while _alive(worker) and time.time() - t0 < 10:
        time.sleep(0.1)
    assert not _alive(worker)  # the busy worker is gone too (killed, or its watchdog)
    check_complete(out, tasks)


def _stubborn_tasks() -> dict[str, Task]:
    """``hard`` first: its first share is a third of the budget, the time left after the
    other two is more."""
    inp, out = ((5, 0), (0, 0)), ((5, 1), (1, 1))
    return {"hard": Task("hard", (Pair(inp, out),), (Pair(inp, out),)), **make_tasks(2)}


def test_a_task_inexact_at_its_deadline_gets_the_time_left_again(tmp_path):
    tasks, trace = _stubborn_tasks(), tmp_path / "calls"
    out, rd, lines = tmp_path / "sub.json", tmp_path / "run", []
    summary = run_tasks(tasks, Stubborn(str(trace)), out=out, run_dir=rd,
                        budget=Budget(total_s=600.0), log=lines.append, revisit=True)
    assert trace.read_text().split().count("hard") == 2
    assert summary.statuses["hard"] == "exact"
    sub = check_complete(out, tasks)
    assert sub["hard"][0]["attempt_1"] == [[5, 1], [1, 1]]  # the second try's answer
    journal = read_journal(rd)
    assert journal["hard"]["status"] == "exact"  # a rerun resumes from the better one
    again = [ln for ln in lines if ln.startswith("[hard] again (")]
    assert len(again) == 1 and "ran out" in again[0]
    rep = orjson.loads((rd / "tasks" / "hard.json").read_bytes())
    assert rep["revisited"] is True


def test_a_revisit_that_does_no_better_keeps_the_first_attempts(tmp_path):
    tasks, trace = _stubborn_tasks(), tmp_path / "calls"
    out, rd, lines = tmp_path / "sub.json", tmp_path / "run", []
    summary = run_tasks(tasks, Stubborn(str(trace), again_status="inexact"), out=out,
                        run_dir=rd, budget=Budget(total_s=600.0), log=lines.append,
                        revisit=True)
    assert trace.read_text().split().count("hard") == 2
    assert summary.statuses["hard"] == "inexact"
    sub = check_complete(out, tasks)
    assert sub["hard"][0]["attempt_1"] == [[9, 9], [9, 9]]  # neither the 8s shown in progress nor the 7s
    assert any("no better" in ln for ln in lines)


def test_no_revisit_when_off(tmp_path):
    tasks, trace = _stubborn_tasks(), tmp_path / "calls"
    run_tasks(tasks, Stubborn(str(trace)), out=tmp_path / "sub.json", run_dir=tmp_path / "run",
              budget=Budget(total_s=600.0), log=None, revisit=False)
    assert trace.read_text().split().count("hard") == 1
