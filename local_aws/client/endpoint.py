"""Where a running emulator is and how a process points at it (standard library only): its
pid and ports, its URLs, the environment variables that send boto3, Sceptre and the AWS CLI to
it with fake credentials, and those variables set for a while in this process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

HOST = "127.0.0.1"
# Fake credentials: the emulator accepts any, and real ones must never be sent to it.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that could route a call to a real account instead: always removed.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class Emulator:
    """A running emulator: its process, the port moto serves on and the front door's."""

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
            # The public DNS as the emulator's zones make it (local_aws/emulator/public_dns.py): where
            # blueprints.preflight asks whether the domain is delegated.
            BLUEPRINTS_DNS_RESOLVER=f"{HOST}:{self.port}",
            **CREDENTIALS,
        )
        return env


@contextlib.contextmanager
def environment_variables(variables: dict[str, str]) -> Iterator[None]:
    """`variables` set in this process's environment while the block runs, then restored."""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
