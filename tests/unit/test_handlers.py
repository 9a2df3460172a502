"""Create and read paths of both handlers, against tables shaped exactly as the data
stack declares them (moto, in process)."""

from __future__ import annotations

import importlib.util
import json
import time
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from tests.conftest import ROOT


def _load(function: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"handler_{function}", ROOT / "lambda_code" / function / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tables(monkeypatch, template):
    """Both tables, created from the rendered dev data template's own definitions."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    data = template("dev", "data")
    with mock_aws():
        client = boto3.client("dynamodb")
        names = {}
        for logical_id in ("TransactionsTable", "SessionsTable"):
            props = data.properties(logical_id)
            args = {k: props[k] for k in ("TableName", "AttributeDefinitions", "KeySchema", "ProvisionedThroughput")}
            if "GlobalSecondaryIndexes" in props:
                args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            client.create_table(**args)
            names[logical_id] = props["TableName"]
        monkeypatch.setenv("TRANSACTIONS_TABLE", names["TransactionsTable"])
        monkeypatch.setenv("SESSIONS_TABLE", names["SessionsTable"])
        monkeypatch.setenv("SESSION_TTL_SECONDS", "600")
        yield client


def _event(method: str, resource: str, body: object = None, **path) -> dict:
    return {
        "httpMethod": method,
        "resource": resource,
        "pathParameters": path or None,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
    }


def test_payment_is_recorded_and_read_back(tables):
    handler = _load("payment_processor").handler
    created = handler(_event("POST", "/payments", {"customerId": "c-1", "amount": "12.50", "currency": "EUR"}), None)
    assert created["statusCode"] == 201
    payment = json.loads(created["body"])
    assert payment["amount"] == "12.50" and payment["status"] == "RECORDED"
    assert abs(payment["timestamp"] / 1000 - time.time()) < 60

    read = handler(_event("GET", "/payments/{transactionId}", transactionId=payment["transactionId"]), None)
    assert read["statusCode"] == 200
    assert json.loads(read["body"]) == payment
    stored = tables.scan(TableName="payments-dev-transactions")["Items"]
    assert stored[0]["amount"] == {"N": "12.50"}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"customerId": "c-1", "currency": "EUR"},
        {"customerId": "c-1", "amount": "twelve", "currency": "EUR"},
        {"customerId": "c-1", "amount": "-1", "currency": "EUR"},
        {"customerId": "c-1", "amount": "NaN", "currency": "EUR"},
    ],
)
def test_bad_payment_is_refused_and_nothing_is_written(tables, body):
    handler = _load("payment_processor").handler
    response = handler(_event("POST", "/payments", body), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "BadRequest"
    assert tables.scan(TableName="payments-dev-transactions")["Count"] == 0


def test_unknown_payment_and_route(tables):
    handler = _load("payment_processor").handler
    assert handler(_event("GET", "/payments/{transactionId}", transactionId="nope"), None)["statusCode"] == 404
    assert handler(_event("PUT", "/payments"), None)["statusCode"] == 404


def test_session_lifecycle(tables):
    handler = _load("session_manager").handler
    created = handler(_event("POST", "/sessions", {"customerId": "c-1"}), None)
    assert created["statusCode"] == 201
    session = json.loads(created["body"])
    assert session["expiresAt"] - session["createdAt"] == 600
    read = handler(_event("GET", "/sessions/{sessionId}", sessionId=session["sessionId"]), None)
    assert read["statusCode"] == 200 and json.loads(read["body"]) == session
    for _ in range(2):  # ending a session is idempotent
        assert (
            handler(_event("DELETE", "/sessions/{sessionId}", sessionId=session["sessionId"]), None)["statusCode"]
            == 204
        )
    assert handler(_event("GET", "/sessions/{sessionId}", sessionId=session["sessionId"]), None)["statusCode"] == 404


def test_expired_session_is_gone_before_dynamodb_deletes_it(tables):
    handler = _load("session_manager").handler
    tables.put_item(
        TableName="payments-dev-sessions",
        Item={"sessionId": {"S": "old"}, "customerId": {"S": "c"}, "expiresAt": {"N": str(int(time.time()) - 1)}},
    )
    assert handler(_event("GET", "/sessions/{sessionId}", sessionId="old"), None)["statusCode"] == 404


def test_bad_session_request_and_unknown_route(tables):
    handler = _load("session_manager").handler
    assert handler(_event("POST", "/sessions", {"customer": "c"}), None)["statusCode"] == 400
    assert handler(_event("PATCH", "/sessions/{sessionId}", sessionId="x"), None)["statusCode"] == 404
    assert tables.scan(TableName="payments-dev-sessions")["Count"] == 0


def test_clients_are_created_once_per_container(tables, monkeypatch):
    calls = []
    real = boto3.resource
    monkeypatch.setattr(boto3, "resource", lambda *a, **k: calls.append(a) or real(*a, **k))
    handler = _load("session_manager").handler
    for _ in range(3):
        handler(_event("POST", "/sessions", {"customerId": "c-1"}), None)
    assert calls == [("dynamodb",)]
