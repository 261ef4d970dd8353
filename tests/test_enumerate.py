"""The enumerator over DSL v2 programs: it finds programs behind tasks made from known
programs, its rendered code reproduces its outputs in the sandbox, and it keeps its time cap."""

from __future__ import annotations

import time

import numpy as np
import pytest

from solver import dsl
from solver.arc.grids import Pair, Task
from solver.search.enumerate import (EnumStats, Found, Reader, Step, enumerate_programs, fit_color_map,
                                     predictions, program_code)


def make_task(code: str, inputs, tests, tid: str = "t") -> Task:
    """A task whose outputs are what ``code`` makes of the inputs."""
    train = tuple(Pair(i, dsl.run_trusted(code, i)) for i in inputs)
    test = tuple(Pair(i, dsl.run_trusted(code, i)) for i in tests)
    return Task(tid, train, test)


def grid(rows) -> tuple:
    return tuple(tuple(r) for r in rows)


RNG = np.random.default_rng(0)


def sparse(h: int, w: int, colors=(1, 2, 3), p: float = 0.3) -> tuple:
    a = RNG.choice(list(colors), size=(h, w)) * (RNG.random((h, w)) < p)
    return grid(a.tolist())


FLIP_RECOLOR = ("def task(img):\n"
                "    img = flip_lr(img)\n"
                "    img = recolor(img, 1, 5)\n"
                "    return img\n")
UPSCALE = "def task(img):\n    img = upscale(img, 2, 3)\n    return img\n"
CROP_LARGEST = ("def task(img):\n"
                "    img = crop_to_object(img, 'largest', 8, False)\n"
                "    return img\n")


def crop_inputs() -> list:
    out = []
    for k in range(4):
        a = np.zeros((9, 9), dtype=int)
        a[1 + k % 2:4 + k % 2, 2:6] = 3 + k % 3  # a 3x4 block
        a[6, 1 + k] = 1
        a[8, 8 - k] = 2
        a[7, 3 + k] = 1
        out.append(grid(a.tolist()))
    return out


STAMP = ("def task(img):\n"
         "    img = stamp_around(img, ((4, ((-1, 2, -1), (7, -1, 6), (-1, 8, -1))),))\n"
         "    return img\n")


def stamp_inputs() -> list:
    out = []
    for k in range(4):
        a = np.zeros((8, 9), dtype=int)
        a[1 + k, 1 + 2 * k] = 4
        a[6 - k % 2, 7 - k] = 4
        a[0, 8 - k] = 5  # another colour, left alone
        out.append(grid(a.tolist()))
    return out


TASKS = [
    make_task(STAMP, stamp_inputs()[:3], stamp_inputs()[3:], "stamp"),
    make_task(FLIP_RECOLOR, [sparse(4, 5), sparse(5, 3), sparse(3, 6)], [sparse(6, 6)], "flip"),
    make_task(UPSCALE, [sparse(2, 3), sparse(3, 3), sparse(4, 2)], [sparse(3, 4)], "up"),
    make_task(CROP_LARGEST, crop_inputs()[:3], crop_inputs()[3:], "crop"),
]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_finds_the_program_behind_a_task(task):
    found = enumerate_programs(task, seconds=20, max_depth=2)
    assert found and found[0].exact
    assert predictions(found)[0] == [p.output for p in task.test]
    best = found[0]
    assert best.code.startswith("def task(img):\n") and best.code.endswith("    return img\n")
    for line in best.code.splitlines()[1:-1]:
        assert line.startswith("    img = ") and line.endswith(")")


