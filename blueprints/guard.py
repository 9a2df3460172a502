"""The stateful-change guard: which changes from a deployed template to a new one would
replace or delete data.

A resource is stateful if it keeps data (tables, buckets, hosted zones, log groups, user
pools), is a KMS key (losing the key loses everything encrypted with it), or is retained on
deletion (but never a Lambda version: `NEVER_STATEFUL_TYPES`). For each, the new template
must keep its logical ID and type, leave its create-only properties alone (the
`createOnlyProperties` and `conditionalCreateOnlyProperties` of the CloudFormation resource
schemas cfn-lint ships: a table's KeySchema is only in the second) and keep a Retain policy it
had. Anything else is a destructive change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

STATEFUL_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Route53::HostedZone",
        "AWS::Logs::LogGroup",
        "AWS::Cognito::UserPool",  # the customers' accounts: a new pool has none of them
        "AWS::KMS::Key",  # a new key cannot decrypt what the old one encrypted
    }
)
# Never stateful, whatever their policies say. A Lambda version is an immutable snapshot of a
# function's package and settings, replaced on purpose by every change of either (a new one is
# published and the live alias moves to it, blueprints.blocks.LiveAlias): it holds no data,
# its package stays in the artifacts bucket under its content address, and refusing its
# replacement would refuse every code change. Retained versions would be replaced the same way.
NEVER_STATEFUL_TYPES = frozenset({"AWS::Lambda::Version"})
# DeletionPolicy values that keep an existing resource when its stack deletes it (blueprints
# write RetainExceptOnCreate: blueprints.core.set_removal_policy). Standard library only here:
# the Sceptre plugins import this module whenever Sceptre starts.
RETAINING_DELETION_POLICIES = frozenset({"Retain", "RetainExceptOnCreate"})
_ABSENT = "(absent)"


@dataclass(frozen=True)
class DestructiveChange:
    """One change that would replace or delete a stateful resource."""

    stack: str  # blueprint name, e.g. "data"
    resource: str  # logical ID
    type: str
    what: str  # e.g. "create-only property TableName"
    old: Any
    new: Any

    @property
    def allowance(self) -> str:
        """The entry of environment.allow_destructive_changes that would allow it."""
        return f"{self.stack}.{self.resource}"

    def describe(self) -> str:
        return f"{self.resource} ({self.type}): {self.what} would change from {_show(self.old)} to {_show(self.new)}"


def _show(value: Any) -> str:
    return value if value == _ABSENT else json.dumps(value, sort_keys=True)


@cache
def create_only_properties(resource_type: str, region: str = "us-east-1") -> tuple[tuple[str, ...], ...]:
    """Property paths whose change forces (or may force) replacement, e.g. (("TableName",),)."""
    # cfn-lint's import costs about 0.35 s (sympy): only where the guard runs, not in every
    # process that loads the Sceptre plugins.
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    pointers = [*schema.get("createOnlyProperties", []), *schema.get("conditionalCreateOnlyProperties", [])]
    return tuple(tuple(p.removeprefix("/properties/").split("/")) for p in pointers)


def _lookup(properties: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = properties
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _ABSENT
        node = node[key]
    return node


def is_stateful(resource: dict[str, Any]) -> bool:
    if resource["Type"] in NEVER_STATEFUL_TYPES:
        return False
    return resource["Type"] in STATEFUL_TYPES or resource.get("DeletionPolicy") in RETAINING_DELETION_POLICIES


def destructive_changes(stack: str, old: dict[str, Any], new: dict[str, Any]) -> list[DestructiveChange]:
    """Every destructive change between a deployed template and a new one."""
    changes = []
    new_resources = new.get("Resources", {})
    for logical_id, resource in sorted(old.get("Resources", {}).items()):
        if not is_stateful(resource):
            continue
        kind = resource["Type"]
        after = new_resources.get(logical_id)

        def change(what: str, before: Any, now: Any, logical_id: str = logical_id, kind: str = kind) -> None:
            changes.append(DestructiveChange(stack, logical_id, kind, what, before, now))

        if after is None:
            change("logical ID (removed or renamed: CloudFormation deletes it)", logical_id, _ABSENT)
            continue
        if after["Type"] != kind:
            change("type", kind, after["Type"])
            continue
        for path in create_only_properties(kind):
            before, now = _lookup(resource.get("Properties", {}), path), _lookup(after.get("Properties", {}), path)
            if before != now:
                change(f"create-only property {'.'.join(path)} (replacement)", before, now)
        # Retain and RetainExceptOnCreate keep a resource that exists alike.
        for policy, retaining in (("DeletionPolicy", RETAINING_DELETION_POLICIES), ("UpdateReplacePolicy", {"Retain"})):
            if resource.get(policy) in retaining and after.get(policy) not in retaining:
                change(policy, resource[policy], after.get(policy, _ABSENT))
    return changes
