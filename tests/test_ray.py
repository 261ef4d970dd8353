"""The Ray backend on a real cluster on this machine (a head and a second node, one CPU
each, on 127.0.0.1): the CLI with ``--model none`` on both nodes, resuming from the journal,
the hard stop, a worker process and a whole node lost mid-task. Skipped without Ray (the
``ray`` extra)."""

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from importlib.util import find_spec

import orjson
import pytest

from solver.arc import submission
from solver.arc.budget import Budget
from solver.arc.grids import Pair, Task
from solver.run import read_journal, run_tasks
from solver.run.ray_backend import RayBackend  # imports ray only when a run starts

# not imported here: the cluster fixture must set Ray's switch before ray is imported
pytestmark = pytest.mark.skipif(find_spec("ray") is None, reason="needs the ray extra")
TESTS = Path(__file__).parent


# ---------------------------------------------------------------- the cluster


@pytest.fixture(scope="module")
def cluster():
    """A head and one more node on this machine, one CPU each. Ray takes 127.0.0.1 as the
    machine's address when cluster mode is "off" (a switch read when ray is imported;
    nodes on one machine need nothing else). The actors import this module's solvers
    by name: the nodes get this folder on their PYTHONPATH."""
    saved = {k: os.environ.get(k) for k in ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "PYTHONPATH")}
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS)] + ([saved["PYTHONPATH"]] if saved["PYTHONPATH"] else []))
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    switch = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before

    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False,
        # a lost node is noticed in a few seconds, not the default half minute
        "_system_config": {"health_check_period_ms": 1000, "health_check_failure_threshold": 3,
                           "health_check_initial_delay_ms": 0}})
    c.add_node(num_cpus=1)
    try:
        yield c
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        c.shutdown()
        ray_constants.ENABLE_RAY_CLUSTER = switch
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ---------------------------------------------------------------- trivial solvers (picklable)


def make_tasks(n: int) -> dict[str, Task]:
    tasks = {}
    for i in range(n):
        inp, out = ((i % 10, 0), (0, 0)), ((i % 10, 1), (1, 1))
        tasks[f"t{i}"] = Task(f"t{i}", (Pair(inp, out),), (Pair(inp, out),))
    return tasks


@dataclass
class Traced:
    """Answers with the first train output after ``sleep_s``; each start is a line
    ``task node pid`` in ``trace``; dies (``os._exit``) on the ids in ``die``; with
    ``partial``, reports its answer at once and then works ``sleep_s`` past any deadline."""

    trace: str
    sleep_s: float = 0.0
    die: tuple = ()
    partial: bool = False

    def __call__(self):
        import ray

        node = ray.get_runtime_context().get_node_id()

        def solve(task, deadline, progress):
            with open(self.trace, "a") as f:
                f.write(f"{task.id} {node} {os.getpid()}\n")
            answer = [[task.train[0].output] for _ in task.test]
            progress({"line": "round 0: started", **({"attempts": answer} if self.partial else {})})
            if task.id in self.die:
                os._exit(3)
            time.sleep(self.sleep_s)
            return {"status": "solved", "attempts": answer}
        return solve


def starts(trace: Path) -> list[tuple[str, str, int]]:
    if not trace.exists():
        return []
    return [(t, n, int(p)) for t, n, p in (ln.split() for ln in trace.read_text().splitlines())]


def check_complete(path, tasks):
    sub = submission.load(path)
    assert submission.validate(sub, tasks) == []
    return sub


def copied(sub, tasks, tid) -> bool:
    return sub[tid][0]["attempt_1"] == [list(r) for r in tasks[tid].train[0].output]


def run(c, tasks, solver, tmp_path, budget_s=120.0, workers=2, lines=None):
    backend = RayBackend(c.address)
    try:
        return run_tasks(tasks, solver, out=tmp_path / "sub.json", run_dir=tmp_path / "run",
                         budget=Budget(total_s=budget_s), workers=workers, backend=backend,
                         log=lines.append if lines is not None else None)
    finally:
        backend.close()


# ---------------------------------------------------------------- tests


