"""Session manager: creates, reads and ends customer sessions (API Gateway proxy events).

Sessions expire after SESSION_TTL_SECONDS; `expiresAt` (epoch seconds) is the table's
TTL attribute. The DynamoDB resource is created once per container, at import.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from decimal import Decimal
from typing import Any

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["SESSIONS_TABLE"])
TTL_SECONDS = int(os.environ.get("SESSION_TTL_SECONDS", "3600"))


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    method, resource = event.get("httpMethod"), event.get("resource")
    session_id = (event.get("pathParameters") or {}).get("sessionId", "")
    if method == "POST" and resource == "/sessions":
        return _create(event)
    if method == "GET" and resource == "/sessions/{sessionId}":
        return _read(session_id)
    if method == "DELETE" and resource == "/sessions/{sessionId}":
        TABLE.delete_item(Key={"sessionId": session_id})
        return {"statusCode": 204, "headers": {}, "body": ""}
    return _response(404, {"error": {"code": "NotFound", "message": f"no route {method} {resource}"}})


def _create(event: dict[str, Any]) -> dict[str, Any]:
    try:
        customer_id = str(json.loads(event.get("body") or "")["customerId"])
    except (ValueError, KeyError, TypeError) as err:
        return _response(400, {"error": {"code": "BadRequest", "message": f"invalid session request: {err!s}"}})
    now = int(time.time())
    item = {
        "sessionId": secrets.token_urlsafe(24),
        "customerId": customer_id,
        "createdAt": now,
        "expiresAt": now + TTL_SECONDS,
    }
    TABLE.put_item(Item=item)
    return _response(201, item)


def _read(session_id: str) -> dict[str, Any]:
    item = TABLE.get_item(Key={"sessionId": session_id}).get("Item")
    # DynamoDB deletes expired items lazily (up to days later): expiry is checked here.
    if item is None or int(item["expiresAt"]) <= time.time():
        return _response(404, {"error": {"code": "NotFound", "message": "no such session"}})
    return _response(200, item)


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            body, default=lambda d: int(d) if isinstance(d, Decimal) and d == d.to_integral() else str(d)
        ),
    }
