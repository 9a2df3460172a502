"""The local front door's parts, without the emulator: the Cognito authorizer, routing,
throttling, request validation, gateway responses, the proxy event, the Lambda worker, and
finding the account that holds an API or distribution (and credentials acting in it)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import http.client
import io
import json
import socket
import sys
import threading
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.core.base_backend import BackendDict, BaseBackend

from blueprints.stacks.api import GATEWAY_RESPONSES
from local_aws.emulator.frontdoor.accounts import (
    REFRESH_MARGIN,
    SESSION_SECONDS,
    AccountClients,
    Credentials,
    RoleSessions,
    distribution_account,
    rest_api_location,
)
from local_aws.emulator.frontdoor.authorizer import CognitoAuthorizer, Unauthorized, UserPool, bearer_token
from local_aws.emulator.frontdoor.cognito import PoolDirectory
from local_aws.emulator.frontdoor.definitions import (
    ApiDefinition,
    Authorizer,
    DefinitionReader,
    DistributionReader,
    Method,
    Origin,
    Resource,
    Throttling,
    UnknownApi,
    UnknownDistribution,
    Validator,
    distribution_origin,
)
from local_aws.emulator.frontdoor.events import (
    EventContext,
    MalformedProxyResponse,
    claim_strings,
    proxy_event,
    proxy_response,
)
from local_aws.emulator.frontdoor.functions import DeployedFunctions, function_arn
from local_aws.emulator.frontdoor.httpserver import FrontDoorServer
from local_aws.emulator.frontdoor.messages import Request, Response
from local_aws.emulator.frontdoor.pipeline import FrontDoor
from local_aws.emulator.frontdoor.responses import GatewayResponse, Refusal, render_refusal, render_template
from local_aws.emulator.frontdoor.routing import Router
from local_aws.emulator.frontdoor.throttle import Throttles, TokenBucket
from local_aws.emulator.frontdoor.validation import body_errors, missing_parameters, missing_parameters_message
from local_aws.emulator.frontdoor.waf import UnsupportedWebAcl, WebAcl, evaluate
from local_aws.emulator.frontdoor.workers import CodeMismatch, FunctionConfig, Outcome, WorkerPool, extract_code

NOW = 1_800_000_000
POOL = UserPool("eu-west-1", "eu-west-1_pool", "123456789012")
OTHER_POOL = UserPool("eu-west-1", "eu-west-1_other", "123456789012")
CLIENT = "client-1"
SCOPE = "payments/write"
PAYMENT_MODEL = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["customerId", "amount", "currency"],
    "properties": {
        "customerId": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        "amount": {"type": "string", "pattern": "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,4})?$"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """A user pool's signing key, its JWKS and tokens as Cognito issues them."""

    def __init__(self, pool: UserPool, kid: str) -> None:
        self.pool = pool
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}

    def claims(self, token_use: str = "access", **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "iss": self.pool.issuer,
            "sub": "user-sub",
            "token_use": token_use,
            "iat": NOW - 60,
            "auth_time": NOW - 60,
            "exp": NOW + 3600,
            "jti": "jti-1",
        }
        if token_use == "access":
            base |= {"client_id": CLIENT, "scope": f"openid {SCOPE}", "username": "alice"}
        else:
            base |= {"aud": CLIENT, "cognito:username": "alice", "email_verified": True}
        return base | extra

    def token(self, token_use: str = "access", **extra: Any) -> str:
        return jwt.encode(self.claims(token_use, **extra), self.key, algorithm="RS256", headers={"kid": self.kid})

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@pytest.fixture(scope="module")
def issuers() -> dict[str, Issuer]:
    return {"pool": Issuer(POOL, "kid-pool"), "other": Issuer(OTHER_POOL, "kid-other")}


@pytest.fixture(scope="module")
def authorizer(issuers: dict[str, Issuer]) -> CognitoAuthorizer:
    jwks = {i.pool: i.jwks for i in issuers.values()}
    clients = {(POOL, CLIENT), (OTHER_POOL, CLIENT)}
    return CognitoAuthorizer(lambda pool: jwks[pool], lambda pool, client: (pool, client) in clients, clock=lambda: NOW)


# --- the Cognito authorizer ----------------------------------------------------------------


def test_a_valid_access_token_with_the_scope_passes_and_gives_its_claims(
    authorizer: CognitoAuthorizer, issuers: dict[str, Issuer]
) -> None:
    claims = authorizer.verify(issuers["pool"].token(), [POOL], [SCOPE, "other/scope"])
    assert claims == issuers["pool"].claims()


def test_an_id_token_passes_a_method_without_scopes(authorizer: CognitoAuthorizer, issuers: dict[str, Issuer]) -> None:
    token = issuers["pool"].token("id")
    assert authorizer.verify(bearer_token(f"Bearer {token}"), [OTHER_POOL, POOL])["aud"] == CLIENT
    assert bearer_token(token) == token


