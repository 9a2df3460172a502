"""The emulator's stack updates (local_aws/emulator/stack_lifecycle.py) on a private emulator, straight
through CloudFormation's API: what CloudFormation refuses in one update is refused here too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local_aws.client import control
from tests.integration.conftest import start_emulator, tooling_client

pytestmark = pytest.mark.integration
REGION = "eu-west-1"
# CloudFormation's words (the emulator runs in its own environment: its modules are not imported here).
ONE_INDEX_CHANGE = "Cannot perform more than one GSI creation or deletion in a single update"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.Emulator]:
    state = tmp_path_factory.mktemp("stack-lifecycle")
    try:
        yield start_emulator(state)
    finally:
        control.stop(state)


@pytest.fixture
def cloudformation(emulator: control.Emulator) -> Any:
    return tooling_client(emulator, "cloudformation", REGION)


def _table(name: str, *indexes: str) -> dict[str, Any]:
    attributes = ["id", *indexes]
    return {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": name,
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": name,
                            "KeySchema": [{"AttributeName": name, "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                        for name in indexes
                    ],
                },
            }
        }
    }


def _indexes(emulator: control.Emulator, table: str) -> list[str]:
    described = tooling_client(emulator, "dynamodb", REGION).describe_table(TableName=table)["Table"]
    return sorted(i["IndexName"] for i in described.get("GlobalSecondaryIndexes", []))


def test_two_index_changes_in_one_update_fail_and_roll_back_as_cloudformation_does(emulator, cloudformation):
    cloudformation.create_stack(StackName="renamed", TemplateBody=json.dumps(_table("renamed", "byCustomer")))
    # A renamed index is a deletion and a creation: DynamoDB takes one at a time.
    cloudformation.update_stack(StackName="renamed", TemplateBody=json.dumps(_table("renamed", "byPayer")))
    (stack,) = cloudformation.describe_stacks(StackName="renamed")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason") for e in cloudformation.describe_stack_events(StackName="renamed")["StackEvents"]
    ]
    assert ONE_INDEX_CHANGE in reasons
    assert _indexes(emulator, "renamed") == ["byCustomer"]


def test_one_index_change_at_a_time_is_an_update(cloudformation):
    cloudformation.create_stack(StackName="added", TemplateBody=json.dumps(_table("added", "byCustomer")))
    cloudformation.update_stack(StackName="added", TemplateBody=json.dumps(_table("added", "byCustomer", "byPayer")))
    (stack,) = cloudformation.describe_stacks(StackName="added")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"  # (moto's table keeps its indexes as they were created)
