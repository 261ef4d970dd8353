"""Every dotted name under the package (``solver.<module>[.<attribute>...]``) that the docs
mention resolves: the longest importable module prefix imports and the remaining parts are
attributes reached with getattr.

Scanned: README.md, CONTRIBUTING.md, docs/*.md (not docs/history/, a record of its time),
bench/*.py, kernel/*.py and tools/* as whole files, and under solver/ and tests/ every
module, class and function docstring and every comment.

To stay fast, a name is first resolved from source: importlib's path finder locates the
module without running it, and ast reads its top-level and class-body definitions. Only a
name that reading cannot confirm (one re-exported through an import, or set at run time)
is imported: the docs' names today need no torch.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# A name starts at a word boundary that is not a path or attribute (``runs/solver.json``,
# ``self.solver.x``), is taken whole, and does not run on into a file name
# (``solver.egg-info``: no match at all, not a shorter prefix).
NAME = re.compile(r"(?<![\w./-])solver(?:\.[A-Za-z_]\w*)+(?![\w-]|\.[A-Za-z_])")
# File names that look dotted: the model folder's ``solver.json`` and the like.
FILE_SUFFIXES = {"json", "jsonl", "py", "md", "log", "txt", "toml", "lock"}


def names_in(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, name) for every dotted package name in ``text``, which starts at ``first_line``."""
    found = []
    for match in NAME.finditer(text):
        name = match.group(0)
        if name.rsplit(".", 1)[1] in FILE_SUFFIXES:
            continue
        found.append((first_line + text.count("\n", 0, match.start()), name))
    return found


def docstrings_and_comments(source: str) -> list[tuple[int, str]]:
    """(first line, text) of every module, class and function docstring and every comment."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                out.append((body[0].lineno, body[0].value.value))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            out.append((token.start[0], token.string))
    return out


def mentions() -> list[tuple[str, int, str]]:
    """(file relative to the repository, line, name) for every mention scanned."""
    whole = [REPO / "README.md", REPO / "CONTRIBUTING.md"]
    whole += sorted((REPO / "docs").glob("*.md"))
    whole += sorted((REPO / "bench").glob("*.py")) + sorted((REPO / "kernel").glob("*.py"))
    whole += sorted(p for p in (REPO / "tools").iterdir() if p.is_file())
    out = []
    for path in whole:
        rel = path.relative_to(REPO).as_posix()
        out += [(rel, line, name) for line, name in names_in(path.read_text(encoding="utf-8"))]
    for path in sorted((REPO / "solver").rglob("*.py")) + sorted((REPO / "tests").glob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        for first, text in docstrings_and_comments(path.read_text(encoding="utf-8")):
            out += [(rel, line, name) for line, name in names_in(text, first)]
    return out


@lru_cache(maxsize=None)
def spec_of(module: str):
    """The module's spec, found on disk without running it or its parent packages (a parent
    such as solver.lm.model would import torch); None if there is no such module."""
    parent, _, _ = module.rpartition(".")
    if not parent:
        return importlib.util.find_spec(module)  # a top-level name: nothing is run
    above = spec_of(parent)
    if above is None or above.submodule_search_locations is None:
        return None
    return importlib.machinery.PathFinder.find_spec(module, above.submodule_search_locations)


@lru_cache(maxsize=None)
def definitions(path: str) -> dict[str, ast.AST | None]:
    """Names a module's top level binds, each with its class node (None for anything else)."""
    return _bound(ast.parse(Path(path).read_text(encoding="utf-8")).body)


def _bound(body: list[ast.stmt]) -> dict[str, ast.AST | None]:
    out: dict[str, ast.AST | None] = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = None
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        out[leaf.id] = None
    return out


def read_resolves(name: str) -> bool:
    """True when reading the source shows that ``name`` exists (False: not shown either way)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        spec = spec_of(".".join(parts[:cut]))
        if spec is not None:
            break
    else:
        return False
    rest = parts[cut:]
    if not rest:
        return True
    if spec.origin is None or not spec.origin.endswith(".py"):
        return False
    scope = definitions(spec.origin)
    for i, part in enumerate(rest):
        if part not in scope:
            return False
        node = scope[part]
        if i + 1 < len(rest):
            if not isinstance(node, ast.ClassDef):
                return False
            scope = _bound(node.body)
    return True


def import_resolves(name: str) -> str | None:
    """None when the longest importable prefix of ``name`` imports and getattr reaches the
    rest; otherwise why not."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        if spec_of(module_name) is None:
            continue
        try:
            obj = importlib.import_module(module_name)
        except Exception as error:  # noqa: BLE001 - any failure to import is the finding
            return f"importing {module_name} fails: {type(error).__name__}: {error}"
        break
    else:
        return "no such module"
    for part in parts[cut:]:
        if not hasattr(obj, part):
            return f"{'.'.join(parts[:cut])} has no attribute {part}"
        obj = getattr(obj, part)
        cut += 1
    return None


def unresolved(found: list[tuple[str, int, str]]) -> list[str]:
    problems = []
    verdicts: dict[str, str | None] = {}
    for rel, line, name in found:
        if name not in verdicts:
            verdicts[name] = None if read_resolves(name) else import_resolves(name)
        if verdicts[name] is not None:
            problems.append(f"{rel}:{line}: {name} ({verdicts[name]})")
    return problems


def test_every_named_module_and_attribute_exists():
    found = mentions()
    assert len(found) > 100, "the scan finds the package's names"
    problems = unresolved(found)
    assert not problems, f"{len(problems)} stale names:\n" + "\n".join(problems)


def test_the_scan_finds_names_where_docs_put_them():
    assert names_in("see `solver.arc.grids.Task`, then solver.lm.\n"
                    "solver.dsl(x) and `solver.json`, solver.egg-info, solver.a.b-c, runs/solver.run,\n"
                    "self.solver.model") == [
        (1, "solver.arc.grids.Task"), (1, "solver.lm"), (2, "solver.dsl")]
    source = ('"""Module: solver.arc.grids."""\n'
              "x = 'solver.not_a_doc'  # solver.sandbox.executor\n"
              "def f():\n"
              '    """Uses\n    solver.search.loop."""\n')
    found = [(line, name) for first, text in docstrings_and_comments(source)
             for line, name in names_in(text, first)]
    assert sorted(found) == [(1, "solver.arc.grids"), (2, "solver.sandbox.executor"),
                             (5, "solver.search.loop")]


@pytest.mark.parametrize("name, ok", [
    ("solver.arc.grids", True),
    ("solver.arc.grids.Task", True),
    ("solver.sandbox.Executor", True),    # re-exported by the package: confirmed by import
    ("solver.constrain", False),
    ("solver.arc.grids.NoSuchThing", False),
    ("solver.arc.grids.Task.no_such_method", False),
])
def test_resolution(name, ok):
    assert (read_resolves(name) or import_resolves(name) is None) is ok