def _forge_alg(issuer: Issuer, alg: str, key: bytes | None) -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": issuer.kid}).encode())
    payload = _b64(json.dumps(issuer.claims()).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = _b64(hmac.new(key, signing_input, hashlib.sha256).digest()) if key else ""
    return f"{header}.{payload}.{signature}"


def _tampered_payload(issuer: Issuer) -> str:
    header, _, signature = issuer.token().split(".")
    payload = _b64(json.dumps(issuer.claims(sub="someone-else")).encode())
    return f"{header}.{payload}.{signature}"


def _tampered_signature(issuer: Issuer) -> str:
    header, payload, signature = issuer.token().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{_b64(bytes(raw))}"


REFUSED = {
    "tampered payload": lambda i: _tampered_payload(i["pool"]),
    "tampered signature": lambda i: _tampered_signature(i["pool"]),
    "expired": lambda i: i["pool"].token(exp=NOW - 1),
    "expiring now": lambda i: i["pool"].token(exp=NOW),
    "alg none": lambda i: _forge_alg(i["pool"], "none", None),
    "HS256 with the public key": lambda i: _forge_alg(i["pool"], "HS256", i["pool"].public_pem()),
    "another pool": lambda i: i["other"].token(),
    "this pool's issuer, another key": lambda i: jwt.encode(
        i["pool"].claims(), i["other"].key, algorithm="RS256", headers={"kid": i["pool"].kid}
    ),
    "unknown client": lambda i: i["pool"].token(client_id="not-a-client"),
    "id token for an access method": lambda i: i["pool"].token("id"),
    "without the scope": lambda i: i["pool"].token(scope="openid aws.cognito.signin.user.admin"),
    "not a JWT": lambda i: "garbage",
    "empty": lambda i: "",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_tokens(case: str, authorizer: CognitoAuthorizer, issuers: dict[str, Issuer]) -> None:
    with pytest.raises(Unauthorized):
        authorizer.verify(REFUSED[case](issuers), [POOL], [SCOPE])


def test_an_access_token_is_refused_where_an_id_token_is_required(
    authorizer: CognitoAuthorizer, issuers: dict[str, Issuer]
) -> None:
    with pytest.raises(Unauthorized, match="id token"):
        authorizer.verify(issuers["pool"].token(), [POOL])


def test_a_pool_arn_gives_the_issuer() -> None:
    pool = UserPool.from_arn("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc")
    assert pool.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert pool.account == "123456789012"
    with pytest.raises(ValueError):
        UserPool.from_arn("arn:aws:s3:::bucket")


def test_claims_reach_the_handler_as_api_gateway_formats_them() -> None:
    claims = claim_strings({"exp": 0, "iat": 86400, "auth_time": 5, "cognito:groups": ["a", "b"], "ok": True})
    assert claims == {
        "exp": "Thu Jan 01 00:00:00 UTC 1970",
        "iat": "Fri Jan 02 00:00:00 UTC 1970",
        "auth_time": "5",
        "cognito:groups": "a,b",
        "ok": "true",
    }


# --- routing -------------------------------------------------------------------------------


def _resources() -> list[Resource]:
    get, post, delete = Method("GET"), Method("POST"), Method("DELETE")
    return [
        Resource("root", "/"),
        Resource("payments", "/payments", {"POST": post}),
        Resource("payment", "/payments/{transactionId}", {"GET": get}),
        Resource("latest", "/payments/latest", {"GET": get}),
        Resource("customer", "/customers/{customerId}"),
        Resource("customer-payments", "/customers/{customerId}/payments", {"GET": get}),
        Resource("sessions", "/sessions/{sessionId}", {"GET": get, "DELETE": delete}),
        Resource("files", "/files/{proxy+}", {"ANY": get}),
    ]


def test_routing_binds_path_parameters_and_prefers_literal_segments() -> None:
    router = Router(_resources())
    match = router.match("/customers/c%201/payments", "GET")
    assert match is not None
    assert (match.resource.id, match.path_parameters) == ("customer-payments", {"customerId": "c 1"})
    assert router.match("/payments/latest", "GET").resource.id == "latest"  # type: ignore[union-attr]
    assert router.match("/payments/abc/", "GET").path_parameters == {"transactionId": "abc"}  # type: ignore[union-attr]
    greedy = router.match("/files/a/b/c.txt", "PUT")
    assert greedy is not None and greedy.path_parameters == {"proxy": "a/b/c.txt"}


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/nope", "GET"),  # unknown path
        ("/payments", "GET"),  # wrong method
        ("/payments/a/b", "GET"),  # too deep
        ("/customers/c1", "GET"),  # a resource without methods
        ("/", "GET"),
        ("/files", "GET"),  # a greedy parameter needs a segment
    ],
)
def test_routing_finds_nothing(path: str, method: str) -> None:
    assert Router(_resources()).match(path, method) is None


# --- throttling ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_until_tokens_refill() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=4, burst=5, clock=clock)
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.125  # half a token
    assert not bucket.take()
    clock.now += 0.125
    assert bucket.take()
    assert not bucket.take()
    clock.now += 60  # refills up to the burst, no more
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]


def test_throttles_are_per_stage_and_follow_changed_limits() -> None:
    clock = Clock()
    throttles = Throttles(clock)
    assert [throttles.allow("a", 1, 2) for _ in range(3)] == [True, True, False]
    assert throttles.allow("b", 1, 2)
    assert [throttles.allow("a", 1, 3) for _ in range(4)] == [True, True, True, False]  # new limits, new bucket


# --- request validation --------------------------------------------------------------------


def test_missing_required_parameters_are_named_in_order() -> None:
    required = {
        "method.request.header.Idempotency-Key": True,
        "method.request.header.X-Optional": False,
        "method.request.querystring.limit": True,
        "method.request.path.transactionId": True,
    }
    missing = missing_parameters(required, {"idempotency-key": "  "}, {"limit": [""]}, {"transactionId": "t"})
    assert missing_parameters_message(missing) == "Missing required request parameters: [Idempotency-Key, limit]"
    assert missing_parameters(required, {"idempotency-key": "k"}, {"limit": ["1"]}, {"transactionId": "t"}) == []


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        (b'{"customerId": "c1", "amount": "12.50", "currency": "EUR"}', True),
        (b'{"customerId": "c1", "amount": "12.50", "currency": "EUR", "extra": 1}', False),
        (b'{"customerId": "c1", "amount": 12.5, "currency": "EUR"}', False),
        (b'{"customerId": "c1", "amount": "12.50"', False),  # not JSON
        (b'{"customerId": "c1", "amount": NaN, "currency": "EUR"}', False),
        (b"\xff\xfe", False),
        (b"", False),  # validated as {}: required properties are missing
        (b"[]", False),
    ],
)
def test_bodies_are_validated_against_the_project_models(body: bytes, valid: bool) -> None:
    assert (body_errors(PAYMENT_MODEL, body) == []) is valid


# --- gateway responses ---------------------------------------------------------------------


def _project_responses() -> dict[str, GatewayResponse]:
    return {
        kind: GatewayResponse(kind, None, {}, {"application/json": template})
        for kind, template in GATEWAY_RESPONSES.values()
    }