def test_found_code_runs_the_same_in_process_and_in_the_sandbox():
    from solver.sandbox.executor import Executor

    found = [enumerate_programs(t, seconds=20, max_depth=2) for t in TASKS]
    programs, expected, inputs = [], [], []
    for task, fs in zip(TASKS, found):
        for f in fs[:3]:
            ins = [p.input for p in task.train] + [p.input for p in task.test]
            want = f.train_outputs + f.test_outputs
            if any(w is None for w in want):
                continue
            assert [dsl.run_trusted(f.code, i) for i in ins] == want
            programs.append(f.code)
            expected.append(want)
            inputs.append(ins)
    assert len(programs) >= 3
    with Executor(workers=1, timeout_s=2.0, memory_mb=256) as ex:
        for code, ins, want in zip(programs, inputs, expected):
            (res,) = ex.run([code], ins)
            assert res.status == "ok", (code, res.status)
            assert res.outputs == want


def test_reader_arguments_generalise_to_new_colours():
    # Fill the inside of each ring with the least common colour of the input.
    code = ("def task(img):\n"
            "    img = fill_enclosed(img, least_common_color(img))\n"
            "    return img\n")
    ins = []
    for c, mark in ((1, 4), (2, 6), (3, 7), (5, 8)):
        a = np.zeros((6, 6), dtype=int)
        a[1:5, 1:5] = c
        a[2:4, 2:4] = 0
        a[5, 5] = mark
        ins.append(grid(a.tolist()))
    task = make_task(code, ins[:3], [ins[3]])  # the test's colours are new
    found = enumerate_programs(task, seconds=20, max_depth=1)
    assert found[0].exact and "least_common_color(img)" in found[0].code
    assert predictions(found)[0] == [task.test[0].output]


def test_fitted_colour_map_is_a_last_line():
    code = "def task(img):\n    img = rot180(img)\n    img = map_colors(img, ((1, 2), (2, 1)))\n    return img\n"
    task = make_task(code, [sparse(3, 4, (1, 2)), sparse(4, 4, (1, 2)), sparse(5, 3, (1, 2))],
                     [sparse(4, 5, (1, 2))])
    found = enumerate_programs(task, seconds=20, max_depth=2)
    assert found[0].exact and found[0].code.splitlines()[-2].strip().startswith("img = map_colors")
    assert "color_map" in found[0].families and "rigid" in found[0].families


def test_deleting_any_line_leaves_a_valid_program():
    steps = (Step("crop_to_object", ("largest", 8, True)), Step("rot90"),
             Step("recolor", (5, Reader("bg_color"))), Step("map_colors", (((1, 2), (3, 4)),)))
    code = program_code(steps)
    lines = code.splitlines()
    g = grid([[0, 5, 0], [1, 3, 0], [0, 0, 0]])
    for i in range(1, len(lines) - 1):
        shorter = "\n".join(lines[:i] + lines[i + 1:]) + "\n"
        out = dsl.run_trusted(shorter, g)
        assert len(out) >= 1


def test_keeps_its_time_cap_and_returns_near_misses():
    rng = np.random.default_rng(1)
    # Noise to noise: nothing explains it.
    train = tuple(Pair(grid(rng.integers(0, 10, (12, 12)).tolist()),
                       grid(rng.integers(0, 10, (12, 12)).tolist())) for _ in range(3))
    task = Task("noise", train, (Pair(grid(rng.integers(0, 10, (12, 12)).tolist())),))
    t0 = time.perf_counter()
    found = enumerate_programs(task, seconds=1.0, max_depth=3)
    assert time.perf_counter() - t0 < 1.0 + 2.0  # one primitive call past the deadline at most
    assert not any(f.exact for f in found)
    assert predictions(found) == []


def test_fit_color_map():
    a = [np.array([[1, 2], [0, 1]]), np.array([[2, 2]])]
    b = [np.array([[3, 4], [0, 3]]), np.array([[4, 4]])]
    assert fit_color_map(a, b) == ((1, 3), (2, 4))
    assert fit_color_map(a, [np.array([[3, 4], [0, 5]]), b[1]]) is None  # 1 -> 3 and 1 -> 5
    assert fit_color_map(a, a) is None  # nothing to map


def test_predictions_are_distinct_train_exact_and_complete():
    def f(tests, exact=True):
        return Found("c", (), [], tests, 1, (), exact, 1.0)

    g1, g2 = grid([[1]]), grid([[2]])
    found = [f([g1]), f([g1]), f([None]), f([g2], exact=False), f([g2])]
    assert predictions(found) == [[g1], [g2]]


