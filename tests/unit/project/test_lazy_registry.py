"""A command imports only the stacks it renders: loading the project (which validates every
stack of every environment) imports the stacks' settings and no template, troposphere, awacs
or building block; rendering one stack imports that stack's template and no other's. And the
registry's built-ins are the stack packages that exist."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from blueprints.core.blueprint import Blueprint
from blueprints.project.registry import BLUEPRINTS, BUILT_IN, Blueprints
from blueprints.stacks import NAMES
from tests.conftest import PROJECT_DIR, ROOT

STACKS = ROOT / "blueprints" / "stacks"
# The stack that is no stack file's: the account's bootstrap (Environment.bootstrap builds it).
NOT_REGISTERED = {"bootstrap"}
HEAVY = ("troposphere", "awacs", "blueprints.blocks")


def _imported_after(code: str) -> dict[str, list[str]]:
    """Run `code` in a fresh interpreter; the modules imported after each `mark(name)`."""
    script = (
        "import json, sys\n"
        "marks = {}\n"
        "def mark(name): marks[name] = sorted(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps(marks))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT, timeout=120
    )
    marks: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return marks


def _templates(modules: list[str]) -> set[str]:
    return {m for m in modules if m.startswith("blueprints.stacks.") and m.endswith((".template", ".catalogue"))}


def _heavy(modules: list[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)}


def test_loading_the_project_imports_no_template_and_rendering_a_stack_its_own():
    marks = _imported_after(
        "from blueprints.project import load_project\n"
        f"project = load_project({str(PROJECT_DIR)!r})\n"
        "mark('loaded')\n"
        "project.environments['dev'].render('zone')\n"
        "mark('rendered')\n"
    )
    loaded = marks["loaded"]
    assert not _heavy(loaded), "loading the project imports the templates' libraries"
    assert not _templates(loaded), "loading the project imports templates"
    assert {f"blueprints.stacks.{name}.settings" for name in NAMES} <= set(loaded)
    assert "troposphere" in marks["rendered"]
    assert _templates(marks["rendered"]) == {"blueprints.stacks.zone.template"}
    # The zone is a hosted zone and a record: no building block is needed.
    assert not {m for m in marks["rendered"] if m.startswith("blueprints.blocks.")}


@pytest.mark.parametrize("stack", NAMES)
def test_rendering_a_stack_imports_no_other_stacks_template(stack):
    marks = _imported_after(
        "from blueprints.project import load_project\n"
        f"load_project({str(PROJECT_DIR)!r}).environments['prod'].render({stack!r})\n"
        "mark('rendered')\n"
    )
    own = {f"blueprints.stacks.{stack}.template"}
    # The api and monitoring stacks read the functions' catalogue (awacs, no template).
    allowed = own | {"blueprints.stacks.functions.catalogue"}
    assert own <= _templates(marks["rendered"]) <= allowed


def test_the_registry_names_the_stack_packages():
    packages = {p.name for p in STACKS.iterdir() if (p / "__init__.py").is_file()}
    assert set(BUILT_IN) == packages - NOT_REGISTERED
    assert tuple(BUILT_IN) == tuple(BLUEPRINTS) == NAMES
    for name in NAMES:
        blueprint = BLUEPRINTS[name]
        assert issubclass(blueprint, Blueprint)
        assert blueprint.name == name
        assert blueprint.__module__ == f"blueprints.stacks.{name}.template"
        assert Blueprints(BUILT_IN).config_model(name) is blueprint.config_model
        assert blueprint.config_model.__module__ == f"blueprints.stacks.{name}.settings"


# What a stack's settings may import: pydantic, the standard library, the light parts of core,
# the contract, and other stacks' settings.
ALLOWED_IN_SETTINGS = (
    "pydantic",
    "blueprints.core.config",
    "blueprints.core.context",
    "blueprints.core.errors",
    "blueprints.contract",
)


@pytest.mark.parametrize("path", sorted(STACKS.glob("*/settings.py")), ids=lambda p: p.parent.name)
def test_settings_import_no_template_code(path):
    """Read from the source, imports under TYPE_CHECKING included (they name types only, but
    a settings module has no business naming troposphere's)."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    refused = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and not name.startswith(ALLOWED_IN_SETTINGS)
        and not (name.startswith("blueprints.stacks.") and name.endswith(".settings"))
        and name != "__future__"
    }
    assert not refused, f"{path.relative_to(ROOT)} imports {sorted(refused)}"
