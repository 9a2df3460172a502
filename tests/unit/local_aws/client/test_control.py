"""The host-side control of the emulator: what decides that a running emulator is stale, and
the deprecated `local_aws.control` alias."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from local_aws.client import control
from tests.conftest import measured

ROOT = Path(__file__).resolve().parents[4]


def _emulator_tree(root: Path) -> Path:
    module = root / "local_aws" / "emulator" / "patches" / "moto_fix.py"
    module.parent.mkdir(parents=True)
    module.write_text("FIXED = True\n")
    (root / "local_aws" / "emulator" / "server.py").write_text("")
    (root / "requirements-emulator.txt").write_text("moto==5.2.5\n")
    return module


def test_the_code_version_follows_every_module_of_the_emulator_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _emulator_tree(tmp_path)
    monkeypatch.setattr(control, "ROOT", tmp_path)
    before = control.code_version()
    module.write_text("FIXED = False\n")  # a module two levels down
    assert control.code_version() != before
    module.rename(module.with_name("renamed.py"))  # a module moved, its text the same
    moved = control.code_version()
    assert moved != before
    (tmp_path / "local_aws" / "client").mkdir()
    (tmp_path / "local_aws" / "client" / "callers.py").write_text("x = 1\n")  # host-side: not run by it
    assert control.code_version() == moved
    (tmp_path / "requirements-emulator.txt").write_text("moto==5.2.6\n")
    assert control.code_version() != moved


def test_the_server_module_the_emulator_runs_exists() -> None:
    assert (ROOT / Path(*control.SERVER.split("."))).with_suffix(".py").is_file()


def test_the_old_control_module_is_an_alias_that_warns() -> None:
    from local_aws import control as old  # noqa: PLC0415 - the import under test

    with pytest.warns(DeprecationWarning, match=r"local_aws\.client\.control"):
        assert old.start is control.start
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert control.Emulator(1, 2, 3).url.endswith(":2")  # the new module itself never warns
        assert getattr(old, "ROUTES", None) is None  # nor does a probe for what neither has


def test_python_m_local_aws_control_still_runs_the_command_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local_aws.control", "status"],
        cwd=ROOT,
        env={"EMULATOR_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **measured()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "no emulator running" in result.stderr
    assert "deprecated: use local_aws.client.control" in result.stderr


def _control(state: Path, *argv: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The command line against an empty state directory: no emulator is running there."""
    return subprocess.run(
        [sys.executable, "-m", "local_aws.client.control", *argv],
        cwd=ROOT,
        env={"EMULATOR_STATE_DIR": str(state), "PATH": "/usr/bin:/bin", **measured(), **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("argv", [("status",), ("env",), ("env", "--env", "dev")])
def test_status_and_env_say_when_no_emulator_runs(tmp_path: Path, argv: tuple[str, ...]) -> None:
    result = _control(tmp_path, *argv)
    assert (result.returncode, result.stdout) == (1, "")
    assert "no emulator running" in result.stderr


@pytest.mark.parametrize("argv", [("url", "--env", "dev"), ("token", "--env", "dev", "--customer", "alice")])
def test_url_and_token_say_to_launch_first(tmp_path: Path, argv: tuple[str, ...]) -> None:
    result = _control(tmp_path, *argv)
    assert result.returncode == 1
    assert "no emulator running: run `make demo` first" in result.stderr


def test_stop_without_an_emulator_says_so(tmp_path: Path) -> None:
    result = _control(tmp_path, "stop")
    assert (result.returncode, result.stdout.strip()) == (0, "no emulator was running")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("restart",), "python -m local_aws.client.control start"),  # the usage
        (("start", "--transaction-window-ms", "soon"), "invalid int value: 'soon'"),
        (("token", "--env", "dev", "--client", "reporting", "--print-sub"), "--print-sub needs --customer"),
        (("token", "--env", "dev"), "one of the arguments --customer --client is required"),
    ],
)
def test_a_wrong_command_line_says_what_is_wrong_and_starts_nothing(
    tmp_path: Path, argv: tuple[str, ...], words: str
) -> None:
    result = _control(tmp_path, *argv)
    assert result.returncode == 2
    assert words in result.stderr
    assert not (tmp_path / "pid").exists()


def test_start_without_the_emulators_environment_says_how_to_make_it(tmp_path: Path) -> None:
    result = _control(tmp_path, "start", EMULATOR_PYTHON=str(tmp_path / "absent" / "bin" / "python"))
    assert result.returncode != 0
    assert "no emulator environment at" in result.stderr and "run `make emulator`" in result.stderr
    assert not (tmp_path / "pid").exists()
