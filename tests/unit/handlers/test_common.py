"""The shared plumbing's lighter replacements: DynamoDB's typed JSON without boto3, log lines
in Powertools' shape without Powertools, and what a cold start imports."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from local_aws.client.paths import ROOT

COMMON = ROOT / "lambda_code" / "common"


def _module(name: str) -> ModuleType:
    """lambda_code/common/<name>.py on its own (neither imports anything of the package)."""
    spec = importlib.util.spec_from_file_location(f"common_{name}_under_test", COMMON / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


types = _module("dynamodb")
log = _module("log")

# Numbers of every shape: ints of up to 38 digits, arbitrary decimals (some too precise or too
# large for DynamoDB), and decimals built digit by digit around DynamoDB's exponent limits.
numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(map(int, str(digits))), exponent)),
        st.integers(0, 1),
        st.integers(0, 10**40),
        st.integers(-170, 130),
    ),
)
scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=20), numbers)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _exact(value: Any) -> Any:
    """A value with its type and every digit made visible: 12.5 and 12.50 differ, 1 and True too."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | Decimal):
        return ("number", str(Decimal(value)))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(v) for v in value]
    raise AssertionError(f"unexpected {type(value).__name__}")


def _boto3(value: Any) -> dict[str, Any] | None:
    """boto3's serialisation of `value`, or None where boto3 refuses it."""
    try:
        return TypeSerializer().serialize(value)
    except (TypeError, ArithmeticError):
        return None


@given(values)
def test_values_convert_exactly_as_boto3_converts_them(value):
    expected = _boto3(value)
    if expected is None:
        with pytest.raises((TypeError, ValueError)):
            types.to_attribute(value)
        return
    assert types.to_attribute(value) == expected
    assert _exact(types.from_attribute(expected)) == _exact(TypeDeserializer().deserialize(expected))


@given(values)
def test_every_value_dynamodb_keeps_round_trips_exactly(value):
    try:
        attribute = types.to_attribute(value)
    except (TypeError, ValueError):
        return
    assert _exact(types.from_attribute(json.loads(json.dumps(attribute)))) == _exact(value)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (Decimal("12.50"), "12.50"),  # trailing zeros kept: the amount as written
        (Decimal("0.01"), "0.01"),
        (1_800_000_000_000, "1800000000000"),
        (Decimal("9" * 38), "9" * 38),  # 38 digits: DynamoDB's precision
        (Decimal("1E+125"), "1E+125"),
        (Decimal("-0"), "-0"),
    ],
)
def test_numbers_are_stored_digit_for_digit(value, stored):
    assert types.to_attribute(value) == {"N": stored}
    assert str(types.from_attribute({"N": stored})) == str(value)


@pytest.mark.parametrize(
    "value",
    [
        12.5,
        0.1,
        {"amount": 12.5},
        [1, 2.0],
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1" * 39),
        Decimal("1E+200"),
        {1: "not a string key"},
        b"bytes",
        {"a", "set"},
    ],
)
def test_what_dynamodb_would_not_keep_exactly_is_refused(value):
    with pytest.raises((TypeError, ValueError)):
        types.to_attribute(value)


def test_booleans_are_not_numbers():
    assert types.to_attribute(True) == {"BOOL": True}
    assert types.from_attribute({"BOOL": False}) is False
    assert types.to_item({"k": None}) == {"k": {"NULL": True}}


@pytest.mark.parametrize("attribute", [{"SS": ["a"]}, {"B": b"x"}, {"NS": ["1"]}, {"S": "a", "N": "1"}, {}])
def test_types_this_service_does_not_store_are_refused_when_read(attribute):
    with pytest.raises(TypeError):
        types.from_attribute(attribute)


# Logs: Powertools' formatter is installed in the test environment, so its lines are the reference.


def _record(extra: dict[str, Any], exc_info: Any = None) -> logging.LogRecord:
    record = logging.LogRecord(
        "svc", logging.ERROR if exc_info else logging.INFO, __file__, 42, "handled", None, exc_info
    )
    record.funcName = "__call__"
    record.__dict__.update(extra)
    return record


