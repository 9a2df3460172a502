"""The storage stack's blueprint."""

from __future__ import annotations

from awacs import s3 as awss3
from awacs.aws import Allow as AllowEffect
from awacs.aws import ArnLike, Condition, Principal, Statement, StringEquals
from awacs.aws import Deny as DenyEffect
from troposphere import AccountId, GetAtt, Ref, Sub, Template, s3, signer

from blueprints.blocks.bucket import SecureBucket
from blueprints.blocks.key import stack_key
from blueprints.core import Blueprint, add_output
from blueprints.stacks.storage.settings import StorageConfig

ACCESS_LOG_PREFIX = "s3-access/"


def _expire_logs(days: int) -> s3.LifecycleRule:
    return s3.LifecycleRule(
        Id="expire-logs",
        Status="Enabled",
        ExpirationInDays=days,
        NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=days),
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
    )


def _keep_every_version(bucket: SecureBucket) -> Statement:
    """Nobody deletes a version: the audit trail outlives any credentials until it expires."""
    return Statement(
        Sid="KeepEveryLogVersion",
        Effect=DenyEffect,
        Principal=Principal("*"),
        # Not PutLifecycleConfiguration: CloudFormation changes the expiration through it.
        Action=[awss3.DeleteObjectVersion],
        Resource=[bucket.arn, bucket.objects()],
    )


class StorageBlueprint(Blueprint[StorageConfig]):
    name = "storage"
    description = "S3 buckets for API logs and Lambda artifacts"
    config_model = StorageConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        key = stack_key(
            t,
            "StorageKey",
            settings=cfg,
            context=self.context,
            stack=self.name,
            holds="API logs and function packages",
            # The deployer uploads packages and Lambda reads them, both through S3.
            via_services=("s3",),
            log_delivery=True,
        )
        logs = SecureBucket(
            t,
            "LogsBucket",
            name=Sub(f"{cfg.logs_bucket_prefix}-{self.context.environment}-${{AWS::AccountId}}-${{AWS::Region}}"),
            # CloudFront standard logging writes through ACLs, so this bucket keeps them.
            object_ownership="BucketOwnerPreferred",
            lifecycle_rules=[_expire_logs(cfg.log_expiration_days)],
            retain=cfg.retain_data,
            kms_key=key.arn if key else None,
            kms_key_by_settings=True,
            object_lock_days=cfg.logs_object_lock_days,
            holds_logs=True,
        )
        access_logs = SecureBucket(
            t,
            "ServerAccessLogsBucket",
            name=Sub(f"{self.context.name('s3logs')}-${{AWS::AccountId}}-${{AWS::Region}}"),
            lifecycle_rules=[_expire_logs(cfg.log_expiration_days)],
            retain=cfg.retain_data,
            holds_logs=True,
            receives_server_access_logs=True,
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
            access_logs_bucket=Ref(access_logs.resource),
            access_logs_prefix=f"{ACCESS_LOG_PREFIX}artifacts/",
            retain=cfg.retain_data,
            kms_key=key.arn if key else None,
            kms_key_by_settings=True,
        )
        logs.policy(*([_keep_every_version(logs)] if cfg.logs_version_protection else []))
        access_logs.policy(
            Statement(
                Sid="AllowS3ServerAccessLogs",
                Effect=AllowEffect,
                Principal=Principal("Service", ["logging.s3.amazonaws.com"]),
                Action=[awss3.PutObject],
                Resource=[access_logs.objects(ACCESS_LOG_PREFIX)],
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
        add_output(t, "ServerAccessLogsBucketName", Ref(access_logs.resource), "S3 server access logs bucket")
        add_output(t, "ArtifactsBucketName", Ref(artifacts.resource), "Lambda artifacts bucket")
        add_output(t, "ArtifactsBucketArn", artifacts.arn, "Lambda artifacts bucket ARN")
        self._signing_profile(t)

    def _signing_profile(self, t: Template) -> None:
        """The AWS Signer profile that signs the function packages; the functions stack's code
        signing config allows only its current version. CloudFormation names it (ProfileName is
        read-only in the resource's schema); deleting the stack cancels it, and a canceled profile
        signs nothing more (https://docs.aws.amazon.com/signer/latest/api/API_CancelSigningProfile.html)."""
        profile = t.add_resource(
            signer.SigningProfile(
                "LambdaSigningProfile",
                PlatformId="AWSLambda-SHA384-ECDSA",
                SignatureValidityPeriod=signer.SignatureValidityPeriod(
                    Type="MONTHS", Value=self.config.signature_validity_months
                ),
            )
        )
        add_output(t, "SigningProfileName", GetAtt(profile, "ProfileName"), "Lambda signing profile name")
        add_output(
            t,
            "SigningProfileVersionArn",
            GetAtt(profile, "ProfileVersionArn"),
            "Lambda signing profile version ARN (the publisher functions accept)",
        )
