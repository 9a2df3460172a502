"""The Lambda runtime inside a worker process (standard library only, run as a script by
the front door with the emulator's interpreter; never imported).

Protocol, JSON lines: the runtime sends {"type": "ready"} or {"type": "init_error",
"error": {...}} once the handler is imported, then answers each {"event", "context",
"timeout_ms"} line with {"ok": true, "result": ...} or {"ok": false, "error": {...}}.
Its own stdin and stdout carry the protocol; the handler's stdout and stderr go to the
function's log file instead, so nothing the handler prints can corrupt it."""

import os
import sys

# The runtime's own imports must not find the function's modules (a json.py in the package
# does not break the runtime), and this file's directory must not be on the path at all.
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT", "")
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") not in {_HERE, TASK_ROOT}]

import importlib  # noqa: E402 - after the path is trimmed
import json  # noqa: E402 - after the path is trimmed
import time  # noqa: E402 - after the path is trimmed
import traceback  # noqa: E402 - after the path is trimmed
from typing import Any, BinaryIO  # noqa: E402 - after the path is trimmed

sys.path.insert(0, TASK_ROOT)  # the function's package first, as in Lambda


class LambdaContext:
    """The context object of the Python runtime."""

    def __init__(self, info: dict[str, Any], timeout_ms: int) -> None:
        self._deadline = time.monotonic() + timeout_ms / 1000
        self.aws_request_id: str = info["aws_request_id"]
        self.invoked_function_arn: str = info["invoked_function_arn"]
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")  # a string, as in Lambda
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def describe(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def load_handler(spec: str) -> Any:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler {spec!r}: expected module.function")
    module = importlib.import_module(module_name.replace("/", "."))
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise AttributeError(f"Handler {function_name!r} missing on module {module_name!r}") from None


def send(out: BinaryIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


def invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request["context"], request["timeout_ms"])
    started = time.monotonic()
    version = context.function_version
    print(f"START RequestId: {context.aws_request_id} Version: {version}", file=sys.stderr, flush=True)
    try:
        result = handler(request["event"], context)
        try:
            json.dumps(result)
            answer: dict[str, Any] = {"ok": True, "result": result}
        except (TypeError, ValueError) as error:
            answer = {"ok": False, "error": describe(error, "Runtime.MarshalError")}
    except Exception as error:
        traceback.print_exc()
        answer = {"ok": False, "error": describe(error)}
    finally:
        sys.stdout.flush()
        duration = (time.monotonic() - started) * 1000
        print(f"END RequestId: {context.aws_request_id}", file=sys.stderr)
        print(f"REPORT RequestId: {context.aws_request_id}\tDuration: {duration:.2f} ms", file=sys.stderr, flush=True)
    return answer


def main() -> int:
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the handler reads nothing
    os.dup2(2, 1)  # the handler's prints go to the log
    os.close(null)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as error:
        traceback.print_exc()
        send(protocol_out, {"type": "init_error", "error": describe(error, "Runtime.ImportModuleError")})
        return 1
    send(protocol_out, {"type": "ready"})
    for line in protocol_in:
        try:
            answer = invoke(handler, json.loads(line))
        except SystemExit as error:
            send(protocol_out, {"ok": False, "error": describe(error, "Runtime.ExitError")})
            return 1
        send(protocol_out, answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
