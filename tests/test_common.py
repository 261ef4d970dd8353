"""One test per function of the ``common`` helper library (solver.dsl.common), and a test
that fails when a public function has none. Grids are indexed [x, y] (x first)."""

import inspect
import sys

import numpy as np
import pytest

from solver.dsl import common as C
from solver.dsl.common import Color


def g(rows):
    """A grid written as rows on screen -> the [x, y] array programs get."""
    return np.array(rows, dtype=np.int64).T


def rows(arr):
    return np.asarray(arr).T.tolist()


def test_color():
    assert (Color.BLACK, Color.BLUE, Color.RED, Color.GREEN, Color.YELLOW) == (0, 1, 2, 3, 4)
    assert (Color.GRAY, Color.GREY, Color.PINK, Color.ORANGE) == (5, 5, 6, 7)
    assert (Color.PURPLE, Color.TEAL, Color.BROWN, Color.MAROON) == (8, 8, 9, 9)
    assert Color.ALL_COLORS == list(range(10)) and Color.NOT_BLACK == list(range(1, 10))


def test_flood_fill():
    grid = g([[1, 1, 0],
              [0, 1, 0],
              [2, 0, 1]])
    assert C.flood_fill(grid, 0, 0, 3) is None
    assert rows(grid) == [[3, 3, 0], [0, 3, 0], [2, 0, 1]]  # (2, 2) is only diagonal
    grid = g([[1, 1, 0],
              [0, 1, 0],
              [2, 0, 1]])
    C.flood_fill(grid, 1, 1, 4, connectivity=8)
    assert rows(grid) == [[4, 4, 0], [0, 4, 0], [2, 0, 4]]
    C.flood_fill(grid, 9, 9, 5)  # outside: nothing
    C.flood_fill(grid, 0, 0, 4)  # same colour: nothing
    assert rows(grid) == [[4, 4, 0], [0, 4, 0], [2, 0, 4]]


def test_draw_line():
    grid = np.zeros((5, 3), dtype=np.int64)  # width 5, height 3
    end = C.draw_line(grid, 0, 1, length=None, color=Color.RED, direction=(1, 0))
    assert end == (4, 1) and rows(grid)[1] == [2] * 5
    grid = np.zeros((5, 3), dtype=np.int64)
    grid[3, 0] = Color.TEAL
    end = C.draw_line(grid, 0, 0, color=Color.BLUE, direction=(1, 0), stop_at_color=[Color.TEAL])
    assert end == (2, 0) and rows(grid)[0] == [1, 1, 1, 8, 0]
    grid = np.zeros((3, 3), dtype=np.int64)
    C.draw_line(grid, 0, 0, end_x=2, end_y=2, color=Color.GREEN)  # diagonal to an end
    assert np.diag(grid).tolist() == [3, 3, 3] and grid.sum() == 9
    grid = np.zeros((4, 4), dtype=np.int64)
    end = C.draw_line(grid, 3, 3, length=2, color=1, direction=np.array([-1, -1]))
    assert end == (2, 2) and grid[3, 3] == 1 and grid[2, 2] == 1 and grid.sum() == 2
    grid = np.full((3, 3), Color.RED, dtype=np.int64)  # blocked at once: one step back
    assert C.draw_line(grid, 1, 1, color=1, direction=(0, 1), stop_at_color=Color.RED) == (1, 0)
    assert (grid == Color.RED).all()
    with pytest.raises(ValueError):
        C.draw_line(grid, 0, 0, direction=(1, 0))


def test_blit_object():
    grid = np.zeros((3, 3), dtype=np.int64)
    obj = np.zeros((3, 3), dtype=np.int64)
    obj[1, 2] = 6
    assert C.blit_object(grid, obj) is grid and grid[1, 2] == 6 and grid.sum() == 6
    grid[:] = 5
    C.blit_object(grid, obj, background=Color.BLACK)  # background cells are transparent
    assert grid[1, 2] == 6 and (grid == 5).sum() == 8


def test_blit_sprite():
    grid = np.zeros((4, 3), dtype=np.int64)
    sprite = np.array([[1, 0], [2, 3]])  # sprite[x, y]
    C.blit_sprite(grid, sprite, x=1, y=1)
    assert grid[1, 1] == 1 and grid[2, 1] == 2 and grid[2, 2] == 3 and grid[1, 2] == 0
    grid = np.zeros((2, 2), dtype=np.int64)
    C.blit_sprite(grid, sprite, -1, 1)  # clipped on the left and bottom
    assert grid.tolist() == [[0, 2], [0, 0]]
    assert C.blit_sprite(grid, sprite, 5, 5) is grid  # fully outside