def test_a_prediction_that_leaves_the_test_input_unchanged_comes_last():
    def f(tests):
        return Found("c", (), [], tests, 1, (), True, 1.0)

    same, changed, other = grid([[5]]), grid([[1]]), grid([[2]])
    task = Task("t", (Pair(grid([[0]]), grid([[1]])),), (Pair(same, None),))
    found = [f([same]), f([changed]), f([other])]
    assert predictions(found, 2, task) == [[changed], [other]]
    assert predictions(found, 3, task) == [[changed], [other], [same]]  # a last resort
    assert predictions(found, 2) == [[same], [changed]]  # without the task: the search's order
    identity_task = Task("i", (Pair(grid([[0]]), grid([[0]])),), (Pair(same, None),))
    assert predictions(found, 2, identity_task) == [[same], [changed]]  # outputs may equal inputs


def test_a_table_that_misses_a_test_value_ranks_last_and_does_not_stop_the_search():
    # bars of sizes 1 and 3 become 3, of size 2 become 4: only a table by 'size' fits, and
    # it has no entry for the test's size-4 bar
    code = ("def task(img):\n"
            "    img = recolor_by(img, 'size', ((1, 3), (2, 4), (3, 3)), 8)\n"
            "    return img\n")

    def bars(a: int, b: int) -> tuple:
        g = np.zeros((5, 6), dtype=int)
        g[0:a, 1] = 5
        g[0:b, 4] = 5
        return grid(g.tolist())

    task = make_task(code, [bars(1, 2), bars(3, 2), bars(2, 3)], [bars(4, 1)], "bars")
    stats = EnumStats()
    found = enumerate_programs(task, seconds=20, max_depth=2, stats=stats)
    by_size = [f for f in found if f.exact and "'size'," in f.code]
    assert by_size and all(f.misses for f in by_size)  # size 4 is not in its table
    assert stats.depth_done == 2  # a missing table does not end the search at depth 1
    assert [f.misses for f in found if f.exact] == sorted(f.misses for f in found if f.exact)
    assert predictions(found, 1, task)  # still an answer when nothing better exists
    covered = make_task(code, [bars(1, 2), bars(3, 2), bars(2, 3)], [bars(2, 1)], "bars2")
    found = enumerate_programs(covered, seconds=20, max_depth=2)
    assert found[0].exact and not found[0].misses


# ---------------------------------------------------------------- stacking


TWO_EDITS = ("def task(img):\n"
             "    img = ray(img, 2, 'down')\n"
             "    img = halo(img, 3, 'cross', 4)\n"
             "    return img\n")


def test_stacking_completes_a_base_with_pieces_beyond_the_depth():
    """Two independent edits, each one line: at depth 1 no chain makes the outputs, but the
    input with both laid over it does; the stacked program runs unchanged in the sandbox."""
    from solver.sandbox.executor import Executor

    rng = np.random.default_rng(3)

    def one(h, w):  # 2s on the left, 3s well apart on the right: the two edits never meet
        a = np.zeros((h, w), dtype=int)
        a[rng.integers(0, h - 1), rng.integers(0, 3)] = 2
        a[rng.integers(1, h - 1), 5] = 3
        a[rng.integers(1, h - 1), 8] = 3
        return grid(a.tolist())

    task = make_task(TWO_EDITS, [one(8, 10), one(9, 10), one(7, 11)], [one(9, 10)])
    found = enumerate_programs(task, seconds=20, max_depth=1)
    exact = [f for f in found if f.exact]
    assert exact and "layers" in exact[0].families
    best = exact[0]
    assert "= layer(img, p1)" in best.code and best.depth >= 3
    assert best.test_outputs == [p.output for p in task.test]
    with Executor(workers=1, timeout_s=5.0) as ex:
        res = ex.run([best.code], [p.input for p in task.test])
    assert res[0].status == "ok" and res[0].outputs == best.test_outputs


