"""The description length of a program: one measure for every program source (sampled,
repaired, enumerated, simplified, any dialect), used to rank programs that are all exact
on the train pairs. Short programs that fit the train pairs generalise; among two that
say the same thing, the one that reads its colours from the input generalises further
than the one that hard-codes them.

``size``: calls plus literals (ints, floats, strings; a tuple counts its elements). Indexes
that read a cell of the input (``img[0, 0]``) are reads, not literals. ``reads``: how
often the program reads the input beyond the image it transforms: cell subscripts of
``img`` and calls to a DSL's colour readers (``READERS``). The ranking key is
``(size, -reads)``: fewer primitives and literals first, then the reader over the literal.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from solver.dsl.objects import READERS as DSL_READERS

#: Calls that read a value (a colour, a count) from the input image rather than change it:
#: the DSL's colour readers (more can be declared with :func:`register_readers`).
READERS: set[str] = {f.__name__ for f in DSL_READERS}


def register_readers(names: Iterable[str]) -> None:
    """Declare calls that read a value from the input (they count as reads)."""
    READERS.update(names)


@dataclass(frozen=True, order=True)
class Length:
    size: int  # calls + literals
    neg_reads: int  # minus the reads of the input: more reads sort first

    @property
    def reads(self) -> int:
        return -self.neg_reads


UNPARSABLE = Length(10**6, 0)


def _reads_img(node: ast.AST) -> bool:
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "img"


def description_length(code: str) -> Length:
    """The program's :class:`Length` (``UNPARSABLE`` for text that does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return UNPARSABLE
    size = reads = 0
    skip: set[int] = set()  # literal nodes inside a read of the input
    for node in ast.walk(tree):
        if _reads_img(node) and isinstance(node.ctx, ast.Load):
            reads += 1
            skip.update(id(n) for n in ast.walk(node.slice))
        elif isinstance(node, ast.Call):
            size += 1
            if isinstance(node.func, ast.Name) and node.func.id in READERS:
                reads += 1
        elif (isinstance(node, ast.Constant) and id(node) not in skip
              and isinstance(node.value, (int, float, str)) and not isinstance(node.value, bool)
              and not (isinstance(node.value, str) and _is_docstring(node, tree))):
            size += 1
    return Length(size, -reads)


def _is_docstring(node: ast.Constant, tree: ast.AST) -> bool:
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.Module)) and fn.body:
            first = fn.body[0]
            if isinstance(first, ast.Expr) and first.value is node:
                return True
    return False
