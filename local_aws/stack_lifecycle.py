"""CloudFormation's stack lifecycle as AWS runs it, where moto takes shortcuts: a create that
fails rolls back, a stack's deletion keeps what its policies retain, termination protection
and stack policies are enforced.

- A failed create rolls back (CREATE_FAILED, ROLLBACK_IN_PROGRESS, ROLLBACK_COMPLETE): what it
  created is deleted, except resources whose DeletionPolicy is `Retain`, which stay behind
  (and a fixed name then makes the next create fail with "already exists");
  `RetainExceptOnCreate` resources are deleted, as AWS documents for the operation that
  created them. moto raises the error from CreateStack and keeps everything.
- A stack's deletion keeps `Retain` and `RetainExceptOnCreate` resources: local_aws/deletion_rules.py.
- DeleteStack refuses a stack with termination protection; UpdateTerminationProtection (moto
  lacks it) sets it.
- ContinueUpdateRollback and CancelUpdateStack (moto lacks both) answer from the states
  CloudFormation answers them from: an update here finishes within its request, so a stack is
  never UPDATE_IN_PROGRESS, and only an UPDATE_ROLLBACK_FAILED one continues its rollback.
- An update is checked against the stack policy, or against the update's
  `StackPolicyDuringUpdateBody`, which replaces it for that update only
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html):
  each existing resource the update would modify, replace (a create-only property changes) or
  delete must be allowed (`Update:Modify`, `Update:Replace`, `Update:Delete`); an explicit Deny
  wins and, with a policy set, what no statement allows is denied. A denied update fails
  (UPDATE_FAILED on the resource, "Action denied by stack policy") and rolls back: nothing changes.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from functools import cache
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.cloudformation.models import Stack as CloudFormationStack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult

RETAINED_ON_ROLLBACK_OF_CREATE = frozenset({"Retain"})

_create_resources = CloudFormationStack.create_resources
_delete_resources = parsing.ResourceMap.delete
_update_stack = CloudFormationStack.update
_update_stack_request = CloudFormationResponse.update_stack
_delete_stack = CloudFormationBackend.delete_stack


def _delete_except(resource_map: parsing.ResourceMap, retained: frozenset[str]) -> None:
    """moto's deletion of a stack's resources, keeping those whose DeletionPolicy is in `retained`
    (moto's own keeps exactly `Retain`)."""
    declared = resource_map._resource_json_map
    resource_map._resource_json_map = {
        name: {**resource, "DeletionPolicy": "Retain"} if resource.get("DeletionPolicy") in retained else resource
        for name, resource in declared.items()
    }
    try:
        _delete_resources(resource_map)
    finally:
        resource_map._resource_json_map = declared


def _create_or_roll_back(self: CloudFormationStack) -> None:
    """A failed resource reported as CloudFormation does (a CREATE_FAILED event with the
    reason), then the rollback of what was created."""
    try:
        _create_resources(self)
    except Exception as err:
        reason = str(err) if str(err).startswith(type(err).__name__) else f"{type(err).__name__}: {err}"
        self._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
        self._add_stack_event(
            "ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed: {reason}"
        )
        try:
            _delete_except(self.resource_map, RETAINED_ON_ROLLBACK_OF_CREATE)
        except Exception as kept:
            self.status = "ROLLBACK_FAILED"
            self._add_stack_event("ROLLBACK_FAILED", resource_status_reason=f"{type(kept).__name__}: {kept}")
            return
        _forget_resources(self)
        self.status = "ROLLBACK_COMPLETE"
        self._add_stack_event("ROLLBACK_COMPLETE")


def _forget_resources(stack: CloudFormationStack) -> None:
    """A stack whose create rolled back has no resources and no outputs (what Retain kept is no
    longer the stack's). moto makes resources when they are first read: nothing is left to read."""
    resources = stack.resource_map
    for name in resources._resource_json_map:
        resources._parsed_resources.pop(name, None)
    resources._resource_json_map = {}
    stack.output_map = parsing.OutputMap(resources, {"Outputs": {}}, stack.stack_id)


def _update_termination_protection(self: CloudFormationResponse) -> ActionResult:
    """UpdateTerminationProtection, which moto lacks."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
    return ActionResult({"StackId": stack.stack_id})


def _delete_unless_protected(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    """DeleteStack refuses a stack with termination protection, as in AWS."""
    try:
        stack = self.get_stack(name_or_stack_id)
    except ValidationError:
        stack = None
    if stack is not None and stack.enable_termination_protection:
        raise ValidationError(message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
    _delete_stack(self, name_or_stack_id)


def _continue_update_rollback(self: CloudFormationResponse) -> ActionResult:
    """ContinueUpdateRollback (moto lacks it), refused unless the stack is
    UPDATE_ROLLBACK_FAILED, as CloudFormation refuses it."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    if stack.status != "UPDATE_ROLLBACK_FAILED":
        raise ValidationError(
            message=f"Stack [{stack.name}] is in {stack.status} state and can not continue update rollback"
        )
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="User Initiated")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    return ActionResult({})