# One refusal per response type the project customizes, and one that falls back to DEFAULT_4XX.
REFUSALS = {
    "BAD_REQUEST_BODY": Refusal("BAD_REQUEST_BODY", "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": Refusal("BAD_REQUEST_PARAMETERS", 'Missing required request parameters: [a, "b"]'),
    "UNAUTHORIZED": Refusal("UNAUTHORIZED", "Unauthorized"),
    "THROTTLED": Refusal("THROTTLED", "Too Many Requests"),
    "DEFAULT_4XX": Refusal("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"),
    "DEFAULT_5XX": Refusal("DEFAULT_5XX", "Internal server error", 502),
}


@pytest.mark.parametrize(("kind", "template"), sorted(GATEWAY_RESPONSES.values()))
def test_every_project_gateway_response_renders_to_json(kind: str, template: str) -> None:
    refusal = REFUSALS[kind]
    response = render_refusal(refusal, _project_responses(), "req-1")
    assert response.status == refusal.status
    body = json.loads(response.body)  # the message is escaped: it holds quotes
    assert b"$context" not in response.body
    text = json.dumps(body)
    if "$context.error.messageString" in template or "$context.error.message" in template:
        assert json.dumps(refusal.message)[1:-1] in text
    if "$context.error.responseType" in template:
        assert refusal.response_type in text
    assert response.header("x-amzn-RequestId") == "req-1"
    assert response.header("Content-Type") == "application/json"


def test_project_refusals_in_the_handlers_error_shape() -> None:
    responses = _project_responses()
    body = render_refusal(REFUSALS["BAD_REQUEST_BODY"], responses, "r").body
    assert json.loads(body) == {
        "error": {"code": "ValidationError", "message": "Invalid request body", "field": "body"}
    }
    throttled = render_refusal(REFUSALS["THROTTLED"], responses, "r")
    assert (throttled.status, json.loads(throttled.body)["error"]["code"]) == (429, "THROTTLED")
    unknown = render_refusal(REFUSALS["DEFAULT_4XX"], responses, "r")
    assert (unknown.status, json.loads(unknown.body)["error"]["code"]) == (403, "MISSING_AUTHENTICATION_TOKEN")
    timeout = render_refusal(Refusal("INTEGRATION_TIMEOUT", "Endpoint request timed out"), responses, "r")
    assert (timeout.status, timeout.body) == (504, render_refusal(REFUSALS["DEFAULT_5XX"], responses, "r").body)


def test_without_gateway_responses_api_gateway_default_body_is_used() -> None:
    response = render_refusal(Refusal("UNAUTHORIZED", "Unauthorized"), {}, "req-2")
    assert (response.status, json.loads(response.body)) == (401, {"message": "Unauthorized"})
    assert response.header("x-amzn-ErrorType") == "UnauthorizedException"


def test_status_codes_and_headers_of_gateway_responses() -> None:
    responses = {
        "DEFAULT_4XX": GatewayResponse(
            "DEFAULT_4XX", None, {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}, {}
        ),
        "THROTTLED": GatewayResponse(
            "THROTTLED",
            503,
            {"gatewayresponse.header.Retry-After": "'1'", "gatewayresponse.header.X-Echo": "method.request.header.x-a"},
            {"application/json": '{"id": "$context.requestId", "type": "${context.error.responseType}"}'},
        ),
    }
    response = render_refusal(Refusal("THROTTLED", "Too Many Requests"), responses, "r-9", {"x-a": "echoed"})
    assert response.status == 503
    assert json.loads(response.body) == {"id": "r-9", "type": "THROTTLED"}
    assert response.header("Retry-After") == "1"
    assert response.header("Access-Control-Allow-Origin") == "*"
    assert response.header("X-Echo") == "echoed"


def test_vtl_substitution_leaves_unknown_references() -> None:
    variables = {"context.error.message": 'say "hi"', "context.error.messageString": json.dumps('say "hi"')}
    rendered = render_template(
        "$context.error.messageString|$context.error.message|$input.body|$!{context.x}", variables
    )
    assert rendered == '"say \\"hi\\""|say "hi"|$input.body|$!{context.x}'


# --- the proxy event and response ----------------------------------------------------------


def _request(**overrides: Any) -> Request:
    values: dict[str, Any] = {
        "method": "GET",
        "path": "/restapis/api1/v1/payments/p%201",
        "query": "a=1&a=2&b=",
        "headers": [("Host", "127.0.0.1"), ("X-Multi", "1"), ("X-Multi", "2"), ("User-Agent", "ua")],
    }
    return Request(**(values | overrides))


def _context(**overrides: Any) -> EventContext:
    values: dict[str, Any] = {
        "account_id": "123456789012",
        "api_id": "api1",
        "region": "eu-west-1",
        "stage": "v1",
        "resource_id": "res1",
        "resource_path": "/payments/{transactionId}",
        "path": "/payments/p 1",
        "path_parameters": {"transactionId": "p 1"},
        "stage_variables": {},
        "request_id": "req-1",
        "extended_request_id": "ext=",
        "request_time": 0.5,
        "claims": None,
    }
    return EventContext(**(values | overrides))


def test_the_proxy_event_is_api_gateway_rest_format() -> None:
    event = proxy_event(_request(), _context())
    assert event["resource"] == "/payments/{transactionId}"
    assert event["path"] == "/payments/p 1"
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] == {"transactionId": "p 1"}
    assert event["stageVariables"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert context["path"] == "/v1/payments/p 1"
    assert context["requestTimeEpoch"] == 500
    assert context["requestTime"] == "01/Jan/1970:00:00:00 +0000"
    assert context["identity"]["userAgent"] == "ua"
    assert "authorizer" not in context
    with_claims = proxy_event(_request(body=b"\xff"), _context(claims={"sub": "s", "exp": 0}))
    assert with_claims["requestContext"]["authorizer"] == {
        "claims": {"sub": "s", "exp": "Thu Jan 01 00:00:00 UTC 1970"}
    }
    assert (with_claims["body"], with_claims["isBase64Encoded"]) == ("/w==", True)


def test_proxy_responses_become_http() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "X-Both": "single"},
            "multiValueHeaders": {"X-Both": ["m1", "m2"]},
            "body": '{"ok": true}',
        }
    )
    assert response.status == 201
    assert response.headers == [
        ("X-One", "1"),
        ("X-Both", "m1"),
        ("X-Both", "m2"),
        ("Content-Type", "application/json"),
    ]
    assert proxy_response({"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}).body == b"hi"


@pytest.mark.parametrize(
    "result",
    [None, "text", {"body": "x"}, {"statusCode": "200"}, {"statusCode": True}, {"statusCode": 200, "body": {"a": 1}}],
)
def test_malformed_proxy_responses_are_refused(result: Any) -> None:
    with pytest.raises(MalformedProxyResponse):
        proxy_response(result)


def test_the_function_arn_comes_from_the_integration_uri() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:pay"
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    assert function_arn(uri) == arn
    assert function_arn(uri.replace("pay", "${stageVariables.fn}"), {"fn": "pay"}) == arn
    assert function_arn("http://example.com") is None


# --- the Lambda worker ---------------------------------------------------------------------

HANDLER = """
import itertools, json, os, sys, time

COUNTER = itertools.count(1)


def handler(event, context):
    action = event.get("action")
    if action == "raise":
        raise ValueError("boom")
    if action == "sleep":
        time.sleep(30)
    if action == "wait":  # until the test creates the file, so that invocations overlap
        while not os.path.exists(event["until"]):
            time.sleep(0.01)
    if action == "noise":
        print("printed by the handler")
        sys.stdout.write('{"ok": false, "not": "the protocol"}\\n')
        sys.stdout.flush()
        os.write(1, b"written to fd 1\\n")
        print("to stderr", file=sys.stderr)
    if action == "unserializable":
        return {"statusCode": 200, "body": object()}
    if action == "crash":  # the process dies mid-request, as when Lambda's runtime exits
        os._exit(1)
    return {
        "pid": os.getpid(),
        "count": next(COUNTER),
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "log_group": context.log_group_name,
    }
"""


def _package(source: str = HANDLER) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
        archive.writestr("json.py", "raise ImportError('the package may not shadow what the runtime imports first')")
    return buffer.getvalue()


def _config(code: bytes, timeout: float = 2.0, **environment: str) -> FunctionConfig:
    return FunctionConfig(
        arn="arn:aws:lambda:eu-west-1:123456789012:function:echo",
        name="echo",
        region="eu-west-1",
        account="123456789012",
        handler="app.handler",
        runtime="python3.11",
        timeout=timeout,
        memory_size=256,
        code_sha256=base64.b64encode(hashlib.sha256(code).digest()).decode(),
        environment=environment or {"TABLE": "t1"},
    )


@pytest.fixture
def pool(tmp_path: Path) -> Any:
    workers = WorkerPool(tmp_path, "http://127.0.0.1:9999", python=sys.executable)
    yield workers
    workers.shutdown()


def _invoke(pool: WorkerPool, config: FunctionConfig, event: dict[str, Any], wait: float = 10.0) -> Outcome:
    code = _package()
    code_dir = pool.code_dir(config, lambda: code)
    return pool.invoke(config, code_dir, event, "lambda-req", time.monotonic() + wait)


def test_the_handler_runs_in_a_warm_worker_with_only_lambda_environment(
    pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVER_ONLY_SECRET", "must-not-leak")
    config = _config(_package())
    first = _invoke(pool, config, {})
    assert first.kind == "result", first
    result = first.payload
    env = result["env"]
    assert env["TABLE"] == "t1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "echo"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9999"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("testing", "testing")  # no role credentials
    assert "AWS_SESSION_TOKEN" not in env
    assert (env["_HANDLER"], env["TZ"], env["PYTHONDONTWRITEBYTECODE"]) == ("app.handler", ":UTC", "1")
    assert env["LAMBDA_TASK_ROOT"] == env["PYTHONPATH"] == result["cwd"] == result["path0"]
    assert "SERVER_ONLY_SECRET" not in env and "HOME" not in env and "VIRTUAL_ENV" not in env
    assert (result["function_name"], result["memory"], result["log_group"]) == ("echo", "256", "/aws/lambda/echo")
    assert (result["request_id"], result["arn"]) == ("lambda-req", config.arn)
    assert 0 < result["remaining"] <= 2000
    second = _invoke(pool, config, {})
    assert (second.payload["pid"], second.payload["count"]) == (result["pid"], 2)  # warm: same process
    changed = _invoke(pool, _config(_package(), TABLE="t2"), {})
    assert changed.payload["pid"] != result["pid"]  # a new configuration gets a new worker
    assert changed.payload["count"] == 1


def test_an_exception_is_an_error_and_the_worker_stays_warm(pool: WorkerPool) -> None:
    config = _config(_package())
    pid = _invoke(pool, config, {}).payload["pid"]
    failed = _invoke(pool, config, {"action": "raise"})
    assert failed.kind == "error"
    assert (failed.payload["errorType"], failed.payload["errorMessage"]) == ("ValueError", "boom")
    assert _invoke(pool, config, {"action": "unserializable"}).payload["errorType"] == "Runtime.MarshalError"
    assert _invoke(pool, config, {}).payload["pid"] == pid


def test_a_worker_dying_mid_request_is_an_error_and_replaced(pool: WorkerPool) -> None:
    """The pipeline answers the error 502 (test_lambda_failures_are_502_...), as API Gateway
    answers a function that fails."""
    config = _config(_package())
    pid = _invoke(pool, config, {}).payload["pid"]
    crashed = _invoke(pool, config, {"action": "crash"})
    assert (crashed.kind, crashed.payload["errorType"]) == ("error", "Runtime.ExitError")
    assert pool.workers() == []
    assert _invoke(pool, config, {}).payload["pid"] != pid


def test_a_burst_of_cold_starts_initialises_a_few_at_a_time_and_all_are_served(
    pool: WorkerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pool, "_starting", threading.BoundedSemaphore(1))
    config = dataclasses.replace(_config(_package(), timeout=20), reserved_concurrency=6)
    released = tmp_path / "released"
    with ThreadPoolExecutor(6) as callers:
        waiting = [callers.submit(_invoke, pool, config, {"action": "wait", "until": str(released)}) for _ in range(6)]
        deadline = time.monotonic() + 20
        while len(pool.workers()) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        released.touch()
        outcomes = [w.result() for w in waiting]
    assert [o.kind for o in outcomes] == ["result"] * 6
    assert len({o.payload["pid"] for o in outcomes}) == 6


def test_a_handler_over_its_timeout_is_killed_and_replaced(pool: WorkerPool) -> None:
    config = _config(_package(), timeout=0.5)
    pid = _invoke(pool, config, {}).payload["pid"]
    started = time.monotonic()
    outcome = _invoke(pool, config, {"action": "sleep"})
    assert outcome.kind == "timeout"
    assert "timed out" in outcome.payload["errorMessage"]
    assert time.monotonic() - started < 2
    assert pool.workers() == []
    assert _invoke(pool, config, {}).payload["pid"] != pid


def test_the_callers_deadline_before_the_function_timeout_is_an_integration_timeout(pool: WorkerPool) -> None:
    config = _config(_package(), timeout=20)
    _invoke(pool, config, {})
    assert _invoke(pool, config, {"action": "sleep"}, wait=0.3).kind == "integration_timeout"
    assert pool.workers() == []


def test_concurrent_invocations_run_in_parallel_workers_up_to_the_reserved_concurrency(
    pool: WorkerPool, tmp_path: Path
) -> None:
    config = dataclasses.replace(_config(_package(), timeout=20), reserved_concurrency=2)
    released = tmp_path / "released"
    with ThreadPoolExecutor(2) as callers:
        waiting = [callers.submit(_invoke, pool, config, {"action": "wait", "until": str(released)}) for _ in range(2)]
        deadline = time.monotonic() + 10
        while len(pool.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        # Both workers are busy: Lambda throttles the next invocation at once, queueing nothing.
        throttled = _invoke(pool, config, {})
        assert (throttled.kind, throttled.payload["errorType"]) == ("throttled", "TooManyRequestsException")
        released.touch()
        pids = {w.result().payload["pid"] for w in waiting}
    assert len(pids) == 2  # each in a worker of its own
    assert {_invoke(pool, config, {}).payload["pid"] for _ in range(3)} <= pids  # kept warm and reused
    assert len(pool.workers()) == 2


def test_idle_workers_of_an_old_version_are_replaced(pool: WorkerPool, tmp_path: Path) -> None:
    config = _config(_package(), timeout=20)
    released = tmp_path / "released"
    with ThreadPoolExecutor(3) as callers:
        waiting = [callers.submit(_invoke, pool, config, {"action": "wait", "until": str(released)}) for _ in range(3)]
        deadline = time.monotonic() + 10
        while len(pool.workers()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        released.touch()
        old = {w.result().payload["pid"] for w in waiting}
    new = _invoke(pool, _config(_package(), timeout=20, TABLE="t2"), {})
    assert new.payload["pid"] not in old
    assert [w.pid for w in pool.workers()] == [new.payload["pid"]]  # the three idle old ones are gone


def test_what_the_handler_prints_goes_to_its_log_not_the_protocol(pool: WorkerPool) -> None:
    config = _config(_package())
    outcome = _invoke(pool, config, {"action": "noise"})
    assert outcome.kind == "result" and "pid" in outcome.payload
    log = pool.log_path(config).read_text()
    for line in ("printed by the handler", '"not": "the protocol"', "written to fd 1", "to stderr", "START RequestId"):
        assert line in log


def test_the_package_is_extracted_once_per_hash_and_checked(tmp_path: Path) -> None:
    code = _package()
    sha = _config(code).code_sha256
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        return code

    first = extract_code(tmp_path, sha, fetch)
    assert extract_code(tmp_path, sha, fetch) == first
    assert calls == [1]
    assert (first / "app.py").is_file()
    with pytest.raises(CodeMismatch):
        extract_code(tmp_path / "other", sha, lambda: code + b"x")


# --- the pipeline's order, with the parts faked ----------------------------------------------


class FakeDefinitions:
    def __init__(self, definition: ApiDefinition) -> None:
        self.definition = definition

    def get(self, api_id: str, stage: str) -> ApiDefinition | None:
        return self.definition if (api_id, stage) == ("api1", "v1") else None


class FakeFunctions:
    def __init__(self) -> None:
        self.config = _config(b"code")

    def configuration(self, arn: str) -> FunctionConfig:
        return self.config

    def code(self, config: FunctionConfig) -> bytes:
        return b"code"


class FakeWorkers:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.result: Any = {"statusCode": 200, "body": "ok"}

    def code_dir(self, config: FunctionConfig, fetch: Any) -> Path:
        return Path("/nonexistent")

    def invoke(self, config: FunctionConfig, code_dir: Path, event: Any, request_id: str, deadline: float) -> Outcome:
        self.events.append(event)
        if isinstance(self.result, Outcome):
            return self.result
        return Outcome("result", self.result)


@pytest.fixture
def door(authorizer: CognitoAuthorizer) -> tuple[FrontDoor, FakeWorkers]:
    function = "arn:aws:lambda:eu-west-1:123456789012:function:f"
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{function}/invocations"
    pool_arn = f"arn:aws:cognito-idp:{POOL.region}:123456789012:userpool/{POOL.pool_id}"
    method = Method(
        "POST",
        authorization_type="COGNITO_USER_POOLS",
        authorizer_id="auth1",
        authorization_scopes=(SCOPE,),
        request_parameters={"method.request.header.Idempotency-Key": True},
        request_models={"application/json": "PaymentRequest"},
        request_validator_id="val1",
        integration_type="AWS_PROXY",
        integration_uri=uri,
    )
    definition = ApiDefinition(
        api_id="api1",
        account_id="123456789012",
        region="eu-west-1",
        stage="v1",
        deployment_id="d1",
        resources=(Resource("r1", "/payments", {"POST": method}),),
        authorizers={"auth1": Authorizer("auth1", "cognito", "COGNITO_USER_POOLS", (pool_arn,))},
        validators={"val1": Validator("val1", True, True)},
        models={"PaymentRequest": PAYMENT_MODEL},
        gateway_responses=_project_responses(),
        throttling=Throttling(1000, 1000),
    )
    workers = FakeWorkers()
    front_door = FrontDoor(
        FakeDefinitions(definition),  # type: ignore[arg-type]
        authorizer,
        FakeFunctions(),  # type: ignore[arg-type]
        workers,  # type: ignore[arg-type]
    )
    return front_door, workers


def _post(
    front_door: FrontDoor, token: str | None, body: bytes, key: str | None = "k1", path: str = "/payments"
) -> Any:
    headers = [("Content-Type", "application/json")]
    headers += [("Authorization", token)] if token is not None else []
    headers += [("Idempotency-Key", key)] if key else []
    response = front_door.handle(Request("POST", f"/restapis/api1/v1{path}", "", headers, body))
    return response.status, json.loads(response.body)


VALID_BODY = b'{"customerId": "c1", "amount": "1.00", "currency": "EUR"}'


def test_the_pipeline_refuses_in_api_gateway_order(
    door: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]
) -> None:
    front_door, workers = door
    token = issuers["pool"].token()
    assert _post(front_door, None, b"{}", key=None, path="/nope")[0] == 403  # the route comes first
    status, body = _post(front_door, None, b"{}", key=None)
    assert (status, body["error"]["message"]) == (401, "Unauthorized")  # then the authorizer
    assert _post(front_door, "Bearer " + token, b"{}", key=None)[1]["error"]["message"] == (
        "Missing required request parameters: [Idempotency-Key]"
    )
    assert _post(front_door, token, b"{}")[1]["error"]["message"] == "Invalid request body"
    assert workers.events == []
    headers = [("Authorization", token), ("Idempotency-Key", "k")]
    ok = front_door.handle(Request("POST", "/restapis/api1/v1/payments", "", headers, VALID_BODY))
    assert (ok.status, ok.body) == (200, b"ok")
    assert ok.header("x-amzn-RequestId") and ok.header("x-amz-apigw-id")
    assert len(workers.events) == 1
    event = workers.events[0]
    assert event["requestContext"]["authorizer"]["claims"]["scope"] == f"openid {SCOPE}"
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["body"] == VALID_BODY.decode()
    wrong_stage = front_door.handle(Request("POST", "/restapis/api1/v2/payments", "", [], b""))
    assert (wrong_stage.status, json.loads(wrong_stage.body)) == (403, {"message": "Forbidden"})


def test_lambda_failures_are_502_a_late_integration_504_and_a_throttled_one_500(
    door: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]
) -> None:
    front_door, workers = door
    token = issuers["pool"].token()
    for result in (Outcome("error", {"errorType": "ValueError"}), Outcome("timeout"), {"statusCode": "200"}):
        workers.result = result
        assert _post(front_door, token, VALID_BODY) == (
            502,
            {"error": {"code": "InternalError", "message": "internal error"}},
        )
    workers.result = Outcome("integration_timeout")
    assert _post(front_door, token, VALID_BODY)[0] == 504
    # Lambda throttled the invocation (its concurrency all busy): API Gateway answers 500.
    workers.result = Outcome("throttled")
    assert _post(front_door, token, VALID_BODY) == (
        500,
        {"error": {"code": "InternalError", "message": "internal error"}},
    )


# --- reading the deployed definition ---------------------------------------------------------


class FakeApiGateway:
    """Just the API Gateway calls the reader makes, answering from dictionaries."""

    def __init__(self) -> None:
        self.deployment = "d1"
        self.calls: list[str] = []
        self.schema = json.dumps(json.dumps(PAYMENT_MODEL))  # encoded twice, as the emulator's CloudFormation does

    def get_stage(self, restApiId: str, stageName: str) -> dict[str, Any]:
        self.calls.append("get_stage")
        if stageName != "v1":
            raise ClientError({"Error": {"Code": "NotFoundException", "Message": "no"}}, "GetStage")
        settings = {"*/*": {"throttlingRateLimit": 5.0, "throttlingBurstLimit": 5}}
        return {"stageName": "v1", "deploymentId": self.deployment, "methodSettings": settings}

    def get_web_acl_for_resource(self, ResourceArn: str) -> dict[str, Any]:  # the WAFv2 client's call
        self.calls.append("get_web_acl_for_resource")
        return {}

    def get_method(self, restApiId: str, resourceId: str, httpMethod: str) -> dict[str, Any]:
        self.calls.append("get_method")
        return {"httpMethod": httpMethod, "authorizationType": "NONE", "requestModels": {"application/json": "Pay"}}

    def get_paginator(self, operation: str) -> Any:
        self.calls.append(operation)
        items = {
            "get_resources": [{"id": "r0", "path": "/"}, {"id": "r1", "path": "/p", "resourceMethods": {"POST": {}}}],
            "get_authorizers": [],
            "get_request_validators": [{"id": "v1", "validateRequestBody": True}],
            "get_models": [{"name": "Pay", "schema": self.schema}],
            "get_gateway_responses": [{"responseType": "THROTTLED", "statusCode": "429"}],
        }[operation]

        class Paginator:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                return [{"items": items}]

        return Paginator()


def _account_clients(client: Any, asked: list[tuple[str, str, str]]) -> Any:
    """clients(account)(service, region), recording what was asked for, always `client`."""

    def clients(account: str) -> Any:
        def factory(service: str, region: str) -> Any:
            asked.append((account, service, region))
            return client

        return factory

    return clients


def test_the_definition_is_read_once_per_deployment_and_rechecked_each_second() -> None:
    gateway, clock = FakeApiGateway(), Clock()
    asked: list[tuple[str, str, str]] = []

    def locate(api_id: str, regions: Sequence[str]) -> tuple[str, str] | None:
        assert list(regions) == ["eu-west-1", "us-east-1"]
        return ("111111111111", "us-east-1") if api_id == "api1" else None

    reader = DefinitionReader(_account_clients(gateway, asked), ["eu-west-1", "us-east-1"], locate=locate, clock=clock)
    with pytest.raises(UnknownApi):
        reader.get("other", "v1")
    definition = reader.get("api1", "v1")
    assert definition is not None
    assert (definition.account_id, definition.region) == ("111111111111", "us-east-1")
    assert (definition.deployment_id, definition.throttling) == ("d1", Throttling(5, 5))
    assert set(asked) == {("111111111111", "apigateway", "us-east-1"), ("111111111111", "wafv2", "us-east-1")}
    assert definition.models["Pay"] == PAYMENT_MODEL and "Empty" in definition.models
    assert definition.gateway_responses["THROTTLED"].status_code == 429
    assert definition.router.match("/p", "POST") is not None
    reads = gateway.calls.count("get_resources")
    clock.now += 0.5
    gateway.deployment = "d2"
    assert reader.get("api1", "v1") is definition  # not re-checked within a second
    clock.now += 0.6
    newer = reader.get("api1", "v1")
    assert newer is not None and newer.deployment_id == "d2"
    assert gateway.calls.count("get_resources") == reads + 1
    clock.now += 1.1
    assert reader.get("api1", "v1") is newer  # same deployment: the stage is read, the rest is not
    assert gateway.calls.count("get_resources") == reads + 1
    assert reader.get("api1", "v2") is None  # an unknown stage
    gateway.schema = '"not a schema"'
    gateway.deployment = "d3"
    clock.now += 1.1
    broken = reader.get("api1", "v1")
    assert broken is not None and broken.models["Pay"] is None


# --- the HTTP server -----------------------------------------------------------------------


class EchoDoor:
    def handle(self, request: Request) -> Response:
        echoed = {"method": request.method, "path": request.path, "query": request.query, "body": request.body.decode()}
        return Response(
            200, [("Content-Type", "application/json"), ("X-Two", "a"), ("X-Two", "b")], json.dumps(echoed).encode()
        )


def test_the_http_server_passes_requests_through_and_reads_chunked_bodies() -> None:
    server = FrontDoorServer(0, EchoDoor())  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        connection.request("POST", "/restapis/a/v1/x?q=1", body=iter([b"hel", b"lo"]), encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 200
        assert response.headers.get_all("X-Two") == ["a", "b"]
        assert json.loads(response.read()) == {
            "method": "POST",
            "path": "/restapis/a/v1/x",
            "query": "q=1",
            "body": "hello",
        }
        connection.request("PUT", "/x", body=b"", headers={"Content-Length": str(11 * 1024 * 1024)})
        too_large = connection.getresponse()
        assert (too_large.status, json.loads(too_large.read())) == (413, {"message": "Request Too Long"})
    finally:
        server.shutdown()
        server.server_close()


def test_a_burst_of_connections_waits_in_the_listen_backlog_none_refused() -> None:
    """Connections the server has not accepted yet are queued by the kernel up to the backlog;
    beyond it they would be dropped or reset (socketserver's default backlog is 5)."""
    server = FrontDoorServer(0, EchoDoor())  # type: ignore[arg-type]
    connections: list[socket.socket] = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        for i in range(200):  # nobody accepts yet: every one of them waits in the backlog
            try:
                connections.append(socket.create_connection(server.server_address[:2], timeout=1))
            except OSError as error:
                pytest.fail(f"connection {i} not taken: {error!r}")
        thread.start()
        connections[-1].sendall(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert connections[-1].recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for connection in connections:
            connection.close()
        if thread.is_alive():
            server.shutdown()
        server.server_close()


# --- the stage's web ACL and the distribution's path -----------------------------------------

ORIGIN_ACL = WebAcl.from_api(
    {
        "Name": "origin",
        "ARN": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/origin/1",
        "DefaultAction": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "Forbidden"}}},
        "CustomResponseBodies": {
            "Forbidden": {
                "ContentType": "APPLICATION_JSON",
                "Content": '{"error": {"code": "Forbidden", "message": "no"}}',
            }
        },
        "Rules": [
            {
                "Name": "AllowThroughDistribution",
                "Priority": 0,
                "Action": {"Allow": {}},
                "Statement": {
                    "OrStatement": {
                        "Statements": [
                            {
                                "ByteMatchStatement": {
                                    "SearchString": value,
                                    "FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}},
                                    "PositionalConstraint": "EXACTLY",
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                }
                            }
                            for value in (b"new-secret", b"old-secret")
                        ]
                    }
                },
            }
        ],
    }
)


class FakeDistributions:
    def get(self, distribution_id: str) -> Origin:
        if distribution_id != "DIST1":
            raise UnknownDistribution(distribution_id)
        return Origin("api1", "v1", (("X-Origin-Verify", "new-secret"),))


@pytest.fixture
def guarded(door: tuple[FrontDoor, FakeWorkers]) -> tuple[FrontDoor, FakeWorkers]:
    front_door, workers = door
    definitions = front_door._definitions  # the fake: give its stage the web ACL
    definitions.definition = dataclasses.replace(definitions.definition, web_acl=ORIGIN_ACL)  # type: ignore[attr-defined]
    front_door._distributions = FakeDistributions()  # type: ignore[assignment]
    return front_door, workers


def test_the_stage_web_acl_comes_before_routing_and_the_authorizer(
    guarded: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]
) -> None:
    front_door, workers = guarded
    token = issuers["pool"].token()
    forbidden = {"error": {"code": "Forbidden", "message": "no"}}
    assert _post(front_door, token, VALID_BODY) == (403, forbidden)
    assert _post(front_door, None, b"{}", path="/nope") == (403, forbidden)  # before routing
    headers = [("Authorization", token), ("Idempotency-Key", "k")]
    for value, status in (("wrong", 403), ("new-secret", 200), ("old-secret", 200), ("NEW-SECRET", 403)):
        answer = front_door.handle(
            Request("POST", "/restapis/api1/v1/payments", "", [*headers, ("X-Origin-Verify", value)], VALID_BODY)
        )
        assert answer.status == status, value
    assert len(workers.events) == 2  # only the two admitted requests reached the function


def test_the_distribution_path_adds_the_origin_header_over_the_viewers(
    guarded: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]
) -> None:
    front_door, workers = guarded
    headers = [("Authorization", issuers["pool"].token()), ("Idempotency-Key", "k"), ("x-origin-verify", "forged")]
    answer = front_door.handle(Request("POST", "/distributions/DIST1/payments", "", headers, VALID_BODY))
    assert (answer.status, answer.body) == (200, b"ok")
    event = workers.events[0]
    assert event["headers"]["X-Origin-Verify"] == "new-secret" and "x-origin-verify" not in event["headers"]
    assert event["path"] == "/payments" and event["requestContext"]["stage"] == "v1"
    unknown = front_door.handle(Request("GET", "/distributions/NOPE/payments", "", [], b""))
    assert unknown.status == 404


