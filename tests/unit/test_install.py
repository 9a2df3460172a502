"""The package as other teams install it: a regular package with a version and a light
public API, Sceptre plugins that load in any environment the `[sceptre]` extra made, and
an install that leaves the source tree as it was."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import blueprints
from blueprints.core import Context
from blueprints.environments import load_project
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


RENDER_DEV = (
    "import sys\n"
    "from blueprints.environments import load_project\n"
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
        ("import blueprints.sceptre_adapter", {"sceptre"}, {"cfnlint", "boto3", "troposphere"}),
        # offline rendering through Sceptre needs no cfn-lint
        (
            "import sys\nfrom blueprints.sceptre_adapter import render_environment\n"
            "assert render_environment(sys.argv[1], 'dev')",
            {"sceptre", "troposphere"},
            {"cfnlint"},
        ),
        # the guard is where cfn-lint comes in
        (
            "from blueprints.guard import create_only_properties\n"
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


def _source_files() -> list[str]:
    """What a clone holds: tracked files and new ones not ignored (the tree as committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and os.path.lexists(ROOT / name)})


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.lstat().st_size for p in sorted(root.rglob("*"))}


@pytest.mark.slow
def test_the_wheel_installs_with_the_sceptre_extra_and_leaves_the_source_tree_as_it_was(tmp_path):
    """Build the wheel from a clean copy of the source, install `<wheel>[sceptre]` into a
    fresh virtual environment with the pinned versions, and use it as another team would."""
    source = tmp_path / "source"
    for name in _source_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    before = _tree(source)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]

    def run(*argv: str | Path, cwd: Path = tmp_path) -> str:
        result = subprocess.run(
            [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run(*pip, "wheel", "--no-deps", "--wheel-dir", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("payments_blueprints-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)  # this pip installs into it: faster than ensurepip
    python = venv / "bin" / "python"
    constraints = ROOT / "constraints.txt"
    run(*pip, "--python", python, "install", "--no-compile", "-c", constraints, f"{wheel}[sceptre]")

    version = run(python, "-c", "import blueprints; print(blueprints.__version__)")
    assert version.strip() == importlib.metadata.version(DISTRIBUTION)
    files = "import blueprints, pathlib; print(*pathlib.Path(blueprints.__file__).parent.rglob('*'))"
    shipped = run(python, "-c", files)
    assert "py.typed" in shipped and "/contract/__init__.py" in shipped
    for absent in ("local_aws", "scripts", "tests"):  # not part of the distribution
        result = subprocess.run(
            [python, "-c", f"import {absent}"], capture_output=True, cwd=tmp_path, env=env, check=False
        )
        assert result.returncode != 0, f"{absent} was installed"

    assert "Usage: sceptre" in run(venv / "bin" / "sceptre", "--help")
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
    rendered = run(venv / "bin" / "sceptre", "--dir", project, "--output", "json", "generate", "dev")
    assert '"AWSTemplateFormatVersion": "2010-09-09"' in rendered

    # Another team's project on top of the wheel: installed, its own tests, rendered by Sceptre.
    example = source / "examples" / "orders"
    run(*pip, "--python", python, "install", "--no-compile", "-c", constraints, example, "pytest")
    tested = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", example / "tests", cwd=tmp_path)
    assert " passed" in tested and "failed" not in tested
    rendered = run(venv / "bin" / "sceptre", "--dir", example / "sceptre", "--output", "json", "generate", "dev")
    assert '"TableName": "orders-dev-orders"' in rendered
    assert _tree(source) == before, "building and installing changed the source tree"
