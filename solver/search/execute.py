"""Running programs in the sandbox for the search: each program's outputs as grids (None
when it failed) with the sandbox's status, and per-round counts of those statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from solver.arc.grids import Grid, grid_problem
from solver.sandbox.executor import STATUSES

EXAMPLE_CHARS = 120  # a status example is cut to this many characters


@dataclass(frozen=True)
class Ran:
    """One program's run on all inputs."""

    outputs: tuple[Grid, ...] | None  # one grid per input; None when the program failed
    status: str  # the sandbox's status: ``kind`` or ``kind:detail``

    @property
    def kind(self) -> str:
        return self.status.split(":", 1)[0]

    @property
    def detail(self) -> str:
        """The status detail (the kind itself when there is none), at most EXAMPLE_CHARS."""
        kind, _, detail = self.status.partition(":")
        return (detail.strip() or kind)[:EXAMPLE_CHARS]


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


def run_in_frames(executor, programs: Sequence[tuple[str, Any]],
                  inputs: Sequence[Grid]) -> list[Ran]:
    """:func:`run_programs` for ``(code, frame)`` pairs: a program with a frame (a
    :class:`solver.arc.augment.Augmentation`) runs on the inputs augmented so, and its
    outputs are mapped back to the task's own frame; one sandbox call per frame."""
    out: list[Ran | None] = [None] * len(programs)
    by_frame: dict[Any, list[int]] = {}
    for i, (_, frame) in enumerate(programs):
        by_frame.setdefault(frame, []).append(i)
    for frame, idx in by_frame.items():
        seen = inputs if frame is None else [frame.do(g) for g in inputs]
        for i, ran in zip(idx, run_programs(executor, [programs[i][0] for i in idx], seen)):
            if frame is not None and ran.outputs is not None:
                ran = Ran(tuple(frame.undo(g) for g in ran.outputs), ran.status)
            out[i] = ran
    return out


def outputs_of(executor, codes: Sequence[str], inputs: Sequence[Grid]) -> list[tuple | None]:
    """Outputs per program (a tuple of grids, one per input) or None when it failed."""
    return [r.outputs for r in run_programs(executor, codes, inputs)]


def status_counts(runs: Sequence[Ran], weights: Sequence[int]) -> tuple[dict[str, int],
                                                                         dict[str, str]]:
    """(weighted count per status kind, one example detail per kind other than ok); kinds
    in the sandbox's order (:data:`solver.sandbox.executor.STATUSES`), unknown ones after."""
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for r, w in zip(runs, weights):
        counts[r.kind] = counts.get(r.kind, 0) + w
        if r.kind != "ok":
            examples.setdefault(r.kind, r.detail)

    def order(kind: str) -> tuple[int, str]:
        return (STATUSES.index(kind) if kind in STATUSES else len(STATUSES), kind)

    kinds = sorted(counts, key=order)
    return {k: counts[k] for k in kinds}, {k: examples[k] for k in kinds if k in examples}
