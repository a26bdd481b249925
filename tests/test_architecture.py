"""The layout's rules, checked over the source with ``ast``: no import cycle between modules,
and each top-level package imports only the packages it may (README, "Architecture")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "datagen", "augment", "train")
# which packages each package may import (besides itself)
ALLOWED = {
    "schemas": set(),
    "datagen": {"schemas", "augment.search.embeddings"},
    "augment": {"schemas", "train"},
    "train": {"schemas"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules that ``path`` imports (any depth: lazy imports count too)."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _is_ancestor(package: str, module: str) -> bool:
    return module.startswith(package + ".")


def test_no_import_cycle_between_modules():
    # a package's __init__ importing its own submodules is not a cycle
    graph = {
        name: {t for t in targets if not _is_ancestor(name, t) and not _is_ancestor(t, name)}
        for name, targets in _graph().items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_packages_import_only_what_the_architecture_allows():
    wrong = []
    for name, targets in _graph().items():
        own = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other == own:
                continue
            if not any(target == a or target.startswith(a + ".") for a in ALLOWED[own]):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_checker_sees_a_cycle(tmp_path):
    """The graph builder resolves relative and lazy imports (so the cycle test can fail)."""
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from .b import g\n")
    assert _imports(a, "pkg.a", {"pkg.a", "pkg.b"}) == {"pkg.b"}


def _folder(module: str) -> str:
    """The folder (package) a module lives in: itself for a package, else its parent."""
    path = ROOT.joinpath(*module.split("."))
    return module if path.is_dir() else module.rpartition(".")[0]


def folder_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """Which folder imports which other folder of the same package, and through which imports
    (``a.b.m -> a.c.n``); a package's own modules and its subfolders are different folders."""
    edges: dict[tuple[str, str], list[str]] = {}
    for name, targets in graph.items():
        for target in targets:
            a, b = _folder(name), _folder(target)
            if a != b and a.split(".")[0] == b.split(".")[0]:
                edges.setdefault((a, b), []).append(f"{name} -> {target}")
    return edges


def test_no_two_folders_import_each_other():
    """Imports point down only, between folders too (train: engine <- tasks <- models <-
    phases/predict <- study/serve <- cli)."""
    edges = folder_edges(_graph())
    both = sorted(
        f"{a} <-> {b}: {edges[(a, b)][0]}; {edges[(b, a)][0]}"
        for a, b in edges
        if (b, a) in edges and a < b
    )
    assert not both, "\n".join(both)


def test_the_folder_check_sees_a_two_way_edge():
    graph = {"train.engine.x": {"train.tasks.y"}, "train.tasks.y": {"train.engine.x"}}
    edges = folder_edges(graph)
    assert ("train.engine", "train.tasks") in edges and ("train.tasks", "train.engine") in edges
