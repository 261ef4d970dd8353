"""The layer rule, stated in docs/DESIGN.md ("The layer rule"), checked on every import in
the package."""

from __future__ import annotations

import ast
from pathlib import Path

import solver

PACKAGE = Path(solver.__file__).parent
LAYERS = ("arc", "dsl", "sandbox", "lm", "search", "run", "cli")  # lowest first
HEAVY = ("torch", "transformers", "peft", "bitsandbytes")
RAY_BACKEND = "solver.run.ray_backend"  # the one module that imports ray (an optional extra)


def layer_of(module: str) -> int | None:
    """The layer index of a dotted module name inside the package (None outside it)."""
    parts = module.split(".")
    if parts[0] != "solver":
        return None
    if len(parts) == 1 or parts[1] not in LAYERS:
        return len(LAYERS)  # the package root (``__main__``): above every layer
    return LAYERS.index(parts[1])


def imported(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, function-level ones too."""
    pkg = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if node.module is None or name == "solver":  # from solver import dsl -> solver.dsl
                found += [(node.lineno, f"{name}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, name))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What in ``source`` (the module ``module``) breaks the layer rule."""
    own = layer_of(module)
    problems = []
    for line, name in imported(source, module, is_package):
        top = name.split(".")[0]
        if top in HEAVY and (own is None or own != LAYERS.index("lm")):
            problems.append(f"{module}:{line} imports {name} outside the lm layer")
        if top == "ray" and module != RAY_BACKEND:
            problems.append(f"{module}:{line} imports {name} outside {RAY_BACKEND}")
        target = layer_of(name)
        if target is not None and own is not None and target > own:
            problems.append(f"{module}:{line} imports {name}, a higher layer")
    return problems


def package_modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def test_every_layer_exists():
    for name in LAYERS:
        assert (PACKAGE / name / "__init__.py").is_file(), name


def test_no_module_imports_against_the_direction():
    problems = []
    for module, path in package_modules():
        problems += violations(path.read_text(), module, path.name == "__init__.py")
    assert not problems, "\n".join(problems)


def test_a_planted_wrong_way_import_is_caught():
    # A DSL module reaching up into the search layer, relative and absolute, and torch in arc.
    assert violations("from ..search import her\n", "solver.dsl.synth") == [
        "solver.dsl.synth:1 imports solver.search, a higher layer"]
    assert violations("def f():\n    from solver.run.coordinator import run_tasks\n",
                      "solver.sandbox.executor") == [
        "solver.sandbox.executor:2 imports solver.run.coordinator, a higher layer"]
    assert violations("import torch\n", "solver.arc.grids") == [
        "solver.arc.grids:1 imports torch outside the lm layer"]
    assert violations("from solver import lm\n", "solver.dsl", is_package=True) == [
        "solver.dsl:1 imports solver.lm, a higher layer"]
    # ray only in the run layer's Ray backend.
    assert violations("import ray\n", "solver.run.coordinator") == [
        "solver.run.coordinator:1 imports ray outside solver.run.ray_backend"]
    assert violations("def f():\n    from ray.util import state\n", "solver.lm.model") == [
        "solver.lm.model:2 imports ray.util outside solver.run.ray_backend"]
    assert violations("def f():\n    import ray\n", "solver.run.ray_backend") == []
    # Downward and sideways imports are fine.
    assert violations("from solver.arc.grids import Task\nimport torch\n", "solver.lm.model") == []
    assert violations("from . import program\n", "solver.dsl.synth") == []


def test_kernel_tools_bench_and_tests_are_never_imported_by_the_package():
    outside = ("kernel", "tools", "build", "pack_dataset", "bench", "tests")
    for module, path in package_modules():
        for _, name in imported(path.read_text(), module, path.name == "__init__.py"):
            assert name.split(".")[0] not in outside, (module, name)
