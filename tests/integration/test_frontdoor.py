"""The local front door over real HTTP, in front of an API built directly through the API
Gateway, Cognito and Lambda APIs on the emulator: routing, throttling, the Cognito
authorizer, request validation and the Lambda proxy integration, in API Gateway's order."""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from blueprints.stacks.api import GATEWAY_RESPONSES
from local_aws.client import control

REGION = "eu-west-1"
ADMIN_SCOPE = "aws.cognito.signin.user.admin"  # what the emulator's user access tokens hold
PASSWORD = "Str0ng!Passw0rd"

HANDLER = """
import json
import os

import boto3

S3 = boto3.client("s3")


def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    tag = headers.get("x-test-tag") or (event.get("queryStringParameters") or {}).get("tag", "untagged")
    S3.put_object(Bucket=os.environ["MARKER_BUCKET"], Key=f"invocations/{tag}/{context.aws_request_id}", Body=b"1")
    print("handler log line for", tag)
    if (event.get("pathParameters") or {}).get("id") == "boom":
        raise RuntimeError("boom")
    body = {
        "claims": (event["requestContext"].get("authorizer") or {}).get("claims"),
        "pathParameters": event["pathParameters"],
        "resource": event["resource"],
        "path": event["path"],
        "context": {k: event["requestContext"][k] for k in ("stage", "path", "resourcePath", "httpMethod")},
        "body": event["body"],
        "env": sorted(os.environ),
        "function": context.function_name,
        "pid": os.getpid(),
    }
    headers = {"Content-Type": "application/json", "X-Handler": "echo"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps(body)}
"""

ITEM_MODEL = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 20}},
}


def _clients(emulator: control.Emulator) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=emulator.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


