"""IAM building blocks on awacs: trust policies and statements, never raw JSON."""

from __future__ import annotations

from collections.abc import Sequence

from awacs.aws import (
    Action,
    Allow,
    Condition,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
)
from awacs.helpers.trust import make_service_domain_name
from troposphere import AccountId, iam


def trust_policy(service: str, *, source_account: bool = True) -> PolicyDocument:
    """Who may assume the role: exactly one service principal.

    `source_account` adds an aws:SourceAccount condition (confused-deputy guard) for
    services that send it when they assume the role.
    """
    statement = Statement(
        Effect=Allow,
        Principal=Principal("Service", [make_service_domain_name(service)]),
        Action=[Action("sts", "AssumeRole")],
    )
    if source_account:
        statement.Condition = Condition(StringEquals("aws:SourceAccount", AccountId))
    return PolicyDocument(Version="2012-10-17", Statement=[statement])


def allow(actions: Sequence[Action], resources: Sequence[object], sid: str) -> Statement:
    """One Allow statement; a `"*"` action is refused outright."""
    for action in actions:
        if action.prefix == "*" or "*" in (action.action or ""):
            raise ValueError(f"statement {sid}: wildcard action {action.JSONrepr()} is not allowed")
    return Statement(Sid=sid, Effect=Allow, Action=list(actions), Resource=list(resources))


def document(*statements: Statement) -> PolicyDocument:
    return PolicyDocument(Version="2012-10-17", Statement=list(statements))


def service_role(
    title: str, service: str, policy_name: str, statements: Sequence[Statement], *, source_account: bool = True
) -> iam.Role:
    """A role one AWS service assumes, with one inline least-privilege policy."""
    return iam.Role(
        title,
        AssumeRolePolicyDocument=trust_policy(service, source_account=source_account),
        Policies=[iam.Policy(PolicyName=policy_name, PolicyDocument=document(*statements))],
    )
