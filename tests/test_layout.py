"""The shape of the house: arrows between modules point one way."""

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"model": "wsshare.model", "conformance": "wsshare.conformance"}


def _module(path: Path) -> str:
    folder = path.relative_to(ROOT).parts[0]
    rel = path.relative_to(ROOT / folder).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join([FOLDERS[folder], *parts])


def _imports(path: Path, module: str) -> set[tuple[str, str | None]]:
    """What `path` imports of wsshare, at any depth but for imports only a type checker
    runs (under `if TYPE_CHECKING:`): (module, name) for `from module import name`, and
    (module, None) for `import module`."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[tuple[str, str | None]] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            if base.startswith("wsshare."):
                found.update((base, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update((a.name, None) for a in node.names if a.name.startswith("wsshare."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> nx.DiGraph:
    paths = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")]
    modules = {_module(p): p for p in paths}
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for base, name in _imports(path, module):
            # `from package import module` imports that module; `from module import
            # name` imports the module that defines the name.
            target = f"{base}.{name}" if f"{base}.{name}" in modules else base
            if target in modules and target != module:
                graph.add_edge(module, target)
    return graph


def test_no_module_imports_one_that_imports_it_back():
    assert list(nx.simple_cycles(_graph())) == []


def test_the_model_imports_nothing_of_conformance():
    graph = _graph()
    model = [m for m in graph if m.startswith("wsshare.model")]
    assert [(m, t) for m in model for t in graph[m] if t.startswith("wsshare.conformance")] == []
