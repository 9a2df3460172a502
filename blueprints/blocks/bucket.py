"""An S3 bucket, secure by default, with a TLS-only bucket policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from awacs import s3 as awss3
from awacs.aws import Bool, Condition, Deny, Principal, Statement
from pydantic import Field, model_validator
from troposphere import GetAtt, Ref, Sub, s3

from blueprints.blocks.base import Block, Options
from blueprints.core import accept_finding, set_removal_policy
from blueprints.core.iam import document
from blueprints.core.lazy import renamed
from blueprints.core.policies import ENCRYPTED_WITH_SSE_S3, SERVER_ACCESS_LOGS_NEED_SSE_S3, TERMINAL_LOG_BUCKET


class SecureBucketOptions(Options):
    name: object = Field(description="Physical bucket name (globally unique: include account and region).")
    lifecycle_rules: tuple[s3.LifecycleRule, ...] = Field(
        min_length=1, description="Lifecycle rules: at least one, so nothing is kept forever by accident."
    )
    object_ownership: Literal["BucketOwnerEnforced", "BucketOwnerPreferred"] = Field(
        default="BucketOwnerEnforced",
        description=(
            "BucketOwnerEnforced (default) disables ACLs; BucketOwnerPreferred keeps them for writers that "
            "need ACLs (CloudFront standard logging)."
        ),
    )
    access_logs_bucket: object | None = Field(
        default=None, description="Bucket (name or Ref) that receives this bucket's server access logs (default none)."
    )
    access_logs_prefix: str = Field(default="", description="Key prefix of the access logs (default none).")
    retain: bool = Field(
        default=True,
        description=(
            "Kept when deleted or replaced (default on: objects outlive the stack): DeletionPolicy "
            "RetainExceptOnCreate, UpdateReplacePolicy Retain."
        ),
    )
    kms_key: object | None = Field(
        default=None,
        description=(
            "ARN of a customer-managed KMS key for default encryption (SSE-KMS with bucket keys); default "
            "none: SSE-S3. Every writer must support SSE-KMS (S3 server access logging does not)."
        ),
    )

    kms_key_by_settings: bool = Field(
        default=False,
        description=(
            "`kms_key` follows the environment's `customer_managed_keys` setting (default off). Without a key, "
            "the scanner's finding on SSE-S3 is then accepted as the environment's decision; otherwise reported."
        ),
    )
    holds_logs: bool = Field(
        default=False,
        description=(
            "A bucket of logs (default off). Without `access_logs_bucket` it is then a terminal log bucket, "
            "itself not logged, and the scanner's finding on that is accepted with this reason; any other "
            "bucket without server access logs is reported."
        ),
    )
    receives_server_access_logs: bool = Field(
        default=False,
        description=(
            "The destination of other buckets' server access logs (default off): S3 delivers them only to "
            "SSE-S3 buckets, so it takes no `kms_key` and no `object_lock_days`."
        ),
    )
    object_lock_days: int | None = Field(
        default=None,
        ge=1,
        description=(
            "S3 Object Lock in governance mode with this default retention in days (default none). Nothing "
            "short of s3:BypassGovernanceRetention deletes or overwrites an object version before it ends. S3 "
            "refuses every upload without a Content-MD5 or checksum header to such a bucket: only for writers "
            "that send one (S3 server access logging cannot deliver to it; CloudFront's log delivery is not "
            "documented to)."
        ),
    )

    @model_validator(mode="after")
    def _prefix_needs_bucket(self) -> SecureBucketOptions:
        if self.access_logs_prefix and self.access_logs_bucket is None:
            raise ValueError("access_logs_prefix without access_logs_bucket")
        if self.receives_server_access_logs and self.kms_key is not None:
            raise ValueError("receives_server_access_logs with kms_key: S3 delivers server access logs only to SSE-S3")
        if self.receives_server_access_logs and self.object_lock_days is not None:
            raise ValueError(
                "receives_server_access_logs with object_lock_days: S3 server access logging cannot deliver to "
                "an Object Lock bucket"
            )
        return self


class SecureBucket(Block):
    """An S3 bucket with SSE (S3-managed keys, or a customer-managed KMS key; bucket keys on),
    versioning, all four public-access blocks, its lifecycle rules, optional server access logs
    and Object Lock, both removal policies, and `policy()` for its bucket policy, which always
    denies insecure transport. It records its own accepted findings, where its options explain
    them: SSE-S3 where the environment has no customer-managed key (`kms_key_by_settings`) or S3
    requires it (`receives_server_access_logs`), and no server access logs of a terminal log
    bucket (`holds_logs`)."""

    Options = SecureBucketOptions
    options: SecureBucketOptions

    def build(self) -> None:
        o = self.options
        bucket = s3.Bucket(
            self.logical_id,
            BucketName=o.name,
            BucketEncryption=s3.BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(
                        ServerSideEncryptionByDefault=self._default_encryption(),
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
            OwnershipControls=s3.OwnershipControls(
                Rules=[s3.OwnershipControlsRule(ObjectOwnership=o.object_ownership)]
            ),
            LifecycleConfiguration=s3.LifecycleConfiguration(Rules=list(o.lifecycle_rules)),
        )
        if o.object_lock_days is not None:
            bucket.ObjectLockEnabled = True
            bucket.ObjectLockConfiguration = s3.ObjectLockConfiguration(
                ObjectLockEnabled="Enabled",
                Rule=s3.ObjectLockRule(
                    DefaultRetention=s3.DefaultRetention(Mode="GOVERNANCE", Days=o.object_lock_days)
                ),
            )
        if o.access_logs_bucket is not None:
            bucket.LoggingConfiguration = s3.LoggingConfiguration(
                DestinationBucketName=o.access_logs_bucket, LogFilePrefix=o.access_logs_prefix
            )
        set_removal_policy(bucket, retain=o.retain)
        if o.receives_server_access_logs:
            accept_finding(bucket, "CKV_AWS_145", SERVER_ACCESS_LOGS_NEED_SSE_S3)
        elif o.kms_key is None and o.kms_key_by_settings:
            accept_finding(bucket, "CKV_AWS_145", ENCRYPTED_WITH_SSE_S3)
        if o.holds_logs and o.access_logs_bucket is None:
            accept_finding(bucket, "CKV_AWS_18", TERMINAL_LOG_BUCKET)
        self.resource = self.template.add_resource(bucket)

    def _default_encryption(self) -> s3.ServerSideEncryptionByDefault:
        if self.options.kms_key is None:
            return s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
        return s3.ServerSideEncryptionByDefault(SSEAlgorithm="aws:kms", KMSMasterKeyID=self.options.kms_key)

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    def objects(self, prefix: str = "") -> Sub:
        """The ARN of the bucket's objects under `prefix`."""
        return Sub(f"${{{self.resource.title}.Arn}}/{prefix}*")

    def deny_insecure_transport(self) -> Statement:
        return Statement(
            Sid="DenyInsecureTransport",
            Effect=Deny,
            Principal=Principal("*"),
            # A Deny on every S3 action is the documented way to enforce TLS; it grants nothing.
            Action=[awss3.Action("*")],
            Resource=[self.arn, self.objects()],
            Condition=Condition(Bool("aws:SecureTransport", False)),
        )

    def policy(self, *statements: Statement) -> s3.BucketPolicy:
        """The bucket's policy `<id>Policy`: TLS only, then `statements`."""
        return self.template.add_resource(
            s3.BucketPolicy(
                f"{self.logical_id}Policy",
                Bucket=Ref(self.resource),
                PolicyDocument=document(self.deny_insecure_transport(), *statements),
            )
        )


__all__ = [
    "SecureBucket",
    "SecureBucketOptions",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "BucketOptions": "SecureBucketOptions",
        },
    )
