"""Keys, encryption, the protected audit trail and the cursor key's rotation schedule, as the
launched dev and prod environments keep them (read back through the service APIs)."""

from __future__ import annotations

import json

import pytest

from blueprints.stacks.functions import DEPLOYED, LIVE_ALIAS, SECRET_ROTATOR
from local_aws.client.launched import LaunchedEnvironment

pytestmark = pytest.mark.integration


def _client(service: str, env: LaunchedEnvironment, stack: str):
    """A client in the environment's account, in the region of its `stack`."""
    return env.client(service, env.region(stack))


def test_prod_keeps_its_data_under_its_own_rotating_keys(launched):
    prod = launched["prod"]
    kms = _client("kms", prod, "data")
    keys = {stack: prod.output(stack, f"{stack.title()}KeyArn") for stack in ("data", "functions", "storage")}
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    for stack, arn in keys.items():
        metadata = kms.describe_key(KeyId=arn)["KeyMetadata"]
        assert metadata["KeyState"] == "Enabled" and metadata["KeyManager"] == "CUSTOMER", stack
        assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"], stack
        assert aliases[f"alias/payments-prod-{stack}"] == metadata["KeyId"], stack
        policy = json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
        admin = next(s for s in policy["Statement"] if s["Sid"] == "KeyAdministration")
        assert "kms:Decrypt" not in admin["Action"], stack

    dynamodb = _client("dynamodb", prod, "data")
    for table in ("Transactions", "Sessions", "Idempotency"):
        described = dynamodb.describe_table(TableName=prod.output("data", f"{table}TableName"))["Table"]
        assert described["SSEDescription"]["KMSMasterKeyArn"] == keys["data"], table

    lambda_ = _client("lambda", prod, "functions")
    logs = _client("logs", prod, "functions")
    for spec in DEPLOYED:
        name = prod.output("functions", f"{spec.title}FunctionName")
        assert lambda_.get_function_configuration(FunctionName=name)["KMSKeyArn"] == keys["functions"], spec.name
        (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
        assert group["kmsKeyId"] == keys["functions"], spec.name

    s3 = _client("s3", prod, "storage")
    for bucket, expected in (("Logs", keys["storage"]), ("Artifacts", keys["storage"]), ("ServerAccessLogs", None)):
        rules = s3.get_bucket_encryption(Bucket=prod.output("storage", f"{bucket}BucketName"))
        default = rules["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert default.get("KMSMasterKeyID") == expected, bucket
        assert default["SSEAlgorithm"] == ("aws:kms" if expected else "AES256"), bucket


def test_dev_uses_aws_managed_keys_as_its_settings_say(launched):
    dev = launched["dev"]
    aliases = [a["AliasName"] for a in _client("kms", dev, "data").list_aliases()["Aliases"]]
    # Only the alarm topics' key, which every environment has (CloudWatch cannot publish under
    # the AWS managed SNS key).
    assert [a for a in aliases if a.startswith("alias/payments-dev-")] == ["alias/payments-dev-alarm-topics"]
    table = _client("dynamodb", dev, "data").describe_table(TableName=dev.output("data", "SessionsTableName"))
    assert "SSEDescription" not in table["Table"]
    name = dev.output("functions", "PaymentProcessorFunctionName")
    assert "KMSKeyArn" not in _client("lambda", dev, "functions").get_function_configuration(FunctionName=name)


def test_no_version_of_prods_api_logs_can_be_deleted_and_devs_can(launched):
    """Prod's audit trail is kept by its bucket policy, whatever the log delivery sends: even
    the account's administrator cannot delete a version; in dev, whose settings do not ask
    for it, a version can be deleted."""
    for env, refused in (("prod", True), ("dev", False)):
        s3 = _client("s3", launched[env], "storage")
        bucket = launched[env].output("storage", "LogsBucketName")
        version = s3.put_object(Bucket=bucket, Key="E2ABC.2026-12-04-10.abcd.gz", Body=b"log line")["VersionId"]
        assert "ObjectLockConfiguration" not in _lock(s3, bucket), env
        if refused:
            with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
                s3.delete_object(Bucket=bucket, Key="E2ABC.2026-12-04-10.abcd.gz", VersionId=version)
            assert s3.get_object(Bucket=bucket, Key="E2ABC.2026-12-04-10.abcd.gz", VersionId=version)
        else:
            s3.delete_object(Bucket=bucket, Key="E2ABC.2026-12-04-10.abcd.gz", VersionId=version)


def _lock(s3, bucket: str) -> dict:
    try:
        return s3.get_object_lock_configuration(Bucket=bucket)
    except s3.exceptions.ClientError as err:
        assert "ObjectLockConfigurationNotFound" in str(err)
        return {}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_cursor_key_is_rotated_on_schedule_by_the_rotator(launched, env):
    environment = launched[env]
    secrets = _client("secretsmanager", environment, "functions")
    rotator = _client("lambda", environment, "functions").get_function_configuration(
        FunctionName=environment.output("functions", f"{SECRET_ROTATOR.title}FunctionName")
    )
    arn = environment.function_environment(next(s for s in DEPLOYED if s.reads_cursor_secret))["CURSOR_SECRET_ARN"]
    secret = secrets.describe_secret(SecretId=arn)
    assert secret["Name"] == f"payments-{env}-cursor-signing-key"
    assert secret["RotationEnabled"] is True
    # Secrets Manager invokes the rotator's live alias, like every caller of a function.
    assert secret["RotationLambdaARN"] == f"{rotator['FunctionArn']}:{LIVE_ALIAS}"
    assert secret["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert (secret.get("KmsKeyId") is not None) == (env == "prod")
