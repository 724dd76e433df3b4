"""The package's shape: no import circles between its modules, and layers that point one way.

Every import counts, including those under ``TYPE_CHECKING`` and inside functions: a circle a
type checker or a lazy import hides is still two modules that cannot be read, tested or
changed apart. The layers (docs/architecture.md): the domain knows the database, the runner
and nothing of HTTP or sockets; the hub (sockets) and the API (HTTP) stand on the domain and
never import each other the wrong way; the runner, the database, the bus and security stand
on nothing of ours but configuration.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "codepair"

# package -> the packages it must never import (prefixes of dotted module names)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "codepair.domain": ("codepair.api", "codepair.hub", "codepair.terminal", "codepair.app",
                        "codepair.cli", "codepair.commands"),
    "codepair.hub": ("codepair.api", "codepair.terminal", "codepair.app", "codepair.cli",
                     "codepair.commands"),
    # The terminal (docs/terminal.md) is a transport beside the hub: it stands on the hub.
    "codepair.terminal": ("codepair.api", "codepair.app", "codepair.cli", "codepair.commands"),
    "codepair.api": ("codepair.terminal", "codepair.app", "codepair.cli", "codepair.commands"),
    "codepair.runner": ("codepair.domain", "codepair.api", "codepair.hub", "codepair.db",
                        "codepair.bus"),
    "codepair.db": ("codepair.domain", "codepair.api", "codepair.hub", "codepair.runner",
                    "codepair.bus"),
    "codepair.bus": ("codepair.domain", "codepair.api", "codepair.hub", "codepair.runner",
                     "codepair.db"),
    "codepair.security": ("codepair.domain", "codepair.api", "codepair.hub", "codepair.runner",
                          "codepair.db", "codepair.bus"),
}


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``root`` (migrations aside:
    Alembic loads them by path, nothing imports them)."""
    names = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from pkg import mod`` names ``pkg.mod``)."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports that cross a layer the wrong way, as ``importer -> imported``."""
    wrong = []
    for importer, imported in graph.items():
        for package, banned in FORBIDDEN.items():
            if importer == package or importer.startswith(package + "."):
                wrong += [
                    f"{importer} -> {m}"
                    for m in sorted(imported)
                    if any(m == b or m.startswith(b + ".") for b in banned)
                ]
    return wrong


def test_no_import_circles() -> None:
    assert circles(import_graph(PACKAGE)) == []


def test_layers_point_one_way() -> None:
    assert violations(import_graph(PACKAGE)) == []


def test_the_checks_see_a_circle_and_a_wrong_layer(tmp_path: Path) -> None:
    """The checks above would fail: a circle through a TYPE_CHECKING import and a lazy one,
    and a domain module that imports the hub."""
    pkg = tmp_path / "codepair"
    (pkg / "hub").mkdir(parents=True)
    (pkg / "domain").mkdir()
    for init in (pkg, pkg / "hub", pkg / "domain"):
        (init / "__init__.py").write_text("")
    (pkg / "hub" / "hub.py").write_text("from codepair.hub.bridge import Bridge\n")
    (pkg / "hub" / "bridge.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from codepair.hub import hub\n"
    )
    (pkg / "domain" / "history.py").write_text("def f():\n    from . import store\n")
    (pkg / "domain" / "store.py").write_text(
        "from ..domain import history\nimport codepair.hub.hub\n"
    )
    graph = import_graph(pkg)
    assert circles(graph) == [
        ["codepair.domain.history", "codepair.domain.store"],
        ["codepair.hub.bridge", "codepair.hub.hub"],
    ]
    assert violations(graph) == ["codepair.domain.store -> codepair.hub.hub"]
