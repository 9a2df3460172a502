"""Resource attributes shared by every blueprint: data protection and accepted findings."""

from __future__ import annotations

from troposphere import AWSObject

# The DeletionPolicy of retained data. Like Retain on every update and every deletion, except
# when the operation that created the resource rolls back: then no data can exist yet, and a
# resource kept behind (a fixed-name table or bucket) would make every retry fail with
# "already exists". UpdateReplacePolicy has no such value: a replacement keeps the old one.
RETAIN_DELETION_POLICY = "RetainExceptOnCreate"


def set_removal_policy(resource: AWSObject, *, retain: bool) -> AWSObject:
    """DeletionPolicy and UpdateReplacePolicy together, so no path deletes retained data:
    `RetainExceptOnCreate` and `Retain` when `retain`, else `Delete` and `Delete`.

    Setting only DeletionPolicy would still let a replacement delete the old resource.
    """
    resource.DeletionPolicy = RETAIN_DELETION_POLICY if retain else "Delete"
    resource.UpdateReplacePolicy = "Retain" if retain else "Delete"
    return resource


# The reasons findings are accepted for where more than one resource has them, each written
# once: a store without a customer-managed key (by the environment's `customer_managed_keys`),
# by what encrypts it instead, and a bucket of logs that is not itself logged.
NO_CUSTOMER_MANAGED_KEY = "no customer-managed key by this environment's settings"
ENCRYPTED_WITH_AWS_MANAGED_KEY = f"{NO_CUSTOMER_MANAGED_KEY}: encrypted with the AWS managed key"
ENCRYPTED_WITH_SSE_S3 = f"{NO_CUSTOMER_MANAGED_KEY}: SSE-S3"
ENCRYPTED_BY_CLOUDWATCH_LOGS = f"{NO_CUSTOMER_MANAGED_KEY}: CloudWatch Logs encrypts it with its own key"
HOLDS_NO_SECRET = f"{NO_CUSTOMER_MANAGED_KEY}; the environment holds names and limits only"
SERVER_ACCESS_LOGS_NEED_SSE_S3 = (
    "S3 server access logging delivers only to SSE-S3 buckets (S3 User Guide, server access logging)"
)
TERMINAL_LOG_BUCKET = "a terminal log bucket: logging it would need another one"


def accept_finding(resource: AWSObject, rule: str, reason: str) -> AWSObject:
    """Record a scanner finding as accepted, with its reason, in the resource's Metadata.

    `rule` is a checkov id (CKV_...). The one place suppressions are written, so every
    one of them carries a reason a reviewer can read in the template.
    """
    if not rule.startswith("CKV"):
        raise ValueError(f"unknown scanner rule {rule!r}: expected a checkov id (CKV_...)")
    if len(reason.strip()) < 10:
        raise ValueError(f"accepting {rule} on {resource.title} needs a real reason, got {reason!r}")
    metadata = dict(getattr(resource, "Metadata", {}) or {})
    checkov = dict(metadata.get("checkov", {}))
    skips = [s for s in checkov.get("skip", []) if s["id"] != rule]
    skips.append({"id": rule, "comment": reason})
    checkov["skip"] = sorted(skips, key=lambda s: s["id"])
    metadata["checkov"] = checkov
    resource.Metadata = metadata
    return resource
