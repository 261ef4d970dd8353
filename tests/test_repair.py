"""repair.py: the line pool and the hill climb, checked against the DSL's own rendering."""

import numpy as np
import pytest

from solver import dsl
from solver.dsl import program, synth
from solver.arc.grids import Pair, Task, pixel_accuracy
from solver.search.repair import LinePool, hill_climb, repair, trims


def prog(*lines):
    return "def task(img):\n" + "".join(f"    {ln}\n" for ln in lines) + "    return img\n"


def task_of(program: str, shape=(6, 7), bg=0, pairs=1) -> Task:
    inputs = [tuple(tuple([bg + k] * shape[1]) for _ in range(shape[0])) for k in range(pairs)]
    train = tuple(Pair(i, dsl.run_trusted(program, i)) for i in inputs)
    return Task("t", train, (Pair(inputs[0], None),))


def accuracy(task: Task, code: str) -> float:
    return float(np.mean([pixel_accuracy(dsl.run_trusted(code, p.input), p.output)
                          for p in task.train]))


TRUE = prog("draw_rectangle(img, (0, 0), (2, 2), 4)", "draw_pixel(img, (1, 1), 3)",
            "draw_vertical_line(img, 5, 7)", "draw_line(img, (5, 0), (3, 2), 2)")


def test_assembles_the_program_from_lines_spread_over_samples():
    task = task_of(TRUE, pairs=2)
    samples = [prog("draw_rectangle(img, (0, 0), (3, 2), 4)", "draw_vertical_line(img, 5, 7)"),
               prog("draw_pixel(img, (1, 1), 3)", "draw_pixel(img, (0, 6), 8)"),
               prog("draw_line(img, (5, 0), (3, 2), 2)", "draw_rectangle(img, (0, 0), (2, 2), 4)"),
               "def task(img):\n    return flood_fill(img, (0, 0), 4)\n",  # not paint-only DSL
               "this is not python"]
    pool = LinePool(task)
    assert pool.add(samples) >= 5 and pool.usable
    assert program.Draw("draw_pixel", ((0, 6), 8)) not in pool.index  # matches the target nowhere
    start = samples[0]
    found = repair(pool, [start])
    assert found and found[0].train_acc == 1.0
    assert accuracy(task, found[0].code) == 1.0  # the DSL itself agrees
    assert all(r.train_acc > accuracy(task, start) or r.edits for r in found)


def test_search_accuracy_is_the_rendered_accuracy():
    rng = np.random.default_rng(5)
    made = [synth.make_task("random", rng, f"r{i}", 5, 4, 9) for i in range(12)]
    for st in [m for m in made if m is not None]:
        draws = [d for d in st.draws if d.fn != "flood_fill"]
        noisy = [program.Draw(d.fn, (*d.args[:-1], (d.args[-1] + 1) % 10)) for d in draws]
        pool = LinePool(st.task)
        pool.add([program.program_code(draws[:1] + noisy[1:]), program.program_code(noisy)])
        for r in repair(pool, [program.program_code(noisy)]):
            assert r.train_acc == pytest.approx(accuracy(st.task, r.code))


def test_hill_climb_deletes_a_harmful_line_and_replaces_a_wrong_one():
    task = task_of(prog("draw_pixel(img, (0, 0), 3)", "draw_pixel(img, (2, 2), 5)"))
    pool = LinePool(task)
    right = [program.Draw("draw_pixel", ((0, 0), 3)), program.Draw("draw_pixel", ((2, 2), 5))]
    harmful = program.Draw("draw_horizontal_line", (4, 6))
    out, acc, edits = hill_climb(pool, [pool.insert(harmful)] + [pool.insert(d) for d in right])
    assert (acc, edits, [pool.draws[i] for i in out]) == (1.0, 1, right)  # deleted
    wrong = program.Draw("draw_pixel", ((2, 2), 6))
    out, acc, edits = hill_climb(pool, [pool.insert(right[0]), pool.insert(wrong)])
    assert (acc, edits, [pool.draws[i] for i in out]) == (1.0, 1, right)  # replaced in place


def test_left_alone_when_it_cannot_apply():
    grown = Task("g", (Pair(((0, 0),), ((1, 1), (1, 1))),), ())
    pool = LinePool(grown)  # output shape differs from input: the DSL draws in place
    assert not pool.usable and pool.add([prog("draw_pixel(img, (0, 0), 1)")]) == 0
    assert repair(pool, [prog("draw_pixel(img, (0, 0), 1)")]) == []
    empty = LinePool(task_of(TRUE))
    assert repair(empty, [TRUE]) == []  # nothing pooled yet


def test_neighbours_fix_a_misread_colour_and_an_off_by_one_corner():
    task = task_of(prog("draw_rectangle(img, (1, 1), (3, 4), 6)", "draw_line(img, (5, 0), (5, 6), 2)"))
    written = prog("draw_rectangle(img, (1, 1), (2, 4), 6)", "draw_line(img, (5, 0), (5, 6), 1)")
    plain = LinePool(task, variants=False)
    plain.add([written])
    assert len(plain.written) == len(plain) == 1  # the line in colour 1 matches nowhere
    assert all(r.train_acc < 1.0 for r in repair(plain, [written]))
    near = LinePool(task)
    near.add([written])
    assert len(near.written) == 1 and len(near) > 2
    best = repair(near, [written])[0]
    assert best.train_acc == 1.0 and accuracy(task, best.code) == 1.0
    # lines stay legal: every pooled draw_line is at 0/45/90 degrees
    for d in near.draws:
        if d.fn == "draw_line":
            (r0, c0), (r1, c1) = d.args[:2]
            assert r0 == r1 or c0 == c1 or abs(r1 - r0) == abs(c1 - c0)


