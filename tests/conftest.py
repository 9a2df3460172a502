"""Shared fixtures: the real project, rendered once per session through real Sceptre."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.deploy.rendering import RenderedStack, render_environment
from blueprints.project import Project, load_project
from blueprints.testing import TemplateAssertions
from tests.wheel import InstalledWheel

# The suite renders afresh, here and in the processes it starts (Sceptre's launches): a test that
# changes code or files must not be answered from the user's template cache.
os.environ["BLUEPRINTS_TEMPLATE_CACHE"] = "off"

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "sceptre_project"
ENVIRONMENTS = ("dev", "staging", "prod")
INTEGRATION_TESTS = ROOT / "tests" / "integration"


# Session fixtures whose tests run in one process, in order, when `make test` runs the suite in
# several (`-n 3 --dist loadgroup`): what they make is costly, and made once per process.
SHARED_ONCE = ("launches", "installed_wheel")  # dev and prod launched; the wheel built and installed


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests for several processes: those of a costly session fixture together; the
    other integration tests by module (their module-scoped emulators and launches are made
    once); unit tests go wherever a process is free. Much of an integration test's time is
    spent waiting for stacks, which the other processes use."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        shared = next((name for name in SHARED_ONCE if name in item.fixturenames), None)
        if shared is not None:
            item.add_marker(pytest.mark.xdist_group(shared))
        elif item.path.is_relative_to(INTEGRATION_TESTS):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Under `--dist loadgroup`, stop if pytest-xdist dropped the groups (it marks a grouped
    test's node ID, which some pytest versions ignore): the suite would still pass, launching
    everything once per process."""
    if node.config.getvalue("dist") != "loadgroup":
        return
    lost = [nodeid for nodeid in ids if nodeid.startswith("tests/integration/") and "@" not in nodeid]
    if lost:
        pytest.exit(f"pytest-xdist did not group {len(lost)} tests (e.g. {lost[0]}): see the pytest pin", returncode=4)


@pytest.fixture(scope="session", autouse=True)
def _coverage_of_the_emulator(request: pytest.FixtureRequest) -> None:
    """Under --cov, the emulator processes the tests start are measured too (local_aws.client.control
    passes this configuration on to them; coverage's .pth in .venv-emulator starts it); each
    writes its own data file, which pytest-cov combines with the tests' own at the end. Sceptre's
    CLI is not: what it runs of ours, the tests run in-process too, at a third of the cost."""
    if request.config.getoption("cov_source", None) and not request.config.getoption("no_cov", False):
        os.environ["EMULATOR_COVERAGE"] = str(ROOT / "pyproject.toml")
        os.environ["COVERAGE_FILE"] = str(ROOT / ".coverage")  # beside the tests' own, whatever their directory


def measured(environment: dict[str, str] | None = None) -> dict[str, str]:
    """`environment` plus what makes a Python process of the emulator's code be measured when
    the suite is (a worker's runtime, the emulator's command line)."""
    found = {k: os.environ[k] for k in ("EMULATOR_COVERAGE", "COVERAGE_FILE") if k in os.environ}
    if "EMULATOR_COVERAGE" in found:
        found["COVERAGE_PROCESS_START"] = found.pop("EMULATOR_COVERAGE")
    return {**(environment or {}), **found}


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never reach AWS: no credentials, and any endpoint is unroutable."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(PROJECT_DIR)


@pytest.fixture(scope="session")
def rendered() -> dict[str, dict[str, RenderedStack]]:
    """env -> stack -> what Sceptre rendered for it."""
    return {env: render_environment(PROJECT_DIR, env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def template(rendered: dict[str, dict[str, RenderedStack]]) -> Callable[[str, str], TemplateAssertions]:
    def get(env: str, stack: str) -> TemplateAssertions:
        return TemplateAssertions(rendered[env][stack].template)

    return get


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """The wheel and the example project installed into a fresh environment, once per session."""
    return InstalledWheel(tmp_path_factory.mktemp("wheel")).install()


@pytest.fixture
def project_copy(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the Sceptre project; `edit(env, fn)` changes one environment's settings."""
    target = tmp_path / "sceptre_project"
    shutil.copytree(PROJECT_DIR, target, symlinks=True)

    def edit(env: str | None = None, change: Callable[[dict], None] | None = None) -> Path:
        if env is not None and change is not None:
            path = target / "config" / env / "config.yaml"
            data = yaml.safe_load(path.read_text())
            change(data)
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        return target

    return edit
