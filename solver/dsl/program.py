"""The program representation of the drawing DSL: a program is ``def task(img):``, one
primitive call per line with literal arguments, then ``return img``.

:class:`Draw` is one such call; :func:`program_code` writes draws as a program and
:func:`parse_program` reads one back (None when the program is not in this literal form);
:func:`render` runs draws without executing code; :func:`prune` and
:func:`canonical_order` simplify and order them without changing the output. Generators,
the grammar of constrained decoding and line-pool repair all share this one form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.arc.grids import Grid
from solver.dsl import draw as dsl


@dataclass(frozen=True)
class Draw:
    """One DSL call: ``fn(img, *args)``."""

    fn: str
    args: tuple

    def code(self) -> str:
        return f"{self.fn}(img, {', '.join(_fmt(a) for a in self.args)})"

    def apply(self, img: dsl.Img) -> None:
        dsl.PRIMITIVES[self.fn](img, *self.args)


def _fmt(a) -> str:
    if isinstance(a, tuple):
        return "(" + ", ".join(str(int(v)) for v in a) + ")"
    return str(int(a))


def program_code(draws: list[Draw]) -> str:
    body = "".join(f"    {d.code()}\n" for d in draws)
    return f"def task(img):\n{body}    return img\n"


def render(shape: tuple[int, int], bg: int, draws: list[Draw]) -> Grid:
    img = dsl.create_img(shape, bg)
    for d in draws:
        d.apply(img)
    return tuple(tuple(int(v) for v in row) for row in img)


def prune(shape: tuple[int, int], bg: int, draws: list[Draw]) -> list[Draw]:
    """Drop every draw whose removal leaves the output unchanged (repeat until stable)."""
    target = render(shape, bg, draws)
    draws = list(draws)
    changed = True
    while changed:
        changed = False
        for i in range(len(draws)):
            trial = draws[:i] + draws[i + 1:]
            if render(shape, bg, trial) == target:
                draws = trial
                changed = True
                break
    return draws


def canonical_order(shape: tuple[int, int], bg: int, draws: list[Draw]) -> list[Draw]:
    """The same drawing with its draws in reading order where the order is free.

    A draw's key is the first cell, in row-major order, that it owns in the output (the
    cells it painted last). Greedily, the next draw is the one with the smallest key
    that can go next without changing the output (the rest following in their given
    order), so independent objects come out in the order a row-by-row reading of the
    output meets them, and draws that must stay ordered (one covering another, a fill
    bounded by a line) keep their order. The output is unchanged by construction.
    """
    target = render(shape, bg, draws)
    img = dsl.create_img(shape, bg)
    owner = np.full(shape, -1)
    for i, d in enumerate(draws):
        before = img.copy()
        d.apply(img)
        owner[img != before] = i
    keys = [owner.size] * len(draws)  # a draw that owns no cell sorts last
    for cell, i in enumerate(owner.ravel().tolist()):
        if i >= 0 and keys[i] == owner.size:
            keys[i] = cell
    rest = list(range(len(draws)))
    done: list[int] = []
    while rest:
        for i in sorted(rest, key=lambda j: (keys[j], j)):
            trial = done + [i] + [j for j in rest if j != i]
            if i == rest[0] or render(shape, bg, [draws[j] for j in trial]) == target:
                done.append(i)
                rest.remove(i)
                break
    return [draws[i] for i in done]


# ---------------------------------------------------------------- legality

ARG_KINDS = {  # primitive -> argument kinds after img: 'p' point, 'i' index, 'c' colour
    "draw_pixel": "pc", "draw_line": "ppc", "draw_horizontal_line": "ic",
    "draw_vertical_line": "ic", "draw_rectangle": "ppc", "flood_fill": "pc",
}


def _literal(node, kind: str):
    import ast

    if kind == "p":
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
            return None
        vals = [_literal(e, "i") for e in node.elts]
        return None if None in vals else tuple(vals)
    if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 29:
        return None if kind == "c" and node.value > 9 else node.value
    return None


def legal_angle(p1: tuple[int, int], p2: tuple[int, int]) -> bool:
    """Whether the segment p1-p2 lies at 0, 45 or 90 degrees (the lines the DSL's tasks use)."""
    dr, dc = p2[0] - p1[0], p2[1] - p1[1]
    return dr == 0 or dc == 0 or abs(dr) == abs(dc)


def parse_program(code: str) -> list[Draw] | None:
    """The draws of a program in the synthetic tasks' own form, or None when it is not
    one: ``def task(img):``, then only ``NAME(img, ...)`` calls of drawing primitives with
    literal ints (0..29; colours 0..9) or (row, col) tuples, lines only at 0/45/90 degrees,
    then ``return img``. A program that passes draws exactly as :func:`render` does with
    its draws, so it can be evaluated without executing it."""
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    fn = tree.body[0]
    a = fn.args
    if (fn.name != "task" or fn.decorator_list or len(a.args) != 1 or a.args[0].arg != "img"
            or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults):
        return None
    body = fn.body
    if not body or not (isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Name)
                        and body[-1].value.id == "img"):
        return None
    draws = []
    for stmt in body[:-1]:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return None
        call = stmt.value
        if not isinstance(call.func, ast.Name) or call.func.id not in ARG_KINDS or call.keywords:
            return None
        kinds = ARG_KINDS[call.func.id]
        if (len(call.args) != len(kinds) + 1 or not isinstance(call.args[0], ast.Name)
                or call.args[0].id != "img"):
            return None
        args = tuple(_literal(n, k) for n, k in zip(call.args[1:], kinds))
        if None in args:
            return None
        if call.func.id == "draw_line" and not legal_angle(args[0], args[1]):
            return None
        draws.append(Draw(call.func.id, args))
    return draws
