"""DSL v2 task generators: every family's tasks are reproduced by their program text, the
verifier rejects a task whose train pairs cannot tell two programs of the family apart, and
generation is deterministic per (seed, task index)."""

import json
import re

import numpy as np
import pytest

from solver import dsl
from solver.arc.grids import load_solutions, load_tasks
from solver.cli.main import main
from solver.dsl import gen
from solver.dsl.gen import (cells, classify, colors, compose, denoise, geometry, layers, paint, palette, parts,
                            paths, regions, selection, shapes)
from solver.dsl.gen.core import Draft, Reader, Step, V2Config, Var, ambiguous, program_text, run, same, verify

FAMILY_OPS = {  # the operations each family's programs may use
    "rigid": set(geometry.RIGID),
    "scale": {"upscale", "downscale"},
    "tile": {"tile", "tile_mirror", "self_tile", "crop_to_period"},
    "crop": {"crop", "crop_bbox", "crop_to_color", "crop_inside_color", "crop_to_object", "fg_row"},
    "color-map": {"recolor", "swap_colors", "map_colors", "keep_color", "remove_color"},
    "outline": {"outline", "hollow", "draw_border", "halo", "stamp_around"},
    "fill": {"fill_enclosed", "fill_bbox"},
    "rays": {"ray", "connect", "lines_through", "connect_with"},
    "gravity": {"gravity", "gravity_objects", "move_until_contact", "shift"},
    "split-combine": {"combine_parts", "overlay_parts", "select_part", "summarize_parts"},
    "symmetry": {"symmetrize", "complete_symmetry", "symmetry_patch", "complete_pattern"},
    "objects": {"keep_objects", "remove_objects", "recolor_objects"},
    "recolor-by": {"recolor_by"},
    "stamp": {"stamp_template"},
    "random-v2": None,  # any
    "lines2": {"ray", "ray_to", "path_l"},
    "regions": {"recolor_regions_by", "paint_roles"},
    "layers": {*geometry.RIGID, "shift", "recolor", "layer", "underlay", "mask_by", "mask_out", "changes",
               *(e.op for e in layers.EDITS)},
    "mix": None,
}
FAMILY_OPS.update({"denoise": {"stripes", "heal"}, "classify": {"classify"},
                   "shapes": {"replace_shapes", "map_objects"},
                   "cells": {"summarize_parts", "fill_parts", "map_colors", "connect", "ray", *geometry.RIGID,
                             "gravity", "symmetrize"},
                   "palette": {"norm_colors", "unnorm_colors", *(o.op for o in palette.role_ops(3))}})
MULTI_STEP = {"random-v2", "lines2", "layers", "cells", "palette"}  # families whose programs may have several lines


def test_every_family_is_listed():
    assert set(FAMILY_OPS) == set(gen.FAMILIES)
    assert set(gen.ALL_FAMILIES) == set(gen.FAMILIES) | set(dsl.synth.FAMILIES)


# ---------------------------------------------------------------- (a) ground truth reproduces


@pytest.mark.parametrize("family", gen.FAMILIES)
def test_generated_tasks_are_solved_by_their_program(family):
    tasks, stats = gen.generate_v2(family, 3, seed=7)
    assert stats.made == 3 and len(tasks) == 3
    for t in tasks:
        assert 2 <= len(t.task.train) <= 5 and 1 <= len(t.task.test) <= 2
        lines = t.program.splitlines()
        assert lines[0] == "def task(img):" and lines[-1] == "    return img"
        assert all(re.match(r"    [a-z][a-z0-9_]* = [a-z_0-9]+\([a-z][a-z0-9_]*[,)]", line)
                   for line in lines[1:-1]), t.program
        assert lines[-2].startswith("    img = ")
        assert t.program == program_text(t.steps)
        ops = {s.op for s in t.steps}
        assert t.family in gen.GENERATORS and t.task.id.startswith(t.family)
        if FAMILY_OPS[t.family] is not None:
            assert ops <= FAMILY_OPS[t.family], (t.family, ops)
        if t.family not in MULTI_STEP and FAMILY_OPS[t.family] is not None:
            assert len(t.steps) == 1, t.program
        if t.family == "random-v2":
            assert 1 <= len(t.steps) <= 3
        for pair in (*t.task.train, *t.task.test):
            assert dsl.run_trusted(t.program, pair.input) == pair.output
            assert pair.output != pair.input
            for g in (pair.input, pair.output):
                assert 1 <= len(g) <= 30 and 1 <= len(g[0]) <= 30