def test_find_stacks_covers_the_wrong_cells_greedily():
    from solver.search.stack import find_stacks, make_value

    out = (np.array([[1, 2], [3, 0]]),)
    base = make_value(("b",), (np.array([[1, 0], [0, 0]]),), out)  # wrong at 2 cells
    p2 = make_value(("x",), (np.array([[0, 2], [0, 0]]),), out)  # consistent, covers (0, 1)
    p3 = make_value(("y", "z"), (np.array([[0, 0], [3, 0]]),), out)  # covers (1, 0)
    bad = make_value(("w",), (np.array([[0, 2], [5, 0]]),), out)  # paints a wrong colour
    assert p2.consistent and p3.consistent and not bad.consistent
    stacks = find_stacks([base, p2, p3, bad], max_pieces=2)
    assert [(s.base.steps, sorted(p.steps for p in s.pieces)) for s in stacks][0] == \
        (("b",), [("x",), ("y", "z")])
    assert stacks[0].cost == 1 + 2 + 3
    assert find_stacks([base, p2, p3], max_pieces=1) == []  # one piece cannot cover both


def test_delta_pieces_lay_only_what_their_chain_changed():
    """The largest object becomes 1 and the smallest 2: recolouring one leaves the other
    in its input colour (a whole image is wrong there), but what each chain changed is
    right, so the input with both changes laid over it is exact."""
    from solver.search.stack import find_stacks, make_value, pieces_of

    ins = [np.array(r) for r in ([[5, 5, 5, 0, 5]], [[5, 0, 5, 5, 0]], [[5, 5, 0, 5, 0]])]
    outs = [np.array(r) for r in ([[1, 1, 1, 0, 2]], [[2, 0, 1, 1, 0]], [[1, 1, 0, 2, 0]])]
    big = [np.where(np.isin(np.arange(5), idx), 1, i) for i, idx in zip(ins, ([0, 1, 2], [2, 3], [0, 1]))]
    small = [np.where(np.isin(np.arange(5), idx), 2, i) for i, idx in zip(ins, ([4], [0], [3]))]
    base = make_value((), ins, outs, ins)
    vb = make_value((Step("flip_lr"),), big, outs, ins)  # stand-in steps: only masks matter
    vs = make_value((Step("flip_ud"),), small, outs, ins)
    assert not vb.consistent and vb.delta_consistent
    assert [p.delta for p in pieces_of([base, vb, vs])] == [True, True]
    stacks = find_stacks([base, vb, vs])
    # cheapest: one recolouring as the base, the other's changes laid over it (1 + 3 lines)
    assert stacks[0].cost == 4 and stacks[0].base in (vb, vs) and stacks[0].pieces[0].delta
    from_input = [st for st in stacks if st.base is base]
    assert from_input and sorted(p.value.steps[0].name for p in from_input[0].pieces) == \
        ["flip_lr", "flip_ud"]


RECOLOR_TWO = ("def task(img):\n"
               "    img = recolor_by(img, 'size_rank', ((1, 1), (2, 2)), 8)\n"
               "    return img\n")


def test_stacked_delta_program_runs_in_the_sandbox():
    from solver.sandbox.executor import Executor

    code = ("def task(img):\n"
            "    p1 = keep_objects(img, 'largest', 8, False)\n"
            "    p1 = recolor(p1, 5, 1)\n"
            "    p1 = changes(p1, img)\n"
            "    img = recolor_objects(img, 'smallest', 2, 8, False)\n"
            "    img = layer(img, p1)\n"
            "    return img\n")
    grid_in = ((5, 5, 5, 0, 5), (0, 0, 0, 0, 0))
    want = ((1, 1, 1, 0, 2), (0, 0, 0, 0, 0))
    assert dsl.run_trusted(code, grid_in) == want
    with Executor(workers=1, timeout_s=5.0) as ex:
        res = ex.run([code], [grid_in])
    assert res[0].status == "ok" and res[0].outputs == [want]


