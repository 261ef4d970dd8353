"""Line pruning: delete the lines of a program that change none of its outputs, so the
candidate (and the example relabeled from it) is the shortest program for its behaviour."""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from solver.arc.grids import Grid

Run = Callable[[list[str]], list[tuple | None]]  # programs -> their outputs (None: failed)


def _body_lines(code: str) -> list[int]:
    """Indices of the lines that pruning may delete (body lines except ``return``)."""
    lines = code.split("\n")
    return [i for i, ln in enumerate(lines)
            if i > 0 and ln.strip() and not ln.strip().startswith("return")
            and ln.startswith((" ", "\t"))]


def _strip_comments(code: str) -> str:
    lines = code.rstrip("\n").split("\n")
    keep = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    return "\n".join(keep) + "\n"


def _without(code: str, drop: Iterable[int]) -> str:
    drop = set(drop)
    return "\n".join(ln for i, ln in enumerate(code.split("\n")) if i not in drop)


def prune_batch(codes: Sequence[str], outputs: Sequence[tuple], inputs: Sequence[Grid],
                run: Run) -> list[str]:
    """Delete the lines that change no output, for many programs at once.

    ``run(programs)`` returns each program's outputs (None on failure). Every single-line
    deletion of every program runs in one batch; the deletions that keep the outputs are
    applied together and the result is checked in a second batch. A program whose combined
    deletion changes its outputs (two duplicate lines, say) is pruned line by line
    instead, so the result always reproduces the original outputs.
    """
    originals = list(codes)
    codes = [_strip_comments(c) for c in codes]  # blank and comment lines go without a run
    variants: list[str] = []
    owners: list[tuple[int, int]] = []
    for k, code in enumerate(codes):
        for i in _body_lines(code):
            variants.append(_without(code, [i]))
            owners.append((k, i))
    results = run(variants) if variants else []
    removable: dict[int, list[int]] = {}
    for (k, i), out in zip(owners, results):
        if out is not None and out == outputs[k]:
            removable.setdefault(k, []).append(i)
    pruned = list(originals)
    trials = [_without(codes[k], removable.get(k, [])) for k in range(len(codes))]
    checked = run(trials) if trials else []
    for k, (code, out) in enumerate(zip(trials, checked)):
        if out is not None and out == outputs[k]:
            pruned[k] = code
        else:
            pruned[k] = _prune_sequential(originals[k], outputs[k], run)
    return pruned


def _prune_sequential(code: str, outputs: tuple, run: Run) -> str:
    changed = True
    while changed:
        changed = False
        for i in _body_lines(code):
            trial = _without(code, [i])
            if run([trial])[0] == outputs:
                code, changed = trial, True
                break
    return code
