"""Customer-managed keys and the audit trail: the key block on its own, every data store of
every environment under its stack's key where the environment asks for keys, and the locked
API logs bucket."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from troposphere import Template, encode_to_dict

from blueprints.blocks import BlockError, EncryptionKey, KeyReference
from blueprints.blocks.key import ADMINISTRATION, log_group_arn
from blueprints.core.errors import ConfigError
from tests.conftest import ENVIRONMENTS

# What the data stores of a stack are, and where each keeps its key.
KEYED = {
    "AWS::DynamoDB::Table": lambda p: p["SSESpecification"].get("KMSMasterKeyId"),
    "AWS::SecretsManager::Secret": lambda p: p.get("KmsKeyId"),
    "AWS::Logs::LogGroup": lambda p: p.get("KmsKeyId"),
    "AWS::Lambda::Function": lambda p: p.get("KmsKeyArn"),
    "AWS::S3::Bucket": lambda p: p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ].get("KMSMasterKeyID"),
}
# The one store no customer-managed key can protect: S3 server access logging delivers only to
# buckets with SSE-S3 default encryption (S3 User Guide, "Enabling server access logging").
SSE_S3_ONLY = {("storage", "ServerAccessLogsBucket")}
ENCRYPTION_FINDINGS = {"CKV_AWS_119", "CKV_AWS_149", "CKV_AWS_158", "CKV_AWS_173", "CKV_AWS_145"}


def _key(**options: Any) -> tuple[dict[str, Any], EncryptionKey]:
    t = Template()
    defaults: dict[str, Any] = {"alias": "alias/orders-dev-data", "description": "orders tables"}
    key = EncryptionKey(t, "OrdersKey", **{**defaults, **options})
    return t.to_dict(), key


def _statements(template: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in template["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]}


def _accepted(resource: dict[str, Any]) -> set[str]:
    return {s["id"] for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def test_a_key_rotates_is_retained_and_only_administered_by_default():
    template, _ = _key()
    key = template["Resources"]["OrdersKey"]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    assert template["Resources"]["OrdersKeyAlias"]["Properties"]["AliasName"] == "alias/orders-dev-data"
    assert "OrdersKeyArn" in template["Outputs"]
    (admin,) = _statements(template, "OrdersKey").values()
    assert admin["Sid"] == "KeyAdministration"
    # The account manages the key but cannot use it: no cryptographic action, no wildcard.
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:*"} & set(admin["Action"])
    assert admin["Action"] == sorted(a.JSONrepr() for a in ADMINISTRATION)


def test_a_key_is_used_only_through_its_services_and_by_logs_for_its_groups():
    template, _ = _key(via_services=("dynamodb",), log_groups=(log_group_arn("/aws/lambda/orders-dev-*"),))
    statements = _statements(template, "OrdersKey")
    use = statements["UseThroughServices"]
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [{"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}]
    assert use["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    assert "kms:CreateGrant" not in use["Action"]
    assert statements["GrantsForServices"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": True}
    logs = statements["CloudWatchLogs"]
    assert logs["Principal"] == {"Service": [{"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}]}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/orders-dev-*"}
    ]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"alias": "alias/aws/dynamodb"}, "reserved"),
        ({"alias": "orders"}, "alias"),
        ({"deletion_window_days": 3}, "deletion_window_days"),
        ({"deletion_window_days": 31}, "deletion_window_days"),
    ],
)
def test_a_key_refuses_bad_options_by_name(options, words):
    with pytest.raises(BlockError, match=f"EncryptionKey 'OrdersKey'.*{words}"):
        _key(**options)


def test_grants_on_a_key_go_through_one_service_by_arn_or_alias():
    _, key = _key()
    by_arn = encode_to_dict(key.reference().grant_decrypt(sid="DecryptOrders", via_service="dynamodb"))
    assert by_arn["Resource"] == [{"Fn::GetAtt": ["OrdersKey", "Arn"]}]
    assert by_arn["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}}
    }
    by_alias = encode_to_dict(
        KeyReference.by_alias("alias/orders-dev-data").grant_decrypt(sid="D", via_service="dynamodb")
    )
    assert by_alias["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/orders-dev-data"}
    assert by_alias["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    with pytest.raises(ValueError, match="exactly one"):
        KeyReference()


def _templates(project, env: str) -> dict[str, dict[str, Any]]:
    environment = project.environments[env]
    return {stack: json.loads(environment.render(stack)) for stack in environment.stacks}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_data_store_is_under_its_own_stacks_key_where_the_environment_says_so(project, env):
    keyed = project.environments[env].settings.customer_managed_keys
    for stack, template in _templates(project, env).items():
        resources = template["Resources"]
        keys = {name for name, r in resources.items() if r["Type"] == "AWS::KMS::Key"}
        for name, resource in resources.items():
            if resource["Type"] not in KEYED:
                continue
            key = KEYED[resource["Type"]](resource["Properties"])
            where = f"{env}/{stack}/{name}"
            if keyed and (stack, name) not in SSE_S3_ONLY:
                assert key == {"Fn::GetAtt": [key["Fn::GetAtt"][0], "Arn"]}, where
                assert key["Fn::GetAtt"][0] in keys, f"{where} is not under its own stack's key"
                assert not _accepted(resource) & ENCRYPTION_FINDINGS, where
            else:
                assert key is None, where
                # An AWS-managed key is accepted only with the reason that is true here.
                skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
                reasons = [s["comment"] for s in skips if s["id"] in ENCRYPTION_FINDINGS]
                assert reasons, where
                assert all("settings" in r or "SSE-S3 buckets" in r for r in reasons), (where, reasons)
        if not keyed:
            assert not keys - ALARM_TOPIC_KEYS, f"{env}/{stack} has keys but the environment asks for none"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_keys_logs_statement_covers_exactly_its_stacks_log_groups(project, env):
    if not project.environments[env].settings.customer_managed_keys:
        pytest.skip(f"{env} uses AWS-managed keys")
    for stack, template in _templates(project, env).items():
        resources = template["Resources"]
        for name, group in resources.items():
            if group["Type"] != "AWS::Logs::LogGroup":
                continue
            key = resources[group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]]
            statements = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
            patterns = [
                p["Fn::Sub"].rsplit("log-group:", 1)[1]
                for p in statements["CloudWatchLogs"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
            ]
            log_name = group["Properties"].get("LogGroupName", f"${{AWS::StackName}}-{name}-")
            if isinstance(log_name, dict):  # a name made with Fn::Sub: its variables match "*"
                log_name = log_name["Fn::Sub"]
            assert any(fnmatch.fnmatchcase(str(log_name), p) for p in patterns), f"{env}/{stack}/{name}: {patterns}"


def test_the_functions_decrypt_the_tables_key_by_its_alias_through_dynamodb_only(project):
    data = json.loads(project.environments["prod"].render("data"))
    functions = json.loads(project.environments["prod"].render("functions"))
    alias = data["Resources"]["DataKeyAlias"]["Properties"]["AliasName"]
    for role in ("PaymentProcessorRole", "SessionManagerRole"):
        statements = functions["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        (decrypt,) = [s for s in statements if s["Sid"] == "DecryptTables"]
        assert decrypt["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
        assert decrypt["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": alias}
        assert decrypt["Condition"]["StringEquals"] == {
            "kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}
        }
    dev = json.loads(project.environments["dev"].render("functions"))
    assert "DecryptTables" not in json.dumps(dev)


# The alarm topics' key exists in every environment: CloudWatch cannot publish to a topic
# under the AWS managed SNS key (blueprints/blocks/alarms.py).
ALARM_TOPIC_KEYS = {"AlarmTopicsKey"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_alarm_topics_key_exists_in_every_environment(project, env):
    for stack in ("edge", "monitoring"):
        assert "AlarmTopicsKey" in _templates(project, env)[stack]["Resources"], (env, stack)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_keys_are_retained_where_data_is_and_wait_the_configured_window(project, env):
    settings = project.environments[env].settings
    for name, template in _templates(project, env).items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::KMS::Key":
                continue
            window = resource["Properties"]["PendingWindowInDays"]
            if logical_id in ALARM_TOPIC_KEYS:  # it encrypts messages in flight only
                assert resource["DeletionPolicy"] == "Delete", f"{env}/{name}"
                assert window == (settings.key_deletion_window_days or 30)
            else:
                assert resource["DeletionPolicy"] == ("RetainExceptOnCreate" if settings.retain_data else "Delete")
                assert window == settings.key_deletion_window_days


def test_prod_keeps_a_year_of_logs_everywhere(project):
    """PCI DSS 10.5.1: twelve months of audit trail."""
    for stack, template in _templates(project, "prod").items():
        for name, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Logs::LogGroup":
                assert resource["Properties"]["RetentionInDays"] >= 365, f"prod/{stack}/{name}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_api_logs_bucket_is_locked_where_the_environment_says_so(project, env):
    storage = json.loads(project.environments[env].render("storage"))
    logs = storage["Resources"]["LogsBucket"]["Properties"]
    days = project.environments[env].settings.stacks["storage"].get("logs_object_lock_days")
    if days is None:
        assert "ObjectLockConfiguration" not in logs
        assert "ObjectLockEnabled" not in logs
    else:
        assert logs["ObjectLockEnabled"] is True
        assert logs["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": days}},
        }
    # S3 server access logs never go to the lockable bucket: they have their own.
    artifacts = storage["Resources"]["ArtifactsBucket"]["Properties"]
    assert artifacts["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "ServerAccessLogsBucket"}
    assert "LoggingConfiguration" not in logs
    policy = storage["Resources"]["ServerAccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]
    assert any(s.get("Principal") == {"Service": ["logging.s3.amazonaws.com"]} for s in policy["Statement"])


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_no_version_of_the_api_logs_can_be_deleted_where_data_is_retained(project, env):
    """The audit trail's protection depends on nothing the log delivery sends: a bucket policy
    denies deleting any version to everyone, where a default-retention lock would make S3 refuse
    every upload without a checksum header (which CloudFront is not documented to send)."""
    storage = json.loads(project.environments[env].render("storage"))
    assert "ObjectLockConfiguration" not in storage["Resources"]["LogsBucket"]["Properties"]
    statements = storage["Resources"]["LogsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    keep = next(s for s in statements if s.get("Sid") == "KeepEveryLogVersion")
    assert keep["Effect"] == "Deny" and keep["Principal"] == "*" and "Condition" not in keep
    assert keep["Action"] == ["s3:DeleteObjectVersion"]
    assert {"Fn::Sub": "${LogsBucket.Arn}/*"} in keep["Resource"]


def test_a_lock_longer_than_the_logs_live_is_refused_by_name(project_copy):
    from blueprints.project import load_project  # noqa: PLC0415

    def lock_too_long(config: dict[str, Any]) -> None:
        config["environment"]["stacks"]["storage"]["logs_object_lock_days"] = 400

    with pytest.raises(ConfigError, match="exceeds log_expiration_days") as err:
        load_project(project_copy("prod", lock_too_long))
    assert (err.value.environment, err.value.stack, err.value.field) == ("prod", "storage", "logs_object_lock_days")