# ---------------------------------------------------------------- colour normalisation


def _swap_roles(a_color: int, b_color: int, seed: int) -> tuple:
    """A grid with a big shape of ``a_color`` and a small one of ``b_color``, and the same
    with the two colours exchanged."""
    r = np.random.default_rng(seed)
    g = np.zeros((6, 6), dtype=int)
    g[r.integers(0, 2), :] = a_color  # a full row: 6 cells
    g[4 + r.integers(0, 2), r.integers(0, 5)] = b_color  # one cell
    out = np.where(g == a_color, b_color, np.where(g == b_color, a_color, g))
    return grid(g.tolist()), grid(out.tolist())


def test_normalised_search_finds_a_rule_in_other_colours_on_every_pair():
    from solver.sandbox.executor import Executor
    from solver.search import normalize

    pairs = [_swap_roles(a, b, k) for k, (a, b) in enumerate([(1, 2), (3, 4), (5, 6)])]
    test_in, test_out = _swap_roles(7, 8, 9)
    task = Task("swap", tuple(Pair(i, o) for i, o in pairs), (Pair(test_in, test_out),))
    assert normalize.worth_it(task)
    # on the renamed task, one colour map does it on every pair
    normal = enumerate_programs(normalize.normalized_task(task), seconds=20, max_depth=1)
    maps = [f for f in normal if f.exact and f.code.count("\n") == 3]
    assert maps and "map_colors" in maps[0].code
    code = normalize.wrap_code(maps[0].code)
    assert code.startswith("def task(img):\n    x = norm_colors(img)\n")
    assert code.endswith("    img = unnorm_colors(x, img)\n    return img\n")
    with Executor(workers=1, timeout_s=5.0) as ex:
        res = ex.run([code], [test_in, *(i for i, _ in pairs)])
    assert res[0].status == "ok" and res[0].outputs == [test_out, *(o for _, o in pairs)]
    # and the whole search answers the test input (by that view or another program)
    found = enumerate_programs(task, seconds=20, max_depth=2)
    assert predictions(found, 2, task)[0] == [test_out]


def test_normalisation_is_skipped_when_every_input_is_coloured_alike():
    from solver.search import normalize

    task = make_task(FLIP_RECOLOR, [sparse(4, 5), sparse(5, 4)], [sparse(4, 4)])
    same = Task("same", tuple(Pair(grid([[0, 1, 2], [0, 1, 1]]), p.output) for p in task.train),
                (Pair(grid([[0, 2, 1], [1, 1, 0]])),))
    assert not normalize.worth_it(same)
    assert normalize.wrap_code("def task(img):\n    img = rot90(img)\n    return img\n") == (
        "def task(img):\n    x = norm_colors(img)\n    x = rot90(x)\n"
        "    img = unnorm_colors(x, img)\n    return img\n")


# ---------------------------------------------------------------- cells as pixels


def _cells(small: np.ndarray, size: int = 2, sep: int = 8) -> tuple:
    """A grid of size x size cells, each filled with ``small``'s colour, between lines of ``sep``."""
    h, w = small.shape
    g = np.full((h * (size + 1) - 1, w * (size + 1) - 1), sep, dtype=int)
    for i in range(h):
        for j in range(w):
            g[i * (size + 1):i * (size + 1) + size, j * (size + 1):j * (size + 1) + size] = small[i, j]
    return grid(g.tolist())


