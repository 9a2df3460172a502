"""Run Lambda handlers as Lambda does: the deployed package extracted once per code hash,
warm worker processes per function, each running one version's code and configuration and
one request at a time (reused across requests, replaced when either changes, e.g. when the
alias invoked moves to a new version), an environment made of the function's variables and
what Lambda sets (nothing inherited) including the credentials of the function's execution
role, and a hard timeout that kills the worker.

Concurrency: a function runs as many requests at once as its reserved concurrency allows
(DEFAULT_CONCURRENCY without one), each in a worker of its own, started when no idle one is
left and kept warm for the next request. Lambda queues no synchronous invocation: one more
is throttled at once (the outcome `throttled`, Lambda's 429 TooManyRequestsException), which
API Gateway answers 500 (pipeline.py).

Credentials: the pool's `credentials(config)` gives the execution role's (STS AssumeRole of
the function's Role, so the handler's calls act in the role's account). A worker keeps the
credentials it started with; they are requested for AssumeRole's maximum (12 hours) and the
worker is replaced by a new one with renewed credentials once they are due
(accounts.REFRESH_MARGIN before expiry, longer than any function timeout), so no invocation
runs with expired credentials and a warm worker lives at most about 11.5 hours."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from local_aws.emulator.frontdoor.accounts import FIXED, Credentials

LOG = logging.getLogger("local_aws.emulator.frontdoor")
RUNTIME = Path(__file__).with_name("runtime.py")
INIT_TIMEOUT = 10.0  # Lambda's limit for a cold start (importing the handler)
# Executions of a function without reserved concurrency. On AWS it shares the account's
# unreserved pool (1,000 by default); here each is a process, and ten are enough to race.
DEFAULT_CONCURRENCY = 10
# Workers initialising at once, across functions: one per core (Lambda starts each execution
# environment on its own share of a host; here they share this machine's cores).
START_SLOTS = os.cpu_count() or 2


@dataclass(frozen=True)
class FunctionConfig:
    """A deployed function, as get_function_configuration describes it."""

    arn: str
    name: str
    region: str
    account: str
    handler: str
    runtime: str
    timeout: float  # seconds
    memory_size: int
    code_sha256: str  # base64 of the package's SHA-256, as Lambda reports it
    environment: Mapping[str, str] = field(default_factory=dict)
    role: str = ""  # the execution role's ARN
    function_version: str = "$LATEST"  # the published version (a number) an alias or version ARN resolved to
    invoked_arn: str = ""  # the ARN the caller named (e.g. an alias's), if not `arn`
    reserved_concurrency: int | None = None  # GetFunctionConcurrency's; not in `version`: no worker depends on it

    @classmethod
    def from_api(cls, configuration: Mapping[str, Any], invoked_arn: str = "") -> FunctionConfig:
        """From GetFunctionConfiguration's answer for `invoked_arn` (FunctionArn is then the
        version's ARN when `invoked_arn` names an alias or a version)."""
        arn = configuration["FunctionArn"]
        parts = arn.split(":")
        return cls(
            arn=arn,
            name=configuration["FunctionName"],
            region=parts[3],
            account=parts[4],
            handler=configuration.get("Handler", ""),
            runtime=configuration.get("Runtime", ""),
            timeout=float(configuration.get("Timeout", 3)),
            memory_size=int(configuration.get("MemorySize", 128)),
            code_sha256=configuration["CodeSha256"],
            environment=dict((configuration.get("Environment") or {}).get("Variables") or {}),
            role=configuration.get("Role", ""),
            function_version=str(configuration.get("Version") or "$LATEST"),
            invoked_arn=invoked_arn,
        )

    @property
    def function_arn(self) -> str:
        """The function's ARN without a qualifier (version or alias)."""
        return ":".join(self.arn.split(":")[:7])

    @property
    def version(self) -> tuple[Any, ...]:
        """Changes with the code or any setting a worker was started with."""
        return (
            self.code_sha256,
            self.handler,
            self.runtime,
            self.timeout,
            self.memory_size,
            tuple(sorted(self.environment.items())),
            self.role,
            self.function_version,
        )


class CodeMismatch(RuntimeError):
    """The package bytes do not hash to the function's CodeSha256."""


