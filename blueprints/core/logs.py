"""Log groups: the one place a log group is made, so each one has retention and a
removal policy."""

from __future__ import annotations

from troposphere import logs

from blueprints.core.policies import accept_finding, set_removal_policy


def log_group(title: str, *, name: object | None, retention_days: int, retain: bool) -> logs.LogGroup:
    """A log group with retention; `retain` keeps its records when the stack lets go of it."""
    group = logs.LogGroup(title, RetentionInDays=retention_days)
    if name is not None:
        group.LogGroupName = name
    set_removal_policy(group, retain=retain)
    accept_finding(
        group, "CKV_AWS_158", "encrypted at rest by CloudWatch Logs; a customer managed KMS key is an open decision"
    )
    return group