def test_a_web_acl_statement_the_front_door_does_not_evaluate_is_refused_by_name(
    guarded: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]
) -> None:
    front_door, workers = guarded
    rule = {"Name": "Geo", "Priority": 0, "Action": {"Allow": {}}, "Statement": {"GeoMatchStatement": {}}}
    definitions = front_door._definitions
    definitions.definition = dataclasses.replace(  # type: ignore[attr-defined]
        definitions.definition,  # type: ignore[attr-defined]
        web_acl=dataclasses.replace(ORIGIN_ACL, rules=(rule,)),
    )
    status, body = _post(front_door, issuers["pool"].token(), VALID_BODY)
    assert status == 500 and workers.events == []
    assert "rule Geo: statement type GeoMatchStatement is not emulated" in body["message"]
    with pytest.raises(UnsupportedWebAcl, match="statement type GeoMatchStatement is not emulated"):
        evaluate(dataclasses.replace(ORIGIN_ACL, rules=(rule,)), Request("GET", "/", "", []))


def _distribution_config() -> dict[str, Any]:
    return {
        "DefaultCacheBehavior": {"TargetOriginId": "api"},
        "Origins": {
            "Items": [
                {
                    "Id": "api",
                    "DomainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                    "OriginPath": "/v1",
                    "CustomHeaders": {"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Verify", "HeaderValue": "s"}]},
                }
            ]
        },
    }


