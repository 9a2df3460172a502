"""The local front door: API Gateway's REST API request pipeline over real HTTP, in front
of the emulator's deployed APIs and Lambda functions.

    http://127.0.0.1:<port>/distributions/<distribution id>/<path>
    stands for https://<the distribution's domain>/<path> (CloudFront in front of a stage)
    http://127.0.0.1:<port>/restapis/<rest api id>/<stage>/<path>
    stands for https://<rest api id>.execute-api.<region>.amazonaws.com/<stage>/<path>

Every definition is read back from the emulator through the AWS APIs (API Gateway,
WAFv2, CloudFront, Cognito, Lambda), in the account that holds the API or distribution
(any account; see accounts.py); handlers run in worker processes with their execution
role's credentials (see workers.py). It runs inside the emulator process: `serve_in_thread`
is called by local_aws/emulator/server.py."""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from local_aws.emulator.frontdoor.access_logs import AccessLogWriter
from local_aws.emulator.frontdoor.accounts import FIXED, AccountClients, Credentials, RoleSessions
from local_aws.emulator.frontdoor.authorizer import CognitoAuthorizer
from local_aws.emulator.frontdoor.cognito import PoolDirectory
from local_aws.emulator.frontdoor.definitions import DefinitionReader, DistributionReader
from local_aws.emulator.frontdoor.functions import DeployedFunctions
from local_aws.emulator.frontdoor.httpserver import FrontDoorServer
from local_aws.emulator.frontdoor.pipeline import FrontDoor
from local_aws.emulator.frontdoor.workers import FunctionConfig, WorkerPool

__all__ = ["FrontDoor", "default_regions", "serve_in_thread", "shutdown"]

LOG = logging.getLogger("local_aws.emulator.frontdoor")
DEFAULT_REGIONS = ("eu-west-1", "us-east-1")
_running: list[tuple[FrontDoorServer, WorkerPool, threading.Thread]] = []
_running_lock = threading.Lock()


def default_regions() -> list[str]:
    """The regions where APIs are looked for: AWS_REGIONS (comma or space separated) or
    eu-west-1 and us-east-1."""
    listed = [r for r in re.split(r"[,\s]+", os.environ.get("AWS_REGIONS", "")) if r]
    return listed or list(DEFAULT_REGIONS)


class _Emulator:
    """boto3 clients of the emulator with given credentials, from one session (client
    creation is serialized: a boto3 session is not thread-safe), and STS AssumeRole made
    with the fixed credentials."""

    def __init__(self, endpoint_url: str, sts_region: str) -> None:
        self._endpoint_url = endpoint_url
        self._session = boto3.session.Session()
        self._config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})
        self._lock = threading.Lock()
        self._sts = self.client("sts", sts_region, FIXED)

    def client(self, service: str, region: str, credentials: Credentials) -> Any:
        with self._lock:
            return self._session.client(
                service,
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=self._config,
                **credentials.client_arguments(),
            )

    def assume_role(self, role_arn: str, session_name: str, seconds: int) -> Any:
        return self._sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=seconds)[
            "Credentials"
        ]


def build(emulator_url: str, state_dir: Path, regions: Sequence[str] | None = None) -> tuple[FrontDoor, WorkerPool]:
    regions = list(regions or default_regions())
    emulator = _Emulator(emulator_url, regions[0])
    sessions = RoleSessions(emulator.assume_role)
    clients = AccountClients(emulator.client, sessions.for_account)
    pools = PoolDirectory(clients, emulator_url)

    def execution_role(config: FunctionConfig) -> Credentials:
        return sessions.for_role(config.role, config.name)  # Lambda names the role session after the function

    workers = WorkerPool(Path(state_dir), emulator_url, credentials=execution_role)
    front_door = FrontDoor(
        DefinitionReader(clients, regions),
        CognitoAuthorizer(pools.jwks, pools.has_client),
        DeployedFunctions(clients),
        workers,
        distributions=DistributionReader(clients),
        access_logs=AccessLogWriter(clients),
    )
    return front_door, workers


def serve_in_thread(
    port: int, emulator_url: str, state_dir: Path, *, regions: Sequence[str] | None = None
) -> threading.Thread:
    """Listen on 127.0.0.1:`port` now and serve in a daemon thread. Workers are killed by
    `shutdown()`, at interpreter exit, and with the emulator's process group (they share it).
    The front door logs one line per request to stderr (the emulator's log)."""
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
    front_door, workers = build(emulator_url, state_dir, regions)
    server = FrontDoorServer(port, front_door)
    thread = threading.Thread(target=server.serve_forever, name=f"frontdoor-{port}", daemon=True)
    with _running_lock:
        if not _running:
            atexit.register(shutdown)
        _running.append((server, workers, thread))
    thread.start()
    LOG.info("front door listening on http://127.0.0.1:%s (emulator %s)", port, emulator_url)
    return thread


def shutdown() -> None:
    """Stop every front door started in this process and kill its workers."""
    with _running_lock:
        running = list(_running)
        _running.clear()
    for server, workers, thread in running:
        workers.shutdown()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
