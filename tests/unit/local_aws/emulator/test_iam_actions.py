"""What the emulator's IAM enforcement checks an API call against: the IAM actions and resource
ARNs AWS's Service Authorization Reference gives for each DynamoDB, CloudFormation and Secrets
Manager operation the functions and deployers make."""

from __future__ import annotations

import pytest

from local_aws.emulator.iam_enforcement import ACTIONS

REGION, ACCOUNT = "eu-west-1", "111111111111"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def _requests(service: str, operation: str, body: dict) -> list[tuple[str, str]]:
    return ACTIONS[service](operation, body, REGION, ACCOUNT)


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        ("GetItem", {"TableName": "payments"}, [("dynamodb:GetItem", f"{TABLE}/payments")]),
        (
            "Query",
            {"TableName": "payments", "IndexName": "by-customer"},
            [("dynamodb:Query", f"{TABLE}/payments/index/by-customer")],
        ),
        ("Scan", {"TableName": "payments"}, [("dynamodb:Scan", f"{TABLE}/payments")]),
        (
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "payments"}}, {"ConditionCheck": {"TableName": "keys"}}]},
            [("dynamodb:PutItem", f"{TABLE}/payments"), ("dynamodb:ConditionCheckItem", f"{TABLE}/keys")],
        ),
        (
            "TransactGetItems",  # each Get is authorised as a GetItem on its table
            {"TransactItems": [{"Get": {"TableName": "payments"}}, {"Get": {"TableName": "keys"}}]},
            [("dynamodb:GetItem", f"{TABLE}/payments"), ("dynamodb:GetItem", f"{TABLE}/keys")],
        ),
        (
            "BatchGetItem",
            {"RequestItems": {"payments": {}, "keys": {}}},
            [("dynamodb:BatchGetItem", f"{TABLE}/payments"), ("dynamodb:BatchGetItem", f"{TABLE}/keys")],
        ),
        ("BatchWriteItem", {"RequestItems": {"keys": []}}, [("dynamodb:BatchWriteItem", f"{TABLE}/keys")]),
        ("ListTables", {}, []),  # no table: not a resource-level action
    ],
)
def test_a_dynamodb_call_is_checked_against_each_table_or_index_it_touches(
    operation: str, body: dict, expected: list[tuple[str, str]]
) -> None:
    assert _requests("dynamodb", operation, body) == expected


@pytest.mark.parametrize(
    ("body", "resource"),
    [
        ({}, "*"),  # e.g. ValidateTemplate: no stack
        ({"StackName": "payments-dev-api"}, f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/payments-dev-api/"),
        (
            {"StackName": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/payments-dev-api/abc"},
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/payments-dev-api/abc",
        ),
    ],
)
def test_a_stack_action_names_its_stack_as_policies_do(body: dict, resource: str) -> None:
    ((action, checked),) = _requests("cloudformation", "UpdateStack", body)
    assert action == "cloudformation:UpdateStack"
    assert checked.startswith(resource)


def test_a_secrets_call_without_a_known_secret_is_left_to_secrets_manager() -> None:
    assert _requests("secretsmanager", "GetSecretValue", {}) == []
    assert _requests("secretsmanager", "GetSecretValue", {"SecretId": "payments-dev-absent"}) == []
