"""The package as other teams install it: a regular package with a version and a light
public API, Sceptre plugins that load in any environment the `[sceptre]` extra made, and
an install that leaves the source tree as it was."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import tomllib

import pytest

import blueprints
from blueprints.core import Context
from blueprints.project import load_project
from blueprints.testing import TemplateAssertions
from tests.conftest import PROJECT_DIR, ROOT

DISTRIBUTION = "payments-blueprints"


def test_version_comes_from_pyproject_through_the_distribution():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    installed = importlib.metadata.version(DISTRIBUTION)
    assert blueprints.__version__ == installed == declared, "after changing the version, reinstall (make does)"


def test_blueprints_is_a_regular_package_with_a_declared_api():
    assert blueprints.__file__ is not None and blueprints.__file__.endswith("__init__.py")
    namespace: dict[str, object] = {}
    exec("from blueprints import *", namespace)  # the star import users may write
    assert set(blueprints.__all__) <= set(namespace)
    assert "__version__" in blueprints.__all__ and set(blueprints.__all__) <= set(dir(blueprints))
    assert (blueprints.Context, blueprints.load_project, blueprints.TemplateAssertions) == (
        Context,
        load_project,
        TemplateAssertions,
    )
    with pytest.raises(AttributeError, match="no attribute 'Contxt'"):
        _ = blueprints.Contxt


def _imported_after(code: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter has imported after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.partition('.')[0] for m in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(PROJECT_DIR)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


PLUGINS = "\n".join(
    f"import {entry.value.partition(':')[0]}"
    for group in ("sceptre.template_handlers", "sceptre.resolvers", "sceptre.hooks")
    for entry in importlib.metadata.entry_points(group=group)
    if entry.value.startswith("blueprints.")
)

RENDER_DEV = (
    "import sys\n"
    "from blueprints.project import load_project\n"
    "env = load_project(sys.argv[1]).environments['dev']\n"
    "assert all(env.render(stack) for stack in env.stacks)\n"
)


@pytest.mark.parametrize(
    ("code", "imported", "not_imported"),
    [
        # importing the package costs next to nothing
        ("import blueprints; blueprints.__version__", set(), {"sceptre", "cfnlint", "boto3", "troposphere"}),
        # the base install renders with the blueprints alone
        ("import blueprints\n" + RENDER_DEV, {"troposphere"}, {"sceptre", "cfnlint", "boto3"}),
        # what Sceptre does at every start: load the plugin module
        (PLUGINS, {"sceptre"}, {"cfnlint", "boto3", "troposphere"}),
        # offline rendering through Sceptre needs no cfn-lint
        (
            "import sys\nfrom blueprints.deploy.rendering import render_environment\n"
            "assert render_environment(sys.argv[1], 'dev')",
            {"sceptre", "troposphere"},
            {"cfnlint"},
        ),
        # the guard is where cfn-lint comes in
        (
            "from blueprints.deploy.guard import create_only_properties\n"
            "assert create_only_properties('AWS::DynamoDB::Table')",
            {"cfnlint"},
            set(),
        ),
    ],
    ids=["package", "render", "plugins", "sceptre-render", "guard"],
)
def test_heavy_and_optional_imports_happen_only_where_needed(code, imported, not_imported):
    modules = _imported_after(code)
    assert imported <= modules
    assert not (not_imported & modules)


@pytest.mark.slow
def test_the_wheel_installs_with_the_sceptre_extra_and_leaves_the_source_tree_as_it_was(installed_wheel, tmp_path):
    """The wheel built from a clean copy of the source and `<wheel>[sceptre]` installed into a
    fresh virtual environment with the pinned versions (tests/wheel.py), used as another team
    would; the example project's launch from it is tests/integration/test_example.py."""
    wheel = installed_wheel
    python, run = wheel.python, wheel.run
    version = run(python, "-c", "import blueprints; print(blueprints.__version__)")
    assert version.strip() == importlib.metadata.version(DISTRIBUTION)
    files = "import blueprints, pathlib; print(*pathlib.Path(blueprints.__file__).parent.rglob('*'))"
    shipped = run(python, "-c", files)
    assert "py.typed" in shipped and "/contract/__init__.py" in shipped
    for absent in ("local_aws", "scripts", "tests"):  # not part of the distribution
        result = subprocess.run(
            [python, "-c", f"import {absent}"], capture_output=True, cwd=tmp_path, env=wheel.env, check=False
        )
        assert result.returncode != 0, f"{absent} was installed"

    assert "Usage: sceptre" in run(wheel.sceptre, "--help")
    # what Sceptre's config reader does when any command starts: load every registered plugin
    plugins = (
        "from importlib.metadata import entry_points\n"
        "for group in ('sceptre.template_handlers', 'sceptre.resolvers', 'sceptre.hooks'):\n"
        "    for entry in entry_points(group=group):\n"
        "        print(entry.load().__name__)\n"
    )
    loaded = run(python, "-c", plugins).split()
    assert {"BlueprintHandler", "FunctionPackageResolver", "GuardStatefulResourcesHook"} <= set(loaded)
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, symlinks=True)
    rendered = run(wheel.sceptre, "--dir", project, "--output", "json", "generate", "dev")
    assert '"AWSTemplateFormatVersion": "2010-09-09"' in rendered

    # Another team's project on top of the wheel: its own tests, rendered by Sceptre.
    tested = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", wheel.example / "tests", cwd=tmp_path)
    assert " passed" in tested and "failed" not in tested
    rendered = run(wheel.sceptre, "--dir", wheel.example / "sceptre", "--output", "json", "generate", "dev")
    assert '"TableName": "orders-dev-orders"' in rendered
    assert wheel.source_after == wheel.source_before, "building and installing changed the source tree"
