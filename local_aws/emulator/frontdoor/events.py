"""The Lambda proxy integration's (REST API, payload 1.0) event, and the function's
proxy response turned back into HTTP."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_aws.emulator.frontdoor.messages import Request, Response

# Claims API Gateway turns from epoch seconds into Java's Date.toString() in UTC.
_DATE_CLAIMS = frozenset({"exp", "iat"})


def claim_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as the REST API's Cognito authorizer passes them: every value a string
    (exp and iat as dates, lists comma-joined, objects as JSON, booleans lower case)."""

    def text(name: str, value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if name in _DATE_CLAIMS and isinstance(value, int | float):
            return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        if isinstance(value, list):
            return ",".join(text("", v) for v in value)
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return {name: text(name, value) for name, value in claims.items()}


@dataclass(frozen=True)
class EventContext:
    """What API Gateway knows about a request besides the request itself."""

    account_id: str
    api_id: str
    region: str
    stage: str
    resource_id: str
    resource_path: str
    path: str  # without the stage, decoded
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    request_id: str
    extended_request_id: str
    request_time: float  # epoch seconds
    claims: Mapping[str, Any] | None  # None: the method has no authorizer


def _is_text(request: Request) -> bool:
    try:
        request.body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def proxy_event(request: Request, context: EventContext) -> dict[str, Any]:
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = request.query_values
    text = _is_text(request)
    body = None
    if request.body:
        body = request.body.decode("utf-8") if text else base64.b64encode(request.body).decode()
    domain = f"{context.api_id}.execute-api.{context.region}.amazonaws.com"
    request_context: dict[str, Any] = {
        "accountId": context.account_id,
        "apiId": context.api_id,
        "resourceId": context.resource_id,
        "resourcePath": context.resource_path,
        "httpMethod": request.method,
        "path": f"/{context.stage}{context.path}",
        "stage": context.stage,
        "requestId": context.request_id,
        "extendedRequestId": context.extended_request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(context.request_time)),
        "requestTimeEpoch": int(context.request_time * 1000),
        "protocol": request.protocol,
        "identity": {
            "sourceIp": request.source_ip,
            "userAgent": request.header("User-Agent"),
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "user": None,
            "userArn": None,
        },
        "domainName": domain,
        "domainPrefix": context.api_id,
    }
    if context.claims is not None:
        request_context["authorizer"] = {"claims": claim_strings(context.claims)}
    return {
        "resource": context.resource_path,
        "path": context.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": dict(context.path_parameters) or None,
        "stageVariables": dict(context.stage_variables) or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": bool(request.body) and not text,
    }


class MalformedProxyResponse(ValueError):
    """The function's result is not a proxy response API Gateway accepts."""


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a string")


def proxy_response(result: Any) -> Response:
    """The HTTP response for a proxy result (statusCode, headers, multiValueHeaders, body,
    isBase64Encoded). Values of a header in both maps: those of multiValueHeaders win."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"the result is a {type(result).__name__}, not an object")
    status = result.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status!r} is not an HTTP status")
    single, multi = result.get("headers") or {}, result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    headers = [(str(k), _header_text(v)) for k, v in single.items() if k not in multi]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
        headers += [(str(name), _header_text(v)) for v in values]
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse(f"body is a {type(body).__name__}, not a string")
    if result.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(body or "", validate=True)
        except ValueError as error:
            raise MalformedProxyResponse(f"body is not base64: {error}") from None
    else:
        data = (body or "").encode("utf-8")
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Response(status, headers, data)
