"""The backends that carry tasks to workers, by name: ``local`` (processes on this machine,
:class:`solver.run.pool.LocalBackend`) or ``ray`` (actors on a Ray cluster,
:class:`solver.run.ray_backend.RayBackend`, which imports Ray only when it connects)."""

from __future__ import annotations

from solver.run.pool import LocalBackend
from solver.run.ray_backend import RayBackend


def backend_for(name: str, ray_address: str = "auto", threads: int | None = None):
    """The backend called ``name``: ``local`` or ``ray``."""
    if name == "local":
        return LocalBackend()
    if name == "ray":
        return RayBackend(ray_address, threads)
    raise ValueError(f"unknown backend {name!r}: local or ray")