def write_challenges(folder: Path) -> tuple[Path, Path]:
    """Four tasks the enumerator solves at once (flips, transpose, turn) and a malformed one."""
    def flip_h(g): return [r[::-1] for r in g]
    def flip_v(g): return g[::-1]
    def transpose(g): return [list(r) for r in zip(*g)]
    def rot180(g): return [r[::-1] for r in g[::-1]]

    grids = [[[1, 0, 2, 0], [0, 3, 0, 0], [2, 2, 0, 1]], [[0, 1, 3], [2, 0, 0], [0, 0, 1], [3, 1, 0]],
             [[1, 2, 0], [0, 0, 3], [3, 0, 0]]]
    test = [[0, 1, 0, 2, 2], [3, 0, 0, 0, 1], [0, 0, 2, 1, 0], [1, 3, 0, 0, 0]]
    chal, sol = {}, {}
    for name, f in (("flip-h", flip_h), ("flip-v", flip_v), ("transpose", transpose),
                    ("rot180", rot180)):
        chal[name] = {"train": [{"input": g, "output": f(g)} for g in grids],
                      "test": [{"input": test}]}
        sol[name] = [f(test)]
    chal["broken"] = {"train": [{"input": [[1, 2], [3]], "output": [[1]]}],
                      "test": [{"input": [[1]]}]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "challenges.json").write_bytes(orjson.dumps(chal))
    (folder / "solutions.json").write_bytes(orjson.dumps(sol))
    return folder / "challenges.json", folder / "solutions.json"


def test_cli_dry_run_on_two_nodes_then_a_rerun_resumes(cluster, tmp_path, capsys):
    """``solver dry-run --backend ray --model none`` on the two nodes: a valid, complete
    submission scored against the solutions (the malformed task gets its fallback); a first
    run on two of the tasks, then the rerun with the same run directory does only the rest."""
    from solver.arc.grids import load_tasks
    from solver.cli import main

    chal, sol = write_challenges(tmp_path / "tasks")
    rd = tmp_path / "run"
    common = ["dry-run", "--backend", "ray", "--ray-address", cluster.address, "--tasks",
              str(chal), "--solutions", str(sol), "--model", "none", "--enumerate-seconds", "5",
              "--time-budget", "3m", "--run-dir", str(rd)]
    assert main(common + ["--limit", "2"]) == 0
    first = capsys.readouterr().out
    assert "2 worker(s) on the Ray cluster at" in first
    assert set(read_journal(rd)) == {"flip-h", "flip-v"}

    assert main(common) == 0
    text = capsys.readouterr().out
    assert "4 tasks (2 already finished, 2 to do)" in text
    assert "[flip-h] start" not in text and "[rot180] start" in text
    tasks = load_tasks(chal).tasks
    sub = submission.load(rd / "submission.json")
    assert set(sub) == set(tasks) | {"broken"}
    assert submission.validate({t: sub[t] for t in tasks}, tasks) == []
    assert sub["broken"] == [{"attempt_1": [[1]], "attempt_2": [[1]]}]
    assert "submission" in text and ": valid;" in text and "score: " in text
    assert set(read_journal(rd)) == set(tasks)
    summary = orjson.loads((rd / "summary.json").read_bytes())
    assert summary["resumed"] == 2 and summary["problems"] == []
    settings = orjson.loads((rd / "settings.json").read_bytes())
    assert settings["backend"] == "ray" and settings["run"]["backend"] == "ray"
    assert settings["workers"] == 2 and len(settings["previous_starts"]) == 1


def test_tasks_run_on_both_nodes_and_a_dead_worker_process_is_retried_once(cluster, tmp_path):
    """One actor per node; a task whose worker process dies is tried once more on another
    actor, then crashes (partial attempts, or fallbacks); every other task is solved."""
    tasks = make_tasks(5)
    trace = tmp_path / "trace"
    lines: list[str] = []
    summary = run(cluster, tasks, Traced(str(trace), sleep_s=0.5, die=("t1",)), tmp_path,
                  lines=lines)
    assert summary.statuses == {"t0": "solved", "t1": "crashed", "t2": "solved",
                                "t3": "solved", "t4": "solved"}
    seen = starts(trace)
    assert len({n for _, n, _ in seen}) == 2  # both nodes worked
    assert [t for t, _, _ in seen].count("t1") == 2  # tried twice, on two processes
    assert len({p for t, _, p in seen if t == "t1"}) == 2
    said = [ln for ln in lines if ln.startswith("[t1]") and "lost" in ln]
    assert len(said) == 2 and "trying it again on another worker" in said[0]
    assert "crashed" in said[1] and "died" in said[1]
    sub = check_complete(tmp_path / "sub.json", tasks)
    assert all(copied(sub, tasks, t) for t in tasks if t != "t1")
    assert read_journal(tmp_path / "run")["t1"]["status"] == "crashed"  # a rerun tries again


