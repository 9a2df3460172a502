"""The package's layers and the direction of its imports: every import inside `blueprints`
runs downward, from a layer to a lower one (or within one subpackage), and no modules import
each other in a circle. Read from the source (every import statement, those inside functions
and under TYPE_CHECKING included), so an arrow that runs up fails here before it can bite.

    sceptre -> deploy -> checks, reports -> project -> stacks -> blocks, testing -> core -> contract
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import blueprints

# Top to bottom; the layers of one row import nothing of each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("sceptre",),
    ("deploy",),
    ("checks", "reports"),
    ("project",),
    ("stacks",),
    ("blocks", "testing"),
    ("core",),
    ("contract",),
)
RANK = {layer: rank for rank, row in enumerate(LAYERS) for layer in row}
# Outside the layers: the package's lazy facade (`blueprints/__init__.py`) and the module paths
# before the layout by layer (`_moved`); they may import any layer, and no layer imports them.
FACADES = {"blueprints", "blueprints._moved"}
PACKAGE = Path(blueprints.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> dict[str, set[str]]:
    """`blueprints` modules `path` imports: `all` (any import statement), `run` (those that
    run: not under TYPE_CHECKING) and `eager` (those that run when the module is imported)."""
    tree = ast.parse(path.read_text())
    typing_only: set[int] = set()
    in_functions: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(child) for child in ast.walk(node) if child is not node}
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_functions |= {id(child) for child in ast.walk(node) if child is not node}
    found: dict[str, set[str]] = {"all": set(), "run": set(), "eager": set()}
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            # `from blueprints import contract` imports the module blueprints.contract
            names = [f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base for alias in node.names]
        for name in names:
            if name == "blueprints" or name.startswith("blueprints."):
                found["all"].add(name)
                if id(node) not in typing_only:
                    found["run"].add(name)
                    if id(node) not in in_functions:
                        found["eager"].add(name)
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").is_file() or (PACKAGE.parent / relative).is_dir()


def _layer(module: str) -> str | None:
    if module in FACADES:
        return None
    return module.split(".")[1]


MODULES = {_module_name(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_layer_or_a_facade():
    assert {_layer(m) for m in MODULES} - {None} <= set(RANK), "a new subpackage needs its place in LAYERS"
    assert {m for m in MODULES if _layer(m) is None} == FACADES


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in FACADES))
def test_imports_run_down_the_layers(module):
    layer = _layer(module)
    upward = []
    for imported in sorted(MODULES[module]["all"]):
        target = _layer(imported) if imported != "blueprints" else None
        if imported in FACADES or target is None:
            upward.append(f"{imported} (the facade: import from the layer itself)")
        elif target != layer and RANK[target] <= RANK[layer]:
            upward.append(f"{imported} ({target} is not below {layer})")
    assert not upward, f"{module} imports upward: {'; '.join(upward)}"


@pytest.mark.parametrize("kind", ["run", "eager"])
def test_no_import_circle(kind):
    """No cycle among the modules' imports: those that run at all (an import inside a function
    that closes a circle is still a circle), and those that run at import time. Imports under
    TYPE_CHECKING name types only and never run."""
    graph = {m: {i for i in found[kind] if i in MODULES and i != m} for m, found in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import circle: " + " -> ".join(cycle))


def test_the_layers_are_the_subpackages():
    """The tree shows the layers: one folder each (testing is a module), none left out."""
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders | {"testing"} == set(RANK)