def test_cell_lift_finds_a_rule_on_the_grid_of_cells():
    """Same-colour cells in a row or column of the cell grid are joined (connect on the
    small grid): out of reach of one line over the full grid, one line over the cells."""
    from solver.search import lift

    rng = np.random.default_rng(5)

    def pair(n):
        small = np.zeros((n, n), dtype=int)
        r, c = rng.integers(0, n, 2)
        small[r, 0], small[r, n - 1] = 3, 3
        small[0, c], small[n - 1, c] = 4, 4
        joined = dsl.PRIMITIVES["connect"](small, "hv")
        return _cells(small), _cells(joined)

    pairs = [pair(5), pair(6), pair(5)]
    test_in, test_out = pair(6)
    task = Task("cells", tuple(Pair(i, o) for i, o in pairs), (Pair(test_in, test_out),))
    lifted = lift.lifted_task(task)
    assert lifted is not None and len(lifted.train[0].input) == 5
    found = enumerate_programs(task, seconds=20, max_depth=1)
    right = [f for f in found if f.exact and f.test_outputs == [test_out]]
    assert right and "cells" in right[0].families
    assert right[0].code.startswith("def task(img):\n    x = summarize_parts(img, 'fg')\n")
    assert dsl.run_trusted(right[0].code, test_in) == test_out


def test_cell_lift_does_not_apply_without_whole_cells():
    from solver.search import lift

    task = make_task(FLIP_RECOLOR, [sparse(4, 5), sparse(5, 4)], [sparse(4, 4)])
    assert lift.lifted_task(task) is None  # no separator lines
    a = np.array(_cells(np.array([[1, 0], [0, 2]])))
    half = a.copy()
    half[0, 0] = 0  # a cell no longer filled by one colour
    task2 = Task("half", (Pair(grid(a.tolist()), grid(half.tolist())),), (Pair(grid(a.tolist())),))
    assert lift.lifted_task(task2) is None


def test_one_stamp_for_every_colour_and_a_table_default_are_fitted():
    """A pattern every colour stamps (in its own colour) is fitted as one entry, so a test
    colour no train pair shows is stamped too; a property table whose entries mostly give
    one colour gets that colour as its default, so a test value no pair shows gets it."""
    from solver.search.enumerate_args import with_default
    below = ("def task(img):\n"
             "    img = stamp_around(img, ((-1, ((-1, -1, -1), (-1, -1, -1), (-1, -2, -1))),))\n"
             "    return img\n")

    def dots(*cells) -> tuple:
        g = np.zeros((5, 5), dtype=int)
        for r, c, v in cells:
            g[r, c] = v
        return grid(g.tolist())

    task = make_task(below, [dots((0, 0, 2), (2, 3, 4)), dots((1, 1, 4), (3, 4, 2))],
                     [dots((1, 2, 7))], "below")
    found = enumerate_programs(task, seconds=20, max_depth=1)
    assert found[0].exact and "stamp_around(img, ((-1," in found[0].code
    assert predictions(found, 1, task)[0] == [task.test[0].output]  # 7 is stamped too
    assert with_default(((1, 3), (2, 4), (3, 3))) == ((1, 3), (2, 4), (3, 3), (None, 3))
    assert with_default(((1, 3), (2, 4))) is None  # no colour given twice


def test_objects_kept_by_a_fitted_set_of_property_values():
    """Objects of two cells are erased, of one and three kept: no extreme picks them, a
    set of sizes does; both readings (keep 1 and 3, erase 2) are fitted."""
    from solver.search.enumerate_args import _fit_filters

    def bars(*sizes) -> np.ndarray:
        g = np.zeros((4, 2 * len(sizes)), dtype=int)
        for i, n in enumerate(sizes):
            g[:n, 2 * i] = 6
        return g

    ins = [bars(1, 2, 3), bars(2, 3, 2, 1), bars(3, 1)]
    outs = [np.where(np.isin(np.arange(g.shape[1]), []), 0, g) for g in ins]
    for g, o in zip(ins, outs):
        for i in range(0, g.shape[1], 2):
            if (g[:, i] == 6).sum() == 2:
                o[:, i] = 0
    fitted = list(_fit_filters(ins, outs, 8))
    assert ("size", (1, 3), True, 8) in fitted and ("size", (2,), False, 8) in fitted
    code = ("def task(img):\n"
            "    img = filter_objects(img, 'size', (2,), False, 8)\n"
            "    return img\n")
    task = make_task(code, [grid(g.tolist()) for g in ins], [grid(bars(2, 1, 2).tolist())])
    found = enumerate_programs(task, seconds=20, max_depth=1)
    assert found[0].exact and predictions(found, 1, task)[0] == [task.test[0].output]


