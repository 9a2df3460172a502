"""The Lambda runtime of the front door's workers (local_aws/emulator/frontdoor/runtime.py), as a
worker runs it: a process speaking JSON lines on its stdin and stdout, the handler's own output
going to the log (stderr)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_aws.emulator.frontdoor import workers
from tests.conftest import measured

HANDLERS = """
import json, sys, time

def echo(event, context):
    print("a line for the log")
    return {
        "event": event,
        "request": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "function": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }

def fails(event, context):
    raise ValueError("no such payment")

def unserialisable(event, context):
    return {"at": time}

def exits(event, context):
    sys.exit(3)
"""


@dataclass
class Run:
    messages: list[dict[str, Any]]
    log: str
    status: int


def _run(tmp_path: Path, handler: str, *requests: dict[str, Any], files: dict[str, str] | None = None) -> Run:
    task_root = tmp_path / "task"
    task_root.mkdir(exist_ok=True)
    for name, text in {"handlers.py": HANDLERS, **(files or {})}.items():
        (task_root / name).write_text(text)
    environment = {
        **measured(),
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "payments-dev-payment-processor",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "PATH": "/usr/bin:/bin",
    }
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    done = subprocess.run(
        [sys.executable, str(workers.RUNTIME)],
        input=lines.encode(),
        capture_output=True,
        cwd=Path(workers.__file__).resolve().parents[3],
        env=environment,
        timeout=60,
        check=False,
    )
    messages = [json.loads(line) for line in done.stdout.decode().splitlines()]
    return Run(messages, done.stderr.decode(), done.returncode)


def _request(event: object, request_id: str = "r-1", timeout_ms: int = 3000) -> dict[str, Any]:
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:payments-dev-payment-processor:live"
    return {
        "event": event,
        "context": {"aws_request_id": request_id, "invoked_function_arn": arn},
        "timeout_ms": timeout_ms,
    }


def test_the_runtime_says_ready_then_answers_each_request_in_turn(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.echo", _request({"n": 1}, "r-1"), _request({"n": 2}, "r-2", timeout_ms=60_000))
    assert run.status == 0
    assert run.messages[0] == {"type": "ready"}
    first, second = run.messages[1:]
    assert first["ok"] and second["ok"]
    assert first["result"]["event"] == {"n": 1} and second["result"]["request"] == "r-2"
    assert first["result"]["function"] == "payments-dev-payment-processor"
    assert first["result"]["memory"] == "512"  # a string, as Lambda's context has it
    assert first["result"]["arn"].endswith(":live")
    assert 0 < first["result"]["remaining_ms"] <= 3000 < second["result"]["remaining_ms"] <= 60_000


def test_what_the_handler_prints_goes_to_the_log_with_lambdas_request_lines(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.echo", _request({}, "r-9"))
    assert "a line for the log" in run.log
    assert all("a line for the log" not in json.dumps(message) for message in run.messages)
    assert "START RequestId: r-9 Version: $LATEST" in run.log
    assert "END RequestId: r-9" in run.log and "REPORT RequestId: r-9\tDuration: " in run.log


def test_an_error_is_answered_in_lambdas_shape_and_the_runtime_goes_on(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.fails", _request({}), _request({}, "r-2"))
    assert [m["ok"] for m in run.messages[1:]] == [False, False]
    error = run.messages[1]["error"]
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "no such payment"
    assert any("handlers.py" in frame for frame in error["stackTrace"])
    assert "Traceback" in run.log


def test_a_result_that_is_not_json_is_a_marshal_error(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.unserialisable", _request({}))
    assert run.messages[1]["error"]["errorType"] == "Runtime.MarshalError"


def test_a_handler_that_exits_ends_the_worker(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.exits", _request({}), _request({}, "r-2"))
    assert run.status == 1
    assert len(run.messages) == 2 and run.messages[1]["error"]["errorType"] == "Runtime.ExitError"


def test_a_handler_that_cannot_be_loaded_is_an_init_error(tmp_path: Path) -> None:
    for spec, words in (
        ("nohandler", "Bad handler 'nohandler'"),
        ("missing.handler", "No module named 'missing'"),
        ("handlers.absent", "Handler 'absent' missing on module 'handlers'"),
    ):
        run = _run(tmp_path, spec, _request({}))
        assert run.status == 1
        (message,) = run.messages
        assert message["type"] == "init_error"
        assert message["error"]["errorType"] == "Runtime.ImportModuleError"
        assert words in message["error"]["errorMessage"]


def test_a_module_of_the_function_named_like_the_runtimes_own_does_not_break_it(tmp_path: Path) -> None:
    run = _run(tmp_path, "handlers.echo", _request({"n": 1}), files={"json.py": "raise ImportError('shadowed')\n"})
    assert run.messages[0] == {"type": "ready"}
    assert run.messages[1]["ok"]
