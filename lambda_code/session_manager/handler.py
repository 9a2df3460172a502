"""Session manager behind the API (API Gateway proxy events).

POST   /sessions               create a session for a customer (201: sessionId, expiresAt)
GET    /sessions/{sessionId}   a live session, or 404 (expired ones are gone at once,
                               even before DynamoDB's TTL deletes them, up to days later)
DELETE /sessions/{sessionId}   end it (204, also when it no longer exists)

`expiresAt` is in epoch seconds: it is the table's TTL attribute.
"""

from __future__ import annotations

import re
import secrets
import time

import boto3
from common.api import (
    Api,
    ApiError,
    Event,
    Response,
    bad_request,
    empty_response,
    environment,
    json_body,
    json_response,
    path_parameter,
)

SETTINGS = environment("SESSIONS_TABLE", "SESSION_TTL_SECONDS")
TTL_SECONDS = int(SETTINGS["SESSION_TTL_SECONDS"])
CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 random bytes, base64url

# The table resource is created once per container and reused by every invocation.
TABLE = boto3.resource("dynamodb").Table(SETTINGS["SESSIONS_TABLE"])


def create_session(event: Event) -> Response:
    customer_id = json_body(event, allowed={"customerId"}, required={"customerId"})["customerId"]
    if not isinstance(customer_id, str) or not CUSTOMER_ID.fullmatch(customer_id):
        raise bad_request("customerId", "1-64 letters, digits, '-' or '_'")
    now = int(time.time())
    session = {
        "sessionId": secrets.token_urlsafe(32),
        "customerId": customer_id,
        "createdAt": now,
        "expiresAt": now + TTL_SECONDS,
    }
    TABLE.put_item(Item=session, ConditionExpression="attribute_not_exists(sessionId)")
    return json_response(201, session)


def _session_id(event: Event) -> str:
    session_id = path_parameter(event, "sessionId")
    if not SESSION_ID.fullmatch(session_id):
        raise bad_request("sessionId", "not a session id")
    return session_id


def get_session(event: Event) -> Response:
    item = TABLE.get_item(Key={"sessionId": _session_id(event)}, ConsistentRead=True).get("Item")
    if item is None or int(item["expiresAt"]) <= time.time():
        raise ApiError(404, "NotFound", "sessionId: no such live session", "sessionId")
    return json_response(200, item)


def end_session(event: Event) -> Response:
    TABLE.delete_item(Key={"sessionId": _session_id(event)})
    return empty_response(204)


handler = Api(
    "session-manager",
    {
        ("POST", "/sessions"): create_session,
        ("GET", "/sessions/{sessionId}"): get_session,
        ("DELETE", "/sessions/{sessionId}"): end_session,
    },
)
