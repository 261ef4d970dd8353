"""The files a run writes about its tasks: ``tasks/<id>.json`` (the full per-task report)
and the few fields of each that the journal and the closing table (``summary.json``) keep."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Mapping

import orjson

from solver.arc.grids import atomic_write

SUMMARY_FIELDS = ("epochs_run", "best_train_acc", "solved_round", "solved_by", "stopped", "error")


def safe_name(task_id: str) -> str:
    """A file name for a task id: other characters become ``_``, and a changed or cut name
    gets a short hash of the id so that two ids never share a file."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:80]
    if name != task_id:
        name += "-" + hashlib.sha1(task_id.encode()).hexdigest()[:8]
    return name


def write_json(path: Path, data) -> None:
    """Indented JSON, written atomically (numpy values allowed)."""
    atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))


def write_report(run_dir: str | os.PathLike, report: Mapping) -> None:
    """``tasks/<id>.json`` of a finished task."""
    write_json(Path(run_dir) / "tasks" / f"{safe_name(report['task_id'])}.json", report)


def load_reports(run_dir: str | os.PathLike) -> dict[str, dict]:
    """task id -> report of every readable ``tasks/*.json`` of a run."""
    reports = {}
    for path in sorted((Path(run_dir) / "tasks").glob("*.json")):
        try:
            rep = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        reports[rep.get("task_id", path.stem)] = rep
    return reports


def report_summary(report: Mapping) -> dict:
    """The few fields of a task report that the journal and the closing table keep."""
    out = {"seconds": report.get("seconds")}
    for key in SUMMARY_FIELDS:
        if report.get(key) is not None:
            out[key] = report[key]
    if isinstance(report.get("rounds"), list):
        out["rounds"] = len(report["rounds"])
    return out


def load_summary(run_dir: str | os.PathLike) -> dict:
    """A run's ``summary.json`` (written when the run ends normally)."""
    return orjson.loads((Path(run_dir) / "summary.json").read_bytes())
