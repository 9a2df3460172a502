"""The import graph of local_aws, read from the source (nothing of it is imported: the emulator's
modules need moto server's dependencies, which this environment lacks): no module imports
itself through others, however late or hidden the import (inside a function, `__import__`,
`importlib.import_module`), and the host-side client never imports the emulator or moto."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "local_aws"
EMULATOR = "local_aws.emulator"
CLIENT = "local_aws.client"
SERVER_ONLY = ("moto", "werkzeug", "flask", "joserfc", "dns")  # what .venv-emulator alone has for local_aws


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package under `root`, by dotted name (a package by its own)."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _dynamic(node: ast.Call) -> str | None:
    """The module named by `__import__("...")` or `importlib.import_module("...")`."""
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    if named and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module `name` (at `path`) imports, at any depth of its code: `import m` is m,
    `from m import x` is m.x when that is a module of `known`, else m (a package's own
    `__init__` counts only when something is taken from it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
        elif isinstance(node, ast.Call) and (target := _dynamic(node)):
            yield target


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports."""
    known = modules(root)
    return {
        name: {target for target in imported(name, path, known) if target in known and target != name}
        for name, path in known.items()
    }


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it (the first repeated at the end), or None."""
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as err:
        return list(reversed(err.args[1]))
    return None


def test_the_graph_sees_late_and_hidden_imports(tmp_path: Path) -> None:
    package = tmp_path / PACKAGE
    (package / "emulator").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "emulator" / "__init__.py").write_text("")
    (package / "emulator" / "models.py").write_text(
        'def register():\n    __import__("local_aws.emulator.signing", fromlist=["register"]).register()\n'
    )
    (package / "emulator" / "signing.py").write_text("from local_aws.emulator.models import Base\n")
    (package / "emulator" / "lazy.py").write_text("def f():\n    from . import models\n")
    edges = graph(tmp_path)
    assert edges["local_aws.emulator.models"] == {"local_aws.emulator.signing"}
    assert edges["local_aws.emulator.lazy"] == {"local_aws.emulator.models"}
    found = cycle(edges)
    assert found is not None
    assert set(found) == {"local_aws.emulator.models", "local_aws.emulator.signing"}


def test_no_import_circle_anywhere_in_local_aws() -> None:
    found = cycle(graph())
    assert found is None, "import circle: " + " -> ".join(found or [])


def test_every_module_of_local_aws_is_in_the_emulator_or_the_client() -> None:
    alias = "local_aws.control"  # the deprecated alias of client.control (a package: __init__, __main__)
    stray = [m for m in modules() if m != PACKAGE and not m.startswith((EMULATOR, CLIENT, alias))]
    assert stray == []


@pytest.mark.parametrize("name", sorted(m for m in modules() if m.startswith(CLIENT)))
def test_the_client_never_imports_the_emulator_or_its_dependencies(name: str) -> None:
    wrong = sorted(
        target
        for target in imported(name, modules()[name], modules())
        if target == EMULATOR or target.startswith(EMULATOR + ".") or target.split(".")[0] in SERVER_ONLY
    )
    assert wrong == [], f"{name} imports {wrong}: the project's .venv cannot import them"


def test_the_emulator_never_imports_the_client() -> None:
    wrong = {
        name: sorted(t for t in targets if t.startswith((CLIENT, "local_aws.control")))
        for name, targets in graph().items()
        if name.startswith(EMULATOR)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def _sources() -> Iterator[Path]:
    for folder in ("local_aws", "tests", "scripts", "examples"):
        yield from sorted(p for p in (ROOT / folder).rglob("*.py") if "payments_client" not in p.parts)


def _checked_modules() -> dict[str, Path]:
    """The modules whose imports are checked by name: local_aws's and the tests' own."""
    found = modules()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _top_level_names(path: Path) -> set[str] | None:
    """The names a module defines at its top level (None: any, for a module with `__getattr__`
    or a star import)."""
    names: set[str] = set()
    body = list(ast.parse(path.read_text(), str(path)).body)
    while body:
        node = body.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in node.names):
                return None
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            body += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            body += [n for handler in getattr(node, "handlers", []) for n in handler.body]
    return None if "__getattr__" in names else names


def stale_imports(path: Path, known: dict[str, Path]) -> list[str]:
    """What `path` imports from local_aws or the tests that does not exist: a module, or a name
    a module does not define."""
    checked = tuple(sorted({name.split(".")[0] for name in known}))
    stale = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            stale += [a.name for a in node.names if a.name.startswith(checked) and a.name not in known]
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith(checked):
            module = node.module or ""
            if module not in known:
                stale.append(module)
                continue
            defined = _top_level_names(known[module])
            stale += [
                f"{module}.{a.name}"
                for a in node.names
                if f"{module}.{a.name}" not in known and defined is not None and a.name not in defined
            ]
        elif isinstance(node, ast.Call) and (target := _dynamic(node)) and target.startswith(checked):
            stale += [target] if target not in known else []
    return stale


def test_a_stale_import_is_found(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        "from local_aws.frontdoor.pipeline import FrontDoor\n"
        "from local_aws import launched\n"
        "from local_aws.client.launched import ROOT, sceptre_launch\n"
        "from tests.unit import test_frontdoor\n"
    )
    assert stale_imports(old, _checked_modules()) == [
        "local_aws.frontdoor.pipeline",
        "local_aws.launched",
        "local_aws.client.launched.ROOT",
        "tests.unit.test_frontdoor",
    ]


def test_every_import_of_local_aws_names_something_that_exists() -> None:
    """A module or name moved (local_aws/frontdoor to local_aws/emulator/frontdoor, say) leaves no
    import of its old place behind in local_aws, tests, scripts or examples, nor in what is merged
    later: local_aws's modules and the tests' own, by module and by name."""
    known = _checked_modules()
    stale = {str(path.relative_to(ROOT)): found for path in _sources() if (found := stale_imports(path, known))}
    assert stale == {}