def test_a_distribution_origin_is_read_as_a_stage_with_its_custom_headers() -> None:
    config = _distribution_config()
    assert distribution_origin(config) == Origin("abc123", "v1", (("X-Origin-Verify", "s"),))
    config["Origins"]["Items"][0]["DomainName"] = "bucket.s3.amazonaws.com"
    assert distribution_origin(config) is None


# --- accounts: where an API or distribution lives, and credentials acting there -------------

OTHER = "111111111111"
DEFAULT = "123456789012"


class FakeGatewayBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.apis: dict[str, object] = {}


class FakeCloudFrontBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.distributions: dict[str, object] = {}


@pytest.fixture
def moto_backends() -> Any:
    """Backend dictionaries of moto's own kind (per account, then per region or partition)."""
    gateways = BackendDict(FakeGatewayBackend, "apigateway")
    distributions = BackendDict(
        FakeCloudFrontBackend, "cloudfront", use_boto3_regions=False, additional_regions=["aws"]
    )
    yield gateways, distributions
    instances: list[Any] = BackendDict._instances  # type: ignore[misc]  # moto's registry of backends in use
    for made in (gateways, distributions):
        if made in instances:
            instances.remove(made)


def test_a_rest_api_is_found_in_any_account_in_the_front_doors_regions(moto_backends: Any) -> None:
    gateways, _ = moto_backends
    gateways[DEFAULT]["eu-west-1"].apis["default1"] = object()
    gateways[OTHER]["us-east-1"].apis["api1"] = object()
    gateways["222222222222"]["ap-south-1"].apis["far"] = object()
    regions = ["eu-west-1", "us-east-1"]
    assert rest_api_location("api1", regions, gateways) == (OTHER, "us-east-1")
    assert rest_api_location("default1", regions, gateways) == (DEFAULT, "eu-west-1")
    assert rest_api_location("far", regions, gateways) is None  # not in the front door's regions
    assert rest_api_location("nope", regions, gateways) is None
    # looking creates no backend in any account or region
    assert sorted(gateways) == sorted([DEFAULT, OTHER, "222222222222"])
    assert list(gateways[OTHER]) == ["us-east-1"] and list(gateways[DEFAULT]) == ["eu-west-1"]