# A line of three calls the enumerator alone reaches only at its third depth (tens of
# thousands of calls in).
THREE_LINES = ("def task(img):\n"
               "    img = gravity(img, 'left')\n"
               "    img = transpose(img)\n"
               "    img = outline(img, 4)\n"
               "    return img\n")


def _three_line_task() -> Task:
    rng = np.random.default_rng(3)

    def scene():
        a = np.zeros((7, 7), dtype=int)
        a[rng.integers(0, 7, 6), rng.integers(0, 7, 6)] = rng.choice([1, 2], 6)
        return grid(a.tolist())

    return make_task(THREE_LINES, [scene() for _ in range(3)], [scene()])


def test_a_sketch_is_filled_with_arguments_fitted_from_the_train_pairs():
    task = _three_line_task()
    stats = EnumStats()
    found = enumerate_programs(task, 60, sketch=("gravity", "transpose", "outline"), stats=stats)
    want = [p.output for p in task.test]
    assert want in predictions(found, 2, task)
    best = found[0]
    assert best.exact and [s.name for s in best.steps] == ["gravity", "transpose", "outline"]
    assert best.steps[0].args == ("left",) and best.steps[2].args == (4,)
    # only the sketch's lines were searched: one pass, at the sketch's depth
    assert stats.depth_done == 3 and stats.applied < 500


def test_a_sketch_line_stands_for_its_family_and_a_last_colour_change_for_a_colour_map():
    task = make_task(FLIP_RECOLOR, [sparse(4, 5) for _ in range(3)], [sparse(5, 4)])
    # rot180 names the rigid family (flip_lr is in it); swap_colors the colour changes
    found = enumerate_programs(task, 60, sketch=("rot180", "swap_colors"))
    assert [p.output for p in task.test] in predictions(found, 2, task)


def test_a_wrong_sketch_finds_nothing_exact():
    task = _three_line_task()
    found = enumerate_programs(task, 60, sketch=("tile", "crop_bbox"))
    assert not any(f.exact for f in found)


def test_corner_rays_are_fitted_colour_by_colour():
    code = "def task(img):\n    img = corner_rays(img, ((1, 'ul'), (2, 'dr')))\n    return img\n"
    def scene(y1, x1, y2, x2):
        a = np.zeros((10, 10), dtype=int)
        a[y1:y1 + 2, x1:x1 + 2] = 1
        a[y2:y2 + 2, x2:x2 + 2] = 2
        return grid(a.tolist())
    task = make_task(code, [scene(2, 2, 6, 5), scene(4, 6, 1, 1), scene(3, 4, 7, 1)],
                     [scene(5, 5, 2, 1)])
    found = enumerate_programs(task, 60, max_depth=1)
    assert [p.output for p in task.test] in predictions(found, 2, task)
    assert found[0].code == code and found[0].loo is True


def test_alternate_cells_are_fitted_from_the_changed_cells():
    """Every other cell of each bar's middle row is cut out: the parities, counted from each
    object's corner, are read off the changed cells (the fewest conditions)."""
    code = "def task(img):\n    img = recolor_alternate(img, -1, 0, 1, 1, 'object', 2)\n    return img\n"
    def bars(*spans):
        a = np.zeros((12, 12), dtype=int)
        for y, x0, x1, c in spans:
            a[y:y + 3, x0:x1] = c
        return grid(a.tolist())
    task = make_task(code, [bars((0, 1, 8, 4), (5, 3, 12, 8)), bars((2, 0, 11, 3)),
                            bars((1, 2, 7, 6), (7, 0, 5, 2))], [bars((4, 1, 10, 5))])
    found = enumerate_programs(task, 60, max_depth=1)
    assert [p.output for p in task.test] in predictions(found, 2, task)
    assert found[0].code == code
