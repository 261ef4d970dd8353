"""The DSL: the primitives generated programs call, the program representation, the seeded
task generators and the bundled demo set.

``from solver import dsl`` gives the drawing primitives (:mod:`solver.dsl.draw`), the v2
primitives that read their input (:mod:`solver.dsl.ops`: whole-grid operations;
:mod:`solver.dsl.parts`: split and combine; :mod:`solver.dsl.symmetry`: symmetry and
repetition; :mod:`solver.dsl.objects`: objects, selectors and colour readers;
:mod:`solver.dsl.layers`: primitives over two images; :mod:`solver.dsl.palette`: colour
normalisation; :mod:`solver.dsl.lines`: rays that hit, elbow paths;
:mod:`solver.dsl.regions`: background regions and the roles of object cells;
:mod:`solver.dsl.shapes`: shapes replaced by fitted patches; :mod:`solver.dsl.denoise`: stripes and
healed noise; :mod:`solver.dsl.classify`: answers looked up by a property of the input;
:mod:`solver.dsl.markers`: colours read off the border) and :data:`PRIMITIVES` /
:func:`namespace`, the names a program runs with in the sandbox.
"""

import numpy as np

from solver.dsl import draw as draw  # noqa: F401
from solver.dsl.classify import CLASSIFY_OPS
from solver.dsl.denoise import DENOISE_OPS
from solver.dsl.draw import (DTYPE, Img, Point, create_img, draw_horizontal_line,  # noqa: F401
                             draw_line, draw_pixel, draw_rectangle, draw_vertical_line, flood_fill,
                             to_img)
from solver.dsl.layers import LAYER_OPS
from solver.dsl.lines import LINE_OPS
from solver.dsl.markers import MARKER_OPS
from solver.dsl.objects import OBJECT_OPS, READERS
from solver.dsl.ops import OPS
from solver.dsl.palette import PALETTE_OPS
from solver.dsl.parts import PART_OPS
from solver.dsl.regions import REGION_OPS
from solver.dsl.shapes import SHAPE_OPS
from solver.dsl.symmetry import SYMMETRY_OPS

V2_PRIMITIVES = {f.__name__: f for f in (*OPS, *PART_OPS, *SYMMETRY_OPS, *OBJECT_OPS, *LAYER_OPS,
                                           *LINE_OPS, *PALETTE_OPS, *REGION_OPS,
                                           *SHAPE_OPS, *DENOISE_OPS, *CLASSIFY_OPS,
                                           *MARKER_OPS,
                                           *READERS)}
PRIMITIVES = {**draw.PRIMITIVES, **V2_PRIMITIVES}


def namespace() -> dict:
    """The globals a program runs with: every primitive plus ``np`` (fresh dict each call)."""
    return {"__builtins__": __builtins__, "np": np, **PRIMITIVES}


def run_trusted(code: str, grid):
    """Run a program *we wrote* (synthetic ground truth, enumerated) in this process.

    Never use this for model output: untrusted code goes through :mod:`solver.sandbox`.
    """
    ns = namespace()
    exec(compile(code, "<program>", "exec"), ns)
    out = ns["task"](to_img(grid))
    return tuple(tuple(int(v) for v in row) for row in np.asarray(out))
