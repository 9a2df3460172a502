"""Payment processor: records a payment and reads it back (API Gateway proxy events).

The DynamoDB resource is created once per container, at import, and reused by every
invocation. Full validation and idempotency are the job of a later release.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

TABLE = boto3.resource("dynamodb").Table(os.environ["TRANSACTIONS_TABLE"])


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    method, resource = event.get("httpMethod"), event.get("resource")
    if method == "POST" and resource == "/payments":
        return _create(event)
    if method == "GET" and resource == "/payments/{transactionId}":
        return _read((event.get("pathParameters") or {}).get("transactionId", ""))
    return _response(404, {"error": {"code": "NotFound", "message": f"no route {method} {resource}"}})


def _create(event: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "")
        amount = Decimal(str(body["amount"]))
        item = {
            "transactionId": str(uuid.uuid4()),
            "timestamp": int(time.time() * 1000),
            "customerId": str(body["customerId"]),
            "amount": amount,
            "currency": str(body["currency"]),
            "status": "RECORDED",
        }
    except (ValueError, KeyError, TypeError, InvalidOperation) as err:
        return _response(400, {"error": {"code": "BadRequest", "message": f"invalid payment: {err!s}"}})
    if not amount.is_finite() or amount <= 0:
        return _response(400, {"error": {"code": "BadRequest", "message": "amount must be positive"}})
    TABLE.put_item(Item=item, ConditionExpression="attribute_not_exists(transactionId)")
    return _response(201, _public(item))


def _read(transaction_id: str) -> dict[str, Any]:
    found = TABLE.query(KeyConditionExpression=Key("transactionId").eq(transaction_id), Limit=1)["Items"]
    if not found:
        return _response(404, {"error": {"code": "NotFound", "message": "no such transaction"}})
    return _response(200, _public(found[0]))


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """The stored item as JSON-ready data: the amount stays an exact decimal string."""
    return {**item, "amount": str(item["amount"]), "timestamp": int(item["timestamp"])}


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
