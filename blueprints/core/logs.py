"""Log groups: the one place a log group is made, so each one has retention, a removal
policy and, where the environment has one, its customer-managed key."""

from __future__ import annotations

from troposphere import logs

from blueprints.core.policies import ENCRYPTED_BY_CLOUDWATCH_LOGS, accept_finding, set_removal_policy


def log_group(
    title: str, *, name: object | None, retention_days: int, retain: bool, kms_key: object | None = None
) -> logs.LogGroup:
    """A log group with retention; `retain` keeps its records when the stack lets go of it;
    `kms_key` (a key ARN) encrypts them under that key (its policy must admit CloudWatch Logs
    for this group: see blocks/key.py)."""
    group = logs.LogGroup(title, RetentionInDays=retention_days)
    if name is not None:
        group.LogGroupName = name
    set_removal_policy(group, retain=retain)
    if kms_key is not None:
        group.KmsKeyId = kms_key
    else:
        accept_finding(
            group,
            "CKV_AWS_158",
            ENCRYPTED_BY_CLOUDWATCH_LOGS,
        )
    return group