def test_inputs_look_like_arc():
    """Mostly black backgrounds, sparse foreground, a spread of sides."""
    tasks, _ = gen.generate_v2("objects", 12, seed=1)
    tasks += gen.generate_v2("rigid", 12, seed=1)[0]
    grids = [np.array(p.input) for t in tasks for p in t.task.train]
    black = np.mean([(g == 0).any() for g in grids])
    assert black > 0.5
    fg = np.mean([(g != 0).mean() for g in grids if (g == 0).any()])
    assert 0.05 < fg < 0.6
    sides = {max(g.shape) for g in grids}
    assert len(sides) >= 5


# ---------------------------------------------------------------- (b) ambiguity is rejected


def _grids(*gs):
    return [np.array(g, dtype=np.int8) for g in gs]


def _rejected(program, train, test, alternatives):
    """Verify a hand-made draft: the reason it is dropped and the program that shows why."""
    inputs = _grids(*train, *test)
    draft = Draft(program, inputs, len(train), alternatives)
    outs, why = verify(draft)
    return why, (ambiguous(draft, outs) if len(outs) == len(inputs) else None)


SYM = [[1, 2, 0], [2, 0, 0], [0, 0, 3]]  # equal to its transpose
SYM2 = [[0, 4, 0], [4, 5, 0], [0, 0, 0]]
ASYM = [[1, 2, 0], [0, 0, 0], [0, 0, 3]]


