"""One test per DSL primitive, and a test that fails when a primitive has none."""

import sys

import numpy as np

from solver import dsl


def grid(img):
    return np.asarray(img).tolist()


def test_create_img():
    img = dsl.create_img((2, 3), 4)
    assert img.shape == (2, 3) and grid(img) == [[4, 4, 4], [4, 4, 4]]
    assert dsl.create_img((1, 1)).tolist() == [[0]]


def test_draw_pixel():
    img = dsl.create_img((2, 2), 0)
    assert dsl.draw_pixel(img, (1, 0), 5) is img
    assert grid(img) == [[0, 0], [5, 0]]
    dsl.draw_pixel(img, (2, 0), 7)  # outside: clipped, no error
    dsl.draw_pixel(img, (-1, 0), 7)
    assert grid(img) == [[0, 0], [5, 0]]


def test_draw_line():
    img = dsl.create_img((4, 4), 0)
    dsl.draw_line(img, (0, 0), (3, 3), 1)  # diagonal
    assert [img[i, i] for i in range(4)] == [1, 1, 1, 1] and img.sum() == 4
    img = dsl.create_img((3, 5), 0)
    dsl.draw_line(img, (1, 4), (1, 0), 2)  # right to left
    assert grid(img)[1] == [2] * 5 and img.sum() == 10
    img = dsl.create_img((3, 5), 0)
    dsl.draw_line(img, (0, 0), (2, 4), 3)  # shallow slope: one cell per column
    assert grid(img) == [[3, 0, 0, 0, 0], [0, 3, 3, 0, 0], [0, 0, 0, 3, 3]]
    back = dsl.draw_line(dsl.create_img((3, 5), 0), (2, 4), (0, 0), 3)
    assert grid(back) == grid(img)  # the same cells from either end
    far = dsl.draw_line(dsl.create_img((3, 3), 0), (-10**9, -10**9), (10**9, 10**9), 1)
    assert grid(far) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]  # clipped, and fast
    img = dsl.create_img((3, 3), 0)
    dsl.draw_line(img, (-2, 1), (5, 1), 4)  # clipped at both ends
    assert grid(img) == [[0, 4, 0]] * 3


def test_draw_horizontal_line():
    img = dsl.create_img((3, 2), 0)
    dsl.draw_horizontal_line(img, 1, 6)
    assert grid(img) == [[0, 0], [6, 6], [0, 0]]
    dsl.draw_horizontal_line(img, 3, 6)
    assert img.sum() == 12


def test_draw_vertical_line():
    img = dsl.create_img((2, 3), 0)
    dsl.draw_vertical_line(img, 2, 7)
    assert grid(img) == [[0, 0, 7], [0, 0, 7]]
    dsl.draw_vertical_line(img, -1, 7)
    assert img.sum() == 14


def test_draw_rectangle():
    img = dsl.create_img((4, 4), 0)
    dsl.draw_rectangle(img, (2, 2), (1, 1), 8)  # corners in any order, filled
    assert grid(img) == [[0, 0, 0, 0], [0, 8, 8, 0], [0, 8, 8, 0], [0, 0, 0, 0]]
    img = dsl.create_img((3, 3), 0)
    dsl.draw_rectangle(img, (-5, 1), (10, 10), 9)  # clipped
    assert grid(img) == [[0, 9, 9]] * 3
    img = dsl.create_img((3, 3), 0)
    dsl.draw_rectangle(img, (-5, -5), (-1, -1), 9)  # fully outside
    assert img.sum() == 0


def test_flood_fill():
    img = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=dsl.DTYPE)
    four = dsl.flood_fill(img.copy(), (1, 1), 5)
    assert grid(four) == [[0, 1, 0], [1, 5, 1], [0, 1, 0]]
    eight = dsl.flood_fill(img.copy(), (1, 1), 5, connectivity=8)
    assert grid(eight) == [[5, 1, 5], [1, 5, 1], [5, 1, 5]]
    same = dsl.flood_fill(img.copy(), (9, 9), 5)  # outside: unchanged
    assert grid(same) == grid(img)


def test_every_primitive_has_a_test_and_docstring():
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    for name, fn in dsl.draw.PRIMITIVES.items():  # v2 primitives: tests/test_dsl_v2.py
        assert f"test_{name}" in tests, f"primitive {name} has no test_{name}"
        assert fn.__doc__ and "\n" not in fn.__doc__.strip(), f"{name}: one-line docstring"
        assert fn.__annotations__, f"{name}: type hints"


def test_run_trusted_program():
    code = "def task(img):\n    draw_pixel(img, (0, 1), 3)\n    return img\n"
    assert dsl.run_trusted(code, ((0, 0),)) == ((0, 3),)
