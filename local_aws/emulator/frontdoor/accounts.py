"""Accounts: which account holds a REST API or a distribution, and credentials and clients
acting in an account.

moto keeps resources per account and acts in the account of the request's access key
(keys from STS AssumeRole into `arn:aws:iam::<account>:role/...` act in <account>; the role
need not exist). The front door reads each API's definitions through clients acting in the
API's account, with credentials from AssumeRole of the account's
OrganizationAccountAccessRole made with the emulator's fixed credentials.

The account holding an id is found in moto's backends in this process (the front door runs
inside the emulator): every account moto has an API Gateway (CloudFront) backend for, in
the front door's regions. A lookup creates no backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client, in one account
AccountClientFactory = Callable[[str], ClientFactory]  # account -> the clients acting in it
AssumeRole = Callable[[str, str, int], Mapping[str, Any]]  # (role ARN, session name, seconds) -> STS Credentials

ORGANIZATION_ROLE = "OrganizationAccountAccessRole"
FRONT_DOOR_SESSION = "local-frontdoor"
# Credentials last AssumeRole's maximum (12 hours; moto accepts any duration and never expires
# a key) and are renewed REFRESH_MARGIN before they expire: more than Lambda's longest
# function timeout (900 s), so an invocation started with unexpired credentials ends before
# they expire.
SESSION_SECONDS = 43200
REFRESH_MARGIN = 1800.0


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: float | None = None  # epoch seconds; None: never expires

    @classmethod
    def from_sts(cls, credentials: Mapping[str, Any]) -> Credentials:
        """From AssumeRole's Credentials (boto3 parses Expiration into a datetime)."""
        expiration = credentials.get("Expiration")
        return cls(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials.get("SessionToken"),
            expiration=expiration.timestamp() if isinstance(expiration, datetime) else None,
        )

    def due(self, now: float) -> bool:
        """Time to renew them: within REFRESH_MARGIN of their expiry."""
        return self.expiration is not None and now >= self.expiration - REFRESH_MARGIN

    def environment(self) -> dict[str, str]:
        """As Lambda passes a function its execution role's credentials."""
        variables = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            variables["AWS_SESSION_TOKEN"] = self.session_token
        return variables

    def client_arguments(self) -> dict[str, str | None]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


# The emulator's fixed credentials: they act in moto's default account (123456789012).
FIXED = Credentials("testing", "testing")


def organization_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ORGANIZATION_ROLE}"


class RoleSessions:
    """Credentials of a role from AssumeRole, cached per (role, session name) and renewed
    when due (`Credentials.due`)."""

    def __init__(self, assume_role: AssumeRole, clock: Callable[[], float] = time.time) -> None:
        self._assume_role = assume_role
        self._clock = clock
        self._cache: dict[tuple[str, str], Credentials] = {}
        self._lock = threading.Lock()

    def for_role(self, role_arn: str, session_name: str = FRONT_DOOR_SESSION) -> Credentials:
        if not role_arn:
            raise ValueError("no role to assume")
        key = (role_arn, session_name[:64])
        with self._lock:
            cached = self._cache.get(key)
            if cached is None or cached.due(self._clock()):
                cached = self._cache[key] = Credentials.from_sts(self._assume_role(*key, SESSION_SECONDS))
            return cached

    def for_account(self, account: str) -> Credentials:
        """Credentials acting in `account` (its OrganizationAccountAccessRole)."""
        return self.for_role(organization_role(account))


class AccountClients:
    """boto3 clients of the emulator acting in an account: `clients(account)(service, region)`.
    One client per (account, service, region), shared by all threads, remade when the
    account's credentials are renewed."""

    def __init__(
        self, new_client: Callable[[str, str, Credentials], Any], credentials: Callable[[str], Credentials]
    ) -> None:
        self._new_client = new_client  # (service, region, credentials) -> client
        self._credentials = credentials  # account -> credentials acting in it
        self._clients: dict[tuple[str, str, str], tuple[Credentials, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, account: str) -> ClientFactory:
        if not account:
            raise ValueError("no account")

        def client(service: str, region: str) -> Any:
            credentials = self._credentials(account)
            with self._lock:
                key = (account, service, region)
                cached = self._clients.get(key)
                if cached is None or cached[0] != credentials:
                    cached = self._clients[key] = (credentials, self._new_client(service, region, credentials))
                return cached[1]

        return client


def rest_api_location(
    api_id: str, regions: Sequence[str], backends: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str, str] | None:
    """(account, region) of the REST API: the first account whose API Gateway backend in
    one of `regions` holds it (None: none does). `backends`: moto's apigateway_backends."""
    if backends is None:
        from moto.apigateway.models import apigateway_backends  # noqa: PLC0415 - only inside the emulator

        backends = apigateway_backends
    for account, regional in _snapshot(backends):
        for region in regions:
            backend = regional.get(region)  # Mapping.get: never creates a region's backend
            if backend is not None and api_id in backend.apis:
                return account, region
    return None


def distribution_account(distribution_id: str, backends: Mapping[str, Mapping[str, Any]] | None = None) -> str | None:
    """The account holding the CloudFront distribution (None: no account does).
    `backends`: moto's cloudfront_backends (one backend per partition)."""
    if backends is None:
        from moto.cloudfront.models import cloudfront_backends  # noqa: PLC0415 - only inside the emulator

        backends = cloudfront_backends
    for account, partitions in _snapshot(backends):
        if any(distribution_id in backend.distributions for backend in list(partitions.values())):
            return account
    return None


def _snapshot(backends: Mapping[str, Mapping[str, Any]]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """The accounts as they are now (other threads add accounts while requests are served)."""
    return list(backends.items())