def test_a_distribution_is_found_in_any_account(moto_backends: Any) -> None:
    _, distributions = moto_backends
    distributions[DEFAULT]["aws"].distributions["D0"] = object()
    distributions[OTHER]["aws"].distributions["D1"] = object()
    assert distribution_account("D1", distributions) == OTHER
    assert distribution_account("D0", distributions) == DEFAULT
    assert distribution_account("D9", distributions) is None


def test_the_distribution_is_read_in_its_account() -> None:
    class FakeCloudFront:
        def get_distribution_config(self, Id: str) -> dict[str, Any]:
            return {"DistributionConfig": _distribution_config()}

    asked: list[tuple[str, str, str]] = []
    reader = DistributionReader(
        _account_clients(FakeCloudFront(), asked), locate=lambda distribution: OTHER if distribution == "D1" else None
    )
    assert reader.get("D1") == Origin("abc123", "v1", (("X-Origin-Verify", "s"),))
    assert asked == [(OTHER, "cloudfront", "us-east-1")]
    with pytest.raises(UnknownDistribution):
        reader.get("D2")
    assert len(asked) == 1  # an id no account holds is not asked for


def test_a_function_and_a_user_pool_are_read_in_the_account_their_arn_names() -> None:
    class FakeAws:
        def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
            return {
                "FunctionArn": FunctionName,
                "FunctionName": "f",
                "CodeSha256": "abc=",
                "Role": f"arn:aws:iam::{OTHER}:role/f-role",
            }

        def get_function_concurrency(self, FunctionName: str) -> dict[str, Any]:
            return {"ReservedConcurrentExecutions": 7}

        def describe_user_pool_client(self, UserPoolId: str, ClientId: str) -> dict[str, Any]:
            return {"UserPoolClient": {"ClientId": ClientId}}

    asked: list[tuple[str, str, str]] = []
    functions = DeployedFunctions(_account_clients(FakeAws(), asked), code_bytes=lambda config: b"")
    config = functions.configuration(f"arn:aws:lambda:eu-west-1:{OTHER}:function:f")
    assert (config.account, config.region, config.role) == (OTHER, "eu-west-1", f"arn:aws:iam::{OTHER}:role/f-role")
    assert config.reserved_concurrency == 7
    pools = PoolDirectory(_account_clients(FakeAws(), asked), "http://127.0.0.1:9")
    assert pools.has_client(UserPool.from_arn(f"arn:aws:cognito-idp:us-east-1:{OTHER}:userpool/us-east-1_p"), "c")
    assert asked == [(OTHER, "lambda", "eu-west-1"), (OTHER, "cognito-idp", "us-east-1")]


