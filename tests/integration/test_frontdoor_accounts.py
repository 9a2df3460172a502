"""The local front door with one account per environment: a REST API, its Lambda function
and the function's DynamoDB table made directly through boto3 in another account than the
emulator's default (with AssumeRole credentials), side by side with the same made in the
default account. Each request is served from the API's own account, and each handler writes
with its execution role's credentials, into its own account's table only."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local_aws.client import control
from tests.integration.conftest import start_emulator

REGION = "eu-west-1"
DEFAULT = "123456789012"  # where the emulator's fixed credentials act
OTHER = "111111111111"
TABLE = "frontdoor-accounts"  # the same name in both accounts
FUNCTION = "writer"  # likewise

HANDLER = """
import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
STS = boto3.client("sts")


def handler(event, context):
    tag = (event.get("queryStringParameters") or {}).get("tag", "untagged")
    TABLE.put_item(Item={"id": tag, "request": context.aws_request_id})
    body = {
        "caller": STS.get_caller_identity()["Account"],
        "accountId": event["requestContext"]["accountId"],
        "session": bool(os.environ.get("AWS_SESSION_TOKEN")),
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
"""

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.Emulator]:
    """A private emulator for this module (it overrides the session's)."""
    state = tmp_path_factory.mktemp("frontdoor-accounts")
    running = start_emulator(state)
    yield running
    control.stop(state)


Clients = Any  # (service) -> boto3 client acting in one account


def _clients(emulator: control.Emulator, account: str) -> Clients:
    fixed = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if account == DEFAULT:
        credentials: dict[str, str] = fixed
    else:
        sts = boto3.client("sts", region_name=REGION, endpoint_url=emulator.url, **fixed)
        assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/deployer", RoleSessionName="test")
        credentials = {
            "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
            "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
            "aws_session_token": assumed["Credentials"]["SessionToken"],
        }

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=emulator.url, **credentials)

    assert client("sts").get_caller_identity()["Account"] == account
    return client


def _package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


@dataclass
class Deployed:
    account: str
    client: Clients
    api_id: str
    function_arn: str

    def stored(self, tag: str) -> bool:
        item = self.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": tag}})
        return "Item" in item


def _deploy(client: Clients) -> tuple[str, str]:
    """The table, the function (its role in the same account) and a REST API whose GET /
    is the function's Lambda proxy integration, deployed to stage "live"."""
    client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    role = client("iam").create_role(RoleName=f"{FUNCTION}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    # What the handler does, and nothing else: the emulator enforces the role's policy, as IAM does.
    table_arn = client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableArn"]
    client("iam").put_role_policy(
        RoleName=f"{FUNCTION}-role",
        PolicyName="write-its-table",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn}],
            }
        ),
    )
    function_arn: str = client("lambda").create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": _package(HANDLER)},
        Timeout=10,
        Environment={"Variables": {"TABLE": TABLE}},
    )["FunctionArn"]
    apigw = client("apigateway")
    api_id: str = apigw.create_rest_api(name="accounts")["id"]
    root_id = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root_id, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id,
        resourceId=root_id,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apigw.create_deployment(restApiId=api_id, stageName="live")
    return api_id, function_arn


@pytest.fixture(scope="module")
def deployed(emulator: control.Emulator) -> dict[str, Deployed]:
    made = {}
    for account in (OTHER, DEFAULT):
        client = _clients(emulator, account)
        api_id, function_arn = _deploy(client)
        assert f":{account}:" in function_arn
        made[account] = Deployed(account, client, api_id, function_arn)
    return made


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _tag() -> str:
    return uuid.uuid4().hex[:12]


@pytest.mark.parametrize("account", [OTHER, DEFAULT])
def test_an_api_is_served_from_its_account_and_its_handler_writes_there_only(
    emulator: control.Emulator, deployed: dict[str, Deployed], account: str
) -> None:
    here = deployed[account]
    elsewhere = deployed[DEFAULT if account == OTHER else OTHER]
    tag = _tag()
    status, body = _get(f"{emulator.frontdoor_url}/restapis/{here.api_id}/live/?tag={tag}")
    assert status == 200, body
    assert body == {"caller": account, "accountId": account, "session": True}  # the execution role's credentials
    assert here.stored(tag)
    assert not elsewhere.stored(tag)


def test_a_distribution_in_another_account_reaches_its_stage(
    emulator: control.Emulator, deployed: dict[str, Deployed]
) -> None:
    other = deployed[OTHER]
    distribution = other.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": _tag(),
            "Comment": "accounts",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "api",
                        "DomainName": f"{other.api_id}.execute-api.{REGION}.amazonaws.com",
                        "OriginPath": "/live",
                        "CustomHeaders": {"Quantity": 0, "Items": []},
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "api",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            },
        }
    )["Distribution"]
    assert f":{OTHER}:" in distribution["ARN"]
    tag = _tag()
    status, body = _get(f"{emulator.frontdoor_url}/distributions/{distribution['Id']}/?tag={tag}")
    assert status == 200, body
    assert body["caller"] == body["accountId"] == OTHER
    assert other.stored(tag)
    assert not deployed[DEFAULT].stored(tag)


def test_an_id_no_account_holds_is_not_found(emulator: control.Emulator, deployed: dict[str, Deployed]) -> None:
    assert _get(f"{emulator.frontdoor_url}/restapis/nosuchapi/live/")[0] == 404
    assert _get(f"{emulator.frontdoor_url}/distributions/ENOSUCHDIST/")[0] == 404
