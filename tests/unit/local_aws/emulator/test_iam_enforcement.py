"""The emulator's identity policies (local_aws/emulator/iam_enforcement.py), on moto in-process:
a role's managed policies count as its inline ones do, each by its default version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_aws.emulator.iam_enforcement import _policies, denied

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/payments"


def _document(action: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": TABLE}]}
    )


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_role(RoleName="handler", AssumeRolePolicyDocument="{}")
        yield client


def test_a_managed_policy_grants_by_its_default_version(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="reads", PolicyDocument=_document("dynamodb:GetItem"))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=_document("dynamodb:Query"), SetAsDefault=True)
    iam.attach_role_policy(RoleName="handler", PolicyArn=arn)
    documents = _policies(ACCOUNT, "handler")
    assert documents is not None
    assert not denied(documents, "dynamodb:Query", TABLE)
    assert denied(documents, "dynamodb:GetItem", TABLE)  # the first version is no longer the policy


def test_inline_and_managed_policies_together(iam: Any) -> None:
    iam.put_role_policy(RoleName="handler", PolicyName="writes", PolicyDocument=_document("dynamodb:PutItem"))
    arn = iam.create_policy(PolicyName="reads", PolicyDocument=_document("dynamodb:GetItem"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="handler", PolicyArn=arn)
    documents = _policies(ACCOUNT, "handler")
    assert documents is not None
    assert not denied(documents, "dynamodb:PutItem", TABLE)
    assert not denied(documents, "dynamodb:GetItem", TABLE)
    assert denied(documents, "dynamodb:DeleteItem", TABLE)
    assert _policies(ACCOUNT, "nobody") is None
