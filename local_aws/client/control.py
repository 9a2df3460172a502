"""Start, check and stop the local AWS emulator (standard library only); print an
environment's URL and callers' tokens.

    python -m local_aws.client.control start    # idempotent: reuses a running emulator
    python -m local_aws.client.control start --transaction-window-ms 200  # DynamoDB transactions in flight 200 ms
    python -m local_aws.client.control status
    python -m local_aws.client.control env      # shell exports that point AWS tools at it (the tooling account)
    python -m local_aws.client.control env --env prod  # ... as the administrator of prod's account
    python -m local_aws.client.control stop
    python -m local_aws.client.control url   --env dev                  # the API's base URL (its distribution)
    python -m local_aws.client.control url   --env dev --direct         # the stage's own URL (refused by its web ACL)
    python -m local_aws.client.control token --env dev --customer alice  # a customer's access token
    python -m local_aws.client.control token --env dev --customer alice --print-sub  # its id (the token's `sub`)
    python -m local_aws.client.control token --env dev --client reporting  # a back-office client's token

State lives in .emulator/ (pid, port, frontdoor_port, server log; the front door's function
code and logs under frontdoor/). The port is EMULATOR_PORT if set, otherwise a free one; the
front door (local_aws/emulator/frontdoor) gets another free one. Both listen on 127.0.0.1 only.
`url` and `token` read the launched environment through boto3: run them with the project's
.venv/bin/python.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from local_aws.client.endpoint import CREDENTIALS, HOST, UNSET, Emulator
from local_aws.client.paths import PROJECT_DIR, ROOT

STATE = Path(os.environ.get("EMULATOR_STATE_DIR", ROOT / ".emulator"))
PYTHON = Path(os.environ.get("EMULATOR_PYTHON", ROOT / ".venv-emulator" / "bin" / "python"))
SERVER = "local_aws.emulator.server"  # the module the emulator's interpreter runs
TRANSACTION_WINDOW = "EMULATOR_TRANSACTION_WINDOW_MS"  # read by local_aws/emulator/dynamodb_transactions.py
# A coverage configuration file: when set, the emulator process is measured by coverage (its .pth
# in .venv-emulator starts it). The test suite sets it; nothing else needs it.
COVERAGE = "EMULATOR_COVERAGE"

# Emulator, CREDENTIALS, HOST and UNSET are local_aws.client.endpoint's, named here too: what
# `start` returns and how callers point at it.
__all__ = [
    "CREDENTIALS",
    "HOST",
    "SERVER",
    "TRANSACTION_WINDOW",
    "UNSET",
    "Emulator",
    "EmulatorError",
    "code_version",
    "current",
    "main",
    "start",
    "stop",
]


class EmulatorError(RuntimeError):
    """The emulator could not be started, or is not running."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def code_version() -> str:
    """What the emulator process runs: a restart is needed when this changes."""
    digest = hashlib.sha256()
    # Every module the emulator process runs (local_aws/emulator, at any depth), named and
    # read, and the pinned requirements.
    emulator = ROOT / "local_aws" / "emulator"
    for path in sorted(emulator.rglob("*.py")):
        digest.update(path.relative_to(emulator).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    digest.update((ROOT / "requirements-emulator.txt").read_bytes())
    return digest.hexdigest()[:16]


def current(state: Path = STATE) -> Emulator | None:
    """The running emulator, if its pid file names a live, answering process that runs
    the current emulator code."""
    try:
        pid = int((state / "pid").read_text())
        port = int((state / "port").read_text())
        frontdoor_port = int((state / "frontdoor_port").read_text())
        version = (state / "version").read_text()
    except (OSError, ValueError):
        return None
    if version != code_version():
        return None  # started from older emulator code: treated as not running
    emulator = Emulator(pid, port, frontdoor_port)
    return emulator if _alive(pid) and _ready(emulator.url) else None


def start(
    state: Path = STATE, *, port: int | None = None, timeout: float = 60.0, transaction_window_ms: int | None = None
) -> Emulator:
    """Start an emulator whose pid, port and log live in `state`, or return the one
    already running there. Several can run at once, each with its own state dir.
    `transaction_window_ms`: how long each DynamoDB transaction stays in flight, holding its
    items (local_aws/emulator/dynamodb_transactions.py; default: EMULATOR_TRANSACTION_WINDOW_MS, else 0);
    it applies to an emulator this call starts, not to one already running."""
    running = current(state)
    if running is not None:
        return running
    if stop(state):
        print("the emulator's code changed since it started: restarted it (its state is lost)", file=sys.stderr)
    if not PYTHON.exists():
        raise EmulatorError(f"no emulator environment at {PYTHON.parent.parent}: run `make emulator`")
    port = port or int(os.environ.get("EMULATOR_PORT") or _free_port())
    frontdoor_port = _free_port()
    while frontdoor_port == port:
        frontdoor_port = _free_port()
    state.mkdir(parents=True, exist_ok=True)
    with (state / "server.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [str(PYTHON), "-m", SERVER, "--port", str(port), "--frontdoor-port", str(frontdoor_port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the caller's terminal does not kill it
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "MOTO_PORT": str(port),
                "EMULATOR_STATE_DIR": str(state.resolve()),  # the front door keeps function code and logs there
                **({} if transaction_window_ms is None else {TRANSACTION_WINDOW: str(transaction_window_ms)}),
                **({"COVERAGE_PROCESS_START": os.environ[COVERAGE]} if os.environ.get(COVERAGE) else {}),
            },
        )
    (state / "pid").write_text(str(process.pid))
    (state / "port").write_text(str(port))
    (state / "frontdoor_port").write_text(str(frontdoor_port))
    (state / "version").write_text(code_version())
    emulator = Emulator(process.pid, port, frontdoor_port)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(state)
            raise EmulatorError(f"emulator exited with {process.returncode}; see {state / 'server.log'}")
        if _ready(emulator.url):
            return emulator
        time.sleep(0.2)
    stop(state)
    raise EmulatorError(f"emulator not ready on {emulator.url} after {timeout:.0f} s; see {state / 'server.log'}")


