"""Storage: the API logs bucket (CloudFront access logs: the API's audit trail), the
artifacts bucket the Lambda packages are uploaded to, and the bucket that receives the
artifacts bucket's S3 server access logs.

S3 server access logging delivers only to buckets with SSE-S3 default encryption and without
an Object Lock default retention
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), so
those logs have their own bucket and the API logs bucket can be locked and kept under the
stack's customer-managed key where the environment says so.

Bucket names are globally unique by construction: environment, account id and region.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.storage.settings import StorageConfig
    from blueprints.stacks.storage.template import ACCESS_LOG_PREFIX, StorageBlueprint

_EXPORTS = {
    "StorageConfig": "blueprints.stacks.storage.settings",
    "ACCESS_LOG_PREFIX": "blueprints.stacks.storage.template",
    "StorageBlueprint": "blueprints.stacks.storage.template",
}

__all__ = ["ACCESS_LOG_PREFIX", "StorageBlueprint", "StorageConfig"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