@pytest.mark.slow
def test_hard_stop_keeps_partial_attempts(cluster, tmp_path):
    """Tasks still running at the hard stop are killed with their actors: status stopped,
    their partial attempts in the submission, written before the budget's end."""
    tasks = make_tasks(2)
    budget_s = 30.0  # room for the actors to start on a loaded machine
    t0 = time.time()
    summary = run(cluster, tasks, Traced(str(tmp_path / "trace"), sleep_s=600, partial=True),
                  tmp_path, budget_s=budget_s)
    assert time.time() - t0 < budget_s + 10  # generous: the point is that it ends
    assert summary.stopped_by_budget
    assert summary.statuses == {"t0": "stopped", "t1": "stopped"}
    sub = check_complete(tmp_path / "sub.json", tasks)
    assert all(copied(sub, tasks, t) for t in tasks)
    assert read_journal(tmp_path / "run") == {}  # not journaled: a rerun starts them again


@pytest.mark.slow
def test_a_node_lost_mid_task_loses_no_task(cluster, tmp_path):
    """A third node is removed while it holds a task: that task is tried again on another
    actor within its share, every task ends solved, the run never waits for the dead node,
    and the console says in one line what was lost and what was done."""
    node = cluster.add_node(num_cpus=1)
    node_id = node.node_id
    tasks = make_tasks(6)
    trace = tmp_path / "trace"
    lines: list[str] = []
    removed = threading.Event()

    def kill_when_busy():
        deadline = time.time() + 120
        while time.time() < deadline:
            if any(n == node_id for _, n, _ in starts(trace)):
                cluster.remove_node(node, allow_graceful=False)
                removed.set()
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    killer.start()
    budget_s = 240.0
    t0 = time.time()
    summary = run(cluster, tasks, Traced(str(trace), sleep_s=4.0), tmp_path, budget_s=budget_s,
                  workers=3, lines=lines)
    killer.join(timeout=5)
    assert removed.is_set()
    assert time.time() - t0 < budget_s
    assert summary.statuses == {t: "solved" for t in tasks}, lines
    lost = [t for t, n, _ in starts(trace) if n == node_id]
    assert len(lost) == 1  # the node held one task when it went
    again = [n for t, n, _ in starts(trace) if t == lost[0] and n != node_id]
    assert len(again) == 1  # ... which ran once more, elsewhere
    said = [ln for ln in lines if ln.startswith("[") and " lost" in ln]
    assert len(said) == 1 and said[0].startswith(f"[{lost[0]}] lost with worker")
    assert "node" in said[0] and "trying it again on another worker" in said[0]
    check_complete(tmp_path / "sub.json", tasks)
    assert set(read_journal(tmp_path / "run")) == set(tasks)


def test_a_cluster_out_of_reach_is_one_line_and_fallbacks(tmp_path, capsys):
    """``--ray-address`` where nothing answers: one error line, every task gets its
    fallback, exit status 1 (no cluster needed)."""
    import socket

    from solver.arc.grids import load_tasks
    from solver.cli import main

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chal, _ = write_challenges(tmp_path / "tasks")
    out = tmp_path / "sub.json"
    code = main(["solve", "--backend", "ray", "--ray-address", f"127.0.0.1:{port}", "--tasks",
                 str(chal), "--out", str(out), "--model", "none", "--time-budget", "1m"])
    text = capsys.readouterr().out
    assert code == 1
    said = [ln for ln in text.splitlines() if ln.startswith("error:")]
    assert said == [f"error: the ray backend could not start: ConnectionError: no Ray cluster "
                    f"answers at 127.0.0.1:{port}: [Errno 111] Connection refused"]
    tasks = load_tasks(chal).tasks
    sub = submission.load(out)
    assert set(sub) == set(tasks) | {"broken"}
    assert submission.validate({t: sub[t] for t in tasks}, tasks) == []
    assert all(sub[t][0]["attempt_1"] == [list(r) for r in tasks[t].test[0].input] for t in tasks)


def test_importing_solver_never_imports_ray():
    code = ("import sys, solver, solver.cli, solver.cli.solve, solver.run, solver.run.pool, "
            "solver.run.coordinator, solver.run.ray_backend; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_enumerator_bench_runs_as_ray_tasks_on_the_cluster(cluster, tmp_path):
    """``bench/enumerate.py --backend ray``: the enumerator on each task as a Ray task of
    one CPU on the cluster, the same records as on the local pool."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import _harness as h

    chal, sol = write_challenges(tmp_path / "tasks")
    tasks = h.load_set(str(chal), sol)
    picked = [tasks["flip-h"], tasks["rot180"]]
    on_ray = h.enumerate_tasks(picked, 5.0, 2, 1, "ray", cluster.address)
    assert [r["id"] for r in on_ray] == ["flip-h", "rot180"]
    assert all(r["solved"] and r["train_exact"] for r in on_ray)
    here = h.enumerate_tasks(picked, 5.0, 2, 1)
    assert [r["code"] for r in here] == [r["code"] for r in on_ray]