def test_find_connected_components():
    grid = g([[1, 1, 0, 2],
              [0, 0, 0, 2],
              [3, 0, 1, 0]])
    objs = C.find_connected_components(grid)  # monochromatic, 4-connected
    assert [C.object_colors(o) for o in objs] == [[1], [1], [2], [3]]
    assert [int((o != 0).sum()) for o in objs] == [2, 1, 2, 1]
    assert all(o.shape == grid.shape and o.dtype == grid.dtype for o in objs)
    assert rows(objs[0]) == [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    mixed = g([[1, 2, 0],
               [0, 0, 3]])
    assert len(C.find_connected_components(mixed, monochromatic=False)) == 2
    assert len(C.find_connected_components(mixed, monochromatic=False, connectivity=8)) == 1
    assert len(C.find_connected_components(mixed, connectivity=8)) == 3  # colours split
    on_blue = g([[1, 1, 1], [1, 4, 1]])
    objs = C.find_connected_components(on_blue, background=Color.BLUE)
    assert len(objs) == 1 and (objs[0] == 1).sum() == 5 and C.object_colors(objs[0], 1) == [4]


def test_detect_objects():
    grid = g([[1, 1, 0, 0, 2],
              [1, 1, 0, 0, 0],
              [0, 0, 0, 3, 0],
              [0, 0, 3, 0, 0]])
    objs = C.detect_objects(grid)  # connectivity chosen: 8 keeps the diagonal pair
    assert sorted(int((o != 0).sum()) for o in objs) == [1, 2, 4]
    squares = C.detect_objects(grid, allowed_dimensions=[(2, 2)], connectivity=4)
    assert len(squares) == 1 and C.object_colors(squares[0]) == [1]
    reds = C.detect_objects(grid, colors=[Color.RED])
    assert len(reds) == 1 and C.object_colors(reds[0]) == [2]
    big = C.detect_objects(grid, predicate=lambda sprite: sprite.size >= 4, connectivity=8)
    assert sorted(int((o != 0).sum()) for o in big) == [2, 4]
    # 4-connectivity keeps more of the allowed 1x1 objects: chosen automatically
    singles = C.detect_objects(grid, allowed_dimensions=[(1, 1)])
    assert len(singles) == 3


def test_bounding_box():
    grid = g([[0, 0, 0, 0],
              [0, 0, 5, 0],
              [0, 5, 5, 0]])
    assert C.bounding_box(grid) == (1, 1, 2, 2)  # x, y, width, height
    assert C.bounding_box(np.zeros((3, 3), dtype=int)) == (0, 0, 0, 0)
    assert C.bounding_box(np.full((2, 3), 4), background=4) == (0, 0, 0, 0)


def test_bounding_box_mask():
    grid = g([[0, 0, 0],
              [0, 2, 0],
              [0, 0, 3]])
    assert rows(C.bounding_box_mask(grid)) == [[False] * 3, [False, True, True],
                                               [False, True, True]]


def test_crop():
    grid = g([[0, 0, 0, 0],
              [0, 1, 2, 0],
              [0, 0, 3, 0]])
    sprite = C.crop(grid)
    assert rows(sprite) == [[1, 2], [0, 3]]
    sprite[0, 0] = 9
    assert grid[1, 1] == 1  # a copy


def test_translate():
    grid = g([[1, 0, 0],
              [0, 0, 0]])
    moved = C.translate(grid, 2, 1)
    assert rows(moved) == [[0, 0, 0], [0, 0, 1]] and rows(grid)[0][0] == 1
    assert (C.translate(grid, 5, 0) == 0).all()  # moved off the grid
    assert rows(C.translate(g([[7, 1]]), 1, 0, background=7)) == [[7, 7]]


def test_object_position():
    grid = g([[0, 0, 0, 0],
              [0, 4, 4, 4],
              [0, 4, 4, 4],
              [0, 4, 4, 4]])
    assert C.object_position(grid) == (1, 1)
    assert C.object_position(grid, anchor="lower right") == (3, 3)
    assert C.object_position(grid, anchor="upper right") == (3, 1)
    assert C.object_position(grid, anchor="lower left") == (1, 3)
    assert C.object_position(grid, anchor="center") == (2, 2)
    assert C.object_position(grid, anchor="upper center") == (2, 1)
    assert C.object_position(grid, anchor="right center") == (3, 2)
    with pytest.raises(ValueError):
        C.object_position(grid, anchor="middle")


def test_object_colors():
    assert C.object_colors(g([[0, 3, 1], [3, 0, 0]])) == [1, 3]
    assert C.object_colors(g([[5, 5, 2]]), background=5) == [2]


def test_collision():
    a = np.ones((2, 2), dtype=int)
    b = np.ones((1, 1), dtype=int)
    assert C.collision(object1=a, object2=b, x2=1, y2=1)
    assert not C.collision(object1=a, object2=b, x2=2, y2=0)
    assert not C.collision(object1=a, object2=b, x1=0, y1=0, x2=-1, y2=0)
    holed = np.array([[1, 0], [1, 1]])
    assert not C.collision(object1=holed, object2=b, x2=0, y2=1)  # lands in the hole


def test_contact():
    a = np.ones((2, 2), dtype=int)
    b = np.ones((1, 1), dtype=int)
    assert C.contact(object1=a, object2=b, x2=2, y2=0)  # side by side
    assert not C.contact(object1=a, object2=b, x2=2, y2=2)  # only a corner
    assert C.contact(object1=a, object2=b, x2=2, y2=2, connectivity=8)
    assert C.contact(object1=a, object2=b, x2=1, y2=1)  # overlap counts
    assert not C.contact(object1=a, object2=b, x2=3, y2=0)


RING = g([[0, 0, 0, 0, 0],
          [0, 2, 2, 2, 0],
          [0, 2, 0, 2, 0],
          [0, 2, 2, 2, 0],
          [0, 0, 0, 0, 0]])


def test_object_interior():
    inside = C.object_interior(RING)
    assert inside.sum() == 9 and inside[2, 2] and not inside[0, 0]
    open_ring = RING.copy()
    open_ring[2, 1] = 0  # a gap: the middle leaks out
    assert C.object_interior(open_ring).sum() == 7


def test_object_boundary():
    square = np.zeros((5, 5), dtype=int)
    square[1:4, 1:4] = 3
    edge = C.object_boundary(square)
    assert edge.sum() == 8 and not edge[2, 2] and edge[1, 1]
    assert (C.object_boundary(RING) == (RING != 0)).all()


def test_object_neighbors():
    dot = np.zeros((3, 3), dtype=int)
    dot[1, 1] = 4
    assert C.object_neighbors(dot).sum() == 4 and not C.object_neighbors(dot)[1, 1]
    assert C.object_neighbors(dot, connectivity=8).sum() == 8
    corner = np.zeros((2, 2), dtype=int)
    corner[0, 0] = 1
    assert C.object_neighbors(corner).tolist() == [[False, True], [True, False]]


def test_is_contiguous():
    assert C.is_contiguous(g([[1, 1], [0, 1]]))
    assert not C.is_contiguous(g([[1, 0], [0, 1]]))
    assert C.is_contiguous(g([[1, 0], [0, 1]]), connectivity=8)
    assert C.is_contiguous(np.array([[True, True]]), background=False)
    assert not C.is_contiguous(np.zeros((2, 2), dtype=int))


def test_scale_sprite():
    out = C.scale_sprite(np.array([[1, 2]]), 2)
    assert out.tolist() == [[1, 1, 2, 2], [1, 1, 2, 2]]


def test_scale_pattern():
    out = C.scale_pattern(np.array([[3], [4]]), 3)
    assert out.shape == (6, 3) and out[:3].tolist() == [[3, 3, 3]] * 3 and (out[3:] == 4).all()


def test_detect_translational_symmetry():
    tile = g([[1, 2, 3, 1, 2, 3, 1],
              [4, 4, 5, 4, 4, 5, 4]])
    syms = C.detect_translational_symmetry(tile, ignore_colors=[])
    assert [(s.translate_x, s.translate_y) for s in syms] == [(3, 0)]
    occluded = tile.copy()
    occluded[4, 0] = 0  # a hole: ignored by default (black)
    assert [(s.translate_x, s.translate_y) for s in
            C.detect_translational_symmetry(occluded)] == [(3, 0)]
    assert C.detect_translational_symmetry(g([[1, 2, 3, 4]]), ignore_colors=[]) == []
    checker = g([[1, 2, 1, 2], [2, 1, 2, 1], [1, 2, 1, 2], [2, 1, 2, 1]])
    got = {(s.translate_x, s.translate_y) for s in
           C.detect_translational_symmetry(checker, ignore_colors=[])}
    assert got == {(2, 0), (0, 2)}


def test_detect_mirror_symmetry():
    grid = g([[1, 2, 2, 1],
              [3, 0, 0, 3],
              [4, 5, 5, 4]])
    syms = C.detect_mirror_symmetry(grid, ignore_colors=[])
    assert [(s.mirror_x, s.mirror_y) for s in syms] == [(1.5, None)]
    assert syms[0].apply(0, 2) == (3, 2)
    both = g([[1, 2, 1], [3, 4, 3], [1, 2, 1]])
    got = [(s.mirror_x, s.mirror_y) for s in C.detect_mirror_symmetry(both, ignore_colors=[])]
    assert got == [(1.0, None), (None, 1.0)]
    assert C.detect_mirror_symmetry(g([[1, 2, 3], [4, 5, 6]]), ignore_colors=[]) == []


def test_detect_rotational_symmetry():
    quarter = np.array([[1, 2], [0, 3]])  # no mirror symmetry of its own
    one = np.zeros((4, 4), dtype=int)
    one[:2, :2] = quarter
    pinwheel = sum(np.rot90(one, k) for k in range(4))  # the quadrant turned 4 times
    sym = C.detect_rotational_symmetry(pinwheel, ignore_colors=[])
    assert (sym.center_x, sym.center_y) == (1.5, 1.5)
    for x in range(4):
        for y in range(4):
            assert pinwheel[sym.apply(x, y)] == pinwheel[x, y]
            assert pinwheel[sym.apply(x, y, iters=-1)] == pinwheel[x, y]
    # no mirror axis; the half turn (a point reflection) is all that is left
    assert [(m.mirror_x, m.mirror_y) for m in
            C.detect_mirror_symmetry(pinwheel, ignore_colors=[])] == [(1.5, 1.5)]
    occluded = pinwheel.copy()
    occluded[0, 0] = 0  # black is ignored by default
    assert C.detect_rotational_symmetry(occluded).center_x == 1.5
    assert C.detect_rotational_symmetry(g([[1, 2], [3, 4]]), ignore_colors=[]) is None
    rot = g([[1, 2, 1], [2, 5, 2], [1, 2, 1]])
    assert C.detect_rotational_symmetry(rot, ignore_colors=[]).apply(0, 1) == (1, 2)
    assert C.detect_rotational_symmetry(rot, ignore_colors=[]).apply(1, 2, iters=-1) == (0, 1)


def test_orbit():
    grid = np.zeros((4, 4), dtype=int)
    pts = C.orbit(grid, 0, 0, [C.RotationalSymmetry(1.5, 1.5)])
    assert pts[0] == (0, 0) and set(pts) == {(0, 0), (3, 0), (3, 3), (0, 3)}
    pts = C.orbit(grid, 1, 1, [C.TranslationalSymmetry(2, 0)])
    assert set(pts) == {(1, 1), (3, 1)}
    pts = C.orbit(grid, 0, 1, C.MirrorSymmetry(1.5, None))  # one symmetry, not a list
    assert set(pts) == {(0, 1), (3, 1)}


def test_the_star_import_gives_what_programs_use():
    ns: dict = {}
    exec("from solver.dsl.common import *", ns)
    for name in ("Color", "np", "random", "flood_fill", "draw_line", "blit_sprite", "orbit",
                 "detect_mirror_symmetry", "find_connected_components"):
        assert name in ns, name
    assert not any(k.startswith("_") and k != "__builtins__" for k in ns)


def test_every_function_has_a_test():
    public = [n for n, f in inspect.getmembers(C, inspect.isfunction)
              if f.__module__ == C.__name__ and not n.startswith("_")]
    tests = {n[len("test_"):] for n in dir(sys.modules[__name__]) if n.startswith("test_")}
    missing = [n for n in public if n not in tests]
    assert not missing, f"functions without a test: {missing}"
    for n in public:
        assert getattr(C, n).__doc__, f"{n} has no docstring"