def extract_code(root: Path, code_sha256: str, fetch: Callable[[], bytes]) -> Path:
    """The directory holding the package of that hash, extracted once (`fetch` gives the
    zip's bytes only when it is not extracted yet)."""
    digest = base64.b64decode(code_sha256).hex()
    target = root / digest
    if target.is_dir():
        return target
    data = fetch()
    actual = base64.b64encode(hashlib.sha256(data).digest()).decode()
    if actual != code_sha256:
        raise CodeMismatch(f"package hashes to {actual}, the function says {code_sha256}")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=root))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(staging)  # extractall drops absolute and ".." member paths
        try:
            staging.rename(target)
        except OSError:  # extracted meanwhile by another request
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def worker_environment(
    config: FunctionConfig, code_dir: Path, endpoint_url: str, credentials: Credentials = FIXED
) -> dict[str, str]:
    """The function's variables, then what Lambda sets (it wins), then the emulator's
    endpoint and the execution role's credentials. Nothing comes from the server's own
    environment."""
    return {
        **config.environment,
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": config.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": config.function_version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime(f"%Y/%m/%d/[{config.function_version}]") + os.urandom(16).hex(),
        "_HANDLER": config.handler,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "PATH": "/usr/local/bin:/usr/bin/:/bin",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **credentials.environment(),
        "PYTHONPATH": str(code_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended. `timeout`: the function's Timeout elapsed (the worker was
    killed); `integration_timeout`: the caller's deadline came first."""

    kind: Literal["result", "error", "timeout", "integration_timeout", "throttled"]
    payload: Any = None  # the result, or Lambda's error object


class Worker:
    """One warm runtime process for one function version."""

    def __init__(
        self,
        config: FunctionConfig,
        code_dir: Path,
        log_path: Path,
        endpoint_url: str,
        python: str,
        credentials: Credentials = FIXED,
    ) -> None:
        self.config = config
        self.credentials = credentials
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:  # the child keeps its own descriptor
            # Same process group as the emulator: stopping the emulator's group stops its workers.
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv
                [python, str(RUNTIME)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=code_dir,
                env=worker_environment(config, code_dir, endpoint_url, credentials),
            )
        self._buffer = b""
        self._ready = False

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        for stream in (self._process.stdin, self._process.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]

    def invoke(self, event: Any, request_id: str, deadline: float) -> Outcome:
        """Run the handler once; `deadline` (time.monotonic) is the caller's. The worker is
        killed if the function's Timeout or the deadline passes first."""
        failed = self.start(deadline)
        if failed is not None:
            return failed
        started = time.monotonic()
        function_deadline = started + self.config.timeout
        request = {
            "event": event,
            "timeout_ms": int(self.config.timeout * 1000),
            "context": {
                "aws_request_id": request_id,
                "invoked_function_arn": self.config.invoked_arn or self.config.arn,
            },
        }
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except OSError:
            self.kill()
            return Outcome("error", {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"})
        message = self._read(min(deadline, function_deadline))
        if message is None:
            self.kill()
            if time.monotonic() >= min(deadline, function_deadline):
                if deadline < function_deadline:
                    return Outcome("integration_timeout")
                return Outcome("timeout", {"errorMessage": f"Task timed out after {self.config.timeout:.2f} seconds"})
            return Outcome("error", {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"})
        if message.get("ok"):
            return Outcome("result", message.get("result"))
        if not self.alive() or message.get("error", {}).get("errorType") == "Runtime.ExitError":
            self.kill()
        return Outcome("error", message.get("error"))

    def start(self, deadline: float) -> Outcome | None:
        """Wait for the handler's initialisation (at most INIT_TIMEOUT from now); how it
        failed, or None once the runtime is ready."""
        if self._ready:
            return None
        message = self._read(min(deadline, time.monotonic() + INIT_TIMEOUT))
        if message is None or message.get("type") != "ready":
            self.kill()
            if message is not None:
                return Outcome("error", message.get("error"))
            return self._ended(deadline, "the runtime did not start (see the function's log)")
        self._ready = True
        return None

    def _ended(self, deadline: float, reason: str) -> Outcome:
        if time.monotonic() >= deadline:
            return Outcome("integration_timeout")
        return Outcome("error", {"errorType": "Runtime.Unknown", "errorMessage": reason})

    def _read(self, until: float) -> dict[str, Any] | None:
        """The next protocol message, or None when `until` passes or the process ends."""
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = until - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message


@dataclass
class _Workers:
    """One function's workers: the idle ones, most recently used last, and the busy ones."""

    idle: list[Worker] = field(default_factory=list)
    busy: set[Worker] = field(default_factory=set)
    running: int = 0  # invocations under way, a worker's start included


class WorkerPool:
    """Warm workers by function ARN; code under <state>/frontdoor/code/<sha256 hex>, each
    function's log in <state>/frontdoor/logs/<function name>.log. `credentials(config)`: the
    function's execution role credentials (default: the emulator's fixed ones)."""

    def __init__(
        self,
        state_dir: Path,
        endpoint_url: str,
        python: str = sys.executable,
        *,
        credentials: Callable[[FunctionConfig], Credentials] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.code_root = state_dir / "frontdoor" / "code"
        self.log_root = state_dir / "frontdoor" / "logs"
        self._endpoint_url = endpoint_url
        self._python = python
        self._credentials = credentials or (lambda config: FIXED)
        self._clock = clock
        self._functions: dict[str, _Workers] = {}
        self._lock = threading.Lock()
        self._extract_lock = threading.Lock()
        self._starting = threading.BoundedSemaphore(START_SLOTS)
        self._closed = False

    def code_dir(self, config: FunctionConfig, fetch: Callable[[], bytes]) -> Path:
        with self._extract_lock:
            return extract_code(self.code_root, config.code_sha256, fetch)

    def log_path(self, config: FunctionConfig) -> Path:
        return self.log_root / (re.sub(r"[^A-Za-z0-9_.-]", "_", config.name) + ".log")

    def invoke(self, config: FunctionConfig, code_dir: Path, event: Any, request_id: str, deadline: float) -> Outcome:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is shut down")
            workers = self._functions.setdefault(config.function_arn, _Workers())
            if workers.running >= (config.reserved_concurrency or DEFAULT_CONCURRENCY):
                return Outcome("throttled", {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."})
            workers.running += 1
            # Idle workers of another version, or with credentials due, are replaced.
            stale = [w for w in workers.idle if not self._current(w, config)]
            workers.idle = [w for w in workers.idle if w not in stale]
            worker = workers.idle.pop() if workers.idle else None
            if worker is not None:
                workers.busy.add(worker)
        for old in stale:
            LOG.info("replacing the worker of %s (pid %s)", config.name, old.pid)
            old.kill()
        try:
            if worker is None:
                worker, failed = self._start(config, code_dir, workers, deadline)
                if failed is not None:
                    return failed
            assert worker is not None
            return worker.invoke(event, request_id, deadline)
        finally:
            with self._lock:
                workers.running -= 1
                if worker is not None:
                    workers.busy.discard(worker)
                    if worker.alive() and not self._closed:
                        workers.idle.append(worker)
            if worker is not None and self._closed:
                worker.kill()

    def _start(
        self, config: FunctionConfig, code_dir: Path, workers: _Workers, deadline: float
    ) -> tuple[Worker | None, Outcome | None]:
        """A new worker, busy, once its handler is initialised; or how its start failed."""
        try:
            credentials = self._credentials(config)
        except Exception as error:  # STS refused or unreachable: as Lambda, the invocation fails
            LOG.warning("cannot assume the execution role %r of %s: %s", config.role, config.name, error)
            message = f"The role defined for the function cannot be assumed: {config.role!r}: {error}"
            return None, Outcome("error", {"errorType": "Runtime.AssumeRoleFailed", "errorMessage": message})
        # At most START_SLOTS initialisations at once: a burst of cold starts sharing the cores
        # would each take the whole burst's time, past INIT_TIMEOUT.
        if not self._starting.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return None, Outcome("integration_timeout")
        try:
            worker = Worker(config, code_dir, self.log_path(config), self._endpoint_url, self._python, credentials)
            with self._lock:
                workers.busy.add(worker)
            return worker, worker.start(deadline)
        finally:
            self._starting.release()

    def _current(self, worker: Worker, config: FunctionConfig) -> bool:
        """Whether an idle worker may serve `config`: alive, the same version, credentials not due."""
        return worker.alive() and worker.config.version == config.version and not worker.credentials.due(self._clock())

    def workers(self) -> list[Worker]:
        """Every live worker, idle or busy."""
        with self._lock:
            found = [w for workers in self._functions.values() for w in (*workers.idle, *workers.busy)]
        return [w for w in found if w.alive()]

    def shutdown(self) -> None:
        """Kill every worker (a busy one too)."""
        with self._lock:
            self._closed = True
            found = [w for workers in self._functions.values() for w in (*workers.idle, *workers.busy)]
        for worker in found:
            worker.kill()
