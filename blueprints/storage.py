"""Storage: the API logs bucket (CloudFront and S3 access logs) and the artifacts bucket
the Lambda packages are uploaded to.

Bucket names are globally unique by construction: environment, account id and region.
"""

from __future__ import annotations

from awacs import s3 as awss3
from awacs.aws import Allow as AllowEffect
from awacs.aws import (
    ArnLike,
    Bool,
    Condition,
    Deny,
    Principal,
    Statement,
    StringEquals,
)
from pydantic import Field
from troposphere import AccountId, GetAtt, Ref, Sub, Template, s3

from blueprints.core import (
    Blueprint,
    PositiveInt,
    RetainData,
    StackConfig,
    accept_finding,
    add_output,
    per_environment,
    set_removal_policy,
)
from blueprints.core.iam import document

ACCESS_LOG_PREFIX = "s3-access/"


class StorageConfig(StackConfig):
    """Inputs of the storage stack."""

    log_expiration_days: PositiveInt = per_environment(
        description="Days after which log objects (and old versions) expire."
    )
    artifact_noncurrent_days: PositiveInt = Field(
        30, description="Days an artifact version is kept after a newer one replaces it (default 30)."
    )
    retain_data: RetainData


class StorageBlueprint(Blueprint[StorageConfig]):
    name = "storage"
    description = "S3 buckets for API logs and Lambda artifacts"
    config_model = StorageConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        logs_bucket = t.add_resource(
            _secure_bucket(
                "LogsBucket",
                Sub(f"api-logs-{self.context.environment}-${{AWS::AccountId}}-${{AWS::Region}}"),
                # CloudFront standard logging writes through ACLs, so this bucket keeps them
                # (owner-preferred); every other bucket has ACLs disabled.
                ownership="BucketOwnerPreferred",
                rules=[
                    s3.LifecycleRule(
                        Id="expire-logs",
                        Status="Enabled",
                        ExpirationInDays=cfg.log_expiration_days,
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                            NoncurrentDays=cfg.log_expiration_days
                        ),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
                    )
                ],
            )
        )
        accept_finding(logs_bucket, "CKV_AWS_18", "this is the terminal log bucket: logging it to itself would loop")
        accept_finding(
            logs_bucket, "CKV_AWS_145", "SSE-S3: CloudFront standard logging cannot write to SSE-KMS buckets"
        )
        artifacts_bucket = t.add_resource(
            _secure_bucket(
                "ArtifactsBucket",
                Sub(f"{self.context.name('artifacts')}-${{AWS::AccountId}}-${{AWS::Region}}"),
                ownership="BucketOwnerEnforced",
                rules=[
                    s3.LifecycleRule(
                        Id="expire-replaced-artifacts",
                        Status="Enabled",
                        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(
                            NoncurrentDays=cfg.artifact_noncurrent_days
                        ),
                        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
                    )
                ],
                logging=s3.LoggingConfiguration(
                    DestinationBucketName=Ref(logs_bucket), LogFilePrefix=f"{ACCESS_LOG_PREFIX}artifacts/"
                ),
            )
        )
        accept_finding(
            artifacts_bucket,
            "CKV_AWS_145",
            "SSE-S3: build artifacts hold no secrets; KMS would add key grants to every deployer",
        )
        for bucket in (logs_bucket, artifacts_bucket):
            set_removal_policy(bucket, retain=cfg.retain_data)

        t.add_resource(
            s3.BucketPolicy(
                "LogsBucketPolicy",
                Bucket=Ref(logs_bucket),
                PolicyDocument=document(
                    _deny_insecure_transport(logs_bucket),
                    Statement(
                        Sid="AllowS3ServerAccessLogs",
                        Effect=AllowEffect,
                        Principal=Principal("Service", ["logging.s3.amazonaws.com"]),
                        Action=[awss3.PutObject],
                        Resource=[Sub(f"${{{logs_bucket.title}.Arn}}/{ACCESS_LOG_PREFIX}*")],
                        Condition=Condition(
                            [
                                ArnLike("aws:SourceArn", GetAtt(artifacts_bucket, "Arn")),
                                StringEquals("aws:SourceAccount", AccountId),
                            ]
                        ),
                    ),
                ),
            )
        )
        t.add_resource(
            s3.BucketPolicy(
                "ArtifactsBucketPolicy",
                Bucket=Ref(artifacts_bucket),
                PolicyDocument=document(_deny_insecure_transport(artifacts_bucket)),
            )
        )

        add_output(t, "LogsBucketName", Ref(logs_bucket), "API logs bucket")
        add_output(t, "LogsBucketArn", GetAtt(logs_bucket, "Arn"), "API logs bucket ARN")
        add_output(
            t, "LogsBucketDomainName", GetAtt(logs_bucket, "DomainName"), "API logs bucket domain (CloudFront logging)"
        )
        add_output(t, "ArtifactsBucketName", Ref(artifacts_bucket), "Lambda artifacts bucket")
        add_output(t, "ArtifactsBucketArn", GetAtt(artifacts_bucket, "Arn"), "Lambda artifacts bucket ARN")


def _secure_bucket(
    title: str,
    name: object,
    *,
    ownership: str,
    rules: list[s3.LifecycleRule],
    logging: s3.LoggingConfiguration | None = None,
) -> s3.Bucket:
    """A bucket with SSE, versioning, all four public-access blocks and a lifecycle."""
    bucket = s3.Bucket(
        title,
        BucketName=name,
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
                    BucketKeyEnabled=True,
                )
            ]
        ),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership=ownership)]),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=rules),
    )
    if logging is not None:
        bucket.LoggingConfiguration = logging
    return bucket


def _deny_insecure_transport(bucket: s3.Bucket) -> Statement:
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        # A Deny on every S3 action is the documented way to enforce TLS; it grants nothing.
        Action=[awss3.Action("*")],
        Resource=[GetAtt(bucket, "Arn"), Sub(f"${{{bucket.title}.Arn}}/*")],
        Condition=Condition(Bool("aws:SecureTransport", False)),
    )