def stop(state: Path = STATE, timeout: float = 10.0) -> bool:
    """Stop the emulator recorded in `state`, if any; True if a process was stopped."""
    try:
        pid = int((state / "pid").read_text())
    except (OSError, ValueError):
        pid = 0
    stopped = False
    if pid and _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        stopped = True
    for name in ("pid", "port", "frontdoor_port", "version"):
        with contextlib.suppress(FileNotFoundError):
            (state / name).unlink()
    return stopped


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "start":
        started = start(transaction_window_ms=_start_options(argv[1:]))
        print(f"local AWS emulator running at {started.url} (pid {started.pid})")
    elif command == "stop":
        print("emulator stopped" if stop() else "no emulator was running")
    elif command in {"status", "env"}:
        emulator = current()
        if emulator is None:
            print("no emulator running", file=sys.stderr)
            return 1
        if command == "env":
            print("unset " + " ".join(UNSET))
            exports = emulator.environment({})
            if len(argv) > 1:
                exports.update(_account_credentials(emulator, argv[1:]))
            for key, value in exports.items():
                print(f"export {key}={value!r}")
        else:
            print(f"local AWS emulator running at {emulator.url} (pid {emulator.pid})")
    elif command in {"url", "token"}:
        return _callers(command, argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


def _start_options(argv: list[str]) -> int | None:
    """`start [--transaction-window-ms N]`."""
    import argparse  # noqa: PLC0415 - only this command needs it

    parser = argparse.ArgumentParser(prog="python -m local_aws.client.control start")
    parser.add_argument(
        "--transaction-window-ms",
        type=int,
        metavar="N",
        help="keep each DynamoDB transaction in flight N ms, holding its items (default 0)",
    )
    window: int | None = parser.parse_args(argv).transaction_window_ms
    return window


def _account_credentials(emulator: Emulator, argv: list[str]) -> dict[str, str]:
    """`env --env <name>`: credentials of the administrator of that environment's account."""
    import argparse  # noqa: PLC0415 - only this command needs it

    from blueprints.project import load_project  # noqa: PLC0415 - needs the project's environment
    from local_aws.client.accounts import admin_session  # noqa: PLC0415 - needs boto3

    parser = argparse.ArgumentParser(prog="python -m local_aws.client.control env")
    parser.add_argument("--env", required=True, help="an environment, e.g. dev: act in its account")
    env = load_project(PROJECT_DIR).environment(parser.parse_args(argv).env)
    credentials = admin_session(emulator, env.settings.account_id, env.region).get_credentials()
    return {
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token,
    }


def _callers(command: str, argv: list[str]) -> int:
    """`url` and `token`: they read the launched environment, so they need the project's
    environment (boto3, the blueprints); the other commands need only the standard library."""
    import argparse  # noqa: PLC0415 - only these commands need it

    from local_aws.client.callers import CallerError, Environment  # noqa: PLC0415 - needs boto3

    parser = argparse.ArgumentParser(prog=f"python -m local_aws.client.control {command}")
    parser.add_argument("--env", required=True, help="a launched environment, e.g. dev")
    if command == "url":
        parser.add_argument(
            "--direct",
            action="store_true",
            help="the stage's execute-api URL instead of the distribution's (its web ACL refuses callers)",
        )
    if command == "token":
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", metavar="NAME", help="a customer (a user of the pool, made on first use)")
        who.add_argument("--client", metavar="NAME", help="a back-office client (read-only scope, made on first use)")
        parser.add_argument(
            "--print-sub",
            action="store_true",
            help="with --customer: print the customer's id (its token's `sub`, as in /customers/{customerId}/payments)"
            " instead of the token",
        )
    args = parser.parse_args(argv)
    if command == "token" and args.print_sub and not args.customer:
        parser.error("--print-sub needs --customer: a back-office client has no customer id")
    emulator = current()
    if emulator is None:
        print("no emulator running: run `make demo` first", file=sys.stderr)
        return 1
    env = Environment(args.env, emulator)
    try:
        if command == "url":
            print(env.direct_url if args.direct else env.url)
        elif args.customer:
            print(env.customer_sub(args.customer) if args.print_sub else env.customer_token(args.customer))
        else:
            print(env.client_token(args.client))
    except CallerError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
