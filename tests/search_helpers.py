"""Shared pieces of the search tests: a 3x3 task, programs for it, a trusted runner."""

from solver import dsl
from solver.arc.grids import Pair, Task

EMPTY = ((0, 0, 0), (0, 0, 0), (0, 0, 0))


def grid_with(*cells):
    g = [list(r) for r in EMPTY]
    for (r, c), v in cells:
        g[r][c] = v
    return tuple(tuple(r) for r in g)


TARGET = grid_with(((0, 0), 3), ((1, 1), 4))
TASK = Task("demo", (Pair(EMPTY, TARGET),), (Pair(EMPTY, None),))


def prog(*lines):
    return "def task(img):\n" + "".join(f"    {ln}\n" for ln in lines) + "    return img\n"


RIGHT = prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (1, 1), 4)")
HALF = prog("draw_pixel(img, (0, 0), 3)")
WRONG = prog("draw_pixel(img, (2, 2), 5)")


def trusted_run(inputs):
    """``run(programs)`` -> each program's outputs on ``inputs`` (None when it raised)."""
    def run(programs):
        out = []
        for p in programs:
            try:
                out.append(tuple(dsl.run_trusted(p, i) for i in inputs))
            except Exception:
                out.append(None)
        return out
    return run
