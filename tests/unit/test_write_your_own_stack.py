"""docs/write-your-own-stack.md does what it says. Its files (each code block that starts
with `# <path>`), written out as the page lays them out with its links, are a package and a
Sceptre project: the Python blocks run in order, the page's tests pass against its
blueprint, its handler answers, and the project loads and renders through Sceptre with the
blueprint registered by the page's entry point."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from types import ModuleType

import pytest

from blueprints.deploy.rendering import render_environment
from blueprints.project import registry
from blueprints.project.loader import load_project
from blueprints.project.registry import ENTRY_POINT_GROUP
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "write-your-own-stack.md"
MODULE = "inventory_blueprints"
_FILE = re.compile(r"# ([\w./-]+\.(?:py|yaml|toml))(, continued)?\n")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(), re.MULTILINE | re.DOTALL)


def _file(block: str) -> str | None:
    named = _FILE.match(block)
    return named[1] if named else None


def _files() -> dict[str, str]:
    """Path -> text of every block that names its file; a block `<path>, continued` adds to it."""
    files: dict[str, str] = {}
    for language in ("python", "yaml", "toml"):
        for block in _blocks(language):
            named = _FILE.match(block)
            if named:
                path, continued = named.groups()
                assert (path in files) == bool(continued), f"{path}: a first block, then only continued ones"
                files[path] = files.get(path, "") + ("\n\n" if continued else "") + block
    return files


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The page's package written out, importable, its blueprint registered by its entry point."""
    root = tmp_path / "inventory"
    for path, text in _files().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (links,) = [block for block in _blocks("sh") if block.startswith("cd sceptre/config\n")]
    for line in links.splitlines()[1:]:
        command, flag, target, link = shlex.split(line)
        assert (command, flag) == ("ln", "-s")
        (root / "sceptre" / "config" / link).symlink_to(target)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    registered = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [MODULE]
    entry_points = {name: EntryPoint(name, value, ENTRY_POINT_GROUP) for name, value in registered.items()}
    monkeypatch.setattr(registry, "_registered", lambda: entry_points)
    monkeypatch.syspath_prepend(str(root))
    sys.modules.pop(MODULE, None)
    yield root
    sys.modules.pop(MODULE, None)


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pages_python_runs_and_its_tests_pass(package, capsys):
    """The blueprint's blocks and the try-it block, in order in one namespace as a reader
    pastes them; then the page's test file, run against the page's package."""
    namespace: dict[str, object] = {"__name__": "page"}
    pasted = [block for block in _blocks("python") if _file(block) in (None, f"{MODULE}/__init__.py")]
    assert len(pasted) == 3
    for number, block in enumerate(pasted, 1):
        code = compile(block, f"docs/write-your-own-stack.md python block {number}", "exec", dont_inherit=True)
        exec(code, namespace)
    out = capsys.readouterr().out
    assert out.startswith('{"AWSTemplateFormatVersion"')
    assert "environment 'dev', stack 'inventory', field 'log_retention_days': Value error, 10 is not" in out
    tests = _module(package / "tests" / "test_inventory.py", "test_inventory")
    functions = [value for name, value in vars(tests).items() if name.startswith("test_")]
    assert len(functions) >= 4
    for function in functions:
        function()


def test_the_pages_handler_answers(package, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("STOCK_TABLE", "shop-dev-stock")
    handler = _module(package / "reader" / "handler.py", "inventory_reader")

    class Table:
        def get_item(self, Key: dict[str, str]) -> dict[str, object]:
            return {"Item": {"sku": "A-1", "count": 3}} if Key == {"sku": "A-1"} else {}

    assert handler.TABLE.name == "shop-dev-stock"
    monkeypatch.setattr(handler, "TABLE", Table())
    found = handler.handler({"pathParameters": {"sku": "A-1"}}, None)
    assert found == {"statusCode": 200, "body": json.dumps({"sku": "A-1", "count": 3})}
    missing = handler.handler({"pathParameters": {"sku": "B-2"}}, None)
    assert missing["statusCode"] == 404 and json.loads(missing["body"])["error"]["code"] == "NotFound"


def test_the_pages_sceptre_project_loads_and_renders_through_sceptre(package):
    project = load_project(package / "sceptre")
    assert project.name == "shop" and list(project.environments) == ["dev", "prod"]
    for env in project.environments.values():
        assert dict(env.stacks) == {"inventory": "inventory", "network": "network", "storage": "storage"}
    prod = project.environments["prod"].blueprint("inventory").config
    dev = project.environments["dev"].blueprint("inventory").config
    assert (prod.reader_concurrency, prod.retain_data, prod.log_retention_days) == (10, True, 365)
    assert (dev.point_in_time_recovery, dev.reader_concurrency) == (False, None)
    rendered = render_environment(package / "sceptre", "dev")
    assert set(rendered) == {"inventory", "network", "storage"}
    inventory = rendered["inventory"]
    assert {d.rpartition("/")[2] for d in inventory.dependencies} == {"network", "storage"}
    assert set(inventory.parameters) == {"CodeBucket", "CodeKey", "SecurityGroupId", "SubnetIds"}
    template = json.loads(inventory.template)
    assert template["Description"] == "shop dev: Stock table and its reader"
    assert template["Resources"]["StockTable"]["Properties"]["TableName"] == "shop-dev-stock"
    assert set(template["Parameters"]) == set(inventory.parameters)
