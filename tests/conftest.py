"""Shared fixtures: the real project, rendered once per session through real Sceptre."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from blueprints.environments import Project, load_project
from blueprints.sceptre_adapter import RenderedStack, render_environment
from blueprints.testing import TemplateAssertions
from tests.wheel import InstalledWheel

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "sceptre_project"
ENVIRONMENTS = ("dev", "staging", "prod")


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
