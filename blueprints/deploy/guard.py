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
from collections.abc import Iterable
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
        if self.old is None and self.new is None:  # CloudFormation's change set names no values
            return f"{self.resource} ({self.type}): {self.what}"
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


# A change set's `Replacement` for a modification that replaces the resource, or may.
REPLACING = frozenset({"True", "Conditional"})


def destructive_changes_in_change_set(
    stack: str, deployed: dict[str, Any], resource_changes: list[dict[str, Any]]
) -> list[DestructiveChange]:
    """What CloudFormation's own change set for an update (DescribeChangeSet's
    `Changes[].ResourceChange`) says it would do to the deployed template's stateful resources:
    `Remove` them, or `Modify` them with `Replacement` `True` or `Conditional`. It sees what the
    schemas cannot: parameter values, and properties the schemas list nowhere."""
    found = []
    resources = deployed.get("Resources", {})
    for change in resource_changes:
        logical_id = change["LogicalResourceId"]
        resource = resources.get(logical_id)
        if resource is None or not is_stateful(resource):
            continue
        if change["Action"] == "Remove":
            what = "removal (CloudFormation's change set: Remove)"
        elif change["Action"] == "Modify" and change.get("Replacement") in REPLACING:
            through = sorted(
                d["Target"]["Name"]
                for d in change.get("Details", [])
                if d.get("Target", {}).get("RequiresRecreation") in ("Always", "Conditionally")
            )
            what = f"replacement (CloudFormation's change set: Replacement {change['Replacement']}"
            what += f", through {', '.join(through)})" if through else ")"
        else:
            continue
        found.append(DestructiveChange(stack, logical_id, resource["Type"], what, None, None))
    return found


def updates_in_steps(stack: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Changes AWS refuses to make in one update, each with the steps that make it.

    DynamoDB creates or deletes one global secondary index per table update ("You can create or
    delete only one global secondary index per UpdateTable operation",
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html), and
    CloudFormation fails a table update that adds and removes indexes together (a renamed or
    redefined index is both)."""
    found = []
    new_resources = new.get("Resources", {})
    for logical_id, resource in sorted(old.get("Resources", {}).items()):
        after = new_resources.get(logical_id)
        if resource["Type"] != "AWS::DynamoDB::Table" or after is None or after["Type"] != resource["Type"]:
            continue
        before, now = _indexes(resource), _indexes(after)
        deleted = sorted(n for n in before if now.get(n) != before[n])
        created = sorted(n for n in now if before.get(n) != now[n])
        if len(deleted) + len(created) > 1:
            steps = [f"delete {n}" for n in deleted] + [f"create {n}" for n in created]
            found.append(
                f"{logical_id} ({resource['Type']}): DynamoDB creates or deletes one global secondary index per "
                f"update; this one would {' and '.join(steps)}. Launch {stack} once per step, in this order: "
                + "; ".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
            )
    return found


def _indexes(table: dict[str, Any]) -> dict[str, Any]:
    """A table's global secondary indexes by name: their keys and projection (what creates one;
    throughput and contributor insights change in place)."""
    return {
        index["IndexName"]: (index.get("KeySchema"), index.get("Projection"))
        for index in table.get("Properties", {}).get("GlobalSecondaryIndexes", [])
    }


def stack_policy(template: dict[str, Any], exempt: Iterable[str] = ()) -> dict[str, Any] | None:
    """Deny Update:Replace and Update:Delete on the template's stateful resources, but those
    `exempt` (None if none is left); every other update stays allowed."""
    stateful = sorted(k for k, r in template.get("Resources", {}).items() if is_stateful(r) and k not in set(exempt))
    if not stateful:
        return None
    return {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["Update:Replace", "Update:Delete"],
                "Resource": [f"LogicalResourceId/{logical_id}" for logical_id in stateful],
            },
            {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
        ]
    }


# Everything may change during an update whose template replaces or deletes no other stateful resource.
ALLOW_ALL_UPDATES = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"}]}
