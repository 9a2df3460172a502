"""Start, check and stop the local AWS emulator (standard library only); print an
environment's URL and callers' tokens.

    python -m local_aws.control start    # idempotent: reuses a running emulator
    python -m local_aws.control start --transaction-window-ms 200  # DynamoDB transactions in flight 200 ms
    python -m local_aws.control status
    python -m local_aws.control env      # shell exports that point AWS tools at it (the tooling account)
    python -m local_aws.control env --env prod  # ... as the administrator of prod's account
    python -m local_aws.control stop
    python -m local_aws.control url   --env dev                  # the API's base URL (its distribution)
    python -m local_aws.control url   --env dev --direct         # the stage's own URL (refused by its web ACL)
    python -m local_aws.control token --env dev --customer alice  # a customer's access token
    python -m local_aws.control token --env dev --client reporting  # a back-office client's token

State lives in .emulator/ (pid, port, frontdoor_port, server log; the front door's function
code and logs under frontdoor/). The port is EMULATOR_PORT if set, otherwise a free one; the
front door (local_aws/frontdoor) gets another free one. Both listen on 127.0.0.1 only.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("EMULATOR_STATE_DIR", ROOT / ".emulator"))
PYTHON = Path(os.environ.get("EMULATOR_PYTHON", ROOT / ".venv-emulator" / "bin" / "python"))
HOST = "127.0.0.1"
# Fake credentials: the emulator accepts any, and real ones must never be sent to it.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that could route a call to a real account instead: always removed.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
TRANSACTION_WINDOW = "EMULATOR_TRANSACTION_WINDOW_MS"  # read by local_aws/dynamodb_transactions.py


class EmulatorError(RuntimeError):
    """The emulator could not be started, or is not running."""


@dataclass(frozen=True)
class Emulator:
    pid: int
    port: int
    frontdoor_port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def frontdoor_url(self) -> str:
        """The local front door: <frontdoor_url>/distributions/<distribution id>/<path> (CloudFront)
        and <frontdoor_url>/restapis/<api id>/<stage>/<path> (the stage's execute-api URL)."""
        return f"http://{HOST}:{self.frontdoor_port}"

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default: this process's environment) pointed at the emulator, for
        boto3, Sceptre and the AWS CLI alike, with nothing left that reaches real AWS."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if k not in UNSET}
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            # The public DNS as the emulator's zones make it (local_aws/public_dns.py): where
            # blueprints.deploy.preflight asks whether the domain is delegated.
            BLUEPRINTS_DNS_RESOLVER=f"{HOST}:{self.port}",
            **CREDENTIALS,
        )
        return env


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
    # Every module of the package (the host-side ones too: simpler than a list to keep).
    for path in (
        *sorted((ROOT / "local_aws").glob("*.py")),
        ROOT / "requirements-emulator.txt",
        *sorted((ROOT / "local_aws" / "frontdoor").glob("*.py")),
    ):
        digest.update(path.read_bytes())
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
    items (local_aws/dynamodb_transactions.py; default: EMULATOR_TRANSACTION_WINDOW_MS, else 0);
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
            [str(PYTHON), "-m", "local_aws.server", "--port", str(port), "--frontdoor-port", str(frontdoor_port)],
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
        emulator = start(transaction_window_ms=_start_options(argv[1:]))
        print(f"local AWS emulator running at {emulator.url} (pid {emulator.pid})")
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

    parser = argparse.ArgumentParser(prog="python -m local_aws.control start")
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
    from local_aws.accounts import admin_session  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m local_aws.control env")
    parser.add_argument("--env", required=True, help="an environment, e.g. dev: act in its account")
    env = load_project(ROOT / "sceptre_project").environment(parser.parse_args(argv).env)
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

    from local_aws.callers import CallerError, Environment  # noqa: PLC0415 - needs boto3

    parser = argparse.ArgumentParser(prog=f"python -m local_aws.control {command}")
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
    args = parser.parse_args(argv)
    emulator = current()
    if emulator is None:
        print("no emulator running: run `make demo` first", file=sys.stderr)
        return 1
    env = Environment(args.env, emulator)
    try:
        if command == "url":
            print(env.direct_url if args.direct else env.url)
        elif args.customer:
            print(env.customer_token(args.customer))
        else:
            print(env.client_token(args.client))
    except CallerError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
