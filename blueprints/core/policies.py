"""Resource attributes shared by every blueprint: data protection and accepted findings."""

from __future__ import annotations

from troposphere import AWSObject


def set_removal_policy(resource: AWSObject, *, retain: bool) -> AWSObject:
    """DeletionPolicy and UpdateReplacePolicy together, so no path deletes retained data.

    Setting only DeletionPolicy would still let a replacement delete the old resource.
    """
    policy = "Retain" if retain else "Delete"
    resource.DeletionPolicy = policy
    resource.UpdateReplacePolicy = policy
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
