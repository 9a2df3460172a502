"""Integration fixtures: a private emulator per session, environments launched with the
real Sceptre command line, read back through the AWS APIs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws import control
from local_aws.launched import Launch, LaunchedEnvironment, sceptre_launch


def start_emulator(state: Path) -> control.Emulator:
    if not control.PYTHON.exists():
        pytest.fail(f"the emulator environment is missing ({control.PYTHON}): run the tests through `make test`")
    return control.start(state)


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
    """dev and prod, each launched once from an empty emulator."""
    return {env: sceptre_launch(emulator, env) for env in ("dev", "prod")}


@pytest.fixture(scope="session")
def launched(launches: dict[str, Launch], emulator: control.Emulator) -> dict[str, LaunchedEnvironment]:
    for env, launch in launches.items():
        assert launch.returncode == 0, f"launch of {env} failed:\n{launch.output[-4000:]}"
    saved = dict(os.environ)
    os.environ.update(emulator.environment({}))
    try:
        return {env: LaunchedEnvironment(env) for env in launches}
    finally:
        os.environ.clear()
        os.environ.update(saved)
