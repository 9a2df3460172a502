"""Encryption, retention and Object Lock as CloudFormation sets them, where moto's own
CloudFormation models drop them (the rotation schedule is a model:
local_aws/emulator/services/secretsmanager.py). Without these, a launched stack would read back
unencrypted and unlocked however its template says otherwise. Registered by
local_aws/emulator/registry.py, after the models and the code signing patches.

What each patch restores (moto 5.2, local_aws.emulator.services.base.MOTO_VERSION):
- AWS::KMS::Key: the key policy kept as JSON text (moto keeps the template's object, and
  then fails on every call that checks the policy), and tags in KMS's own shape (moto fails
  on a template's tags).
- AWS::Logs::LogGroup: KmsKeyId (moto reads only the API's `kmsKeyId`).
- AWS::DynamoDB::Table: SSESpecification.SSEEnabled (the API's `Enabled`), so
  DescribeTable shows the table's KMS key.
- AWS::S3::Bucket: ObjectLockEnabled and ObjectLockConfiguration.
- AWS::Lambda::Function: KmsKeyArn (moto reads only the API's `KMSKeyArn`).
- S3 deletes: a bucket policy's Deny applies to them, for every caller (moto applies bucket
  policies only with IAM enforcement on), e.g. the logs bucket's KeepEveryLogVersion.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.models.table import Table
from moto.kms.models import Key
from moto.logs.models import LogGroup
from moto.s3.exceptions import AccessDeniedByLock
from moto.s3.models import FakeBucket, S3Backend

from local_aws.emulator.resource_policies import ANYONE, REQUEST_CONTEXT, decision

DAY = 86400


def _log_group_key(group: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    group.kms_key_id = props.get("KmsKeyId")


def _table_encryption(table: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    sse = props.get("SSESpecification") or {}
    if sse.get("SSEEnabled") and sse.get("SSEType") == "KMS":
        table.sse_specification = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": sse.get("KMSMasterKeyId")}
    else:  # DynamoDB's own key: DescribeTable shows no SSEDescription
        table.sse_specification = None


def _bucket_lock(bucket: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    """Set directly: S3 allows Object Lock on an existing versioned bucket, moto only on an
    empty one."""
    retention = props.get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention", {})
    if props.get("ObjectLockEnabled"):
        bucket.object_lock_enabled = True
        bucket.default_lock_mode = retention.get("Mode")
        bucket.default_lock_days = retention.get("Days")
        bucket.default_lock_years = retention.get("Years")


def _function_key(function: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    function.kms_key_arn = props.get("KmsKeyArn")


Restore = Callable[[Any, dict[str, Any], str, str], None]


def _after(model: Any, restore: Restore) -> None:
    """Run `restore` on what moto's create and update return."""
    create = model.create_from_cloudformation_json.__func__

    def created(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        made = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        restore(made, cloudformation_json["Properties"], account_id, region_name)
        return made

    model.create_from_cloudformation_json = classmethod(created)
    # Where moto has no update for the type it ignores every change to it; the restored
    # settings are then applied to the resource in place (as CloudFormation updates them).
    update = getattr(model.update_from_cloudformation_json, "__func__", None)
    if getattr(model.update_from_cloudformation_json, "__isabstractmethod__", False):
        update = None

    def updated(
        cls: Any,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        made = original_resource
        if update is not None:
            made = update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        restore(made, cloudformation_json["Properties"], account_id, region_name)
        return made

    model.update_from_cloudformation_json = classmethod(updated)


def _key_policy_as_text(model: Any) -> None:
    """The template's key policy and tags as moto's KMS backend takes them."""
    create = model.create_from_cloudformation_json.__func__

    def created(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        props = cloudformation_json["Properties"]
        if isinstance(props.get("KeyPolicy"), dict):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
        # KMS's API names tag fields TagKey/TagValue; templates name them Key/Value.
        props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags", [])]
        return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    model.create_from_cloudformation_json = classmethod(created)


_delete_object = S3Backend.delete_object


def _delete_unless_denied(
    self: S3Backend, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
) -> Any:
    """A bucket policy's Deny applies to every caller's deletes (moto applies bucket policies
    only with IAM enforcement on): e.g. the logs bucket's KeepEveryLogVersion."""
    bucket = self.get_bucket(bucket_name)
    action = "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject"
    resource = f"arn:aws:s3:::{bucket_name}/{key_name}"
    if decision(bucket.policy, ANYONE, action, resource, REQUEST_CONTEXT) == "Deny":
        raise AccessDeniedByLock()  # S3's own AccessDenied, "Access Denied"
    return _delete_object(self, bucket_name, key_name, version_id=version_id, bypass=bypass)


def register() -> None:
    """Patch moto's models (once)."""
    if getattr(Key, "_protection_patched", False):
        return
    S3Backend.delete_object = _delete_unless_denied  # type: ignore[method-assign]
    _key_policy_as_text(Key)
    _after(LogGroup, _log_group_key)
    _after(Table, _table_encryption)
    _after(FakeBucket, _bucket_lock)
    _after(LambdaFunction, _function_key)
    Key._protection_patched = True  # type: ignore[attr-defined]


__all__ = ["register"]
