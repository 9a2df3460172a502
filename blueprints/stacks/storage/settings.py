"""The storage stack's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, ValidationInfo, field_validator

from blueprints.core.config import EncryptionSettings, PositiveInt, RetainData, per_environment
from blueprints.core.context import BUCKET_NAME_LIMIT, LONGEST_REGION
from blueprints.core.errors import ConfigError

if TYPE_CHECKING:
    from blueprints.core.context import Context


class StorageConfig(EncryptionSettings):
    """Inputs of the storage stack."""

    log_expiration_days: PositiveInt = per_environment(
        description="Days after which log objects (and old versions) expire."
    )
    artifact_noncurrent_days: PositiveInt = Field(
        30, description="Days an artifact version is kept after a newer one replaces it (default 30)."
    )
    signature_validity_months: int = Field(
        135,
        ge=1,
        le=135,
        description=(
            "How long a signature made by the Lambda signing profile stays valid, in months (default 135, "
            "Signer's longest); Lambda refuses to deploy a package whose signature has expired."
        ),
    )
    logs_bucket_prefix: str = Field(
        "api-logs",
        pattern=r"^[a-z][a-z0-9-]{2,15}$",
        description=(
            "First part of the logs bucket's name, `<prefix>-<environment>-<account>-<region>` (default "
            "api-logs); projects sharing an account need different ones."
        ),
    )
    logs_object_lock_days: int | None = per_environment(
        None,
        ge=1,
        description=(
            "Object Lock (governance mode) on the API logs bucket with this default retention in days (default "
            "none; at most log_expiration_days). Only where delivery into a locked bucket has been seen to work "
            "(`make verify` reports whether access logs arrive): S3 refuses an upload to such a bucket without "
            "a Content-MD5 or checksum header, and CloudFront's log delivery is not documented to send one."
        ),
    )
    logs_version_protection: bool = per_environment(
        False,
        description=(
            "The API logs bucket's policy denies deleting any object version, to every principal (default off): "
            "no log is lost or rewritten before the lifecycle expires it (versioning keeps what is overwritten), "
            "whatever the delivery sends. S3 Lifecycle expiration is not subject to bucket policies."
        ),
    )
    retain_data: RetainData

    @field_validator("logs_object_lock_days")
    @classmethod
    def _lock_within_expiration(cls, days: int | None, info: ValidationInfo) -> int | None:
        expiration = info.data.get("log_expiration_days")
        if days is not None and expiration is not None and days > expiration:
            raise ValueError(
                f"{days} days exceeds log_expiration_days ({expiration}): the lifecycle could not expire locked logs"
            )
        return days

    def check_context(self, context: Context) -> None:
        # `<prefix>-<environment>-<account>-<region>` must fit S3's limit in any region.
        name = f"{self.logs_bucket_prefix}-{context.environment}-{'0' * 12}-{LONGEST_REGION}"
        if len(name) > BUCKET_NAME_LIMIT:
            raise ConfigError(
                f"the logs bucket '{self.logs_bucket_prefix}-{context.environment}-<account>-<region>' would be "
                f"{len(name)} characters in {LONGEST_REGION}, S3 takes {BUCKET_NAME_LIMIT}: shorten the prefix",
                environment=context.environment,
                stack="storage",
                field="logs_bucket_prefix",
            )