def _package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def create_function(client: Any, name: str, environment: dict[str, str], source: str = HANDLER) -> str:
    role = client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    if "MARKER_BUCKET" in environment:  # what the handlers do, and nothing else: the emulator enforces it
        marks = {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{environment['MARKER_BUCKET']}/*",
        }
        client("iam").put_role_policy(
            RoleName=f"{name}-role",
            PolicyName="write-marks",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [marks]}),
        )
    function: str = client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _package(source)},
        Timeout=10,
        MemorySize=256,
        Environment={"Variables": environment},
    )["FunctionArn"]
    return function


def integration_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@dataclass
class Api:
    id: str
    bucket: str
    access_token: str
    id_token: str
    client: Any
    root_id: str
    function_arn: str

    def url(self, emulator: control.Emulator, path: str, stage: str = "live") -> str:
        return f"{emulator.frontdoor_url}/restapis/{self.id}/{stage}{path}"

    def invocations(self, tag: str) -> int:
        listed = self.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=f"invocations/{tag}/")
        return int(listed.get("KeyCount", 0))


@pytest.fixture(scope="module")
def api(emulator: control.Emulator) -> Api:
    client = _clients(emulator)
    suffix = uuid.uuid4().hex[:8]
    bucket = f"frontdoor-marks-{suffix}"
    client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    function_arn = create_function(client, f"frontdoor-echo-{suffix}", {"MARKER_BUCKET": bucket})

    cognito = client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"frontdoor-{suffix}")["UserPool"]
    cognito.create_resource_server(
        UserPoolId=pool["Id"],
        Identifier="https://items.example",
        Name="items",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read items"}],
    )
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    cognito.admin_create_user(UserPoolId=pool["Id"], Username="alice", TemporaryPassword=PASSWORD)
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username="alice", Password=PASSWORD, Permanent=True)
    tokens = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=app_client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]

    apigw = client("apigateway")
    api_id = apigw.create_rest_api(name=f"frontdoor-{suffix}")["id"]
    root_id = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="cognito",
        type="COGNITO_USER_POOLS",
        providerARNs=[pool["Arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]
    validator = apigw.create_request_validator(
        restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    apigw.create_model(
        restApiId=api_id, name="ItemRequest", contentType="application/json", schema=json.dumps(ITEM_MODEL)
    )
    items = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    profile = apigw.create_resource(restApiId=api_id, parentId=root_id, pathPart="profile")["id"]
    methods = [
        (items, "POST", [ADMIN_SCOPE], {"method.request.header.X-Test-Tag": True}, {"application/json": "ItemRequest"}),
        (item, "GET", [ADMIN_SCOPE], {"method.request.path.id": True, "method.request.header.X-Test-Tag": True}, {}),
        (profile, "GET", [], {}, {}),  # no scopes: an id token is required
    ]
    for resource, verb, scopes, parameters, models in methods:
        apigw.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=verb,
            authorizationType="COGNITO_USER_POOLS",
            authorizerId=authorizer,
            authorizationScopes=scopes,
            requestParameters=parameters,
            requestModels=models,
            requestValidatorId=validator,
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=verb,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=integration_uri(function_arn),
        )
    for response_type, template in GATEWAY_RESPONSES.values():
        apigw.put_gateway_response(
            restApiId=api_id,
            responseType=response_type,
            responseTemplates={"application/json": template},
            responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
            if response_type == "UNAUTHORIZED"
            else {},
        )
    deployment = apigw.create_deployment(restApiId=api_id, stageName="live")["id"]
    apigw.create_stage(restApiId=api_id, stageName="v1", deploymentId=deployment)
    apigw.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "5"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "5"},
        ],
    )
    return Api(api_id, bucket, tokens["AccessToken"], tokens["IdToken"], client, root_id, function_arn)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(url: str, method: str = "GET", token: str | None = None, body: Any = None, **headers: str) -> Answer:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, answer_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), dict(error.headers)
    return Answer(status, {k.lower(): v for k, v in answer_headers.items()}, json.loads(raw) if raw else None)


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def test_a_user_token_reaches_the_handler_which_sees_its_claims(emulator: control.Emulator, api: Api) -> None:
    tag = _tag()
    answer = call(api.url(emulator, "/items/it%201"), token=api.access_token, X_Test_Tag=tag)
    assert answer.status == 200, answer
    assert answer.headers["x-handler"] == "echo"
    assert answer.headers["x-amzn-requestid"]
    body = answer.body
    claims = body["claims"]
    assert claims["token_use"] == "access"
    assert claims["username"] == "alice"
    assert ADMIN_SCOPE in claims["scope"].split()
    assert claims["iss"].endswith("/" + claims["iss"].rsplit("/", 1)[1])
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime()))  # "Mon Jun 15 05:56:21 UTC 2026"
    assert body["pathParameters"] == {"id": "it 1"}
    assert (body["resource"], body["path"]) == ("/items/{id}", "/items/it 1")
    assert body["context"] == {
        "stage": "live",
        "path": "/live/items/it 1",
        "resourcePath": "/items/{id}",
        "httpMethod": "GET",
    }
    assert "MOTO_PORT" not in body["env"] and "EMULATOR_STATE_DIR" not in body["env"]  # nothing from the server
    assert {"MARKER_BUCKET", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_ENDPOINT_URL"} <= set(body["env"])
    assert api.invocations(tag) == 1
    again = call(api.url(emulator, "/items/it2"), token=f"Bearer {api.access_token}", X_Test_Tag=tag)
    assert again.status == 200 and again.body["pid"] == body["pid"]  # the same warm worker


def test_an_id_token_passes_a_method_without_scopes(emulator: control.Emulator, api: Api) -> None:
    answer = call(api.url(emulator, "/profile"), token=api.id_token)
    assert answer.status == 200, answer
    assert answer.body["claims"]["token_use"] == "id"
    assert answer.body["claims"]["cognito:username"] == "alice"


@pytest.mark.parametrize(
    "token",
    [None, "", "garbage", "Bearer garbage", "id token for an access method", "access token, tampered"],
)
def test_requests_without_a_valid_token_are_unauthorized(
    emulator: control.Emulator, api: Api, token: str | None
) -> None:
    if token == "id token for an access method":
        token = api.id_token
    elif token == "access token, tampered":
        header, payload, signature = api.access_token.split(".")
        token = f"{header}.{payload}.{signature[:-4]}AAAA"
    tag = _tag()
    answer = call(api.url(emulator, "/items/x"), token=token, X_Test_Tag=tag)
    assert answer.status == 401
    assert answer.body["error"]["message"] == "Unauthorized"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert api.invocations(tag) == 0


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/items/x"), ("GET", "/items")])
def test_unknown_routes_are_missing_authentication_token(
    emulator: control.Emulator, api: Api, method: str, path: str
) -> None:
    answer = call(api.url(emulator, path), method=method, token=api.access_token)
    assert answer.status == 403
    assert answer.body["error"]["message"] == "Missing Authentication Token"


def test_an_unknown_stage_is_forbidden(emulator: control.Emulator, api: Api) -> None:
    assert call(api.url(emulator, "/items/x", stage="nope"), token=api.access_token).status == 403


def test_a_missing_required_header_is_refused_before_the_handler(emulator: control.Emulator, api: Api) -> None:
    tag = _tag()
    url = api.url(emulator, f"/items?tag={tag}")
    answer = call(url, method="POST", token=api.access_token, body={"name": "a"})
    assert answer.status == 400
    assert answer.body["error"] == {
        "code": "ValidationError",
        "message": "Missing required request parameters: [X-Test-Tag]",
        "field": "parameters",
    }
    assert api.invocations(tag) == 0
    assert call(url, method="POST", token=api.access_token, body={"name": "a"}, X_Test_Tag=" ").status == 400  # blank
    assert call(url, method="POST", token=api.access_token, body={"name": "a"}, X_Test_Tag=tag).status == 200
    assert api.invocations(tag) == 1


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "a", "extra": 1}, b"{not json", [1]])
def test_an_invalid_body_is_refused_and_the_handler_not_invoked(
    emulator: control.Emulator, api: Api, body: Any
) -> None:
    tag = _tag()
    answer = call(api.url(emulator, "/items"), method="POST", token=api.access_token, body=body, X_Test_Tag=tag)
    assert answer.status == 400
    assert answer.body["error"]["message"] == "Invalid request body"
    assert api.invocations(tag) == 0
    valid = call(api.url(emulator, "/items"), method="POST", token=api.access_token, body={"name": "a"}, X_Test_Tag=tag)
    assert valid.status == 200 and json.loads(valid.body["body"]) == {"name": "a"}
    assert api.invocations(tag) == 1


def test_a_burst_over_the_stage_limit_is_throttled(emulator: control.Emulator, api: Api) -> None:
    url = api.url(emulator, "/items/x", stage="v1")  # rate 5/s, burst 5; no token: nothing reaches Lambda
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: call(url), range(20)))
    statuses = [a.status for a in answers]
    assert statuses.count(429) >= 5, statuses
    assert statuses.count(401) >= 5, statuses  # the burst went through to the authorizer
    throttled = next(a for a in answers if a.status == 429)
    assert throttled.body["error"]["message"] == "Too Many Requests"
    assert throttled.body["error"]["code"] == "THROTTLED"  # DEFAULT_4XX's template
    assert call(api.url(emulator, "/items/x")).status == 401  # another stage: its own limits


def test_a_handler_raising_is_a_502(emulator: control.Emulator, api: Api) -> None:
    tag = _tag()
    answer = call(api.url(emulator, "/items/boom"), token=api.access_token, X_Test_Tag=tag)
    assert answer.status == 502
    assert answer.body == {"error": {"code": "InternalError", "message": "internal error"}}  # DEFAULT_5XX
    assert api.invocations(tag) == 1
    assert call(api.url(emulator, "/items/ok"), token=api.access_token, X_Test_Tag=tag).status == 200


def test_a_new_deployment_is_picked_up(emulator: control.Emulator, api: Api) -> None:
    apigw = api.client("apigateway")
    url = api.url(emulator, "/later")
    assert call(url).status == 403  # not in the deployment being served
    later = apigw.create_resource(restApiId=api.id, parentId=api.root_id, pathPart="later")["id"]
    apigw.put_method(restApiId=api.id, resourceId=later, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api.id,
        resourceId=later,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=integration_uri(api.function_arn),
    )
    time.sleep(1.1)
    assert call(url).status == 403  # changed but not deployed: still the old deployment
    deployment = apigw.create_deployment(restApiId=api.id)["id"]
    apigw.update_stage(
        restApiId=api.id,
        stageName="live",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment}],
    )
    time.sleep(1.1)
    answer = call(url)
    assert answer.status == 200, answer
    assert answer.body["claims"] is None  # no authorizer on this method


@pytest.fixture
def private_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[control.Emulator, Path]]:
    state = tmp_path_factory.mktemp("frontdoor-emulator")
    emulator = control.start(state)
    yield emulator, state
    control.stop(state)


def _dead(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_workers_stop_with_the_emulator(private_emulator: tuple[control.Emulator, Path]) -> None:
    emulator, state = private_emulator
    client = _clients(emulator)
    client("s3").create_bucket(Bucket="marks", CreateBucketConfiguration={"LocationConstraint": REGION})
    function_arn = create_function(client, "echo", {"MARKER_BUCKET": "marks"})
    apigw = client("apigateway")
    api_id = apigw.create_rest_api(name="stop")["id"]
    root_id = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root_id, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id,
        resourceId=root_id,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=integration_uri(function_arn),
    )
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    answer = call(f"{emulator.frontdoor_url}/restapis/{api_id}/v1/")
    assert answer.status == 200, answer
    pid = answer.body["pid"]
    assert not _dead(pid)
    assert "handler log line" in (state / "frontdoor" / "logs" / "echo.log").read_text()  # not in the protocol
    assert (state / "frontdoor_port").read_text() == str(emulator.frontdoor_port)
    control.stop(state)
    deadline = time.monotonic() + 10
    while not _dead(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _dead(pid)
    assert not (state / "frontdoor_port").exists()
