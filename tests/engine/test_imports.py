"""The engine's modules import one another in one direction (no circle, not
even one closed by a TYPE_CHECKING import)."""

from __future__ import annotations

import ast
from graphlib import CycleError
from graphlib import TopologicalSorter

from tests.paths import ROOT


def test_engine_modules_form_no_import_circle() -> None:
    package = ROOT / "escalada" / "engine"
    graph: dict[str, set[str]] = {}
    for file in package.glob("*.py"):
        name = f"escalada.engine.{file.stem}"
        deps = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("escalada.engine."):
                    deps.add(node.module)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import circle: {error.args[1]}") from None
    assert "escalada.engine.evaluator" in order
