"""DSL v2: one test per primitive (whole-grid operations, objects, readers), a test that
fails when a primitive has none, and the sandbox running v2 programs."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from solver import dsl
from solver.dsl import objects as ob
from solver.dsl import ops
from solver.dsl import parts as pt
from solver.dsl import symmetry as sy


def g(rows) -> np.ndarray:
    """An int8 grid, as the sandbox hands programs."""
    return np.array(rows, dtype=np.int8)


def L(img) -> list:
    return np.asarray(img).tolist()


A = g([[1, 2, 0], [3, 4, 0]])


def check_pure(fn, img, *args):
    """Call fn; the input is unchanged and the result is a new array of the input's dtype."""
    before = img.copy()
    out = fn(img, *args)
    assert (img == before).all(), f"{fn.__name__} changed its input"
    if isinstance(out, np.ndarray):
        assert out is not img and not np.shares_memory(out, img)
        assert out.dtype == img.dtype, f"{fn.__name__} returned {out.dtype}"
    return out


# ---------------------------------------------------------------- rigid transforms


def test_rot90():
    assert L(check_pure(ops.rot90, A)) == [[3, 1], [4, 2], [0, 0]]


def test_rot180():
    assert L(check_pure(ops.rot180, A)) == [[0, 4, 3], [0, 2, 1]]


def test_rot270():
    assert L(check_pure(ops.rot270, A)) == [[0, 0], [2, 4], [1, 3]]
    assert L(ops.rot270(ops.rot90(A))) == L(A)


def test_flip_lr():
    assert L(check_pure(ops.flip_lr, A)) == [[0, 2, 1], [0, 4, 3]]


def test_flip_ud():
    assert L(check_pure(ops.flip_ud, A)) == [[3, 4, 0], [1, 2, 0]]


def test_transpose():
    assert L(check_pure(ops.transpose, A)) == [[1, 3], [2, 4], [0, 0]]


def test_anti_transpose():
    assert L(check_pure(ops.anti_transpose, A)) == [[0, 0], [4, 2], [3, 1]]


# ---------------------------------------------------------------- colours


def test_recolor():
    assert L(check_pure(ops.recolor, A, 2, 7)) == [[1, 7, 0], [3, 4, 0]]


def test_swap_colors():
    assert L(check_pure(ops.swap_colors, A, 1, 0)) == [[0, 2, 1], [3, 4, 1]]


def test_map_colors():
    out = check_pure(ops.map_colors, A, ((1, 2), (2, 1), (4, 9)))
    assert L(out) == [[2, 1, 0], [3, 9, 0]]  # all at once: 1->2 and 2->1 do not chain


def test_keep_color():
    assert L(check_pure(ops.keep_color, A, 4)) == [[0, 0, 0], [0, 4, 0]]


def test_remove_color():
    assert L(check_pure(ops.remove_color, A, 4)) == [[1, 2, 0], [3, 0, 0]]
    assert L(ops.remove_color(g([[5, 5], [5, 3]]), 3)) == [[5, 5], [5, 5]]  # bg 5 (no 0)


# ---------------------------------------------------------------- scale and tile


def test_upscale():
    out = check_pure(ops.upscale, g([[1, 2]]), 2, 3)
    assert L(out) == [[1, 1, 1, 2, 2, 2]] * 2


def test_upscale_by_colors():
    out = check_pure(ops.upscale_by_colors, g([[1, 0], [0, 2]]))
    assert out.shape == (4, 4) and L(out)[0] == [1, 1, 0, 0] and L(out)[3] == [0, 0, 2, 2]


def test_downscale():
    big = ops.upscale(g([[1, 2], [0, 3]]), 2, 2)
    assert L(check_pure(ops.downscale, big, 2, 2)) == [[1, 2], [0, 3]]
    with pytest.raises(ValueError):
        ops.downscale(g([[1, 2, 3]]), 1, 2)


def test_tile():
    assert L(check_pure(ops.tile, g([[1, 2]]), 2, 2)) == [[1, 2, 1, 2], [1, 2, 1, 2]]


def test_tile_mirror():
    out = check_pure(ops.tile_mirror, g([[1, 2], [3, 4]]), 2, 2)
    assert L(out) == [[1, 2, 2, 1], [3, 4, 4, 3], [3, 4, 4, 3], [1, 2, 2, 1]]