def test_the_event_names_the_apis_account(door: tuple[FrontDoor, FakeWorkers], issuers: dict[str, Issuer]) -> None:
    front_door, workers = door
    definitions = front_door._definitions  # the fake: its API now lives in another account
    definitions.definition = dataclasses.replace(definitions.definition, account_id=OTHER)  # type: ignore[attr-defined]
    headers = [("Authorization", issuers["pool"].token()), ("Idempotency-Key", "k")]
    assert front_door.handle(Request("POST", "/restapis/api1/v1/payments", "", headers, VALID_BODY)).status == 200
    assert workers.events[0]["requestContext"]["accountId"] == OTHER


class StsClock(Clock):
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # epoch seconds, as time.time


def _sts(clock: Clock, calls: list[tuple[str, str, int]]) -> Any:
    def assume_role(role_arn: str, session_name: str, seconds: int) -> dict[str, Any]:
        calls.append((role_arn, session_name, seconds))
        return {
            "AccessKeyId": f"ASIA{len(calls)}",
            "SecretAccessKey": f"secret{len(calls)}",
            "SessionToken": f"token{len(calls)}",
            "Expiration": datetime.fromtimestamp(clock.now + seconds, tz=UTC),
        }

    return assume_role


def test_role_credentials_are_assumed_once_per_role_and_renewed_when_due() -> None:
    clock, calls = StsClock(), list[tuple[str, str, int]]()
    sessions = RoleSessions(_sts(clock, calls), clock=clock)
    first = sessions.for_account(OTHER)
    assert calls == [(f"arn:aws:iam::{OTHER}:role/OrganizationAccountAccessRole", "local-frontdoor", SESSION_SECONDS)]
    assert first.expiration == clock.now + SESSION_SECONDS
    assert first.environment() == {
        "AWS_ACCESS_KEY_ID": "ASIA1",
        "AWS_SECRET_ACCESS_KEY": "secret1",
        "AWS_SESSION_TOKEN": "token1",
    }
    assert sessions.for_account(OTHER) is first
    assert sessions.for_account(DEFAULT).access_key_id == "ASIA2"  # each account its own
    role = f"arn:aws:iam::{OTHER}:role/f-role"
    assert sessions.for_role(role, "f").access_key_id == "ASIA3"
    assert calls[-1] == (role, "f", SESSION_SECONDS)
    clock.now += SESSION_SECONDS - REFRESH_MARGIN - 1
    assert sessions.for_account(OTHER) is first  # not due yet
    clock.now += 1
    renewed = sessions.for_account(OTHER)
    assert renewed.access_key_id == "ASIA4" and not renewed.due(clock.now)
    with pytest.raises(ValueError, match="no role"):
        sessions.for_role("")