def _cancel_update_stack(self: CloudFormationResponse) -> ActionResult:
    """CancelUpdateStack (moto lacks it): the emulator's updates finish within their request,
    so a stack is never UPDATE_IN_PROGRESS here and the call is refused, as CloudFormation
    refuses it for a stack in any other state."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    raise ValidationError(message=f"CancelUpdateStack cannot be called from current stack status {stack.status}")


# --- stack policies ---------------------------------------------------------------------

# The policy an UpdateStack request carries for its own update (StackPolicyDuringUpdateBody),
# seen by the stack's update in the same request thread.
_during_update = threading.local()


def _update_stack_with_its_policy(self: CloudFormationResponse) -> Any:
    if self._get_param("StackPolicyDuringUpdateURL"):
        raise ValidationError(message="StackPolicyDuringUpdateURL is not emulated: send StackPolicyDuringUpdateBody")
    _during_update.body = self._get_param("StackPolicyDuringUpdateBody")
    try:
        return _update_stack_request(self)
    finally:
        _during_update.body = None


def _update_within_policy(
    self: CloudFormationStack,
    template: str,
    role_arn: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """moto's update, unless the stack policy in force denies one of its changes: then the
    update fails on that resource and rolls back, changing nothing."""
    policy = getattr(_during_update, "body", None) or self.policy
    if policy:
        new = self.parse_template(template).get("Resources", {})
        changes = planned_changes(self.template_dict.get("Resources", {}), new, self.parameters, parameters or {})
        denied = {name: action for name, action in changes.items() if not allows(json.loads(policy), name, action)}
        if denied:
            self._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
            old = self.template_dict["Resources"]
            for name, action in sorted(denied.items()):
                reason = f"Action denied by stack policy: [{action}] on resource [LogicalResourceId/{name}]"
                self.events.append(
                    Event(self.stack_id, self.name, name, name, old[name]["Type"], "UPDATE_FAILED", reason, None)
                )
            self._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="Action denied by stack policy")
            self._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            self.status = "UPDATE_ROLLBACK_COMPLETE"
            return
    _update_stack(self, template, role_arn, parameters=parameters, tags=tags)


def planned_changes(
    old: dict[str, Any], new: dict[str, Any], old_parameters: dict[str, Any], new_parameters: dict[str, Any]
) -> dict[str, str]:
    """The stack-policy action each existing resource's update needs: `Update:Delete` (gone),
    `Update:Replace` (type or a create-only property changes, parameter values included) or
    `Update:Modify`. Resources the update adds are not subject to stack policies."""
    changes = {}
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            changes[name] = "Update:Delete"
            continue
        was, now = _resolved(before, old_parameters), _resolved(after, new_parameters or old_parameters)
        if was == now:
            continue
        if was["Type"] != now["Type"] or any(
            _at(was.get("Properties", {}), path) != _at(now.get("Properties", {}), path)
            for path in create_only_paths(was["Type"])
        ):
            changes[name] = "Update:Replace"
        else:
            changes[name] = "Update:Modify"
    return changes


def allows(policy: dict[str, Any], logical_id: str, action: str) -> bool:
    """Whether a stack policy allows `action` on the resource: a matching Deny wins; with no
    matching Allow, a stack with a policy denies."""
    allowed = False
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not (
            _matches(statement, "Action", action) and _matches(statement, "Resource", f"LogicalResourceId/{logical_id}")
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _matches(statement: dict[str, Any], element: str, value: str) -> bool:
    if element in statement:
        patterns, wanted = statement[element], True
    elif f"Not{element}" in statement:
        patterns, wanted = statement[f"Not{element}"], False
    else:
        return False
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(fnmatch.fnmatchcase(value, p) for p in patterns) is wanted


@cache
def create_only_paths(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Property paths whose change replaces a resource of this type, from the CloudFormation
    resource schema (cfn-lint's copy; conditional ones count: they may replace)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - only when a policy is checked

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # a type cfn-lint does not know: every change may replace it
        return ((),)
    pointers = [*schema.get("createOnlyProperties", []), *schema.get("conditionalCreateOnlyProperties", [])]
    return tuple(tuple(p.removeprefix("/properties/").split("/")) for p in pointers)


def _at(properties: Any, path: tuple[str, ...]) -> Any:
    node = properties
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _resolved(node: Any, parameters: dict[str, Any]) -> Any:
    """A template fragment with parameter references replaced by their values (Ref and
    Fn::Sub's ${Name}), so that a new parameter value counts as the change it is."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in parameters:
            return parameters[node["Ref"]]
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return re.sub(
                r"\$\{([^!}.]+)\}",
                lambda m: str(parameters.get(m.group(1), m.group(0))),
                node["Fn::Sub"],
            )
        return {key: _resolved(value, parameters) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(item, parameters) for item in node]
    return node


def register() -> None:
    CloudFormationStack.create_resources = _create_or_roll_back  # type: ignore[method-assign]
    CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
    CloudFormationBackend.delete_stack = _delete_unless_protected  # type: ignore[method-assign]
    CloudFormationResponse.update_stack = _update_stack_with_its_policy  # type: ignore[method-assign]
    CloudFormationResponse.continue_update_rollback = _continue_update_rollback  # type: ignore[attr-defined]
    CloudFormationResponse.cancel_update_stack = _cancel_update_stack  # type: ignore[attr-defined]
    CloudFormationStack.update = _update_within_policy  # type: ignore[method-assign]
