"""What the Cognito authorizer needs from the emulator: each pool's JWKS (from its
.well-known URL, cached) and whether a client id is one of the pool's app clients (asked in
the pool's account, named by its ARN)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from local_aws.emulator.frontdoor.accounts import AccountClientFactory
from local_aws.emulator.frontdoor.authorizer import UserPool

CLIENT_TTL = 10.0  # seconds a known client is trusted before it is looked up again


class PoolDirectory:
    def __init__(
        self, clients: AccountClientFactory, emulator_url: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clients = clients
        self._url = emulator_url.rstrip("/")
        self._clock = clock
        self._jwks: dict[UserPool, dict[str, Any]] = {}
        self._known_clients: dict[tuple[UserPool, str], float] = {}
        self._lock = threading.Lock()

    def jwks(self, pool: UserPool) -> dict[str, Any]:
        with self._lock:
            if pool not in self._jwks:
                url = f"{self._url}/{pool.pool_id}/.well-known/jwks.json"
                with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the emulator's URL
                    self._jwks[pool] = json.loads(response.read())
            return self._jwks[pool]

    def has_client(self, pool: UserPool, client_id: str) -> bool:
        key = (pool, client_id)
        with self._lock:
            seen = self._known_clients.get(key)
            if seen is not None and self._clock() - seen < CLIENT_TTL:
                return True
        try:
            self._clients(pool.account)("cognito-idp", pool.region).describe_user_pool_client(
                UserPoolId=pool.pool_id, ClientId=client_id
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                "ResourceNotFoundException",
                "InvalidParameterException",
            }:
                return False
            raise
        with self._lock:
            self._known_clients[key] = self._clock()
        return True