def test_search_stops_at_its_time_cap():
    task = task_of(TRUE)
    pool = LinePool(task)
    pool.add([TRUE])
    assert repair(pool, [], seconds=0.0) == []  # no time: no edit made, nothing returned
    assert repair(pool, [], seconds=30.0)[0].train_acc == 1.0


def test_a_kick_splits_a_line_that_no_single_edit_can_fix():
    # two 7-squares under one 7-rectangle: the rectangle also paints the gap between them;
    # swapping it for either square loses cells first, so the climb stops one row short
    true = prog("draw_rectangle(img, (2, 5), (4, 7), 7)", "draw_rectangle(img, (6, 5), (7, 6), 7)",
                "draw_rectangle(img, (6, 7), (8, 9), 6)")
    task = task_of(true, shape=(9, 10), pairs=2)
    start = prog("draw_rectangle(img, (2, 5), (7, 7), 7)", "draw_rectangle(img, (6, 7), (8, 9), 6)")
    samples = [start, prog("draw_rectangle(img, (2, 5), (4, 7), 7)"),
               prog("draw_rectangle(img, (6, 5), (7, 6), 7)", "draw_pixel(img, (0, 0), 3)")]
    pool = LinePool(task, variants=False)
    pool.add(samples)
    stuck = repair(pool, [start], kick_starts=0, trim=False)
    assert not stuck or stuck[0].train_acc < 1.0
    assert accuracy(task, start) < 1.0
    found = repair(pool, [start], trim=False)  # the kick alone (a trim would split it too)
    assert found and found[0].train_acc == 1.0
    assert accuracy(task, found[0].code) == 1.0  # the DSL itself agrees


def test_a_pair_kick_removes_two_wrong_lines_that_cover_each_other():
    # target row: 1 1 0 2 2 0 1 1. The start paints the whole row 1, then 2 over cells
    # 2..5: two cells wrong. Swapping either line for a true one, or kicking the only line
    # with visible wrong cells (the 2s), never gains; taking both out lets the climb
    # assemble the three true segments.
    def seg(a, b, c):
        return f"draw_line(img, (0, {a}), (0, {b}), {c})"

    true = prog(seg(0, 1, 1), seg(3, 4, 2), seg(6, 7, 1))
    task = task_of(true, shape=(1, 8))
    start = prog(seg(0, 7, 1), seg(2, 5, 2))
    samples = [start, prog(seg(0, 1, 1)), prog(seg(3, 4, 2)), prog(seg(6, 7, 1))]
    pool = LinePool(task, variants=False)
    pool.add(samples)
    single = repair(pool, [start], from_empty=False, kick_pairs=0, trim=False)
    assert not single or single[0].train_acc < 1.0
    found = repair(pool, [start], from_empty=False, kick_pairs=6, trim=False)
    assert found and found[0].train_acc == 1.0
    assert accuracy(task, found[0].code) == 1.0


def test_trims_cut_a_line_back_to_its_clean_parts():
    rect = program.Draw("draw_rectangle", ((1, 7), (6, 8), 0))
    bad = {(3, 7), (3, 8), (4, 8), (5, 7), (5, 8), (6, 7), (6, 8)}
    by_rows, by_cols = trims(rect, bad)
    assert by_rows == [program.Draw("draw_rectangle", ((1, 7), (2, 8), 0)),
                       program.Draw("draw_rectangle", ((4, 7), (4, 7), 0))]
    assert by_cols == [program.Draw("draw_rectangle", ((1, 7), (2, 7), 0)),
                       program.Draw("draw_rectangle", ((4, 7), (4, 7), 0)),
                       program.Draw("draw_rectangle", ((1, 8), (2, 8), 0))]
    line = program.Draw("draw_line", ((0, 0), (4, 4), 3))
    assert trims(line, {(2, 2)}) == [[program.Draw("draw_line", ((0, 0), (1, 1), 3)),
                                      program.Draw("draw_line", ((3, 3), (4, 4), 3))]]
    assert trims(program.Draw("draw_pixel", ((0, 0), 3)), {(0, 0)}) == []


def test_a_line_too_long_is_trimmed_where_no_pooled_line_fixes_it():
    true = prog("draw_rectangle(img, (0, 0), (1, 2), 5)", "draw_pixel(img, (3, 3), 2)")
    task = task_of(true)
    start = prog("draw_rectangle(img, (0, 0), (2, 2), 5)", "draw_pixel(img, (3, 3), 2)")
    pool = LinePool(task, variants=False)  # the shorter rectangle is nowhere in the pool
    pool.add([start])
    untrimmed = repair(pool, [start], from_empty=False, trim=False)
    assert not untrimmed or untrimmed[0].train_acc < 1.0
    found = repair(pool, [start], from_empty=False)
    assert found and found[0].train_acc == 1.0 and accuracy(task, found[0].code) == 1.0


def test_a_line_is_not_carved_into_many_pieces_to_fit():
    checker = prog(*[f"draw_pixel(img, ({r}, {c}), 5)" for r in range(4) for c in range(4)
                     if (r + c) % 2 == 0])
    task = task_of(checker, shape=(4, 4))
    start = prog("draw_rectangle(img, (0, 0), (3, 3), 5)")
    pool = LinePool(task, variants=False)
    pool.add([start])
    found = repair(pool, [start], from_empty=False)
    assert not found or found[0].train_acc < 1.0
