"""Logical IDs of stateful resources are frozen API.

Renaming one makes CloudFormation delete the old resource and create an empty new one.
If this test fails, the change destroys data: rename back, or plan a migration.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import ENVIRONMENTS

# Everything a protected environment retains, by (stack, logical ID). Written out on purpose,
# not derived from FUNCTIONS or the blueprints: a derived list would follow a rename.
FROZEN = {
    ("data", "TransactionsTable"): "AWS::DynamoDB::Table",
    ("data", "SessionsTable"): "AWS::DynamoDB::Table",
    ("data", "IdempotencyTable"): "AWS::DynamoDB::Table",
    ("storage", "LogsBucket"): "AWS::S3::Bucket",
    ("storage", "ArtifactsBucket"): "AWS::S3::Bucket",
    ("storage", "ServerAccessLogsBucket"): "AWS::S3::Bucket",
    ("zone", "HostedZone"): "AWS::Route53::HostedZone",
    ("identity", "UserPool"): "AWS::Cognito::UserPool",
    ("network", "FlowLogGroup"): "AWS::Logs::LogGroup",
    ("functions", "PaymentProcessorLogGroup"): "AWS::Logs::LogGroup",
    ("functions", "SessionManagerLogGroup"): "AWS::Logs::LogGroup",
    ("functions", "SecretRotatorLogGroup"): "AWS::Logs::LogGroup",
    ("api", "AccessLogGroup"): "AWS::Logs::LogGroup",
    ("api", "ExecutionLogGroup"): "AWS::Logs::LogGroup",
    ("edge", "WebAclLogGroup"): "AWS::Logs::LogGroup",
}
# The customer-managed keys, where the environment has them: losing one loses its data.
FROZEN_KEYS = {
    ("data", "DataKey"): "AWS::KMS::Key",
    ("functions", "FunctionsKey"): "AWS::KMS::Key",
    ("storage", "StorageKey"): "AWS::KMS::Key",
    ("network", "NetworkKey"): "AWS::KMS::Key",
    ("api", "ApiKey"): "AWS::KMS::Key",
    ("edge", "EdgeKey"): "AWS::KMS::Key",
}
# The alarm topics' keys, in every environment (CloudWatch cannot publish under the AWS managed
# SNS key): frozen like every key, never retained (they encrypt messages in flight only).
ALARM_TOPIC_KEYS = {
    ("edge", "AlarmTopicsKey"): "AWS::KMS::Key",
    ("monitoring", "AlarmTopicsKey"): "AWS::KMS::Key",
}
STATEFUL_TYPES = {
    "AWS::KMS::Key",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Route53::HostedZone",
    "AWS::Logs::LogGroup",
    "AWS::Cognito::UserPool",
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stateful_logical_ids_and_types_are_frozen(project, rendered, env):
    found = {
        (stack, logical_id): resource["Type"]
        for stack, item in rendered[env].items()
        for logical_id, resource in json.loads(item.template)["Resources"].items()
        if resource["Type"] in STATEFUL_TYPES
    }
    assert found == {**_frozen(project, env), **ALARM_TOPIC_KEYS}


def _frozen(project, env):
    return {**FROZEN, **(FROZEN_KEYS if project.environments[env].settings.customer_managed_keys else {})}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environments_that_retain_data_retain_exactly_the_frozen_resources(project, rendered, env):
    retained = {
        (stack, logical_id): resource["Type"]
        for stack, item in rendered[env].items()
        for logical_id, resource in json.loads(item.template)["Resources"].items()
        if resource.get("DeletionPolicy") == "RetainExceptOnCreate" and resource.get("UpdateReplacePolicy") == "Retain"
    }
    assert retained == (_frozen(project, env) if project.environments[env].settings.retain_data else {})
