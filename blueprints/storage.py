"""Storage: the API logs bucket (CloudFront and S3 access logs) and the artifacts bucket
the Lambda packages are uploaded to.

Bucket names are globally unique by construction: environment, account id and region.
"""

from __future__ import annotations

from awacs import s3 as awss3
from awacs.aws import Allow as AllowEffect
from awacs.aws import ArnLike, Condition, Principal, Statement, StringEquals
from pydantic import Field
from troposphere import AccountId, GetAtt, Ref, Sub, Template, s3

from blueprints.blocks import SecureBucket
from blueprints.core import Blueprint, PositiveInt, RetainData, StackConfig, accept_finding, add_output, per_environment

ACCESS_LOG_PREFIX = "s3-access/"


class StorageConfig(StackConfig):
    """Inputs of the storage stack."""

    log_expiration_days: PositiveInt = per_environment(
        description="Days after which log objects (and old versions) expire."
    )
    artifact_noncurrent_days: PositiveInt = Field(
        30, description="Days an artifact version is kept after a newer one replaces it (default 30)."
    )
    logs_bucket_prefix: str = Field(
        "api-logs",
        pattern=r"^[a-z][a-z0-9-]{2,15}$",
        description=(
            "First part of the logs bucket's name, `<prefix>-<environment>-<account>-<region>` (default "
            "api-logs); projects sharing an account need different ones."
        ),
    )
    retain_data: RetainData


class StorageBlueprint(Blueprint[StorageConfig]):
    name = "storage"
    description = "S3 buckets for API logs and Lambda artifacts"
    config_model = StorageConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        logs = SecureBucket(
            t,
            "LogsBucket",
            name=Sub(f"{cfg.logs_bucket_prefix}-{self.context.environment}-${{AWS::AccountId}}-${{AWS::Region}}"),
            # CloudFront standard logging writes through ACLs, so this bucket keeps them.
            object_ownership="BucketOwnerPreferred",
            lifecycle_rules=[
                s3.LifecycleRule(
                    Id="expire-logs",
                    Status="Enabled",
                    ExpirationInDays=cfg.log_expiration_days,
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=cfg.log_expiration_days),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
                )
            ],
            retain=cfg.retain_data,
        )
        accept_finding(logs.resource, "CKV_AWS_18", "this is the terminal log bucket: logging it to itself would loop")
        accept_finding(
            logs.resource, "CKV_AWS_145", "SSE-S3: CloudFront standard logging cannot write to SSE-KMS buckets"
        )
        artifacts = SecureBucket(
            t,
            "ArtifactsBucket",
            name=Sub(f"{self.context.name('artifacts')}-${{AWS::AccountId}}-${{AWS::Region}}"),
            lifecycle_rules=[
                s3.LifecycleRule(
                    Id="expire-replaced-artifacts",
                    Status="Enabled",
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                        NoncurrentDays=cfg.artifact_noncurrent_days
                    ),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
                )
            ],
            access_logs_bucket=Ref(logs.resource),
            access_logs_prefix=f"{ACCESS_LOG_PREFIX}artifacts/",
            retain=cfg.retain_data,
        )
        accept_finding(
            artifacts.resource,
            "CKV_AWS_145",
            "SSE-S3: build artifacts hold no secrets; KMS would add key grants to every deployer",
        )
        logs.policy(
            Statement(
                Sid="AllowS3ServerAccessLogs",
                Effect=AllowEffect,
                Principal=Principal("Service", ["logging.s3.amazonaws.com"]),
                Action=[awss3.PutObject],
                Resource=[logs.objects(ACCESS_LOG_PREFIX)],
                Condition=Condition(
                    [ArnLike("aws:SourceArn", artifacts.arn), StringEquals("aws:SourceAccount", AccountId)]
                ),
            )
        )
        artifacts.policy()

        add_output(t, "LogsBucketName", Ref(logs.resource), "API logs bucket")
        add_output(t, "LogsBucketArn", logs.arn, "API logs bucket ARN")
        add_output(
            t,
            "LogsBucketDomainName",
            GetAtt(logs.resource, "DomainName"),
            "API logs bucket domain (CloudFront logging)",
        )
        add_output(t, "ArtifactsBucketName", Ref(artifacts.resource), "Lambda artifacts bucket")
        add_output(t, "ArtifactsBucketArn", artifacts.arn, "Lambda artifacts bucket ARN")
