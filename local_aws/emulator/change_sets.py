"""Change sets as CloudFormation answers them, which moto does not: DescribeChangeSet lists each
resource the update would `Add`, `Modify` or `Remove`, and for a modification whether it
replaces the resource (`Replacement`: `True` when a create-only property or the type changes,
`Conditional` when only a conditionally create-only one does, else `False`) with the changed
properties in `Details`, parameter values included. moto compares against an empty stack
(every resource an `Add`) and refuses a change set without changes instead of answering one
that FAILED with "didn't contain changes", as CloudFormation does.

https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.models import Change, ChangeSet
from moto.cloudformation.responses import CloudFormationResponse

from local_aws.emulator.templates import create_only, resolved, value_at

_create_change_set = CloudFormationResponse.create_change_set


class ResourceChange(Change):
    """moto's Change (action, logical id, type) with what CloudFormation also says of it."""

    def __init__(
        self,
        action: str,
        logical_resource_id: str,
        resource_type: str,
        *,
        physical_resource_id: str | None = None,
        replacement: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(action, logical_resource_id, resource_type)
        self.physical_resource_id = physical_resource_id
        self.replacement = replacement
        self.scope = ["Properties"] if details else []
        self.details = details or []


def top_level_create_only(resource_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """The top-level properties of `create_only`'s paths, (always, conditionally); "*" for any."""
    always, conditionally = create_only(resource_type)
    return (
        frozenset(path[0] if path else "*" for path in always),
        frozenset(path[0] if path else "*" for path in conditionally),
    )


def resource_changes(
    old: dict[str, Any], new: dict[str, Any], old_parameters: dict[str, Any], new_parameters: dict[str, Any]
) -> list[tuple[str, str, str, str | None, list[dict[str, Any]]]]:
    """(action, logical id, type, replacement, details) for each resource the update changes."""
    changes: list[tuple[str, str, str, str | None, list[dict[str, Any]]]] = []
    for name, after in new.items():
        if name not in old:
            changes.append(("Add", name, after["Type"], None, []))
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            changes.append(("Remove", name, before["Type"], None, []))
            continue
        was = resolved(before, _plain(old_parameters))
        now = resolved(after, {**_plain(old_parameters), **_plain(new_parameters)})
        if was == now:
            continue
        if was["Type"] != now["Type"]:
            changes.append(("Modify", name, now["Type"], "True", []))
            continue
        always, conditionally = top_level_create_only(was["Type"])
        details, replacement = [], "False"
        properties = sorted(set(was.get("Properties", {})) | set(now.get("Properties", {})))
        for prop in properties:
            if value_at(was.get("Properties", {}), (prop,)) == value_at(now.get("Properties", {}), (prop,)):
                continue
            recreation = (
                "Always" if prop in always or "*" in always else "Conditionally" if prop in conditionally else "Never"
            )
            if recreation == "Always":
                replacement = "True"
            elif recreation == "Conditionally" and replacement == "False":
                replacement = "Conditional"
            written_alike = before.get("Properties", {}).get(prop) == after.get("Properties", {}).get(prop)
            source = "ParameterReference" if written_alike else "DirectModification"
            details.append(
                {
                    "Target": {"Attribute": "Properties", "Name": prop, "RequiresRecreation": recreation},
                    "Evaluation": "Static",
                    "ChangeSource": source,
                }
            )
        changes.append(("Modify", name, now["Type"], replacement, details))
    return changes


def _plain(parameters: dict[str, Any]) -> dict[str, str]:
    """Parameter values as the request carries them (moto keeps List<...> values split)."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in parameters.items()}


def _diff(self: ChangeSet) -> list[Change]:
    stack = self.stack
    parsed = stack.resource_map._parsed_resources
    old = stack.template_dict.get("Resources", {}) if stack.status != "REVIEW_IN_PROGRESS" else {}
    changes: list[Change] = []
    for action, name, kind, replacement, details in resource_changes(
        old, self.template_dict.get("Resources", {}), stack.parameters or {}, self.parameters or {}
    ):
        physical = getattr(parsed.get(name), "physical_resource_id", None) if action != "Add" else None
        changes.append(
            ResourceChange(action, name, kind, physical_resource_id=physical, replacement=replacement, details=details)
        )
    return changes


def _create_change_set_even_without_changes(self: CloudFormationResponse) -> Any:
    """CreateChangeSet answers a change set without changes (it then FAILED, "didn't contain
    changes"), as CloudFormation does; the emulator's UpdateStack check refuses such an update."""
    self._validate_different_update = lambda *args: None  # type: ignore[method-assign]
    return _create_change_set(self)


def register() -> None:
    ChangeSet.diff = _diff  # type: ignore[method-assign]
    CloudFormationResponse.create_change_set = _create_change_set_even_without_changes  # type: ignore[method-assign]
