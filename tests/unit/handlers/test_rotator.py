"""The cursor key's rotation: the rotator function driven by moto's own RotateSecret
(in-process), and the payment processor accepting cursors signed just before a rotation."""

from __future__ import annotations

import json

import boto3
import pytest
from moto.awslambda.models import LambdaBackend

from tests.unit.handlers.conftest import body, event

PAYMENT = {"amount": "12.50", "currency": "EUR"}
ROTATOR_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:payments-dev-secret-rotator"


@pytest.fixture
def rotate(aws, load, monkeypatch):
    """`rotate()` rotates the cursor secret as Secrets Manager does: RotateSecret invokes the
    rotation function once per step; here moto's Lambda runs ours in-process. Returns the
    steps it ran."""
    rotator = load("secret_rotator")
    steps: list[str] = []

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        request = json.loads(body)
        steps.append(request["Step"])
        rotator.handler(request, None)
        return b""

    monkeypatch.setattr(LambdaBackend, "get_function", lambda self, name, qualifier=None: object())
    monkeypatch.setattr(LambdaBackend, "invoke", invoke)
    client = boto3.client("secretsmanager")

    def run() -> list[str]:
        steps.clear()
        client.rotate_secret(SecretId=aws["CURSOR_SECRET_ARN"], RotationLambdaARN=ROTATOR_ARN)
        return list(steps)

    return run


def _value(stage: str, arn: str) -> str:
    return boto3.client("secretsmanager").get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]


def test_a_rotation_makes_a_new_current_key_and_keeps_the_old_one_as_previous(aws, rotate):
    arn = aws["CURSOR_SECRET_ARN"]
    before = _value("AWSCURRENT", arn)
    assert rotate() == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    after = _value("AWSCURRENT", arn)
    assert after != before and len(after) == 64 and after.isalnum()
    assert _value("AWSPREVIOUS", arn) == before
    rotate()
    assert _value("AWSPREVIOUS", arn) == after


def test_each_step_can_be_repeated(aws, rotate, load):
    """Secrets Manager retries a step that failed or timed out: a repeat changes nothing."""
    arn = aws["CURSOR_SECRET_ARN"]
    rotate()
    current = _value("AWSCURRENT", arn)
    client = boto3.client("secretsmanager")
    token = next(v for v, s in client.describe_secret(SecretId=arn)["VersionIdsToStages"].items() if "AWSCURRENT" in s)
    rotator = load("secret_rotator")
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotator.handler({"SecretId": arn, "ClientRequestToken": token, "Step": step}, None)
    assert _value("AWSCURRENT", arn) == current


def test_a_rotation_refuses_a_version_that_is_not_being_rotated(aws, load):
    rotator = load("secret_rotator")
    with pytest.raises(ValueError, match="not being rotated"):
        rotator.handler(
            {"SecretId": aws["CURSOR_SECRET_ARN"], "ClientRequestToken": "x" * 32, "Step": "createSecret"}, None
        )


def test_the_test_step_refuses_a_key_of_the_wrong_length(aws, load):
    arn = aws["CURSOR_SECRET_ARN"]
    client = boto3.client("secretsmanager")
    token = "t" * 32
    client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="short", VersionStages=["AWSPENDING"])
    with pytest.raises(ValueError, match="5 characters"):
        load("secret_rotator").handler({"SecretId": arn, "ClientRequestToken": token, "Step": "testSecret"}, None)


def _cursor(pay, number: int) -> str:
    for i in range(2):
        key = {"Idempotency-Key": f"key-rotation-{number}-{i}"}
        pay(event("POST", "/payments", {**PAYMENT, "amount": f"{i + 1}.00"}, headers=key), None)
    page = pay(event("GET", "/customers/{customerId}/payments", query={"limit": "1"}, customerId="cust-1"), None)
    return body(page)["nextCursor"]


def _follow(pay, cursor: str) -> int:
    request = event("GET", "/customers/{customerId}/payments", query={"cursor": cursor}, customerId="cust-1")
    return pay(request, None)["statusCode"]


def test_cursors_signed_before_a_rotation_stay_valid_until_the_next(aws, load, rotate, monkeypatch):
    pay = load("payment_processor")
    old = _cursor(pay.handler, 1)
    rotate()
    fresh = load("payment_processor")  # a container started after the rotation
    assert _follow(fresh.handler, old) == 200
    new = _cursor(fresh.handler, 2)
    assert new.partition(".")[2] != old.partition(".")[2] or new.partition(".")[0] != old.partition(".")[0]
    rotate()
    again = load("payment_processor")
    assert _follow(again.handler, new) == 200  # signed with what is now the previous key
    assert _follow(again.handler, old) == 400  # two rotations ago: refused


def test_running_containers_read_the_keys_again_after_a_while(aws, load, rotate, monkeypatch):
    pay = load("payment_processor")
    old = _cursor(pay.handler, 3)
    rotate()
    rotate()  # the old key is gone, but this container still has it cached
    assert _follow(pay.handler, old) == 200
    keys = pay.handler.routes[("GET", "/customers/{customerId}/payments")][1].__globals__["_keys"]
    keys["read"] -= pay.KEYS_READ_SECONDS  # as if five minutes had passed
    assert _follow(pay.handler, old) == 400
