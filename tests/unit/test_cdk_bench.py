"""benchmarks/cdk/app.js, the CDK app `make bench-cdk` times against the library, is the same
project: its environments, each environment's stacks and the settings they differ by are the
project's. Read from app.js's text: no Node or CDK needed."""

from __future__ import annotations

import re

import pytest

from blueprints.project import Project
from tests.conftest import ENVIRONMENTS, ROOT

APP = ROOT / "benchmarks" / "cdk" / "app.js"

# app.js's name for a setting -> the environment settings' field.
SETTINGS = {
    "account": "account_id",
    "domain": "domain",
    "logRetentionDays": "log_retention_days",
    "retainData": "retain_data",
    "deletionProtection": "deletion_protection",
    "customerManagedKeys": "customer_managed_keys",
    "protectStacks": "protect_stacks",
}


def _table(name: str) -> str:
    """The text of app.js's `const <name> = { ... };` table."""
    match = re.search(rf"^const {name} = \{{\n(.*?)^\}};", APP.read_text(), flags=re.M | re.S)
    assert match, f"app.js has no `const {name} = {{...}};` table"
    return match.group(1)


def _keys(table: str) -> list[str]:
    return re.findall(r"^  (\w+): \{", table, flags=re.M)


def test_app_builds_the_projects_environments() -> None:
    assert _keys(_table("ENVIRONMENTS")) == list(ENVIRONMENTS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_app_builds_every_stack_of_the_environment_and_no_other(project: Project, env: str) -> None:
    stacks = _table("STACKS")
    assert sorted(_keys(stacks)) == sorted(project.environments[env].stacks)
    # Each stack has its builder, named after it.
    for name, builder in re.findall(r"^  (\w+): \{ build: (\w+),", stacks, flags=re.M):
        assert builder == f"{name}Stack"
        assert re.search(rf"^function {builder}\(", APP.read_text(), flags=re.M), f"app.js defines no {builder}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_app_settings_are_the_environments(project: Project, env: str) -> None:
    block = re.search(rf"^  {env}: \{{\n(.*?)^  \}},", _table("ENVIRONMENTS"), flags=re.M | re.S)
    assert block, f"app.js's ENVIRONMENTS has no {env}"
    values = dict(re.findall(r"\b(\w+): ('[^']*'|\d+|true|false)", block.group(1)))
    settings = project.environments[env].settings
    for name, field in SETTINGS.items():
        expected = getattr(settings, field)
        written = values.get(name)
        if isinstance(expected, bool):
            assert written == str(expected).lower(), f"{env}: app.js {name} {written}, config {field} {expected}"
        else:
            assert written is not None and written.strip("'") == str(expected), (
                f"{env}: app.js {name} {written}, config {field} {expected}"
            )