def _powertools_formatter(service: str) -> logging.Formatter:
    reference = Logger(service=service)  # a service no handler uses: Powertools reuses its logger by name
    reference.set_correlation_id("req-1")
    return reference.registered_handler.formatter


def _failure() -> Any:
    try:
        raise RuntimeError("connection to payments-dev-transactions lost")
    except RuntimeError:
        return sys.exc_info()


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize(
    ("extra", "failed"),
    [
        ({"route": "POST /payments", "status": 201}, False),
        ({"status": 400, "code": "ValidationError", "field": "amount"}, False),
        ({"status": 401, "code": "Unauthorized", "field": None}, False),  # None: left out
        ({"route": "POST /payments"}, True),
    ],
)
def test_log_lines_are_powertools_lines(monkeypatch, extra, failed, traced):
    if traced:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f;Sampled=1")
    else:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    ours = log.JsonFormatter("powertools-reference")
    ours.correlation_id = "req-1"
    record = _record(extra, _failure() if failed else None)
    expected = _powertools_formatter("powertools-reference").format(record)
    assert list(json.loads(ours.format(record)).items()) == list(json.loads(expected).items())


@pytest.mark.parametrize(
    ("env", "level"),
    [
        ({}, logging.INFO),
        ({"LOG_LEVEL": "warning"}, logging.WARNING),  # what the functions stack sets
        ({"POWERTOOLS_LOG_LEVEL": "DEBUG", "LOG_LEVEL": "ERROR"}, logging.DEBUG),
        ({"AWS_LAMBDA_LOG_LEVEL": "WARN", "LOG_LEVEL": "DEBUG"}, logging.WARNING),  # Lambda's controls first
    ],
)
def test_the_level_comes_from_the_environment_as_in_powertools(monkeypatch, env, level):
    for name in ("LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    logger = log.Logger(service="level-check")
    assert logging.getLogger("level-check").level == level
    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    logger.info("one line", extra={"status": 200})
    lines = stream.getvalue().splitlines()
    assert len(lines) == (level <= logging.INFO)
    if lines:
        assert json.loads(lines[0])["location"].startswith("test_the_level_comes_from_the_environment")


def test_a_new_container_logs_each_line_once(monkeypatch):
    loggers = [log.Logger(service="once-check") for _ in range(3)]
    stream = io.StringIO()
    monkeypatch.setattr(loggers[-1].registered_handler, "stream", stream)
    loggers[-1].info("once")
    assert len(stream.getvalue().splitlines()) == 1
    assert logging.getLogger("once-check").propagate is False  # not again through Lambda's root handler


# A cold start imports neither boto3 (nor s3transfer) nor Powertools; it makes the DynamoDB
# client only when nobody waits for the initialisation (common.clients).


@pytest.mark.parametrize("source_dir", ["payment_processor", "session_manager"])
@pytest.mark.parametrize(("initialisation", "clients"), [("on-demand", []), ("provisioned-concurrency", ["dynamodb"])])
def test_a_cold_start_imports_neither_boto3_nor_powertools(tmp_path: Path, source_dir, initialisation, clients):
    (tmp_path / "contract").symlink_to(ROOT / "blueprints" / "contract")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "lambda_code"), str(ROOT / "lambda_code" / source_dir), str(tmp_path)]
        ),
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "TRANSACTIONS_TABLE": "t",
        "IDEMPOTENCY_TABLE": "i",
        "SESSIONS_TABLE": "s",
        "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:c",
        "MAX_PAYMENT_AMOUNT": "10000.00",
        "ALLOWED_CURRENCIES": "EUR",
        "IDEMPOTENCY_TTL_SECONDS": "86400",
        "SESSION_TTL_SECONDS": "600",
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialisation,
    }
    probe = (
        "import json, sys, handler; "
        "print(json.dumps({'modules': sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'boto3', 's3transfer', 'aws_lambda_powertools'}), "
        "'clients': sorted(sys.modules['common.clients']._clients)}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    assert loaded == {"modules": [], "clients": clients}
