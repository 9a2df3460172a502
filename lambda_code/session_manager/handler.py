"""Session manager behind the API (API Gateway proxy events); the routes, their callers
and their schemas are the API contract's (`contract`). Sessions belong to the customer
who created them: another customer's session is answered exactly as a missing one.

POST   /sessions               create a session for the caller (201: sessionId, expiresAt)
GET    /sessions/{sessionId}   one of the caller's live sessions, or 404 (expired ones are
                               gone at once, even before DynamoDB's TTL deletes them)
DELETE /sessions/{sessionId}   end one of the caller's sessions (204, also when it no
                               longer exists or is not the caller's: then nothing changes)

`expiresAt` is in epoch seconds: it is the table's TTL attribute.

Throttling and timeouts (common.retries): every DynamoDB call is retried within the
invocation's time, then answered 503 with Retry-After, never 500; each is safe to repeat.
A read changes nothing. A retried delete whose earlier attempt took effect fails its
condition: 204, as for a session already gone (and not counted as ended twice). A create
picks its session id once, before its first attempt, and its condition admits the item
it writes (same owner, same creation time) as well as none: a retry after an attempt that
timed out but was stored rewrites that same item, so the caller gets one session, never a
second one nor a 500. A 503 after such a write leaves a session nobody was told of: it
cannot be guessed, and it ends at its TTL.

Metrics (common.metrics; the router adds refusals and cold starts): `SessionsStarted` when
a session is created, `SessionsEnded` when its owner ends a session that was still live.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time

from common.api import (
    Api,
    ApiError,
    Caller,
    Event,
    Response,
    bad_request,
    empty_response,
    environment,
    json_body,
    json_response,
    path_parameter,
)
from common.clients import ahead_of_traffic, client
from common.dynamodb import from_item, to_item
from common.metrics import Metrics
from common.retries import retrying
from contract import PATTERNS

SETTINGS = environment("SESSIONS_TABLE", "SESSION_TTL_SECONDS")
TTL_SECONDS = int(SETTINGS["SESSION_TTL_SECONDS"])
SESSION_ID = re.compile(PATTERNS["sessionId"])  # 32 random bytes, base64url

TABLE = SETTINGS["SESSIONS_TABLE"]

ahead_of_traffic("dynamodb")  # every route reads or writes DynamoDB (common.clients)
METRICS = Metrics()  # shares the invocation's metrics with the router, which writes them


def create_session(event: Event, caller: Caller) -> Response:
    if json_body(event, "SessionRequest").get("customerId", caller.id) != caller.id:
        raise ApiError(403, "Forbidden", "customerId: a session is only for the caller", "customerId")
    now = int(time.time())
    session = {
        "sessionId": secrets.token_urlsafe(32),
        "customerId": caller.id,
        "createdAt": now,
        "expiresAt": now + TTL_SECONDS,
    }
    # Not there, or there as an earlier attempt of this request wrote it: a retry stays one session.
    ours = "attribute_not_exists(sessionId) OR (customerId = :customer AND createdAt = :created)"
    values = to_item({":customer": caller.id, ":created": now})
    retrying(
        lambda: client("dynamodb").put_item(
            TableName=TABLE, Item=to_item(session), ConditionExpression=ours, ExpressionAttributeValues=values
        )
    )
    METRICS.add_metric("SessionsStarted")
    return json_response(201, session)


def _session_id(event: Event) -> str:
    session_id = path_parameter(event, "sessionId")
    if not SESSION_ID.fullmatch(session_id):
        raise bad_request("sessionId", "not a session id")
    return session_id


def get_session(event: Event, caller: Caller) -> Response:
    key = to_item({"sessionId": _session_id(event)})
    stored = retrying(lambda: client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True))
    item = from_item(stored["Item"]) if "Item" in stored else None
    someone_elses = item is not None and item["customerId"] != caller.id
    if item is None or someone_elses or int(item["expiresAt"]) <= time.time():
        # Another customer's session is answered as a missing one (the metrics count an
        # authorization refusal).
        raise ApiError(404, "NotFound", "sessionId: no such live session", "sessionId", authorization=someone_elses)
    return json_response(200, item)


def end_session(event: Event, caller: Caller) -> Response:
    session_id = _session_id(event)
    # Only the owner's delete takes effect; any other is answered as for a missing session.
    dynamodb = client("dynamodb")
    with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
        ended = retrying(
            lambda: dynamodb.delete_item(
                TableName=TABLE,
                Key=to_item({"sessionId": session_id}),
                ConditionExpression="customerId = :caller",
                ExpressionAttributeValues=to_item({":caller": caller.id}),
                ReturnValues="ALL_OLD",
            )
        )
        # The owner's session was there (the condition held); one already expired did not end now.
        if int(from_item(ended.get("Attributes") or {}).get("expiresAt", 0)) > time.time():
            METRICS.add_metric("SessionsEnded")
    return empty_response(204)


handler = Api(
    "session-manager",
    {"createSession": create_session, "getSession": get_session, "endSession": end_session},
)
