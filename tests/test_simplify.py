"""Simplifying train-exact drawing programs (solver.search.simplify)."""

from __future__ import annotations

import numpy as np

from solver.dsl import synth
from solver.dsl.program import Draw, parse_program, program_code, render
from solver.search.simplify import footprint, simplify_draws, simplify_program


def grid(shape, bg):
    return tuple(tuple(bg for _ in range(shape[1])) for _ in range(shape[0]))


def draw_on(g, draws):
    img = np.array(g, dtype=np.int8)
    for d in draws:
        d.apply(img)
    return tuple(tuple(int(v) for v in row) for row in img)


def test_footprint_is_what_a_draw_paints():
    assert footprint(Draw("draw_line", ((1, 1), (1, 3), 0)), (4, 5)).sum() == 3
    assert footprint(Draw("draw_rectangle", ((0, 0), (9, 9), 4)), (3, 3)).sum() == 9  # clipped


def test_an_eraser_in_the_middle_of_a_line_becomes_two_lines():
    draws = [Draw("draw_line", ((2, 0), (2, 8), 7)), Draw("draw_line", ((2, 3), (2, 5), 0))]
    train = [grid((10, 10), 0)]
    out = simplify_draws(draws, train)
    assert out == [Draw("draw_line", ((2, 0), (2, 2), 7)), Draw("draw_line", ((2, 6), (2, 8), 7))]
    assert draw_on(train[0], out) == draw_on(train[0], draws)
    # the point of it: on a test grid of another background the simple program is right
    test = grid((10, 10), 3)
    want = render((10, 10), 3, [Draw("draw_line", ((2, 0), (2, 2), 7)),
                                Draw("draw_line", ((2, 6), (2, 8), 7))])
    assert draw_on(test, out) == want and draw_on(test, draws) != want


def test_an_eraser_at_the_end_of_a_line_shortens_it():
    draws = [Draw("draw_line", ((0, 0), (0, 9), 7)), Draw("draw_line", ((0, 7), (0, 9), 0))]
    assert simplify_draws(draws, [grid((10, 10), 0)]) == [Draw("draw_line", ((0, 0), (0, 6), 7))]


def test_paint_hidden_by_later_draws_is_trimmed_and_a_diagonal_keeps_its_angle():
    draws = [Draw("draw_line", ((0, 0), (5, 5), 2)), Draw("draw_rectangle", ((3, 3), (6, 6), 4)),
             Draw("draw_rectangle", ((0, 6), (6, 8), 1)), Draw("draw_line", ((0, 4), (0, 8), 5))]
    out = simplify_draws(draws, [grid((8, 9), 0)])
    assert out[0] == Draw("draw_line", ((0, 0), (2, 2), 2))
    assert out[1] == Draw("draw_rectangle", ((3, 3), (6, 5), 4))
    assert out[2] == Draw("draw_rectangle", ((1, 6), (6, 8), 1))
    assert draw_on(grid((8, 9), 0), out) == draw_on(grid((8, 9), 0), draws)


def test_a_single_cell_left_becomes_a_pixel_and_invisible_draws_go():
    draws = [Draw("draw_line", ((1, 1), (1, 4), 6)), Draw("draw_line", ((1, 2), (1, 4), 3)),
             Draw("draw_pixel", ((5, 5), 0))]  # paints the background on the background
    out = simplify_draws(draws, [grid((7, 7), 0)])
    assert out == [Draw("draw_pixel", ((1, 1), 6)), Draw("draw_line", ((1, 2), (1, 4), 3))]


def test_an_eraser_that_shows_on_a_non_empty_input_stays():
    g = tuple(tuple(5 if r == 2 else 0 for c in range(6)) for r in range(6))  # a row of 5s
    draws = [Draw("draw_line", ((2, 0), (2, 2), 0))]  # erases part of the input's own row
    assert simplify_draws(draws, [g]) == draws


def test_fills_and_other_programs_are_left_alone():
    fill = [Draw("draw_line", ((0, 2), (4, 2), 3)), Draw("flood_fill", ((0, 0), 5))]
    assert simplify_draws(fill, [grid((5, 5), 0)]) == fill
    code = "def task(img):\n    img[0, 0] = 3\n    return img\n"
    assert simplify_program(code, [grid((3, 3), 0)]) is code


def test_random_programs_keep_their_outputs_on_every_train_input():
    rng = np.random.default_rng(0)
    changed = 0
    for i in range(60):
        shape = (int(rng.integers(3, 11)), int(rng.integers(3, 11)))
        bg = int(rng.integers(0, 10))
        draws = [synth.random_draw(rng, shape, bg) for _ in range(int(rng.integers(1, 9)))]
        # half the programs also erase something in the background colour
        if i % 2:
            r = int(rng.integers(0, shape[0]))
            draws.append(Draw("draw_line", ((r, 0), (r, shape[1] - 1), bg)))
        inputs = [grid(shape, bg)]
        code = program_code(draws)
        if parse_program(code) is None:
            continue
        out = simplify_program(code, inputs)
        simpler = parse_program(out)
        assert simpler is not None
        assert draw_on(inputs[0], simpler) == draw_on(inputs[0], draws)
        assert len(simpler) <= len(draws)
        changed += out != code
    assert changed > 10


def test_a_new_test_input_has_another_background_and_holds_every_draw():
    rng = np.random.default_rng(3)
    tasks, _ = synth.generate("random", 20, seed=5, draws=6)
    for st in tasks:
        moved = synth.with_new_test_input(st, rng)
        if moved is None:
            continue
        test = moved.task.test[0]
        bg = test.input[0][0]
        assert bg != st.bg and bg not in {d.args[-1] for d in st.draws}
        assert test.output == render((len(test.input), len(test.input[0])), bg, st.draws)
        assert moved.task.train == st.task.train