def test_self_tile():
    a = g([[0, 7], [7, 0]])
    fg = check_pure(ops.self_tile, a, "fg")
    assert L(fg) == [[0, 0, 0, 7], [0, 0, 7, 0], [0, 7, 0, 0], [7, 0, 0, 0]]
    bg = ops.self_tile(a, "bg")
    assert L(bg) == [[0, 7, 0, 0], [7, 0, 0, 0], [0, 0, 0, 7], [0, 0, 7, 0]]
    col = ops.self_tile(g([[2, 0], [0, 0]]), "color")
    assert L(col) == [[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    two = ops.self_tile(g([[1, 2], [0, 0]]), 2)  # a copy where the cell is 2
    assert L(two) == [[0, 0, 1, 2], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="mode must be"):
        ops.self_tile(a, "colour")


def test_tile_rotations():
    out = check_pure(ops.tile_rotations, g([[1, 2], [0, 0]]))
    assert L(out) == [[1, 2, 0, 1], [0, 0, 0, 2], [2, 0, 0, 0], [1, 0, 2, 1]]


def test_compress():
    a = g([[1, 1, 2], [1, 1, 2], [3, 3, 3], [1, 1, 2]])
    assert L(check_pure(ops.compress, a)) == [[1, 2], [3, 3], [1, 2]]


def test_color_sequence():
    a = g([[4, 4, 2, 8], [4, 2, 2, 8]])
    assert L(check_pure(ops.color_sequence, a, "h")) == [[4, 2, 8]]
    b = g([[0, 3], [5, 0], [3, 0]])
    assert L(ops.color_sequence(b, "v")) == [[3], [5]]
    # auto: along the stripes' order (a row when the first row holds every colour)
    assert L(ops.color_sequence(a, "auto")) == [[4, 2, 8]]
    assert L(ops.color_sequence(g([[2, 2], [8, 8], [5, 8]]), "auto")) == [[2], [8], [5]]


def test_enlarge():
    a = g([[6, 1], [3, 0]])
    assert L(check_pure(ops.enlarge, a, 2, 1)) == [[6, 1], [3, 0], [0, 0], [0, 0]]
    with pytest.raises(ValueError, match="enlarge"):
        ops.enlarge(a, 20, 1)


def test_pad_edges():
    a = g([[1, 2], [3, 8]])
    assert L(check_pure(ops.pad_edges, a, 1, 0)) == [[0, 1, 2, 0],
                                                     [1, 1, 2, 2],
                                                     [3, 3, 8, 8],
                                                     [0, 3, 8, 0]]
    assert ops.pad_edges(a, 2, 5).shape == (6, 6)
    with pytest.raises(ValueError, match="width"):
        ops.pad_edges(a, 0, 0)


def test_histogram():
    a = g([[2, 2, 1], [2, 3, 1], [1, 1, 1]])
    assert L(check_pure(ops.histogram, a)) == [[1, 2, 3], [1, 2, 0], [1, 2, 0], [1, 0, 0],
                                               [1, 0, 0]]
    assert L(ops.histogram(g([[0, 4], [0, 0]]))) == [[4]]  # 0 is not counted
    with pytest.raises(ValueError, match="no colour"):
        ops.histogram(g([[0]]))


def test_colors_by_count():
    a = g([[0, 3, 3], [5, 3, 0], [5, 2, 0]])
    assert L(check_pure(ops.colors_by_count, a, "desc")) == [[3], [5], [2]]
    assert L(ops.colors_by_count(a, "asc")) == [[2], [5], [3]]


# ---------------------------------------------------------------- crop and shift


def test_crop():
    assert L(check_pure(ops.crop, A, 0, 1, 2, 2)) == [[2, 0], [4, 0]]
    with pytest.raises(ValueError):
        ops.crop(A, 1, 1, 2, 2)


def test_crop_bbox():
    a = g([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0]])
    assert L(check_pure(ops.crop_bbox, a)) == [[1, 0], [0, 2]]


def test_crop_to_color():
    a = g([[0, 3, 0, 0], [0, 0, 3, 1], [1, 0, 0, 0]])
    assert L(check_pure(ops.crop_to_color, a, 3)) == [[3, 0], [0, 3]]
    with pytest.raises(ValueError):
        ops.crop_to_color(a, 9)


def test_crop_inside_color():
    a = g([[0, 0, 0, 0, 0], [0, 5, 5, 5, 5], [0, 5, 1, 2, 5], [0, 5, 5, 5, 5]])
    assert L(check_pure(ops.crop_inside_color, a, 5)) == [[1, 2]]


def test_shift():
    a = g([[1, 2], [3, 0]])
    assert L(check_pure(ops.shift, a, 1, 0)) == [[0, 0], [1, 2]]
    assert L(ops.shift(a, 0, -1)) == [[2, 0], [0, 0]]
    assert L(ops.shift(a, 5, 5)) == [[0, 0], [0, 0]]


def test_crop_to_period():
    a = g([[1, 2, 1, 2, 1], [3, 0, 3, 0, 3]])
    assert L(check_pure(ops.crop_to_period, a)) == [[1, 2], [3, 0]]
    with pytest.raises(ValueError):
        ops.crop_to_period(g([[1, 2], [3, 4]]))


def test_canvas():
    out = check_pure(ops.canvas, A, 2, 3, 7)
    assert L(out) == [[7, 7, 7], [7, 7, 7]]


# ---------------------------------------------------------------- parts


SEP = g([[1, 0, 5, 1, 1],
         [0, 1, 5, 0, 1]])


def test_grid_parts_finds_separators():
    parts = pt.grid_parts(SEP, "sep")
    assert [L(p) for p in parts] == [[[1, 0], [0, 1]], [[1, 1], [0, 1]]]
    assert [L(p) for p in pt.grid_parts(g([[1, 2], [3, 4]]), "tb")] == [[[1, 2]], [[3, 4]]]
    assert [L(p) for p in pt.grid_parts(g([[1, 2], [3, 4]]), "quad")] == [[[1]], [[2]], [[3]], [[4]]]
    assert len(pt.grid_parts(g([[1, 2, 3, 4, 5, 6]] * 2), "squares")) == 3
    empty_lines = g([[1, 0, 2], [0, 0, 0], [3, 0, 4]])  # no coloured lines: background ones
    assert [L(p) for p in pt.grid_parts(empty_lines, "sep")] == [[[1]], [[2]], [[3]], [[4]]]


def test_combine_parts():
    assert L(check_pure(pt.combine_parts, SEP, "sep", "and", 3)) == [[3, 0], [0, 3]]
    assert L(pt.combine_parts(SEP, "sep", "or", 3)) == [[3, 3], [0, 3]]
    assert L(pt.combine_parts(SEP, "sep", "xor", 3)) == [[0, 3], [0, 0]]
    assert L(pt.combine_parts(SEP, "sep", "nor", 3)) == [[0, 0], [3, 0]]
    assert L(pt.combine_parts(SEP, "sep", "diff", 3)) == [[0, 0], [0, 0]]
    assert L(pt.combine_parts(SEP, "sep", "rdiff", 3)) == [[0, 3], [0, 0]]
    assert L(pt.combine_parts(g([[1, 0, 0, 2]]), "lr", "or", 4)) == [[4, 4]]


def test_overlay_parts():
    a = g([[1, 0, 5, 2, 2], [0, 0, 5, 0, 2]])
    assert L(check_pure(pt.overlay_parts, a, "sep", "first")) == [[1, 2], [0, 2]]
    assert L(pt.overlay_parts(a, "sep", "last")) == [[2, 2], [0, 2]]


def test_select_part():
    a = g([[1, 1, 5, 2, 0, 5, 1, 1],
           [1, 1, 5, 0, 0, 5, 1, 1]])
    assert L(check_pure(pt.select_part, a, "sep", "unique")) == [[2, 0], [0, 0]]
    assert L(pt.select_part(a, "sep", "least_fg")) == [[2, 0], [0, 0]]
    assert L(pt.select_part(a, "sep", "last")) == [[1, 1], [1, 1]]
    with pytest.raises(ValueError):
        pt.select_part(a, "sep", "most_fg")  # a tie
    assert L(pt.select_part(a, "sep", "asymmetric")) == [[2, 0], [0, 0]]
    with pytest.raises(ValueError, match="symmetric"):
        pt.select_part(a, "sep", "symmetric")  # two parts are


def test_summarize_parts():
    a = g([[3, 3, 7, 3, 3, 1], [7, 7, 7, 7, 7, 7], [3, 3, 7, 3, 3, 3]])  # no 0: background 3
    assert L(check_pure(pt.summarize_parts, a, "majority")) == [[3, 3], [3, 3]]
    assert L(pt.summarize_parts(a, "fg")) == [[3, 1], [3, 3]]
    assert L(pt.summarize_parts(a, "count")) == [[0, 1], [0, 0]]


def test_spread_part():
    a = g([[0, 0, 4, 0, 0],
           [0, 0, 4, 3, 0],
           [4, 4, 4, 4, 4],
           [0, 0, 4, 0, 0],
           [0, 0, 4, 0, 0]])
    # the one part with a pattern, copied into every part; the separators stay
    assert L(check_pure(pt.spread_part, a, "most_fg")) == [[0, 0, 4, 0, 0],
                                                           [3, 0, 4, 3, 0],
                                                           [4, 4, 4, 4, 4],
                                                           [0, 0, 4, 0, 0],
                                                           [3, 0, 4, 3, 0]]
    with pytest.raises(ValueError, match="unequal"):
        pt.spread_part(g([[0, 4, 0, 0], [0, 4, 3, 0]]), "most_fg")


def test_turn_parts():
    a = g([[1, 2, 5, 0, 0, 5, 0, 0],
           [3, 4, 5, 0, 0, 5, 0, 0]])
    assert L(check_pure(pt.turn_parts, a)) == [[1, 2, 5, 3, 1, 5, 4, 3],
                                               [3, 4, 5, 4, 2, 5, 2, 1]]
    with pytest.raises(ValueError, match="squares"):
        pt.turn_parts(g([[1, 5, 0], [2, 5, 0], [3, 5, 0]]))


def test_color_by_key():
    a = g([[1, 2, 3, 8, 3, 0, 3, 0], [4, 5, 6, 8, 0, 3, 0, 3]])  # a 2x3 key, a 2x4 pattern
    # the 2x2 key scales to the 2x4 pattern: each key cell colours a 1x2 block
    assert L(check_pure(pt.color_by_key, g([[1, 2, 8, 3, 0, 3, 3], [4, 5, 8, 3, 3, 0, 3],
                                            [8, 8, 8, 8, 8, 8, 8], [0, 0, 8, 0, 0, 0, 0],
                                            [0, 0, 8, 0, 0, 0, 0]]))) == [[1, 0, 2, 2],
                                                                          [4, 4, 0, 5]]
    with pytest.raises(ValueError, match="multiple"):
        pt.color_by_key(a)


def test_fill_parts():
    a = g([[0, 2, 5, 0, 0], [0, 0, 5, 0, 1], [5, 5, 5, 5, 5], [0, 0, 5, 0, 0]])
    assert L(check_pure(pt.fill_parts, a, g([[2, 0], [0, 4]]))) == [[2, 2, 5, 0, 0],
                                                                    [2, 2, 5, 0, 0],
                                                                    [5, 5, 5, 5, 5],
                                                                    [0, 0, 5, 4, 4]]
    with pytest.raises(ValueError, match="parts"):
        pt.fill_parts(a, g([[1, 2, 3]]))


def test_fg_row():
    assert L(check_pure(ops.fg_row, g([[0, 2, 0], [2, 0, 0], [0, 2, 0]]))) == [[2, 2, 2]]
    with pytest.raises(ValueError):
        ops.fg_row(g([[0, 0]]))


# ---------------------------------------------------------------- symmetry


def test_symmetrize_about():
    a = g([[2, 0, 0, 0, 0],
           [0, 3, 3, 0, 0],
           [0, 3, 3, 0, 0],
           [0, 0, 0, 0, 0]])
    # mirrored about the centre of the 3 block (between its rows and columns)
    assert L(check_pure(sy.symmetrize_about, a, 3, "both")) == [[2, 0, 0, 2, 0],
                                                                [0, 3, 3, 0, 0],
                                                                [0, 3, 3, 0, 0],
                                                                [2, 0, 0, 2, 0]]
    assert L(sy.symmetrize_about(a, 3, "lr"))[0] == [2, 0, 0, 2, 0]
    with pytest.raises(ValueError, match="no cell of colour 7"):
        sy.symmetrize_about(a, 7, "lr")


def test_repeat_band():
    a = g([[0, 0, 0], [0, 0, 0], [1, 0, 0], [2, 2, 2], [0, 0, 0]])
    # rows 2-3 repeat over the grid, in step: row 0 is row 2's twin, row 1 row 3's
    assert L(check_pure(sy.repeat_band, a, "rows")) == [[1, 0, 0], [2, 2, 2], [1, 0, 0],
                                                        [2, 2, 2], [1, 0, 0]]
    assert L(sy.repeat_band(g([[0, 3, 0, 0]]), "cols")) == [[3, 3, 3, 3]]
    with pytest.raises(ValueError, match="no foreground"):
        sy.repeat_band(g([[0, 0]]), "rows")


def test_symmetrize():
    a = g([[1, 0, 0], [2, 3, 0]])
    assert L(check_pure(sy.symmetrize, a, "lr")) == [[1, 0, 1], [2, 3, 2]]
    assert L(sy.symmetrize(g([[1, 0], [0, 0]]), "both")) == [[1, 1], [1, 1]]
    assert L(sy.symmetrize(g([[1, 2], [0, 0]]), "diag")) == [[1, 2], [2, 0]]
    assert L(sy.symmetrize(g([[1, 0], [0, 0]]), "rot")) == [[1, 1], [1, 1]]


SYM = g([[1, 2, 2, 1],
         [3, 4, 4, 3],
         [3, 9, 9, 3],
         [1, 2, 2, 1]])


def test_complete_symmetry():
    assert L(check_pure(sy.complete_symmetry, SYM, 9)) == [[1, 2, 2, 1], [3, 4, 4, 3],
                                                          [3, 4, 4, 3], [1, 2, 2, 1]]
    off = g([[7, 1, 2, 2, 1], [7, 3, 9, 4, 3]])  # axis not at the grid's centre
    assert L(sy.complete_symmetry(off, 9)) == [[7, 1, 2, 2, 1], [7, 3, 4, 4, 3]]


def test_symmetry_patch():
    assert L(check_pure(sy.symmetry_patch, SYM, 9)) == [[4, 4]]


def test_complete_pattern():
    a = g([[2, 8, 3, 0, 0], [8, 3, 0, 0, 0], [3, 0, 0, 0, 0]])  # diagonal stripes, 0 unknown
    assert L(check_pure(sy.complete_pattern, a, 0)) == [[2, 8, 3, 2, 8], [8, 3, 2, 8, 3],
                                                        [3, 2, 8, 3, 2]]
    b = g([[1, 2, 1, 2], [3, 4, 3, 9], [1, 9, 1, 2]])  # a 2x2 tile, 9 unknown
    assert L(sy.complete_pattern(b, 9)) == [[1, 2, 1, 2], [3, 4, 3, 4], [1, 2, 1, 2]]


# ---------------------------------------------------------------- outline, fill, lines


def test_outline():
    a = g([[0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    assert L(check_pure(ops.outline, a, 2)) == [[2, 2, 2], [2, 1, 2], [2, 2, 2], [0, 0, 0]]


def test_hollow():
    a = g([[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 3, 3, 0], [0, 3, 3, 3, 0]])
    out = check_pure(ops.hollow, a, 0)
    assert L(out)[2] == [0, 3, 0, 3, 0] and L(out)[3] == [0, 3, 3, 3, 0]


def test_fill_enclosed():
    a = g([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0]])
    assert L(check_pure(ops.fill_enclosed, a, 4)) == [[1, 1, 1, 0], [1, 4, 1, 0], [1, 1, 1, 0]]


def test_fill_touching():
    a = g([[0, 0, 5, 0], [3, 0, 5, 0], [5, 5, 5, 0]])
    assert L(check_pure(ops.fill_touching, a, 3)) == [[3, 3, 5, 0], [3, 3, 5, 0], [5, 5, 5, 0]]


def test_draw_border():
    assert L(check_pure(ops.draw_border, g([[0] * 3] * 3), 8)) == [[8, 8, 8], [8, 0, 8], [8, 8, 8]]


def test_connect():
    a = g([[2, 0, 0, 2], [0, 0, 0, 0], [2, 0, 3, 0]])
    assert L(check_pure(ops.connect, a, "h")) == [[2, 2, 2, 2], [0, 0, 0, 0], [2, 0, 3, 0]]
    assert L(ops.connect(a, "v")) == [[2, 0, 0, 2], [2, 0, 0, 0], [2, 0, 3, 0]]
    assert L(ops.connect(g([[2, 3, 0, 2]]), "h")) == [[2, 3, 0, 2]]  # 3 in between
    d = g([[1, 0, 0, 6], [0, 0, 0, 0], [0, 0, 1, 0], [6, 0, 0, 0]])
    assert L(check_pure(ops.connect, d, "d")) == [[1, 0, 0, 6], [0, 1, 6, 0], [0, 6, 1, 0],
                                                  [6, 0, 0, 0]]  # both diagonals
    assert L(ops.connect(d, "all")) == L(ops.connect(d, "d"))  # no row or column pair
    assert L(ops.connect(g([[1, 0, 0], [0, 2, 0], [0, 0, 1]]), "d"))[1] == [0, 2, 0]


def test_ray():
    a = g([[0, 0, 0, 0], [0, 4, 0, 1], [0, 0, 0, 0]])
    assert L(check_pure(ops.ray, a, 4, "right")) == [[0, 0, 0, 0], [0, 4, 4, 1], [0, 0, 0, 0]]
    assert L(ops.ray(a, 4, "v")) == [[0, 4, 0, 0], [0, 4, 0, 1], [0, 4, 0, 0]]
    assert L(ops.ray(a, 4, "diag"))[0] == [4, 0, 4, 0]
    assert L(ops.ray(a, 4, "ul"))[0] == [4, 0, 0, 0]  # one diagonal only
    assert L(ops.ray(a, 4, "dr"))[2] == [0, 0, 4, 0]
    assert L(ops.ray(a, ops.ANY, "left"))[1] == [4, 4, 1, 1]  # every cell in its own colour


def test_ray_to():
    from solver.dsl import lines as ln

    a = g([[0, 0, 0, 0, 0],
           [0, 4, 0, 0, 1],
           [0, 0, 0, 0, 0],
           [0, 1, 0, 0, 0]])
    # right: hits the 1 (drawn); down: hits the 1 below (drawn); up and left: the border
    assert L(check_pure(ln.ray_to, a, 4, 6)) == [[0, 0, 0, 0, 0],
                                                 [0, 4, 6, 6, 1],
                                                 [0, 6, 0, 0, 0],
                                                 [0, 1, 0, 0, 0]]


def test_cross_lines():
    from solver.dsl import lines as ln

    a = g([[0, 0, 0, 0],
           [0, 8, 0, 0],
           [0, 0, 0, 0],
           [0, 0, 7, 0]])
    # rows and columns through each cell in its colour; where 8's and 7's lines meet, 2
    assert L(check_pure(ln.cross_lines, a, 2)) == [[0, 8, 7, 0],
                                                   [8, 8, 2, 8],
                                                   [0, 8, 7, 0],
                                                   [7, 2, 7, 7]]
    with pytest.raises(ValueError, match="no foreground"):
        ln.cross_lines(g([[0, 0]]), 2)


def test_dashed_ray():
    from solver.dsl import lines as ln

    a = g([[0, 2, 0, 0, 0], [0, 0, 0, 6, 0]])
    assert L(check_pure(ln.dashed_ray, a, "right", 5)) == [[0, 2, 5, 2, 5], [0, 0, 0, 6, 5]]
    with pytest.raises(ValueError, match="direction"):
        ln.dashed_ray(a, "ul", 5)


def test_mark_crossings():
    from solver.dsl import lines as ln

    a = g([[5, 0, 0, 5, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 5]])
    # rows marked on the right (row 2) cross columns marked on the top (0 and 3)
    assert L(check_pure(ln.mark_crossings, a, 2, "right", "top")) == [[5, 0, 0, 5, 0],
                                                                      [0, 0, 0, 0, 0],
                                                                      [2, 0, 0, 2, 5]]
    assert L(ln.mark_crossings(a, 2, "left", "top"))[0] == [5, 0, 0, 5, 0]  # row 0: no cell free
    with pytest.raises(ValueError, match="rows_at"):
        ln.mark_crossings(a, 2, "top", "top")


def test_mark_midpoints():
    from solver.dsl import lines as ln

    a = g([[0, 0, 0, 0, 0],
           [1, 0, 0, 0, 1],
           [0, 0, 0, 0, 0],
           [0, 1, 0, 0, 0]])
    # the two 1s of row 1 have a cell halfway; the others share no row or column
    assert L(check_pure(ln.mark_midpoints, a, 1, 3, "cross")) == [[0, 0, 3, 0, 0],
                                                                  [1, 3, 3, 3, 1],
                                                                  [0, 0, 3, 0, 0],
                                                                  [0, 1, 0, 0, 0]]
    assert L(ln.mark_midpoints(a, 1, 3, "dot"))[1] == [1, 0, 3, 0, 1]
    with pytest.raises(ValueError, match="shape"):
        ln.mark_midpoints(a, 1, 3, "ring")


def test_path_l():
    from solver.dsl import lines as ln

    a = g([[2, 0, 0], [0, 0, 0], [0, 0, 3]])
    assert L(check_pure(ln.path_l, a, 2, 3, 8, "hv")) == [[2, 8, 8], [0, 0, 8], [0, 0, 3]]
    assert L(ln.path_l(a, 2, 3, 8, "vh")) == [[2, 0, 0], [8, 0, 0], [8, 8, 3]]
    with pytest.raises(ValueError, match="order"):
        ln.path_l(a, 2, 3, 8, "diag")
    with pytest.raises(ValueError, match="no cell"):
        ln.path_l(a, 2, 7, 8, "hv")


def test_connect_with():
    a = g([[2, 0, 0, 2], [0, 0, 0, 0]])
    assert L(check_pure(ops.connect_with, a, "h", 5)) == [[2, 5, 5, 2], [0, 0, 0, 0]]


def test_halo():
    a = g([[0, 0, 0], [0, 4, 0], [0, 0, 0]])
    assert L(check_pure(ops.halo, a, 4, "x", 7)) == [[7, 0, 7], [0, 4, 0], [7, 0, 7]]
    assert L(ops.halo(a, 4, "cross", 7)) == [[0, 7, 0], [7, 4, 7], [0, 7, 0]]
    assert int((ops.halo(a, 4, "box", 7) == 7).sum()) == 8


def test_stamp_around():
    a = g([[0, 0, 0, 0], [0, 2, 0, 5], [0, 0, 0, 0]])
    k = ops.KEEP
    cross = ((k, 7, k), (7, 0, 7), (k, 7, k))  # a 7 cross, the centre erased
    assert L(check_pure(ops.stamp_around, a, ((2, cross),))) == [
        [0, 7, 0, 0], [7, 0, 7, 5], [0, 7, 0, 0]]  # the 5 is not background: kept
    assert L(ops.stamp_around(a, ((3, cross),))) == L(a)  # no cell of 3
    with pytest.raises(ValueError, match="3x3"):
        ops.stamp_around(a, ((2, ((1, 1), (1, 1))),))


def test_lines_through():
    a = g([[0, 0, 0], [0, 4, 0], [0, 0, 1]])
    assert L(check_pure(ops.lines_through, a, 4, "h")) == [[0, 0, 0], [4, 4, 4], [0, 0, 1]]
    assert L(ops.lines_through(a, 4, "hv")) == [[0, 4, 0], [4, 4, 4], [0, 4, 1]]


def test_gravity():
    a = g([[1, 0], [0, 2], [3, 0]])
    assert L(check_pure(ops.gravity, a, "down")) == [[0, 0], [1, 0], [3, 2]]
    assert L(ops.gravity(a, "right")) == [[0, 1], [0, 2], [0, 3]]
    assert L(ops.gravity(a, "up")) == [[1, 2], [3, 0], [0, 0]]


# ---------------------------------------------------------------- objects


OBJS = g([[1, 1, 0, 0, 0, 0],
          [1, 1, 0, 2, 0, 0],
          [0, 0, 0, 0, 0, 3],
          [4, 4, 4, 0, 0, 3],
          [4, 0, 4, 0, 0, 0],
          [4, 4, 4, 0, 0, 2]])


def test_find_objects_and_properties():
    objs = ob.find_objects(OBJS, 4, False)
    assert [(o.color, o.size) for o in objs] == [(1, 4), (2, 1), (3, 2), (4, 8), (2, 1)]
    ring = objs[3]
    assert ring.holes() == 1 and not ring.is_rectangle() and ring.touches_border()
    assert objs[0].is_rectangle() and objs[0].holes() == 0
    assert ob.prop(ring, "size_rank", objs) == 1 and ob.prop(objs[1], "size_rank", objs) == 4
    assert ob.prop(objs[1], "shape_count", objs) == 2
    multi = ob.find_objects(g([[1, 2], [0, 3]]), 4, True)
    assert len(multi) == 1 and multi[0].n_colors == 3
    assert len(ob.find_objects(g([[1, 0], [0, 1]]), 8, False)) == 1
    assert len(ob.find_objects(g([[1, 0], [0, 1]]), 4, False)) == 2


def test_select():
    objs = ob.find_objects(OBJS, 4, False)
    assert [o.color for o in ob.select(objs, "largest")] == [4]
    assert [o.color for o in ob.select(objs, "smallest")] == [2, 2]
    assert [o.color for o in ob.select(objs, "has_hole")] == [4]
    assert [o.color for o in ob.select(objs, "unique_color")] == [1, 3, 4]
    assert [o.color for o in ob.select(objs, "inner")] == [2]
    with pytest.raises(ValueError):
        ob.select(objs, "nonsense")
    speckled = ob.find_objects(g([[1, 1, 0, 1, 1], [1, 2, 0, 2, 2], [0, 0, 0, 0, 0]]), 8, True)
    assert [o.size for o in ob.select(speckled, "most_minor")] == [4]  # two 2s beat one


def test_crop_to_object():
    assert L(check_pure(ob.crop_to_object, OBJS, "largest", 4, False)) == [[4, 4, 4], [4, 0, 4],
                                                                           [4, 4, 4]]
    assert L(ob.crop_to_object(OBJS, "tallest", 4, False)) == [[4, 4, 4], [4, 0, 4], [4, 4, 4]]
    with pytest.raises(ValueError):
        ob.crop_to_object(OBJS, "smallest", 4, False)  # two tie


def test_keep_objects():
    out = check_pure(ob.keep_objects, OBJS, "largest", 4, False)
    assert int((out != 0).sum()) == 8 and set(np.unique(out).tolist()) == {0, 4}


def test_remove_objects():
    out = check_pure(ob.remove_objects, OBJS, "single", 4, False)
    assert 2 not in out and int((out != 0).sum()) == 14


def test_recolor_objects():
    out = check_pure(ob.recolor_objects, OBJS, "has_hole", 7, 4, False)
    assert int((out == 7).sum()) == 8 and 4 not in out


def test_outline_objects():
    a = g([[0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 2, 2]])
    out = check_pure(ob.outline_objects, a, "smallest", 3, 8, False)
    assert L(out)[:3] == [[3, 3, 3, 0, 0], [3, 1, 3, 0, 0], [3, 3, 3, 0, 0]] and L(out)[3][:3] == [0, 0, 0]


def test_recolor_by():
    out = check_pure(ob.recolor_by, OBJS, "size", ((1, 5), (8, 6)), 4)
    assert int((out == 5).sum()) == 2 and int((out == 6).sum()) == 8 and int((out == 1).sum()) == 4


def test_map_objects():
    a = g([[1, 1, 0, 0, 0],
           [1, 0, 0, 2, 2],
           [0, 0, 0, 2, 0],
           [0, 0, 0, 0, 0]])
    assert L(check_pure(ob.map_objects, a, "flip_lr", 8, False)) == [[1, 1, 0, 0, 0],
                                                                      [0, 1, 0, 2, 2],
                                                                      [0, 0, 0, 0, 2],
                                                                      [0, 0, 0, 0, 0]]
    ring = g([[3, 3, 3, 0], [3, 0, 3, 0], [3, 3, 3, 0]])
    assert L(ob.map_objects(ring, "fill_holes", 8, False))[1] == [3, 3, 3, 0]
    block = g([[4, 4, 4, 0], [4, 4, 4, 0], [4, 4, 4, 0]])
    assert L(ob.map_objects(block, "hollow", 4, False))[1] == [4, 0, 4, 0]
    tall = g([[5, 0, 0], [5, 0, 0], [5, 0, 0]])  # transposed, clipped at the border
    assert L(ob.map_objects(tall, "transpose", 8, False)) == [[5, 5, 5], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="op must be"):
        ob.map_objects(a, "spin", 8, False)


def test_recolor_alternate():
    bars = g([[0, 0, 0, 0, 0],
              [4, 4, 4, 4, 4],
              [4, 4, 4, 4, 4],
              [0, 0, 0, 0, 0]])
    # every other cell of each object's second row, counted from the object's corner
    assert L(check_pure(ob.recolor_alternate, bars, ob.ANY, 0, 1, 1, "object", 2))[2] == \
        [4, 0, 4, 0, 4]
    diag = g([[0, 3, 0, 0], [0, 0, 3, 0], [0, 0, 0, 3], [0, 0, 0, 0]])
    assert L(ob.recolor_alternate(diag, 3, 4, 1, None, "object", 2))[1] == [0, 0, 4, 0]
    row = g([[5, 5, 5, 5, 5]])  # columns counted from the right edge
    assert L(ob.recolor_alternate(row, 5, 3, None, 0, "tr", 2)) == [[3, 5, 3, 5, 3]]
    assert L(ob.recolor_alternate(g([[5, 5, 5, 5]]), 5, 3, None, 0, "tr", 2)) == [[5, 3, 5, 3]]
    assert L(ob.recolor_alternate(row, 5, 3, None, 0, "tl", 3)) == [[3, 5, 5, 3, 5]]  # every third
    r, c = ob.parities(g([[1, 1], [1, 1]]), "br")
    assert L(r) == [[1, 1], [0, 0]] and L(c) == [[1, 0], [1, 0]]
    with pytest.raises(ValueError, match="anchor must be"):
        ob.recolor_alternate(row, 5, 3, 0, 0, "middle", 2)
    with pytest.raises(ValueError, match="period"):
        ob.recolor_alternate(row, 5, 3, 0, 0, "tl", 1)


def test_recolor_nearest():
    a = g([[1, 0, 3, 0, 0, 0, 2],
           [1, 0, 0, 0, 3, 0, 2],
           [1, 0, 0, 3, 0, 0, 2]])
    # each 3 takes the colour of the nearest line; the one as near to both keeps its own
    assert L(check_pure(ob.recolor_nearest, a, 3)) == [[1, 0, 1, 0, 0, 0, 2],
                                                       [1, 0, 0, 0, 2, 0, 2],
                                                       [1, 0, 0, 3, 0, 0, 2]]
    assert L(ob.recolor_nearest(a, 4)) == L(a)  # no cell of the colour: unchanged


def test_reflect_over():
    a = g([[0, 5, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0, 0],
           [2, 2, 2, 0, 0, 0, 0, 0],
           [2, 0, 2, 0, 0, 2, 0, 0],
           [0, 0, 0, 0, 5, 2, 0, 0],
           [0, 0, 0, 0, 0, 2, 0, 0]])
    # the 5 above the cup goes to its mirror image across the cup's base row; the one
    # beside the bar across the bar's column
    assert L(check_pure(ob.reflect_over, a, 5, 2)) == [[0, 0, 0, 0, 0, 0, 0, 0],
                                                       [0, 0, 0, 0, 0, 0, 0, 0],
                                                       [2, 2, 2, 0, 0, 0, 0, 0],
                                                       [2, 0, 2, 0, 0, 2, 0, 0],
                                                       [0, 5, 0, 0, 0, 2, 5, 0],
                                                       [0, 0, 0, 0, 0, 2, 0, 0]]
    with pytest.raises(ValueError, match="no object of colour 7"):
        ob.reflect_over(a, 5, 7)


def test_fill_largest_rect():
    from solver.dsl import regions as rg

    a = g([[0, 0, 0, 0, 0, 0, 0, 1],
           [1, 0, 0, 1, 1, 1, 1, 1],
           [1, 0, 0, 1, 0, 0, 1, 1]])
    # the one-row strip of seven is larger, but not two high: the 3x2 block is taken
    assert L(check_pure(rg.fill_largest_rect, a, 6, 2)) == [[0, 6, 6, 0, 0, 0, 0, 1],
                                                            [1, 6, 6, 1, 1, 1, 1, 1],
                                                            [1, 6, 6, 1, 0, 0, 1, 1]]
    assert L(rg.fill_largest_rect(a, 6, 1))[0] == [6, 6, 6, 6, 6, 6, 6, 1]
    assert rg.largest_rect(a == 0, 3) is None
    assert L(rg.fill_largest_rect(a, 6, 3)) == L(a)


def test_recolor_like_framed():
    a = g([[5, 5, 5, 5, 0, 0, 0],
           [5, 2, 2, 5, 0, 1, 1],
           [5, 5, 5, 5, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [3, 0, 1, 0, 0, 0, 0],
           [3, 0, 1, 0, 0, 1, 1]])
    # the framed 2-bar's shape: the two bars of 1 alike become 2; the upright ones stay
    assert L(check_pure(ob.recolor_like_framed, a)) == [[5, 5, 5, 5, 0, 0, 0],
                                                        [5, 2, 2, 5, 0, 2, 2],
                                                        [5, 5, 5, 5, 0, 0, 0],
                                                        [0, 0, 0, 0, 0, 0, 0],
                                                        [3, 0, 1, 0, 0, 0, 0],
                                                        [3, 0, 1, 0, 0, 2, 2]]
    corner = g([[0, 0, 5], [1, 0, 5], [5, 5, 5]])  # open to the border: nothing is framed
    assert L(ob.recolor_like_framed(corner)) == L(corner)


def test_align_objects():
    a = g([[0, 2, 0, 0, 0],
           [0, 2, 0, 0, 1],
           [0, 0, 0, 0, 1],
           [0, 0, 3, 3, 0]])
    # every other object's top goes to the 1's top row
    assert L(check_pure(ob.align_objects, a, 1, "top")) == [[0, 0, 0, 0, 0],
                                                            [0, 2, 3, 3, 1],
                                                            [0, 2, 0, 0, 1],
                                                            [0, 0, 0, 0, 0]]
    assert L(ob.align_objects(a, 1, "bottom"))[2] == [0, 2, 3, 3, 1]
    with pytest.raises(ValueError, match="no object of colour 5"):
        ob.align_objects(a, 5, "top")


def test_move_by_size():
    a = g([[0, 0, 0, 0],
           [0, 0, 0, 0],
           [4, 0, 0, 0],
           [4, 0, 7, 7]])
    # the two-high 4 goes up two, the one-high 7s up one
    assert L(check_pure(ob.move_by_size, a, "up")) == [[4, 0, 0, 0],
                                                       [4, 0, 0, 0],
                                                       [0, 0, 7, 7],
                                                       [0, 0, 0, 0]]
    assert L(ob.move_by_size(a, "right"))[3] == [0, 4, 0, 0]  # the 7s leave the grid


def test_count_objects():
    a = g([[8, 0, 0, 8], [0, 0, 0, 8], [3, 0, 0, 0]])  # two 8s and a 3: three objects
    assert L(check_pure(ob.count_objects, a, "diagonal")) == [[8, 0, 0], [0, 8, 0], [0, 0, 8]]
    assert L(ob.count_objects(a, "row")) == [[8, 8, 8]]
    assert L(ob.count_objects(a, "column")) == [[8], [8], [8]]
    with pytest.raises(ValueError, match="no object"):
        ob.count_objects(g([[0, 0]]), "row")


def test_bridge():
    a = g([[4, 4, 0, 0, 0, 0],
           [4, 4, 0, 0, 6, 6],
           [4, 4, 0, 0, 6, 6],
           [4, 4, 0, 0, 6, 6],
           [0, 0, 0, 0, 0, 0],
           [3, 3, 3, 0, 0, 0]])
    # the gap between 4 and 6 across their shared rows; 4 above 3: their shared columns
    assert L(check_pure(ob.bridge, a, 8, 0)) == [[4, 4, 0, 0, 0, 0],
                                                 [4, 4, 8, 8, 6, 6],
                                                 [4, 4, 8, 8, 6, 6],
                                                 [4, 4, 8, 8, 6, 6],
                                                 [8, 8, 0, 0, 0, 0],
                                                 [3, 3, 3, 0, 0, 0]]
    assert L(ob.bridge(a, 8, 1))[1:4] == [[4, 4, 0, 0, 6, 6], [4, 4, 8, 8, 6, 6],
                                          [4, 4, 0, 0, 6, 6]]


def test_fill_color_boxes():
    a = g([[0, 1, 0, 0],
           [0, 0, 0, 1],
           [2, 0, 0, 0],
           [0, 0, 2, 0]])
    assert L(check_pure(ob.fill_color_boxes, a)) == [[0, 1, 1, 1],
                                                     [0, 1, 1, 1],
                                                     [2, 2, 2, 0],
                                                     [2, 2, 2, 0]]


def test_mark_centres():
    a = g([[3, 3, 3, 0, 6, 6],
           [3, 0, 3, 0, 6, 0],
           [0, 0, 0, 0, 0, 0]])
    # the 3-wide cup gets a mark below its middle; the 6 (even width) none
    assert L(check_pure(ob.mark_centres, a, 4, "bottom"))[2] == [0, 4, 0, 0, 0, 0]
    assert L(ob.mark_centres(a, 4, "right"))[1][5] == 0  # centre rows: 0.5 and 0.5: none
    with pytest.raises(ValueError, match="edge"):
        ob.mark_centres(a, 4, "middle")


def test_recolor_regions_by():
    from solver.dsl import regions as rg

    a = g([[0, 5, 0, 0, 5],
           [5, 5, 5, 5, 5],
           [0, 0, 5, 0, 5],
           [5, 5, 5, 5, 5]])
    # enclosed background regions: sizes 1 (row 2 col 3); the others touch the border
    out = check_pure(rg.recolor_regions_by, a, "size", ((1, 3), (2, 4)), True)
    assert L(out)[2] == [0, 0, 5, 3, 5] and L(out)[0] == [0, 5, 0, 0, 5]
    every = rg.recolor_regions_by(a, "size", ((1, 3), (2, 4)), False)
    assert L(every)[0] == [3, 5, 4, 4, 5] and L(every)[2] == [4, 4, 5, 3, 5]
    with pytest.raises(ValueError, match="property"):
        rg.recolor_regions_by(a, "weight", (), True)


def test_paint_roles():
    from solver.dsl import regions as rg

    a = g([[0, 0, 0, 0, 0],
           [0, 5, 5, 5, 5],
           [0, 5, 5, 5, 5],
           [0, 5, 5, 5, 5]])
    out = check_pure(rg.paint_roles, a, 1, 4, 2)
    assert L(out) == [[0, 0, 0, 0, 0],
                      [0, 1, 4, 4, 1],
                      [0, 4, 2, 2, 4],
                      [0, 1, 4, 4, 1]]
    assert L(rg.paint_roles(a, 1, -1, -1))[2] == [0, 5, 5, 5, 5]
    with pytest.raises(ValueError, match="-1..9"):
        rg.paint_roles(a, 12, 0, 0)


def test_replace_shapes():
    from solver.dsl import shapes as sh

    ring = ((1, 1, 1), (1, 0, 1), (1, 1, 1))
    plus = ((-1, 2, -1), (2, 2, 2), (-1, 2, -1))
    a = g([[3, 3, 3, 0, 0, 0, 0],
           [3, 0, 3, 0, 5, 5, 5],
           [3, 3, 3, 0, 5, 0, 5],
           [0, 0, 0, 0, 5, 5, 5],
           [1, 1, 0, 0, 0, 0, 0]])
    out = check_pure(sh.replace_shapes, a, ((ring, plus),), 8)
    assert L(out)[:4] == [[3, 2, 3, 0, 0, 0, 0],
                          [2, 2, 2, 0, 5, 2, 5],
                          [3, 2, 3, 0, 2, 2, 2],
                          [0, 0, 0, 0, 5, 2, 5]]
    assert L(out)[4] == [1, 1, 0, 0, 0, 0, 0]  # not in the table: unchanged
    own = ((-2, -2, -2), (-2, -2, -2), (-2, -2, -2))  # the ring filled in its own colour
    assert L(sh.replace_shapes(a, ((ring, own),), 8))[2][4:] == [5, 5, 5]
    with pytest.raises(ValueError, match="mask's shape"):
        sh.replace_shapes(a, ((ring, ((1,),)),), 8)


def test_stripes():
    from solver.dsl import denoise as dn

    a = g([[1, 1, 2], [3, 1, 1], [0, 2, 2]])
    assert L(check_pure(dn.stripes, a, "rows")) == [[1, 1, 1], [1, 1, 1], [2, 2, 2]]
    assert L(dn.stripes(a, "cols")) == [[0, 1, 2], [0, 1, 2], [0, 1, 2]]  # ties: the smaller
    with pytest.raises(ValueError, match="axis"):
        dn.stripes(a, "diag")


def test_keep_blocks():
    from solver.dsl import denoise as dn

    a = g([[7, 0, 0, 0, 0],
           [0, 0, 5, 5, 5],
           [0, 0, 5, 5, 0],
           [0, 3, 0, 0, 0]])
    # specks and the cell sticking out of the block go; the 2x2-covered cells stay
    assert L(check_pure(dn.keep_blocks, a, 2)) == [[0, 0, 0, 0, 0],
                                                   [0, 0, 5, 5, 0],
                                                   [0, 0, 5, 5, 0],
                                                   [0, 0, 0, 0, 0]]
    assert L(dn.keep_blocks(a, 1)) == L(a)
    assert not dn.keep_blocks(a, 3).any()
    with pytest.raises(ValueError, match="side must be"):
        dn.keep_blocks(a, 5)


def test_heal():
    from solver.dsl import denoise as dn

    a = g([[3, 3, 3, 0, 0],
           [3, 8, 3, 0, 8],
           [3, 3, 3, 0, 0]])
    assert L(check_pure(dn.heal, a, 8)) == [[3, 3, 3, 0, 0],
                                            [3, 3, 3, 0, 0],
                                            [3, 3, 3, 0, 0]]
    with pytest.raises(ValueError, match="no cell"):
        dn.heal(a, 7)


def test_classify():
    from solver.dsl import classify as cl

    one, two = ((5, 5, 5),), ((5, 0, 5),)
    table = ((1, one), (2, two))
    a = g([[0, 3, 3], [0, 0, 0]])  # one object
    b = g([[3, 0, 3], [0, 0, 0]])  # two
    assert L(check_pure(cl.classify, a, "n_objects", table)) == [[5, 5, 5]]
    assert L(cl.classify(b, "n_objects", table)) == [[5, 0, 5]]
    assert [cl.class_key(b, p) for p in cl.CLASS_PROPS][:4] == [2, 2, 3, 2]
    # the mask: the same cells in another colour are the same; another shape is not
    assert cl.class_key(b, "mask") == cl.class_key(g([[7, 0, 7], [0, 0, 0]]), "mask")
    assert cl.class_key(b, "mask") != cl.class_key(g([[3, 0, 3], [0, 0, 0], [0, 0, 0]]), "mask")
    assert cl.class_key(b, "mask") != cl.class_key(a, "mask")
    with pytest.raises(ValueError, match="no answer"):
        cl.classify(g([[3, 0, 3, 0, 3]]), "n_objects", table)
    with pytest.raises(ValueError, match="prop"):
        cl.class_key(a, "weight")


def test_constant():
    from solver.dsl import classify as cl

    assert L(check_pure(cl.constant, g([[1, 2]]), ((0, 2, 0), (4, 6, 3)))) == [[0, 2, 0], [4, 6, 3]]


def test_recolor_from_edge():
    from solver.dsl import markers as mk

    a = g([[1, 0, 5, 5, 0],
           [2, 0, 5, 0, 0],
           [0, 0, 0, 0, 5]])
    assert L(check_pure(mk.recolor_from_edge, a, 5, "left", "cell")) == [[1, 0, 1, 1, 0],
                                                                         [2, 0, 2, 0, 0],
                                                                         [0, 0, 0, 0, 5]]
    # one object sees two markers (1 and 2): it stays; the lone 5 sees none
    assert L(mk.recolor_from_edge(a, 5, "left", "object")) == L(a)
    top = g([[0, 3, 0, 0], [0, 5, 5, 0], [0, 0, 0, 5]])
    assert L(mk.recolor_from_edge(top, 5, "up", "object"))[1] == [0, 3, 3, 0]
    with pytest.raises(ValueError, match="side"):
        mk.recolor_from_edge(a, 5, "middle", "cell")


def test_fill_bbox():
    a = g([[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
    assert L(check_pure(ob.fill_bbox, a, 2))[2] == [0, 1, 2, 0]


def test_move_until_contact():
    a = g([[2, 0, 0, 0, 8], [2, 0, 0, 0, 8]])
    assert L(check_pure(ob.move_until_contact, a, 2, "right")) == [[0, 0, 0, 2, 8],
                                                                   [0, 0, 0, 2, 8]]
    assert L(ob.move_until_contact(g([[3], [0], [0]]), 3, "down")) == [[0], [0], [3]]
    b = g([[0, 0, 0], [8, 0, 2], [0, 0, 0]])
    assert L(ob.move_until_contact(b, 2, "toward")) == [[0, 0, 0], [8, 2, 0], [0, 0, 0]]


def test_gravity_objects():
    a = g([[1, 1, 0], [0, 1, 0], [0, 0, 0], [2, 0, 0]])
    assert L(check_pure(ob.gravity_objects, a, "down")) == [[0, 0, 0], [0, 0, 0], [1, 1, 0],
                                                            [2, 1, 0]]


def test_stamp_template():
    a = g([[0, 0, 0, 0, 0], [0, 0, 5, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 2, 3, 0, 0]])
    out = check_pure(ob.stamp_template, a, 5)
    assert L(out)[1] == [0, 1, 2, 3, 0]


# ---------------------------------------------------------------- readers


def test_bg_color():
    assert ob.bg_color(g([[5, 5], [0, 5]])) == 0 and ob.bg_color(g([[5, 5], [3, 5]])) == 5


def test_most_common_color():
    assert ob.most_common_color(g([[5, 5], [0, 5]])) == 5


def test_least_common_color():
    assert ob.least_common_color(g([[5, 5, 2], [0, 0, 5]])) == 2


def test_most_common_fg_color():
    assert ob.most_common_fg_color(g([[0, 0, 0], [3, 2, 2]])) == 2
    assert ob.most_common_fg_color(g([[0, 0]])) == 0


def test_largest_object_color():
    assert ob.largest_object_color(OBJS) == 4


def test_smallest_object_color():
    assert ob.smallest_object_color(OBJS) == 2


# ---------------------------------------------------------------- two images (layers)


BASE = g([[1, 1, 0], [0, 2, 0], [0, 0, 0]])
TOP = g([[0, 3, 3], [0, 0, 0], [4, 0, 0]])


def test_layer():
    from solver.dsl import layers as ly

    assert L(check_pure(ly.layer, BASE, TOP)) == [[1, 3, 3], [0, 2, 0], [4, 0, 0]]
    with pytest.raises(ValueError, match="shapes"):
        ly.layer(BASE, g([[1, 2]]))
    # a top without 0 has its most common colour as background: only the rest is laid
    assert L(ly.layer(BASE, g([[5, 5, 5], [5, 6, 5], [5, 5, 5]])))[1] == [0, 6, 0]


def test_underlay():
    from solver.dsl import layers as ly

    assert L(check_pure(ly.underlay, BASE, TOP)) == [[1, 1, 3], [0, 2, 0], [4, 0, 0]]
    with pytest.raises(ValueError, match="shapes"):
        ly.underlay(BASE, g([[1]]))


def test_mask_by():
    from solver.dsl import layers as ly

    assert L(check_pure(ly.mask_by, BASE, TOP)) == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="shapes"):
        ly.mask_by(BASE, g([[1]]))


def test_mask_out():
    from solver.dsl import layers as ly

    assert L(check_pure(ly.mask_out, BASE, TOP)) == [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="shapes"):
        ly.mask_out(BASE, g([[1]]))


def test_changes():
    from solver.dsl import layers as ly

    after = g([[1, 5, 0], [0, 2, 7], [0, 0, 0]])
    assert L(check_pure(ly.changes, after, BASE)) == [[0, 5, 0], [0, 0, 7], [0, 0, 0]]
    with pytest.raises(ValueError, match="shapes"):
        ly.changes(after, g([[1]]))


def test_programs_over_two_images_run_and_fail_detectably():
    two = ("def task(img):\n"
           "    p1 = flip_lr(img)\n"
           "    img = layer(img, p1)\n"
           "    return img\n")
    assert dsl.run_trusted(two, L(BASE)) == ((1, 1, 1), (0, 2, 0), (0, 0, 0))
    without_p1 = two.replace("    p1 = flip_lr(img)\n", "")
    with pytest.raises(NameError):  # deleting a definition is detectable
        dsl.run_trusted(without_p1, L(BASE))
    assert dsl.run_trusted(two.replace("    img = layer(img, p1)\n", ""), L(BASE)) == \
        tuple(map(tuple, L(BASE)))  # deleting the use leaves a valid program


# ---------------------------------------------------------------- colour normalisation


def test_norm_colors():
    from solver.dsl import palette as pl

    a = g([[0, 0, 3], [5, 5, 5], [0, 0, 0]])  # background 0; 5 more common than 3
    assert L(check_pure(pl.norm_colors, a)) == [[0, 0, 2], [1, 1, 1], [0, 0, 0]]
    no_zero = g([[4, 4, 4], [4, 9, 4]])  # no 0: the most common colour is the background
    assert L(pl.norm_colors(no_zero)) == [[0, 0, 0], [0, 1, 0]]
    assert pl.color_order(a).tolist() == [0, 5, 3, 1, 2, 4, 6, 7, 8, 9]


def test_unnorm_colors():
    from solver.dsl import palette as pl

    a = g([[0, 0, 3], [5, 5, 5], [0, 0, 0]])
    assert L(check_pure(pl.unnorm_colors, pl.norm_colors(a), a)) == L(a)
    painted = g([[2, 1, 3]])  # 3 is absent from a: it maps back to the first absent colour
    assert L(pl.unnorm_colors(painted, a)) == [[3, 5, 1]]
    with pytest.raises(ValueError, match="0..9"):
        pl.unnorm_colors(g([[10]]), a)


# ---------------------------------------------------------------- the set as a whole


def test_every_v2_primitive_has_a_test_docstring_and_hints():
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    for name, fn in dsl.V2_PRIMITIVES.items():
        assert f"test_{name}" in tests, f"primitive {name} has no test_{name}"
        assert fn.__doc__ and "\n" not in fn.__doc__.strip(), f"{name}: one-line docstring"
        assert "return" in fn.__annotations__ and len(fn.__annotations__) >= 2, f"{name}: hints"


def test_namespace_has_v2_and_drawing_primitives():
    ns = dsl.namespace()
    for name in ("draw_line", "flood_fill", "rot90", "crop_to_object", "bg_color"):
        assert callable(ns[name])
    assert set(dsl.V2_PRIMITIVES) <= set(dsl.PRIMITIVES)


def test_run_trusted_v2_program():
    code = ("def task(img):\n"
            "    img = crop_to_object(img, 'largest', 4, False)\n"
            "    img = recolor(img, 4, least_common_color(img))\n"
            "    return img\n")
    assert dsl.run_trusted(code, L(OBJS)) == ((0, 0, 0), (0, 0, 0), (0, 0, 0))
    code2 = code.replace("least_common_color", "most_common_fg_color")
    assert dsl.run_trusted(code2, L(OBJS)) == ((4, 4, 4), (4, 0, 4), (4, 4, 4))


# ---------------------------------------------------------------- in the sandbox


def test_sandbox_runs_v2_programs_and_contains_huge_grids():
    from solver.sandbox.executor import Executor

    ok = ("def task(img):\n"
          "    img = crop_to_object(img, 'largest', 4, False)\n"
          "    img = recolor(img, 4, smallest_object_color(img))\n"
          "    return img\n")
    huge = "def task(img):\n    img = tile(img, 1000, 1000)\n    return img\n"
    bad = "def task(img):\n    img = crop_to_color(img, 9)\n    return img\n"
    inputs = [tuple(map(tuple, L(OBJS)))]
    with Executor(workers=1, timeout_s=2.0, memory_mb=256) as ex:
        res = ex.run([ok, huge, bad], inputs)
    assert res[0].status == "ok"
    assert res[0].outputs == [dsl.run_trusted(ok, inputs[0])]
    assert not res[1].ok and res[1].kind in ("invalid_output", "memory", "timeout")
    assert res[2].status == "error:ValueError"


def test_every_v2_primitive_is_documented():
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "DSL.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)`", doc, re.M))
    assert set(dsl.V2_PRIMITIVES) <= documented, sorted(set(dsl.V2_PRIMITIVES) - documented)


def test_stamp_around_for_every_colour_and_in_the_own_colour():
    a = g([[0, 0, 0, 0, 0], [0, 2, 0, 5, 0], [0, 0, 0, 0, 0]])
    k, s = ops.KEEP, ops.SELF
    below = ((k, k, k), (k, k, k), (k, s, k))  # the cell below, in the cell's own colour
    assert L(check_pure(ops.stamp_around, a, ((ops.ANY, below),))) == [
        [0, 0, 0, 0, 0], [0, 2, 0, 5, 0], [0, 2, 0, 5, 0]]
    above = ((k, 7, k), (k, k, k), (k, k, k))
    # a colour with its own entry is not stamped by the every-colour entry
    assert L(ops.stamp_around(a, ((2, above), (ops.ANY, below)))) == [
        [0, 7, 0, 0, 0], [0, 2, 0, 5, 0], [0, 0, 0, 5, 0]]


def test_recolor_by_with_a_default_entry():
    # the two single cells are named by the table; the square, the bar and the ring (4, 2
    # and 8 cells) take the default
    out = check_pure(ob.recolor_by, OBJS, "size", ((1, 5), (None, 6)), 4)
    assert int((out == 5).sum()) == 2 and int((out == 6).sum()) == 14
    assert ob.table_of(((1, 5), (None, 6))) == ({1: 5}, 6)
    assert ob.table_of(((1, 5),)) == ({1: 5}, None)


def test_filter_objects():
    # OBJS (4-connected): a 2x2 of 1s (4 cells), two single 2s, a bar of 3s (2), a ring of 4s (8)
    kept = check_pure(ob.filter_objects, OBJS, "size", (1, 2), True, 4)
    assert sorted(set(np.unique(kept).tolist())) == [0, 2, 3]
    gone = ob.filter_objects(OBJS, "size", (1, 2), False, 4)
    assert sorted(set(np.unique(gone).tolist())) == [0, 1, 4]


def test_attract():
    a = g([[0, 0, 0, 0, 0, 3],
           [2, 0, 0, 0, 0, 3],
           [2, 0, 0, 3, 0, 3],
           [2, 0, 2, 0, 0, 0],
           [0, 0, 0, 0, 0, 4]])
    # the 3 at (2, 3) moves right to touch the 3s, the 2 at (3, 2) left to touch the 2s; the
    # 4 has no 4s to go to: erased (drop) or kept
    assert L(check_pure(ob.attract, a, "same", True, False)) == [[0, 0, 0, 0, 0, 3],
                                                  [2, 0, 0, 0, 0, 3],
                                                  [2, 0, 0, 0, 3, 3],
                                                  [2, 2, 0, 0, 0, 0],
                                                  [0, 0, 0, 0, 0, 0]]
    assert L(ob.attract(a, "same", False, False))[4] == [0, 0, 0, 0, 0, 4]
    # to any larger object, taking its colour: the 4 goes up to the 3s and becomes 3
    assert [row[5] for row in L(ob.attract(a, "any", True, True))] == [3, 3, 3, 3, 0]
    with pytest.raises(ValueError, match="to must be"):
        ob.attract(a, "near", True, False)
    pile = g([[5, 5, 5], [0, 0, 0], [0, 2, 0], [0, 0, 0], [0, 1, 0]])
    assert [row[1] for row in L(ob.attract(pile, "any", True, True))] == [5, 5, 5, 0, 0]


def test_reach():
    a = g([[1, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 6],
           [0, 0, 0, 0, 0, 0],
           [0, 3, 3, 0, 0, 1],
           [0, 3, 3, 0, 0, 0],
           [0, 0, 0, 0, 0, 0],
           [0, 6, 0, 0, 0, 0]])
    # the 1 at (3, 5) draws a line left to the 3s, the 6 at (6, 1) one up; the other cells
    # are in line with no larger object (a line is not one: the 6 at (1, 5) stays)
    assert L(check_pure(ob.reach, a, "any")) == [[1, 0, 0, 0, 0, 0],
                                              [0, 0, 0, 0, 0, 6],
                                              [0, 0, 0, 0, 0, 0],
                                              [0, 3, 3, 1, 1, 1],
                                              [0, 3, 3, 0, 0, 0],
                                              [0, 6, 0, 0, 0, 0],
                                              [0, 6, 0, 0, 0, 0]]
    # only to objects of their own colour: nothing to reach here
    assert L(ob.reach(a, "same")) == L(a)
    with pytest.raises(ValueError, match="reach: to must be"):
        ob.reach(a, "near")


def test_extend_diagonals():
    tails = g([[0, 0, 0, 0, 0],
               [0, 3, 3, 0, 0],
               [0, 3, 3, 0, 0],
               [0, 0, 0, 3, 0],
               [0, 0, 0, 0, 0]])
    # the 3 at (3, 3) hangs off the square by a corner: it goes on down-right
    assert L(check_pure(ob.extend_diagonals, tails, "tails"))[4] == [0, 0, 0, 0, 3]
    notch = g([[0, 0, 0, 0, 0],
               [0, 0, 0, 0, 0],
               [0, 7, 0, 0, 0],
               [0, 7, 7, 0, 0],
               [0, 0, 0, 0, 0]])
    # the L misses its top-right corner (2, 2): a ray from beyond it, up-right
    out = L(ob.extend_diagonals(notch, "notches"))
    assert out[2][2] == 0 and out[1][3] == 7 and out[0][4] == 7
    assert L(ob.extend_diagonals(notch, "tails")) == L(notch)  # no tails here
    with pytest.raises(ValueError, match="source must be"):
        ob.extend_diagonals(notch, "corners")


def test_corner_rays():
    a = g([[0, 0, 0, 0, 0, 0],
           [0, 1, 1, 0, 0, 0],
           [0, 1, 1, 0, 0, 0],
           [0, 0, 0, 2, 0, 0],
           [0, 0, 0, 0, 0, 0]])
    out = L(check_pure(ob.corner_rays, a, ((1, "ul"), (2, "dr"))))
    assert out[0][0] == 1 and out[3][3] == 2 and out[4][4] == 2
    # the 1s' ray from their top-left corner; the 2's from its own bottom-right; no entry: none
    assert L(ob.corner_rays(a, ((2, "ur"),)))[2][4] == 2 and L(ob.corner_rays(a, ()))[0][0] == 0
    with pytest.raises(ValueError, match="directions must be"):
        ob.corner_rays(a, ((1, "up"),))


def test_recolor_in_bbox():
    a = g([[1, 8, 1, 1, 0],
           [1, 1, 1, 8, 0],
           [0, 1, 0, 1, 1],
           [1, 0, 1, 1, 8]])
    # one box around every 8: rows 0-3, columns 1-4
    assert L(check_pure(ob.recolor_in_bbox, a, 8, 1, 3, True)) == [[1, 8, 3, 3, 0],
                                                                  [1, 3, 3, 8, 0],
                                                                  [0, 3, 0, 3, 3],
                                                                  [1, 0, 3, 3, 8]]
    # object by object: each 8 is its own box of one cell, nothing inside to recolour
    assert L(ob.recolor_in_bbox(a, 8, 1, 3, False)) == L(a)
    b = g([[0, 2, 0, 0], [0, 5, 6, 2], [0, 0, 0, 0]])
    # ANY (-1): every colour but the anchor's and the background, in the 2s' one box
    assert L(ob.recolor_in_bbox(b, 2, -1, 4, True)) == [[0, 2, 0, 0], [0, 4, 4, 2], [0, 0, 0, 0]]


def test_fill_squares():
    a = g([[0, 0, 0, 5],
           [0, 0, 0, 5],
           [5, 0, 0, 5],
           [5, 0, 0, 0]])
    # 2 x 2 squares of 0 in reading order: (0, 0) is taken, (0, 1) overlaps it, (2, 1) is
    # taken; the rest overlap
    assert L(check_pure(ob.fill_squares, a, 2, 0, 1)) == [[1, 1, 0, 5],
                                                         [1, 1, 0, 5],
                                                         [5, 1, 1, 5],
                                                         [5, 1, 1, 0]]
    assert L(ob.fill_squares(a, 3, 0, 1)) == L(a)  # no 3 x 3 square of 0
    with pytest.raises(ValueError, match="side must be"):
        ob.fill_squares(a, 5, 0, 1)


def test_attract_to_colours_and_along_diagonals():
    a = g([[3, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 2, 0, 7],
           [0, 0, 0, 0, 0],
           [0, 0, 3, 0, 0]])
    # toward the cells of colour 2 (single cells too): the 3 below moves up, the 7 left; the
    # 3 in the corner is in line only along a diagonal
    straight = L(check_pure(ob.attract, a, (2,), True, False))
    assert straight == [[0, 0, 0, 0, 0],
                        [0, 0, 0, 0, 0],
                        [0, 0, 2, 7, 0],
                        [0, 0, 3, 0, 0],
                        [0, 0, 0, 0, 0]]
    assert L(ob.attract(a, (2,), True, False, True))[1][1] == 3  # diagonal: it comes too
    assert L(ob.attract(a, (2,), False, False))[0][0] == 3  # not in line: it stays
    with pytest.raises(ValueError, match="tuple of colours"):
        ob.attract(a, (), True, False)


def test_step_toward():
    a = g([[3, 0, 0], [0, 0, 0], [0, 0, 4]])
    assert L(check_pure(ob.step_toward, a, 3, 4)) == [[0, 0, 0], [0, 3, 0], [0, 0, 4]]
    level = g([[0, 0, 0], [3, 0, 4], [0, 0, 0]])
    assert L(ob.step_toward(level, 3, 4)) == [[0, 0, 0], [0, 3, 4], [0, 0, 0]]
    assert L(ob.step_toward(ob.step_toward(level, 3, 4), 3, 4))[1] == [0, 3, 4]  # no room
    with pytest.raises(ValueError, match="two colours"):
        ob.step_toward(a, 3, 5)


def test_attract_refuses_noise():
    few = np.zeros((9, 9), dtype=np.int8)
    few[::2, ::2] = 3  # 25 single cells: cells to move
    assert ob.attract(few, "same", True, False).shape == (9, 9)
    noise = np.zeros((20, 20), dtype=np.int8)
    noise[::2, ::2] = 3  # 100 single cells: noise
    with pytest.raises(ValueError, match="single cells"):
        ob.attract(noise, "same", True, False)
