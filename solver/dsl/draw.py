"""The drawing DSL: the only names a generated program needs.

An image is a 2-D numpy array of small ints (colours 0..9), indexed ``img[row, col]``.
Points are ``(row, col)``. Every primitive draws in place and also returns the image, so
both ``draw_pixel(img, (0, 0), 3)`` and ``img = draw_pixel(img, (0, 0), 3)`` work.
Anything that falls outside the image is clipped, never an error.

Programs are ``def task(img): ...; return img``; the sandbox calls them with a fresh copy
of each input grid as an image.
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np

Img = np.ndarray
Point = tuple[int, int]

DTYPE = np.int8


def create_img(shape: tuple[int, int], color: int = 0) -> Img:
    """A new image of ``shape`` (rows, cols) filled with ``color``."""
    rows, cols = (max(0, int(s)) for s in shape)
    return np.full((rows, cols), int(color), dtype=DTYPE)


def draw_pixel(img: Img, point: Point, color: int) -> Img:
    """Set one cell; a point outside the image changes nothing."""
    r, c = int(point[0]), int(point[1])
    if 0 <= r < img.shape[0] and 0 <= c < img.shape[1]:
        img[r, c] = color
    return img


def draw_line(img: Img, point1: Point, point2: Point, color: int) -> Img:
    """A straight line from point1 to point2 inclusive, any direction (Bresenham cells)."""
    r0, c0 = int(point1[0]), int(point1[1])
    dr, dc = int(point2[0]) - r0, int(point2[1]) - c0
    n = max(abs(dr), abs(dc))
    rows, cols = img.shape
    lo, hi = 0, n
    for start, delta, size in ((r0, dr, rows), (c0, dc, cols)):
        # Only steps whose coordinate can land inside the image (+-1 for rounding): a line
        # from far outside costs no more than one across the image.
        if delta:
            a, b = (-start - 1) * n / delta, (size - start) * n / delta
            lo, hi = max(lo, int(min(a, b)) - 1), min(hi, int(max(a, b)) + 1)
        elif not 0 <= start < size:
            return img
    for i in range(max(lo, 0), hi + 1):
        # Exact integer rounding (half up) of the ideal line: the same cells as Bresenham,
        # and the same cells whichever end the line starts from.
        r = r0 + (2 * i * dr + n) // (2 * n) if n else r0
        c = c0 + (2 * i * dc + n) // (2 * n) if n else c0
        if 0 <= r < rows and 0 <= c < cols:
            img[r, c] = color
    return img


def draw_horizontal_line(img: Img, y: int, color: int) -> Img:
    """Colour the whole row ``y``."""
    if 0 <= int(y) < img.shape[0]:
        img[int(y), :] = color
    return img


def draw_vertical_line(img: Img, x: int, color: int) -> Img:
    """Colour the whole column ``x``."""
    if 0 <= int(x) < img.shape[1]:
        img[:, int(x)] = color
    return img


def draw_rectangle(img: Img, point1: Point, point2: Point, color: int) -> Img:
    """A filled rectangle with opposite corners point1 and point2 (inclusive)."""
    r0, r1 = sorted((int(point1[0]), int(point2[0])))
    c0, c1 = sorted((int(point1[1]), int(point2[1])))
    r0, c0 = max(r0, 0), max(c0, 0)
    if r0 <= r1 and c0 <= c1:
        img[r0:r1 + 1, c0:c1 + 1] = color
    return img


def flood_fill(img: Img, point: Point, color: int, connectivity: int = 4) -> Img:
    """Recolour the region of equal colour containing ``point`` (4- or 8-connected)."""
    r, c = int(point[0]), int(point[1])
    rows, cols = img.shape
    if not (0 <= r < rows and 0 <= c < cols):
        return img
    old = int(img[r, c])
    if old == color:
        return img
    fill_region(img, r, c, old, color, neighbour_steps(connectivity))
    return img


def neighbour_steps(connectivity: int) -> tuple[Point, ...]:
    """The neighbour offsets of 4- or 8-connectivity (ValueError for any other)."""
    if connectivity == 4:
        return ((1, 0), (-1, 0), (0, 1), (0, -1))
    if connectivity == 8:
        return ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))
    raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")


def fill_region(img: Img, r: int, c: int, old, color: int, steps: Sequence[Point]) -> None:
    """Recolour, in place, the cells of colour ``old`` connected to (r, c) through ``steps``
    (breadth first), starting with (r, c) itself."""
    rows, cols = img.shape
    img[r, c] = color
    queue = deque([(r, c)])
    while queue:
        r, c = queue.popleft()
        for dr, dc in steps:
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and img[nr, nc] == old:
                img[nr, nc] = color
                queue.append((nr, nc))


PRIMITIVES = {
    f.__name__: f
    for f in (create_img, draw_pixel, draw_line, draw_horizontal_line, draw_vertical_line,
              draw_rectangle, flood_fill)
}


def namespace() -> dict:
    """The globals a program runs with: the primitives plus ``np`` (fresh dict each call)."""
    return {"__builtins__": __builtins__, "np": np, **PRIMITIVES}


def to_img(grid: Sequence[Sequence[int]]) -> Img:
    """A fresh image from a grid (list or tuple of rows)."""
    return np.array(grid, dtype=DTYPE)


def run_trusted(code: str, grid: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """Run a program *we wrote* (synthetic ground truth) in this process.

    Never use this for model output: untrusted code goes through :mod:`solver.sandbox`.
    """
    ns = namespace()
    exec(compile(code, "<program>", "exec"), ns)
    out = ns["task"](to_img(grid))
    return tuple(tuple(int(v) for v in row) for row in np.asarray(out))
