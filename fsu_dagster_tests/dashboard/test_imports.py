"""The dashboard's imports run one way (main -> routes -> deps / queries / views / rendering).

The modules are read, not imported: every ``import`` and ``from ... import`` in a module counts,
at any depth (a function-level import still closes a circle once that function runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import fsu_dagster.dashboard as dashboard

PACKAGE = "fsu_dagster.dashboard"
ROOT = Path(dashboard.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the dashboard modules it imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
                ]
            for target in targets:
                # ``import a.b.c`` binds a module: take the longest dashboard module it names.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (``[a, b, ..., a]``), or ``None``."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_find_cycle_sees_a_circle_through_a_function_level_import():
    """The checker itself: a circle closed only inside a function is still a circle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    source = "def f():\n    from fsu_dagster.dashboard.main import create_app\n"
    assert any(isinstance(n, ast.ImportFrom) and n.module.endswith(".main") for n in ast.walk(ast.parse(source)))


def test_the_graph_reads_relative_and_function_level_imports():
    graph = import_graph()
    assert "fsu_dagster.dashboard.routes.people" in graph["fsu_dagster.dashboard.main"]
    assert "fsu_dagster.dashboard.views" in graph["fsu_dagster.dashboard.routes.people"]
    assert "fsu_dagster.dashboard.queries" in graph["fsu_dagster.dashboard.views"]


def test_the_dashboard_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_nothing_imports_the_app_factory_back():
    """``main`` sits on top: only the package's ``__init__`` (the public ``create_app``) imports it."""
    importers = {name for name, targets in import_graph().items() if f"{PACKAGE}.main" in targets}
    assert importers <= {PACKAGE}
