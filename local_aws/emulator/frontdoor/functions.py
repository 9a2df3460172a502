"""Deployed Lambda functions: configuration through the Lambda API (in the function's
account, named by its ARN), code package bytes from moto's Lambda backend in this process
(moto's GetFunction Code.Location cannot be downloaded).

An integration URI may name the function (its $LATEST), a version or an alias (a qualified
ARN, `...:function:<name>:live`): the configuration and the code are then those of the
version the alias points at when the request arrives (read again at most a second later:
a configuration is cached for a second, as the API definitions are, so a request under load
costs no Lambda API calls)."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Mapping

from local_aws.emulator.frontdoor.accounts import AccountClientFactory
from local_aws.emulator.frontdoor.workers import FunctionConfig

_INTEGRATION_URI = re.compile(
    r"^arn:[\w-]+:apigateway:[\w-]+:lambda:path/2015-03-31/functions/(?P<function>arn:[^/]+)/invocations$"
)


def function_arn(uri: str | None, stage_variables: Mapping[str, str] | None = None) -> str | None:
    """The function ARN of an AWS_PROXY Lambda integration URI (stage variables filled in)."""
    if not uri:
        return None
    for name, value in (stage_variables or {}).items():
        uri = uri.replace("${stageVariables." + name + "}", value)
    match = _INTEGRATION_URI.match(uri)
    return match.group("function") if match else None


def moto_code_bytes(config: FunctionConfig) -> bytes:
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415 - only inside the emulator

    # config.arn is the version's ARN when the integration named an alias or a version.
    code: bytes = lambda_backends[config.account][config.region].get_function(config.arn).code_bytes
    return code


class DeployedFunctions:
    def __init__(
        self,
        clients: AccountClientFactory,
        code_bytes: Callable[[FunctionConfig], bytes] = moto_code_bytes,
        *,
        recheck_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._code_bytes = code_bytes
        self._recheck = recheck_seconds
        self._clock = clock
        self._cache: dict[str, tuple[FunctionConfig, float]] = {}
        self._lock = threading.Lock()

    def configuration(self, arn: str) -> FunctionConfig:
        """The function's configuration, with its reserved concurrency (the function's own: a
        qualified ARN names the function's versions and aliases, which share it); read at
        most once a second per ARN."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(arn)
        if cached is not None and now - cached[1] < self._recheck:
            return cached[0]
        config = self._read(arn)
        with self._lock:
            self._cache[arn] = (config, now)
        return config

    def _read(self, arn: str) -> FunctionConfig:
        _, _, _, region, account, *_ = arn.split(":")
        client = self._clients(account)("lambda", region)
        described = client.get_function_configuration(FunctionName=arn)
        config = FunctionConfig.from_api(described, invoked_arn=arn)
        reserved = client.get_function_concurrency(FunctionName=config.function_arn).get("ReservedConcurrentExecutions")
        return dataclasses.replace(config, reserved_concurrency=None if reserved is None else int(reserved))

    def code(self, config: FunctionConfig) -> bytes:
        return self._code_bytes(config)
