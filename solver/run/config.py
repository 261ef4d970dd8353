"""The run's settings: one dataclass, each field with its default and a one-line help."""

from __future__ import annotations

from dataclasses import dataclass

from solver.arc.settings import setting


@dataclass
class RunConfig:
    time_budget: str | None = setting(
        None, "total wall clock, e.g. 12h, 30m, 90s, 1h30m; None: Kaggle's 12h less a 45 min margin",
        group="run")
    max_task_time: str | None = setting(
        None, "cap on one task's share of the budget, e.g. 15m; None: no cap", group="run")
    workers: int | None = setting(None, "worker processes; None: one per visible GPU, one on CPU",
                                  group="run")
    limit: int | None = setting(None, "solve only the first N tasks in sorted id order; None: all",
                                group="run")
    task_ids: tuple[str, ...] | None = setting(None, "solve only these task ids (comma list); None: all",
                                               group="run")
    threads: int | None = setting(
        None, "CPU threads per worker; None: the cores shared among the workers (on GPUs: torch's)",
        group="run")
    revisit: bool = setting(
        True, "once every task has had its share, tasks left inexact when theirs ran out are "
        "tried again, one by one, with the time finished tasks left (a fresh try with a "
        "larger share; its attempts replace the first only if they fit the train pairs "
        "better)", group="run")
    backend: str = setting(
        "local", "where the workers run: local (processes on this machine) or ray (actors on "
        "a Ray cluster; the ray extra; see docs/CLUSTER.md)", choices=("local", "ray"), group="run")
    ray_address: str = setting(
        "auto", "with --backend ray: the cluster (HOST:PORT of its head); auto: the cluster "
        "this machine belongs to, else a Ray instance started here", group="run")
