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
