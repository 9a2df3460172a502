"""POST /sessions, GET and DELETE /sessions/{sessionId}."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.unit.handlers.conftest import body, event, items


@pytest.fixture
def sessions(aws, load):
    return load("session_manager").handler


def _create(sessions, payload=None):
    return sessions(event("POST", "/sessions", payload if payload is not None else {"customerId": "cust-1"}), None)


def _get(sessions, session_id):
    return sessions(event("GET", "/sessions/{sessionId}", sessionId=session_id), None)


def test_a_session_lives_for_the_configured_ttl(sessions, aws):
    before = int(time.time())
    created = _create(sessions)
    assert created["statusCode"] == 201
    session = body(created)
    assert set(session) == {"sessionId", "customerId", "createdAt", "expiresAt"}
    assert before + 600 <= session["expiresAt"] <= int(time.time()) + 600
    assert len(session["sessionId"]) == 43
    read = _get(sessions, session["sessionId"])
    assert read["statusCode"] == 200 and body(read) == session
    (stored,) = items(aws["SESSIONS_TABLE"])
    assert stored["expiresAt"] == {"N": str(session["expiresAt"])}  # the table's TTL attribute


def test_ending_a_session_is_idempotent(sessions, aws):
    session_id = body(_create(sessions))["sessionId"]
    for _ in range(2):
        ended = sessions(event("DELETE", "/sessions/{sessionId}", sessionId=session_id), None)
        assert ended["statusCode"] == 204 and ended["body"] == ""
    assert _get(sessions, session_id)["statusCode"] == 404
    assert items(aws["SESSIONS_TABLE"]) == []


def test_an_expired_session_is_gone_before_dynamodb_deletes_it(sessions, aws):
    session_id = "e" * 43
    boto3.client("dynamodb").put_item(
        TableName=aws["SESSIONS_TABLE"],
        Item={"sessionId": {"S": session_id}, "customerId": {"S": "c"}, "expiresAt": {"N": str(int(time.time()) - 1)}},
    )
    response = _get(sessions, session_id)
    assert response["statusCode"] == 404 and body(response)["error"]["field"] == "sessionId"


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"customerId": "a b"}, "customerId", 403),  # not the caller: a session is only for oneself
        ({"customerId": 1}, "customerId", 403),
        ({"customerId": "cust-2"}, "customerId", 403),
        ({"customerId": "cust-1", "x": 1}, "x", 400),
        ([], "body", 400),
    ],
)
def test_bad_session_requests_are_refused_and_write_nothing(sessions, aws, payload, field, status):
    response = _create(sessions, payload)
    assert response["statusCode"] == status and body(response)["error"]["field"] == field
    assert items(aws["SESSIONS_TABLE"]) == []


@pytest.mark.parametrize("session_id", ["short", "x" * 44, "a" * 42 + "!"])
def test_malformed_session_ids(sessions, aws, session_id):
    for method in ("GET", "DELETE"):
        response = sessions(event(method, "/sessions/{sessionId}", sessionId=session_id), None)
        assert response["statusCode"] == 400, method


def test_unknown_session_and_wrong_method(sessions, aws):
    assert _get(sessions, "u" * 43)["statusCode"] == 404
    wrong = sessions(event("PUT", "/sessions"), None)
    assert wrong["statusCode"] == 405 and wrong["headers"]["Allow"] == "POST"
    assert sessions(event("GET", "/"), None)["statusCode"] == 404


def test_missing_configuration_is_reported_at_cold_start(aws, load, monkeypatch):
    monkeypatch.delenv("SESSIONS_TABLE")
    with pytest.raises(RuntimeError, match="missing environment variables: SESSIONS_TABLE"):
        load("session_manager")
