"""No function or method in solver/ is longer than 80 lines (from its ``def`` line to its
last line, docstring and comments included): a longer one is split into named helpers."""

from __future__ import annotations

import ast
from pathlib import Path

LIMIT = 80
PACKAGE = Path(__file__).resolve().parent.parent / "solver"


def long_functions(root: Path = PACKAGE, limit: int = LIMIT) -> list[str]:
    """``path:line name (N lines)`` for every function under ``root`` over ``limit`` lines."""
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} "
                               f"({n} lines)")
    return out


def test_no_function_in_the_package_is_over_80_lines():
    assert long_functions() == []


def test_the_check_sees_long_functions_and_methods(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT - 1))
    (tmp_path / "m.py").write_text(f"def short():\n{body}\n"
                                   f"class C:\n    async def long(self):\n        pass\n"
                                   + body.replace("    ", "        "))
    assert long_functions(tmp_path) == [f"{tmp_path.name}/m.py:{LIMIT + 3} long (81 lines)"]
