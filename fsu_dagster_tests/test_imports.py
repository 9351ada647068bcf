"""Imports run one way: no cycle between the packages of ``fsu_dagster``.

Every module of ``fsu_dagster/`` is read statically (``ast``), including imports inside
functions (a lazy import is still a dependency), and each import becomes an edge between
*packages*: the first level below ``fsu_dagster`` (``identity``, ``stage1``, ``profiles``,
``dashboard``, ``defs``...), or the second level inside ``defs`` (``defs.identity``,
``defs.stage1``...), whose wiring packages are layers of their own. A top-level module
(``fsu_dagster/window.py``) is a package of one. A cycle between two or more packages
fails the test (``stage1`` importing ``identity`` while ``identity`` imports ``stage1``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import fsu_dagster

ROOT = Path(fsu_dagster.__file__).resolve().parent


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _package(module: str) -> str:
    """``fsu_dagster.identity.linker`` -> ``identity``; ``fsu_dagster.defs.stage1.assets`` -> ``defs.stage1``."""
    parts = module.split(".")[1:]
    if not parts:
        return "fsu_dagster"
    if parts[0] == "defs" and len(parts) > 1:
        return f"defs.{parts[1]}"
    return parts[0]


def _imports(path: Path, module: str, is_package: bool) -> set[str]:
    """The ``fsu_dagster`` modules ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # ``from fsu_dagster import stage1`` imports the package ``fsu_dagster.stage1``.
            found.update(f"{target}.{a.name}" for a in node.names)
    return {m for m in found if m == "fsu_dagster" or m.startswith("fsu_dagster.")}


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Package -> the packages it imports (edges to itself left out)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        modules[_module_name(path, root)] = path
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        src = _package(name)
        graph[src]
        for target in _imports(path, name, path.name == "__init__.py"):
            # Only imports of real modules count (``from x import some_function`` names a
            # function, not a module, unless a module of that name exists).
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            dst = _package(target)
            if target in modules and dst not in (src, "fsu_dagster"):
                graph[src].add(dst)
    return dict(graph)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_between_packages():
    cycle = find_cycle(package_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


def test_stage1_and_identity_do_not_import_each_other():
    graph = package_graph()
    assert "identity" not in graph.get("stage1", set())
    assert "stage1" not in graph.get("identity", set())


def test_the_walk_sees_lazy_imports(tmp_path):
    """The check itself: an import inside a function (the old ``linker._mentions``) is an
    edge, and the two packages importing each other are reported as a cycle."""
    pkg = tmp_path / "fsu_dagster"
    for sub in ("identity", "stage1"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "stage1" / "controlworks.py").write_text("from fsu_dagster.identity.exact import link_exact\n")
    (pkg / "identity" / "exact.py").write_text("def link_exact():\n    pass\n")
    (pkg / "identity" / "linker.py").write_text(
        "def _mentions():\n    from fsu_dagster.stage1.controlworks import controlworks_mentions\n"
    )
    graph = package_graph(pkg)
    assert graph["stage1"] == {"identity"} and graph["identity"] == {"stage1"}
    assert find_cycle(graph) in (["identity", "stage1", "identity"], ["stage1", "identity", "stage1"])


@pytest.mark.parametrize(
    ("graph", "has_cycle"),
    [({"a": {"b"}, "b": {"c"}, "c": set()}, False), ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True)],
)
def test_find_cycle(graph, has_cycle):
    assert (find_cycle(graph) is not None) is has_cycle