def test_account_clients_are_one_per_account_service_and_region_and_follow_renewed_credentials() -> None:
    current = {OTHER: Credentials("a1", "s", "t"), DEFAULT: Credentials("b1", "s", "t")}
    made: list[tuple[str, str, str]] = []

    def new_client(service: str, region: str, credentials: Credentials) -> object:
        made.append((service, region, credentials.access_key_id))
        return object()

    clients = AccountClients(new_client, lambda account: current[account])
    one = clients(OTHER)("apigateway", "eu-west-1")
    assert clients(OTHER)("apigateway", "eu-west-1") is one
    assert clients(DEFAULT)("apigateway", "eu-west-1") is not one
    assert clients(OTHER)("apigateway", "us-east-1") is not one
    current[OTHER] = Credentials("a2", "s", "t")
    assert clients(OTHER)("apigateway", "eu-west-1") is not one
    assert made == [
        ("apigateway", "eu-west-1", "a1"),
        ("apigateway", "eu-west-1", "b1"),
        ("apigateway", "us-east-1", "a1"),
        ("apigateway", "eu-west-1", "a2"),
    ]
    with pytest.raises(ValueError, match="no account"):
        clients("")


def test_the_worker_runs_with_its_execution_role_credentials_until_they_are_due(tmp_path: Path) -> None:
    clock, calls = StsClock(), list[tuple[str, str, int]]()
    sessions = RoleSessions(_sts(clock, calls), clock=clock)
    pool = WorkerPool(
        tmp_path,
        "http://127.0.0.1:9999",
        python=sys.executable,
        credentials=lambda config: sessions.for_role(config.role, config.name),
        clock=clock,
    )
    role = f"arn:aws:iam::{OTHER}:role/echo-role"
    config = dataclasses.replace(_config(_package()), role=role)
    try:
        first = _invoke(pool, config, {})
        assert first.kind == "result", first
        env = first.payload["env"]
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
            "ASIA1",
            "secret1",
            "token1",
        )
        assert calls == [(role, "echo", SESSION_SECONDS)]  # the session is named after the function
        clock.now += SESSION_SECONDS - REFRESH_MARGIN - 1
        warm = _invoke(pool, config, {})
        assert warm.payload["pid"] == first.payload["pid"] and len(calls) == 1
        clock.now += 1  # due: a new worker with renewed credentials
        renewed = _invoke(pool, config, {})
        assert renewed.payload["pid"] != first.payload["pid"]
        assert renewed.payload["env"]["AWS_ACCESS_KEY_ID"] == "ASIA2" and renewed.payload["count"] == 1
        other_role = _invoke(pool, dataclasses.replace(config, role=f"arn:aws:iam::{OTHER}:role/other"), {})
        assert other_role.payload["pid"] != renewed.payload["pid"]  # a new role is a new worker
        assert other_role.payload["env"]["AWS_ACCESS_KEY_ID"] == "ASIA3"
    finally:
        pool.shutdown()


def test_a_role_that_cannot_be_assumed_fails_the_invocation_without_a_worker(tmp_path: Path) -> None:
    def refuse(config: FunctionConfig) -> Credentials:
        raise RuntimeError("STS says no")

    pool = WorkerPool(tmp_path, "http://127.0.0.1:9999", python=sys.executable, credentials=refuse)
    try:
        outcome = _invoke(pool, _config(_package()), {})
        assert outcome.kind == "error"
        assert outcome.payload["errorType"] == "Runtime.AssumeRoleFailed"
        assert "STS says no" in outcome.payload["errorMessage"]
        assert pool.workers() == []
    finally:
        pool.shutdown()


def test_a_function_config_carries_its_execution_role() -> None:
    described = {
        "FunctionArn": f"arn:aws:lambda:eu-west-1:{OTHER}:function:f",
        "FunctionName": "f",
        "CodeSha256": "abc=",
        "Role": f"arn:aws:iam::{OTHER}:role/f-role",
    }
    config = FunctionConfig.from_api(described)
    assert (config.account, config.role) == (OTHER, described["Role"])
    assert config.version != dataclasses.replace(config, role=f"arn:aws:iam::{OTHER}:role/g").version


def test_an_access_log_line_is_the_stages_format_with_its_context():
    from local_aws.emulator.frontdoor.access_logs import AccessLog, line  # noqa: PLC0415

    fmt = '{"requestId":"$context.requestId","status":"$context.status","waf":"$context.waf.error"}'
    assert line(fmt, {"requestId": "r-1", "status": 201}) == '{"requestId":"r-1","status":"201","waf":"-"}'
    log = AccessLog("arn:aws:logs:eu-west-1:111111111111:log-group:/aws/apigateway/payments-dev-api/access:*", fmt)
    assert log.group == "/aws/apigateway/payments-dev-api/access"