def _case(family):
    """(program, train inputs, test inputs, alternatives, the program that cannot be told apart)."""
    if family == "rigid":  # on transpose-symmetric grids rot90 == flip_lr
        return ((Step("rot90"),), [SYM, SYM2], [ASYM], [(Step(o),) for o in geometry.RIGID],
                (Step("flip_lr"),))
    if family == "scale":  # 1x1 inputs: upscale == tile
        return ((Step("upscale", (2, 2)),), [[[3]], [[5]]], [[[1, 2], [0, 3]]],
                geometry._shape_alternatives(2, 2), (Step("tile", (2, 2)),))
    if family == "tile":  # left-right symmetric inputs: tile == tile_mirror
        return ((Step("tile", (1, 2)),), [[[1, 0, 1], [2, 2, 2]], [[0, 3, 0], [3, 0, 3]]],
                [[[1, 0, 0], [2, 2, 2]]], geometry._shape_alternatives(1, 2),
                (Step("tile_mirror", (1, 2)),))
    if family == "crop":  # one object per train input: largest == bounding box of everything
        one = [[0, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]
        one2 = [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 2, 2, 2], [0, 0, 0, 0, 0]]
        two = [[0, 0, 0, 0, 0], [3, 3, 0, 0, 0], [3, 3, 0, 4, 0], [0, 0, 0, 0, 0]]
        return ((Step("crop_to_object", ("largest", 8, False)),), [one, one2], [two],
                geometry.crop_alternatives(list(range(10))), (Step("crop_bbox"),))
    if family == "color-map":  # colour 3 appears only in the test input: mapped or kept?
        step = Step("recolor", (1, 2))
        return ((step,), [[[0, 1, 0], [1, 1, 0], [0, 0, 0]], [[1, 0, 0], [0, 0, 1], [0, 0, 0]]],
                [[[1, 0, 0], [0, 3, 0], [0, 0, 0]]], colors.color_alternatives(step, {0, 1, 3}),
                (Step("map_colors", (((1, 2), (3, 0)),)),))
    if family == "outline":  # a pixel in a 3x3 grid: its outline is the grid's border
        return ((Step("outline", (3,)),), [[[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 2, 0], [0, 0, 0]]],
                [[[0] * 5, [0] * 5, [0, 0, 1, 0, 0], [0] * 5, [0] * 5]], paint.paint_alternatives(),
                (Step("draw_border", (3,)),))
    if family == "fill":  # rectangular frames: enclosed == inside the bounding box
        frame = [[0] * 6, [0, 1, 1, 1, 1, 0], [0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 0], [0] * 6]
        frame2 = [[0] * 5, [0, 2, 2, 2, 0], [0, 2, 0, 2, 0], [0, 2, 2, 2, 0], [0] * 5]
        ell = [[0] * 7, [0, 1, 1, 1, 0, 0, 0], [0, 1, 0, 1, 0, 0, 0], [0, 1, 1, 1, 0, 0, 0],
               [0, 0, 0, 0, 0, 3, 0], [0, 0, 0, 0, 0, 3, 3], [0] * 7]
        return ((Step("fill_enclosed", (4,)),), [frame, frame2], [ell], paint.paint_alternatives(),
                (Step("fill_bbox", (4,)),))
    if family == "rays":  # sources on the top row: down == up and down
        r1 = [[0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        r2 = [[0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0]]
        r3 = [[0, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        return ((Step("ray", (2, "down")),), [r1, r2], [r3], paint.ray_alternatives(),
                (Step("ray", (2, "v")),))
    if family == "gravity":  # single pixels: cells fall == objects fall
        return ((Step("gravity", ("down",)),), [[[1, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 2], [0, 0, 0], [0, 0, 0], [0, 0, 0]]],
                [[[1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0]]], paint.gravity_alternatives(),
                (Step("gravity_objects", ("down",)),))
    if family == "split-combine":  # halves that never overlap: or == xor
        return ((Step("combine_parts", ("lr", "or", 3)),), [[[1, 0, 0, 0], [0, 0, 0, 1]], [[0, 1, 1, 0], [0, 0, 0, 0]]],
                [[[1, 1, 1, 0], [0, 0, 0, 1]]], parts.split_alternatives(3),
                (Step("combine_parts", ("lr", "xor", 3)),))
    if family == "symmetry":  # patterns symmetric both ways: mirroring left-right == up-down
        y1 = [[1, 2, 2, 1], [3, 0, 4, 3], [3, 4, 4, 3], [1, 2, 2, 1]]
        y2 = [[5, 0, 0, 5], [0, 6, 6, 0], [0, 6, 0, 0], [5, 0, 0, 5]]
        y3 = [[1, 2, 2, 1], [0, 0, 3, 0], [4, 0, 0, 4], [5, 5, 5, 5]]
        return ((Step("symmetrize", ("lr",)),), [y1, y2], [y3],
                [(Step("symmetrize", (k,)),) for k in parts.SYMMETRIES], (Step("symmetrize", ("ud",)),))
    if family == "objects":  # the largest object is also the tallest in every train input
        o1 = [[0] * 7, [0, 1, 1, 1, 0, 0, 0], [0, 1, 0, 1, 0, 2, 0], [0, 1, 1, 1, 0, 0, 0], [0] * 7]
        o2 = [[0] * 6, [0, 3, 3, 3, 0, 0], [0, 3, 0, 3, 0, 4], [0, 3, 3, 3, 0, 4], [0] * 6]
        o3 = [[0] * 7, [0, 1, 1, 1, 0, 0, 0], [0, 1, 1, 1, 0, 2, 2], [0, 1, 1, 1, 0, 2, 0],
              [0, 0, 0, 0, 0, 2, 2], [0] * 7]
        return ((Step("keep_objects", ("largest", 8, False)),), [o1, o2], [o3],
                selection.object_alternatives("keep_objects", "largest", None, 8, False),
                (Step("keep_objects", ("tallest", 8, False)),))
    if family == "recolor-by":  # vertical lines: height == size
        b1 = [[5, 0, 5, 0, 0], [0, 0, 5, 0, 5], [0, 0, 0, 0, 5], [0, 0, 0, 0, 5], [0, 0, 0, 0, 0]]
        b2 = [[0, 5, 0, 0], [0, 5, 0, 5], [0, 0, 0, 5], [5, 0, 0, 0]]
        b3 = [[0, 0, 0, 0], [0, 5, 5, 0], [0, 0, 0, 0], [5, 0, 0, 0]]
        table = ((1, 6), (2, 7), (3, 8))
        return ((Step("recolor_by", ("height", table, 8)),), [b1, b2], [b3],
                selection.recolor_by_alternatives, (Step("recolor_by", ("size", table, 4)),))
    if family == "random-v2":  # rot90 then recolor == flip_lr then recolor on symmetric grids
        prog = (Step("rot90"), Step("recolor", (1, 2)))
        train, test = [SYM, [[1, 0, 0], [0, 1, 4], [0, 4, 0]]], [ASYM]
        alts = compose.composition_alternatives(prog, [compose.GROUP["rigid"], compose.GROUP["color"]],
                                                _grids(*train, *test))
        return prog, train, test, alts, (Step("flip_lr"), Step("recolor", (1, 2)))
    if family == "lines2":  # every start in its end's row: across first == down first
        a = [[2, 0, 0, 3], [0, 0, 0, 0], [0, 0, 0, 0]]
        b = [[0, 0, 0, 0], [3, 0, 0, 2], [0, 0, 0, 0]]
        c = [[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3]]
        prog = (Step("path_l", (2, 3, 8, "hv")),)
        return prog, [a, b], [c], paths.line_alternatives, (Step("path_l", (2, 3, 8, "vh")),)
    if family == "regions":  # shapes two cells thick have no inside: its colour is not shown
        a = [[0] * 5, [0, 5, 5, 5, 0], [0, 5, 5, 5, 0], [0] * 5]
        b = [[0] * 4, [0, 3, 3, 0], [0, 3, 3, 0], [0, 3, 3, 0], [0] * 4]
        c = [[0] * 5, [0, 5, 5, 5, 0], [0, 5, 5, 5, 0], [0, 5, 5, 5, 0], [0] * 5]
        prog = (Step("paint_roles", (1, 4, 2)),)
        return prog, [a, b], [c], regions.role_alternatives(prog[0]), (Step("paint_roles", (1, 4, -1)),)
    if family == "layers":  # no object meets its mirror image: laid over == laid under
        a = [[1, 0, 0], [0, 0, 0]]
        b = [[0, 0, 0], [3, 0, 0]]
        c = [[1, 0, 2], [0, 0, 0]]
        prog = layers.copy_program([Step("flip_lr")], "layer")
        alts = layers.copy_alternatives([Step("flip_lr")], "layer", None, False)
        return prog, [a, b], [c], alts, layers.copy_program([Step("flip_lr")], "underlay")
    if family == "denoise":  # noise only on the background: healed == removed
        a = [[0, 0, 0], [0, 8, 0], [0, 0, 0]]
        b = [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 8]]
        c = [[1, 1, 1, 0], [1, 8, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
        return ((Step("heal", (8,)),), [a, b], [c], denoise.denoise_alternatives,
                (Step("remove_color", (8,)),))
    if family == "classify":  # single cells only: objects counted == cells counted
        a = [[0, 0, 0], [0, 4, 0], [0, 0, 0]]
        b = [[4, 0, 0], [0, 0, 0], [0, 0, 4]]
        c = [[0, 0, 0], [0, 4, 4], [0, 0, 0]]
        table = ((1, ((1,),)), (2, ((2,),)))
        return ((Step("classify", ("n_objects", table)),), [a, b], [c], classify.classify_alternatives,
                (Step("classify", ("fg_cells", table)),))
    if family == "shapes":  # every train object is 5: its own colour == 5
        table = ((((1, 1),), ((-2, 4),)),)
        a = [[5, 5, 0, 0], [0, 0, 0, 0]]
        b = [[0, 0, 0], [0, 5, 5]]
        c = [[6, 6, 0], [0, 0, 0]]
        return ((Step("replace_shapes", (table, 8)),), [a, b], [c], shapes.shape_alternatives(table, 8, [0, 5, 6]),
                (Step("replace_shapes", (((((1, 1),), ((5, 4),)),), 8)),))
    if family == "cells":  # pairs of cells only in rows: joined across == joined both ways
        def big(small):  # one-cell parts between lines of 5
            out = []
            for i, row in enumerate(small):
                out.append([v for j, x in enumerate(row) for v in ([x] if j == 0 else [5, x])])
                if i < len(small) - 1:
                    out.append([5] * (2 * len(row) - 1))
            return out
        a = big([[1, 0, 1], [0, 0, 0], [0, 0, 0]])
        b = big([[0, 0, 0], [2, 0, 2], [0, 0, 0]])
        c = big([[1, 0, 1], [0, 0, 0], [1, 0, 0]])
        prog = cells.lifted(Step("connect", ("h",)))
        return (prog, [a, b], [c], cells.lifted_alternatives(prog[1], [1, 2, 5], False),
                cells.lifted(Step("connect", ("hv",))))
    if family == "palette":  # two colours a pair: the second colour == the least common one
        a = [[1, 1, 1, 0], [0, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]
        b = [[0, 0, 0, 0], [3, 3, 3, 0], [0, 0, 0, 0], [0, 0, 0, 4]]
        c = [[5, 5, 5, 0], [0, 6, 6, 0], [0, 0, 0, 7], [0, 0, 0, 0]]
        op = Step("recolor", (2, 1))
        return (palette.by_roles(op), [a, b], [c], palette.palette_alternatives(op, 2),
                (Step("recolor", (Reader("least_common_color"), Reader("most_common_fg_color"))),))
    raise KeyError(family)


def test_programs_over_two_images_render_and_run():
    """A step may write another image and take one as an argument; the text runs in the
    trusted runner as the steps do, and the result is ``img``."""
    piece = Step("ray", (3, "down"))
    base = Step("recolor_objects", ("largest", 2, 8, False))
    prog = layers.delta_program(piece, base)
    assert program_text(prog) == (
        "def task(img):\n"
        "    p1 = ray(img, 3, 'down')\n"
        "    p1 = changes(p1, img)\n"
        "    img = recolor_objects(img, 'largest', 2, 8, False)\n"
        "    img = layer(img, p1)\n"
        "    return img\n")
    g = _grids([[0, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [5, 5, 0, 4]])[0]
    out = run(prog, g)  # the 5s are the largest on the input: recoloured, the ray laid over
    assert out.tolist() == [[0, 3, 0, 0], [0, 3, 0, 0], [0, 3, 0, 0], [0, 3, 0, 0], [2, 2, 0, 4]]
    assert dsl.run_trusted(program_text(prog), g) == tuple(map(tuple, out.tolist()))
    # the chain (ray first) makes the ray the largest object, and recolours it
    assert run((piece, base), g).tolist()[:2] == [[0, 2, 0, 0], [0, 2, 0, 0]]
    copy = layers.copy_program([Step("flip_lr"), Step("flip_ud")], "layer", (3, 6))
    assert program_text(copy).splitlines()[1:-1] == [
        "    p1 = flip_lr(img)", "    p1 = recolor(p1, 3, 6)", "    p2 = flip_ud(img)",
        "    p2 = recolor(p2, 3, 6)", "    img = layer(img, p1)", "    img = layer(img, p2)"]
    assert run((Step("layer", (Var("p9"),)),), g) is None  # an image never written: no output


def test_a_stack_that_equals_a_chain_is_dropped():
    """layers: when the train pairs cannot tell the stack from the two edits in a row, the
    draft is dropped (the chain is the simpler program)."""
    piece = Step("ray", (3, "down"))
    base = Step("recolor_objects", ("largest", 2, 8, False))
    far = [[0, 0, 0, 5, 5, 5], [0, 0, 0, 5, 5, 5], [0, 0, 0, 5, 5, 5], [3, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0], [0, 0, 4, 0, 0, 0]]
    far2 = [[0, 0, 0, 0, 3], [0, 0, 0, 0, 0], [6, 6, 0, 0, 0], [6, 6, 0, 0, 0], [6, 6, 0, 0, 0]]
    near = [[0, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [5, 5, 0, 4]]  # the ray first: largest
    source = [[3, 3, 0], [0, 0, 0], [0, 0, 5]]  # the recolouring first: no ray
    prog = layers.delta_program(piece, base)
    draft = Draft(prog, _grids(far, far2, near), 2, [], layers._edits_show(piece, base),
                  layers._not_a_chain(piece, base))
    assert verify(draft)[1] == "layers equal a chain"
    draft.inputs = _grids(far, near, far2)  # one chain is told apart, not the other
    assert verify(draft)[1] == "layers equal a chain"
    draft.inputs = _grids(near, source, far)
    assert verify(draft)[1] is None


def test_region_tables_are_fitted_on_the_train_pairs():
    """regions: a table fitted for another property competes only when the train pairs
    showed every value of the test's holes; the holes' sizes are their heights here."""
    a = [[1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0], [0] * 6]
    b = [[0] * 6, [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0]]
    tall = [[0] * 6, [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], [1, 0, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0],
            [0] * 6]
    wide = [[1, 1, 1, 1, 0, 0], [1, 0, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0], [0] * 6]
    prog = (Step("recolor_regions_by", ("size", ((1, 3), (2, 4)), True)),)
    why, rival = _rejected(prog, [a, b], [tall], regions.region_alternatives)
    assert why is None and rival is None  # height agrees with size on the test
    why, rival = _rejected(prog, [a, b], [wide], regions.region_alternatives)
    assert why == "ambiguous" and rival[0].op == "recolor_regions_by" and rival[0].args[0] != "size"


@pytest.mark.parametrize("family", [f for f in gen.FAMILIES if f not in ("stamp", "mix")])
def test_ambiguous_variant_is_rejected(family):
    program, train, test, alts, rival = _case(family)
    why, found = _rejected(program, train, test, alts)
    assert why == "ambiguous"
    assert found is not None and found != program
    inputs = _grids(*train, *test)  # each rival agrees on every train pair, not on the test
    for r in (found, rival):  # the one the verifier named first, and the one the case is built on
        assert all(same(run(r, g), run(program, g)) for g in inputs[:len(train)])
        assert not same(run(r, inputs[-1]), run(program, inputs[-1]))


def test_stamp_has_no_rival_and_drops_what_it_cannot_apply():
    """No two stamp programs (marker colours) agree on a pair where a stamp shows, so a stamp
    task is never ambiguous; a test input with two equally large templates fails the ground
    truth and the draft is dropped."""
    t = [[0] * 7, [0, 4, 4, 4, 0, 0, 0], [0, 4, 2, 4, 0, 0, 0], [0, 4, 4, 4, 0, 0, 0],
         [0] * 7, [0, 0, 0, 0, 0, 3, 0], [0] * 7]
    t2 = [[0] * 7, [0, 0, 0, 0, 0, 0, 0], [0, 3, 0, 0, 4, 4, 4], [0, 0, 0, 0, 4, 2, 4],
          [0, 0, 0, 0, 4, 4, 4], [0] * 7, [0] * 7]
    tie = [[4, 4, 0, 0, 0, 5, 5], [4, 4, 0, 0, 0, 5, 5], [0] * 7, [0, 0, 0, 3, 0, 0, 0],
           [0] * 7, [0] * 7, [0] * 7]
    alts = [(Step("stamp_template", (c,)),) for c in range(10)]
    prog = (Step("stamp_template", (3,)),)
    why, rival = _rejected(prog, [t, t2], [t], alts)
    assert why == "duplicate input" and rival is None
    why, rival = _rejected(prog, [t, t2], [t2[::-1]], alts)
    assert why is None and rival is None
    why, _ = _rejected(prog, [t, t2], [tie], alts)
    assert why == "program fails"


def test_partial_table_is_no_rival():
    """recolor-by: a table fitted on the train pairs that has no colour for a test object's
    value is not counted as a rival program."""
    b1 = [[5, 0, 0, 0], [5, 0, 5, 0], [0, 0, 5, 0], [0, 0, 5, 0]]  # lines of 2 and 3
    b2 = [[0, 5, 0, 5], [0, 5, 0, 5], [0, 5, 0, 0], [0, 0, 0, 0]]  # lines of 3 and 2
    b3 = [[5, 0, 5, 0], [5, 0, 0, 0], [5, 0, 0, 0], [5, 0, 0, 0]]  # lines of 4 and 1
    prog = (Step("recolor_by", ("size_rank", ((1, 6), (2, 7)), 8)),)
    size = (Step("recolor_by", ("size", ((2, 7), (3, 6)), 8)),)  # fits the train pairs ...
    inputs = _grids(b1, b2, b3)
    assert all(same(run(size, g), run(prog, g)) for g in inputs[:2])
    assert not same(run(size, inputs[2]), run(prog, inputs[2]))  # ... but has no colour for 4 or 1
    why, rival = _rejected(prog, [b1, b2], [b3], selection.recolor_by_alternatives)
    assert why is None and rival is None


# ---------------------------------------------------------------- (c) determinism


@pytest.mark.parametrize("family", gen.FAMILIES)
def test_generation_is_deterministic_per_seed(family):
    a, _ = gen.generate_v2(family, 2, seed=5)
    b, _ = gen.generate_v2(family, 3, seed=5)
    assert [t.program for t in a] == [t.program for t in b[:2]]
    assert [t.task for t in a] == [t.task for t in b[:2]]
    c, _ = gen.generate_v2(family, 2, seed=6)
    assert [t.task.train for t in a] != [t.task.train for t in c]


# ---------------------------------------------------------------- programs, settings, CLI


def test_program_text_renders_readers_tuples_and_enums():
    prog = (Step("recolor", (Reader("least_common_color"), 5)),
            Step("map_colors", (((1, 2), (3, 4)),)), Step("crop_to_object", ("largest", 8, False)))
    assert program_text(prog) == (
        "def task(img):\n"
        "    img = recolor(img, least_common_color(img), 5)\n"
        "    img = map_colors(img, ((1, 2), (3, 4)))\n"
        "    img = crop_to_object(img, 'largest', 8, False)\n"
        "    return img\n")


def test_settings_are_checked_and_sides_respected():
    with pytest.raises(ValueError, match="min_side"):
        gen.generate_v2("rigid", 1, 0, V2Config(min_side=5, max_side=4))
    with pytest.raises(ValueError, match="unknown DSL v2 family"):
        gen.generate_v2("squares", 1, 0)
    tasks, _ = gen.generate_v2("crop", 4, 0, V2Config(min_side=3, max_side=8))
    for t in tasks:
        for p in (*t.task.train, *t.task.test):
            assert max(len(p.input), len(p.input[0]), len(p.output), len(p.output[0])) <= 8
    tasks, _ = gen.generate_v2("random-v2", 6, 0, V2Config(max_steps=1))
    assert all(len(t.steps) == 1 for t in tasks)


def test_stats_count_drops_by_reason():
    _, stats = gen.generate_v2("objects", 10, seed=0)
    assert stats.made == 10
    assert all(isinstance(k, str) and v > 0 for k, v in stats.dropped.items())
    assert sum(stats.redrawn_pairs.values()) > 0


def test_synth_verb_writes_v2_tasks(tmp_path, capsys):
    out = tmp_path / "syn"
    assert main(["synth", "--family", "gravity", "--seed", "3", "--n-tasks", "3",
                      "--out", str(out)]) == 0
    assert "wrote 3 gravity tasks" in capsys.readouterr().out
    loaded = load_tasks(out / "challenges.json")
    solutions, problems = load_solutions(out / "solutions.json")
    programs = json.loads((out / "programs.json").read_text())
    assert not problems and len(loaded.tasks) == 3 and set(programs) == set(loaded.tasks)
    for tid, task in loaded.tasks.items():
        for pair in task.train:
            assert dsl.run_trusted(programs[tid], pair.input) == pair.output
        for inp, want in zip(task.test_inputs, solutions[tid]):
            assert dsl.run_trusted(programs[tid], inp) == want
    # the drawing families still come through the same verb, with their old side defaults
    assert main(["synth", "--family", "squares", "--seed", "1", "--n-tasks", "2",
                      "--out", str(tmp_path / "sq")]) == 0


def test_mix_draws_families_per_task_index():
    tasks, _ = gen.generate_v2("mix", 30, seed=2)
    fams = [t.family for t in tasks]
    assert len(set(fams)) >= 8
    few, _ = gen.generate_v2("mix", 5, seed=2)
    assert [t.family for t in few] == fams[:5]


def test_program_arguments_are_plain_literals():
    """Arguments are Python ints, strings, bools, tuples of them, or readers: the text form
    is the whole program."""
    def plain(a):
        return all(plain(x) for x in a) if isinstance(a, tuple) else type(a) in (int, str, bool, Reader, Var)

    tasks, _ = gen.generate_v2("mix", 30, seed=4)
    for t in tasks:
        assert all(plain(s.args) for s in t.steps), t.program
