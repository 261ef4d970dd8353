"""Running programs in the sandbox for the search: each program's outputs as grids (None
when it failed) with the sandbox's status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from solver.arc.grids import Grid, grid_problem


@dataclass(frozen=True)
class Ran:
    """One program's run on all inputs."""

    outputs: tuple[Grid, ...] | None  # one grid per input; None when the program failed
    status: str  # the sandbox's status: ``kind`` or ``kind:detail``

    @property
    def kind(self) -> str:
        return self.status.split(":", 1)[0]


def as_grid(value: Any) -> Grid | None:
    """A valid grid from whatever a program returned (list, tuple, numpy), else None."""
    try:
        if hasattr(value, "tolist"):
            value = value.tolist()
        if grid_problem(value) is not None:
            return None
        return tuple(tuple(int(v) for v in row) for row in value)
    except Exception:
        return None


def run_programs(executor, codes: Sequence[str], inputs: Sequence[Grid]) -> list[Ran]:
    """Each program run once on every input. A run the sandbox calls ok but whose outputs
    are not one grid per input counts as ``invalid_output``."""
    if not codes:
        return []
    out = []
    for r in executor.run(list(codes), list(inputs)):
        status = str(getattr(r, "status", ""))
        if not status.startswith("ok"):
            out.append(Ran(None, status))
            continue
        outs = getattr(r, "outputs", None)
        grids = tuple(as_grid(o) for o in outs) if outs is not None else ()
        if len(grids) != len(inputs) or any(g is None for g in grids):
            out.append(Ran(None, "invalid_output:not one grid per input"))
        else:
            out.append(Ran(grids, status))
    return out


def outputs_of(executor, codes: Sequence[str], inputs: Sequence[Grid]) -> list[tuple | None]:
    """Outputs per program (a tuple of grids, one per input) or None when it failed."""
    return [r.outputs for r in run_programs(executor, codes, inputs)]

