"""Integration fixtures: a private emulator per session, environments launched with the
real Sceptre command line, read back through the AWS APIs.

Each environment lives in its own account (`environment.account_id`): the session's
launches bootstrap it first, as its administrator, then launch through its deploy role with
the emulator's fixed credentials (the tooling account), as `make demo` does. Tests look at an
environment's resources in its account: `launched[env].client(service)`, or
`account_client(emulator, env, service)` where no launched environment is at hand."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from blueprints.project import load_project
from local_aws.client import control
from local_aws.client.accounts import admin_session
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import Launch, LaunchedEnvironment, sceptre_launch
from local_aws.client.paths import PROJECT_DIR
from scripts.bootstrap import bootstrap

ENVIRONMENTS = ("dev", "prod")  # launched once per session


def start_emulator(state: Path) -> control.Emulator:
    if not control.PYTHON.exists():
        pytest.fail(f"the emulator environment is missing ({control.PYTHON}): run the tests through `make test`")
    return control.start(state)


def admin(emulator: control.Emulator, env: str, project_dir: Path = PROJECT_DIR) -> boto3.Session:
    """A session acting as the administrator of `env`'s account (in `env`'s region)."""
    settings = load_project(project_dir).environment(env)
    return admin_session(emulator, settings.settings.account_id, settings.region)


def account_client(
    emulator: control.Emulator, env: str, service: str, region: str | None = None, project_dir: Path = PROJECT_DIR
) -> Any:
    """A client of the emulator acting in `env`'s account as its administrator (default
    region: the environment's), whatever the process environment holds."""
    settings = load_project(project_dir).environment(env)
    session = admin_session(emulator, settings.settings.account_id, settings.region)
    return session.client(service, region_name=region or settings.region, endpoint_url=emulator.url)


def tooling_client(emulator: control.Emulator, service: str, region: str) -> Any:
    """A client of the emulator acting in the tooling account (its fixed credentials),
    whatever the process environment holds (module fixtures run before a test's is set)."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=emulator.url,
        aws_access_key_id=control.CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=control.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def copy_project(root: Path) -> Path:
    """A copy of the Sceptre project under `root`, with what its launches package beside it
    (lambda_code/ and the API contract, zipped into the functions); the copy's project dir."""
    project = root / "sceptre_project"
    shutil.copytree(PROJECT_DIR, project, symlinks=True)
    shutil.copytree(PROJECT_DIR.parent / "lambda_code", root / "lambda_code")
    shutil.copytree(PROJECT_DIR.parent / "blueprints" / "contract", root / "blueprints" / "contract")
    return project


def bootstrap_account(emulator: control.Emulator, env: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Bootstrap `env`'s account on `emulator` as its administrator (idempotent); its outputs."""
    with environment_variables(emulator.environment({})):
        return bootstrap(
            load_project(project_dir).environment(env), admin(emulator, env, project_dir), log=lambda _: None
        )


@pytest.fixture(scope="session")
def emulator_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session emulator's state directory (pid, ports, logs)."""
    return tmp_path_factory.mktemp("emulator")


@pytest.fixture(scope="session")
def emulator(emulator_state: Path) -> Iterator[control.Emulator]:
    running = start_emulator(emulator_state)
    yield running
    control.stop(emulator_state)


@pytest.fixture(autouse=True)
def _point_at_emulator(emulator: control.Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the unit tests' 'no AWS' environment with the emulator's."""
    for key in control.UNSET:
        monkeypatch.delenv(key, raising=False)
    for key, value in emulator.environment({}).items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def launches(emulator: control.Emulator) -> dict[str, Launch]:
    """dev and prod, each bootstrapped and launched once from an empty emulator."""
    launches = {}
    for env in ENVIRONMENTS:
        bootstrap_account(emulator, env)
        launches[env] = sceptre_launch(emulator, env)
    return launches


@pytest.fixture(scope="session")
def launched(launches: dict[str, Launch], emulator: control.Emulator) -> dict[str, LaunchedEnvironment]:
    """Each launched environment, read as its account's administrator (tests look at more
    than the deploy role may read)."""
    for env, launch in launches.items():
        assert launch.returncode == 0, f"launch of {env} failed:\n{launch.output[-4000:]}"
    saved = dict(os.environ)
    os.environ.update(emulator.environment({}))
    try:
        return {env: LaunchedEnvironment(env, session=admin(emulator, env)) for env in launches}
    finally:
        os.environ.clear()
        os.environ.update(saved)
