"""The DSL: the primitives generated programs call, the program representation, the seeded
task generators and the bundled demo set.

``from solver import dsl`` gives the drawing primitives (:mod:`solver.dsl.draw`) and
:data:`PRIMITIVES` / :func:`namespace`, the names a program runs with in the sandbox.
"""

from solver.dsl.draw import (DTYPE, PRIMITIVES, Img, Point, create_img, draw_horizontal_line,  # noqa: F401
                             draw_line, draw_pixel, draw_rectangle, draw_vertical_line, flood_fill,
                             namespace, run_trusted, to_img)
