"""The order reader: GET an order by id from the orders table (an example handler)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])  # once per container


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    order_id = (event.get("pathParameters") or {}).get("orderId", "")
    item = TABLE.get_item(Key={"orderId": order_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"error": {"code": "NotFound", "message": "no such order"}})}
    return {"statusCode": 200, "body": json.dumps(item, default=str)}
