"""CloudFormation's stack lifecycle as AWS runs it, where moto takes shortcuts: creates and
updates that fail roll back, an update's replacements and cleanup, a stack's deletion keeps what
its policies retain, termination protection and stack policies are enforced.

- A failed create rolls back (CREATE_FAILED, ROLLBACK_IN_PROGRESS, ROLLBACK_COMPLETE): what it
  created is deleted, except resources whose DeletionPolicy is `Retain`, which stay behind
  (and a fixed name then makes the next create fail with "already exists");
  `RetainExceptOnCreate` resources are deleted, as AWS documents for the operation that
  created them. moto raises the error from CreateStack and keeps everything.
- An update runs in dependency order: a resource whose type or create-only property changes
  (parameter values and replaced resources' ids included) is replaced, the new one created first
  and whatever refers to it updated to it; the others are updated in place. Then the cleanup
  (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) deletes what was replaced or removed, but what
  UpdateReplacePolicy or DeletionPolicy retains; a resource it cannot delete (a subnet Lambda's
  interfaces still use) gets a DELETE_FAILED event and is left behind, and the stack is
  UPDATE_COMPLETE all the same
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html).
  moto deletes removed resources first, replaces by deleting first, and raises from UpdateStack.
- A resource's failure fails the update (UPDATE_FAILED with the reason,
  UPDATE_ROLLBACK_IN_PROGRESS) and the stack returns to its template and parameters: additions
  and replacements give way to what was there (deleted once the rollback completes), what was
  modified in place, the failed resource included, is updated back. If that fails too (a
  resource deleted outside CloudFormation), the stack is UPDATE_ROLLBACK_FAILED with the
  resource's UPDATE_FAILED event, and remembers what is left to roll back.
- ContinueUpdateRollback (moto lacks it), only from UPDATE_ROLLBACK_FAILED, retries that
  rollback; `ResourcesToSkip` names resources whose rollback failed, which keep their current
  state and are reported UPDATE_COMPLETE ("Resource skipped during UpdateRollback")
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ContinueUpdateRollback.html).
  CancelUpdateStack (moto lacks it) is refused: an update here finishes within its request, so
  a stack is never UPDATE_IN_PROGRESS.
- A stack's deletion keeps `Retain` and `RetainExceptOnCreate` resources: local_aws/emulator/deletion_rules.py.
- DeleteStack refuses a stack with termination protection; UpdateTerminationProtection (moto
  lacks it) sets it.
- An update is checked against the stack policy, or against the update's
  `StackPolicyDuringUpdateBody`, which replaces it for that update only
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html):
  each existing resource the update would modify, replace (a create-only property changes) or
  delete must be allowed (`Update:Modify`, `Update:Replace`, `Update:Delete`); an explicit Deny
  wins and, with a policy set, what no statement allows is denied. A denied update fails
  (UPDATE_FAILED on the resource, "Action denied by stack policy") and rolls back: nothing changes.
  So does a table update that creates or deletes more than one global secondary index.
- A resource moto has no in-place update for keeps its state on a modification (moto would
  forget it).
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.cloudformation.models import Stack as CloudFormationStack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource

from local_aws.emulator.services.awslambda import REPLACED_ON_EVERY_UPDATE
from local_aws.emulator.templates import create_only_paths, references, resolved, value_at

RETAINED_ON_ROLLBACK_OF_CREATE = frozenset({"Retain"})

_create_resources = CloudFormationStack.create_resources
_delete_resources = parsing.ResourceMap.delete
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
    """ContinueUpdateRollback (moto lacks it): refused unless the stack is UPDATE_ROLLBACK_FAILED,
    as CloudFormation refuses it; then the rollback is retried, the resources to skip left as
    they are. Only resources whose rollback failed may be skipped."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    rollback = _rollbacks.get(stack.stack_id)
    if stack.status != "UPDATE_ROLLBACK_FAILED" or rollback is None:
        raise ValidationError(
            message=f"Stack [{stack.name}] is in {stack.status} state and can not continue update rollback"
        )
    skip = set(self._get_param("ResourcesToSkip", []) or [])
    if skip - rollback.failed:
        raise ValidationError(
            message=f"Resources {sorted(skip - rollback.failed)} cannot be skipped: only resources in UPDATE_FAILED "
            f"state because the rollback failed can be ({sorted(rollback.failed)})"
        )
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="User Initiated")
    _roll_back(stack, rollback, skip)
    return ActionResult({})


def _cancel_update_stack(self: CloudFormationResponse) -> ActionResult:
    """CancelUpdateStack (moto lacks it): the emulator's updates finish within their request,
    so a stack is never UPDATE_IN_PROGRESS here and the call is refused, as CloudFormation
    refuses it for a stack in any other state."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    raise ValidationError(message=f"CancelUpdateStack cannot be called from current stack status {stack.status}")


# --- updates as CloudFormation runs them ------------------------------------------------------


@dataclass
class _Change:
    """One resource an update has touched: `Add`, `Modify` (in place) or `Replace` (a new
    physical resource; the one it replaces stays until the cleanup)."""

    logical_id: str
    action: str
    before: Any = None
    after: Any = None


@dataclass
class _Failure:
    logical_id: str
    resource_type: str
    physical_id: str
    reason: str


@dataclass
class _Rollback:
    """What a failed update must return to (the stack's template, which only a successful
    update changes, and these parameters) and what it changed on the way."""

    parameters: dict[str, Any]
    changes: list[_Change] = field(default_factory=list)
    new_resources: dict[str, Any] = field(default_factory=dict)  # the failed template's
    pending: list[str] = field(default_factory=list)  # modified in place: to be updated back
    failed: set[str] = field(default_factory=set)  # whose rollback failed (may be skipped)
    restored: bool = False


class _ResourceFailed(Exception):
    def __init__(self, failure: _Failure, changes: list[_Change]) -> None:
        super().__init__(failure.reason)
        self.failure, self.changes = failure, changes


# Stack id -> the rollback an UPDATE_ROLLBACK_FAILED stack has still to finish.
_rollbacks: dict[str, _Rollback] = {}


def failure_reason(err: Exception) -> str:
    """An error as CloudFormation reports a resource's: the service's code and message."""
    code = getattr(err, "code", None) or getattr(err, "error_type", None) or type(err).__name__
    message = getattr(err, "message", None) or str(err)
    return f"{code}: {message}"


def _physical_id(resource: Any) -> str:
    return str(getattr(resource, "physical_resource_id", "") or "")


def _resource_event(stack: CloudFormationStack, failure: _Failure, status: str) -> None:
    stack.events.append(
        Event(
            stack.stack_id,
            stack.name,
            failure.logical_id,
            failure.physical_id,
            failure.resource_type,
            status,
            failure.reason,
            None,
        )
    )


def _dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each after those it refers to."""
    return list(
        TopologicalSorter({n: references(r) & set(resources) - {n} for n, r in resources.items()}).static_order()
    )


def _load(resources: parsing.ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None) -> None:
    """Point the stack's resource map at a template and its parameters, as moto's update does."""
    resources._template = template
    if parameters:
        resources.input_parameters = parameters
    resources.load_mapping()
    resources.load_parameters()
    resources.load_conditions()
    resources._resource_json_map = template["Resources"]


def _replaces(
    before: dict[str, Any], after: dict[str, Any], old: dict[str, Any], new: dict[str, Any], moved: set[str]
) -> bool:
    """Whether CloudFormation replaces a resource: its type, or a create-only property, changes
    (parameter values, and the physical ids of resources replaced before it, included)."""
    if before["Type"] != after["Type"] or after["Type"] in REPLACED_ON_EVERY_UPDATE:
        return True
    was, now = resolved(before, old).get("Properties", {}), resolved(after, new).get("Properties", {})
    return any(
        value_at(was, path) != value_at(now, path) or references(value_at(after.get("Properties", {}), path)) & moved
        for path in create_only_paths(after["Type"])
    )


def _create(resources: parsing.ResourceMap, logical_id: str, resource_json: dict[str, Any]) -> Any:
    """A resource made for the stack, tagged as moto's create tags EC2 resources."""
    made = parsing.parse_and_create_resource(
        logical_id, resource_json, resources, account_id=resources._account_id, region_name=resources._region_name
    )
    if made is not None:
        resources._parsed_resources[logical_id] = made
    if isinstance(made, TaggedEC2Resource):
        tags = {**resources.tags, "aws:cloudformation:logical-id": logical_id}
        ec2_backends[resources._account_id][resources._region_name].create_tags([made.physical_resource_id], tags)
    return made


def _modify(resources: parsing.ResourceMap, logical_id: str, resource_json: dict[str, Any]) -> Any:
    """An update in place through the resource's model; one moto has no update for stays as it is."""
    updated = parsing.parse_and_update_resource(
        logical_id, resource_json, resources, account_id=resources._account_id, region_name=resources._region_name
    )
    if updated is not None:
        resources._parsed_resources[logical_id] = updated
    return resources._parsed_resources.get(logical_id)


def apply_update(
    resources: parsing.ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None
) -> list[_Change]:
    """Add, modify and replace resources in dependency order, as CloudFormation does: a
    replacement is created first and whatever refers to it is updated to it; nothing is
    deleted (that is the cleanup's). Raises _ResourceFailed with what was changed so far."""
    diff = resources.build_resource_diff(template, parameters)
    old, new = resources._resource_json_map, template["Resources"]
    old_parameters = dict(resources.resolved_parameters)
    _load(resources, template, parameters)
    changes: list[_Change] = []
    moved: set[str] = set()  # logical ids whose physical id changed
    for name in _dependency_order(new):
        if name not in old:
            change = _Change(name, "Add")
        elif name in diff["Modify"] or references(new[name]) & moved:
            replaced = _replaces(old[name], new[name], old_parameters, dict(resources.resolved_parameters), moved)
            change = _Change(name, "Replace" if replaced else "Modify", before=resources._parsed_resources.get(name))
        else:
            continue
        try:
            change.after = (_modify if change.action == "Modify" else _create)(resources, name, new[name])
        except Exception as err:  # any resource error fails the update, as in CloudFormation
            failure = _Failure(name, new[name]["Type"], _physical_id(change.before), failure_reason(err))
            # A resource modified in place is updated back too; a failed creation left nothing.
            raise _ResourceFailed(failure, [*changes, change] if change.action == "Modify" else changes) from err
        changes.append(change)
        if _physical_id(change.after) != _physical_id(change.before):
            moved.add(name)
    return changes


def _delete_all(resources: parsing.ResourceMap, doomed: dict[str, tuple[Any, dict[str, Any]]]) -> list[_Failure]:
    """Delete resources no longer the stack's, dependents first; each that cannot be deleted is
    left behind and reported."""
    failures = []
    for name in reversed(_dependency_order({n: body for n, (_, body) in doomed.items()})):
        resource, body = doomed[name]
        if resource is None or isinstance(resource, str):
            continue
        try:
            resources._delete_resource(resource, body)
        except Exception as err:  # reported, never raised: the operation has succeeded
            failures.append(_Failure(name, body["Type"], _physical_id(resource), failure_reason(err)))
    return failures


def clean_up(resources: parsing.ResourceMap, old: dict[str, Any], changes: list[_Change]) -> list[_Failure]:
    """CloudFormation's cleanup after an update: what was replaced or removed is deleted, but
    what its UpdateReplacePolicy or DeletionPolicy retains."""
    new = resources._resource_json_map
    removed = {name: resources._parsed_resources.pop(name, None) for name in old.keys() - new.keys()}
    doomed = {
        c.logical_id: (c.before, old[c.logical_id])
        for c in changes
        if c.action == "Replace" and new[c.logical_id].get("UpdateReplacePolicy") != "Retain"
    }
    doomed |= {
        name: (resource, old[name])
        for name, resource in removed.items()
        if old[name].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")
    }
    return _delete_all(resources, doomed)


def _update_or_roll_back(
    stack: CloudFormationStack,
    template: str,
    role_arn: str | None,
    parameters: dict[str, Any] | None,
    tags: dict[str, str] | None,
) -> None:
    """UpdateStack as CloudFormation runs it: the resources' update, then the cleanup, whose
    failures leave resources behind (DELETE_FAILED) but do not fail the update; a resource's
    failure fails the update, which rolls back."""
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    resources = stack.resource_map
    old = resources._resource_json_map
    rollback = _Rollback(dict(resources.input_parameters))
    new_template = stack.parse_template(template)
    try:
        changes = apply_update(resources, new_template, parameters)
    except _ResourceFailed as failed:
        rollback.changes, rollback.new_resources = failed.changes, new_template["Resources"]
        _fail(stack, [failed.failure], rollback)
        return
    stack.template = template
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    stack.role_arn = role_arn
    if parameters:
        stack.parameters = parameters
    if tags is not None:
        stack.tags = tags
    stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    left = clean_up(resources, old, changes)
    for failure in left:
        _resource_event(stack, failure, "DELETE_FAILED")
    kept = f"The following resource(s) failed to delete: [{', '.join(f.logical_id for f in left)}]. " if left else None
    stack._add_stack_event("UPDATE_COMPLETE", resource_status_reason=kept)
    stack.status = "UPDATE_COMPLETE"


def _fail(stack: CloudFormationStack, failures: list[_Failure], rollback: _Rollback) -> None:
    for failure in failures:
        _resource_event(stack, failure, "UPDATE_FAILED")
    names = ", ".join(f.logical_id for f in failures)
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to update: [{names}]."
    )
    _roll_back(stack, rollback, set())


def _roll_back(stack: CloudFormationStack, rollback: _Rollback, skip: set[str]) -> None:
    """Return the stack to its template and parameters: replacements and additions give way to
    what was there (and are deleted once the rollback completes), what was modified in place is
    updated back. A resource that cannot be updated back leaves the stack UPDATE_ROLLBACK_FAILED,
    remembering the rest for ContinueUpdateRollback; a skipped one keeps its current state."""
    resources = stack.resource_map
    previous = stack.template_dict["Resources"]
    if not rollback.restored:
        _load(resources, stack.template_dict, rollback.parameters)
        for change in rollback.changes:
            if change.action == "Add":
                resources._parsed_resources.pop(change.logical_id, None)
            elif change.action == "Replace":
                resources._parsed_resources[change.logical_id] = change.before
        modified = {c.logical_id for c in rollback.changes if c.action == "Modify"}
        rollback.pending = [name for name in _dependency_order(previous) if name in modified]
        rollback.restored = True
    rollback.failed = set()
    for name in list(rollback.pending):
        failure = _Failure(name, previous[name]["Type"], _physical_id(resources._parsed_resources.get(name)), "")
        if name in skip:
            failure.reason = "Resource skipped during UpdateRollback"
            _resource_event(stack, failure, "UPDATE_COMPLETE")
            rollback.pending.remove(name)
            continue
        if references(previous[name]) & rollback.failed:
            continue  # waits for what it refers to
        try:
            _modify(resources, name, previous[name])
        except Exception as err:  # reported on the resource, as CloudFormation does
            failure.reason = failure_reason(err)
            _resource_event(stack, failure, "UPDATE_FAILED")
            rollback.failed.add(name)
        else:
            rollback.pending.remove(name)
    stack.output_map = stack._create_output_map()
    if rollback.pending:
        _rollbacks[stack.stack_id] = rollback
        stack.status = "UPDATE_ROLLBACK_FAILED"
        names = ", ".join(sorted(rollback.failed))
        stack._add_stack_event(
            "UPDATE_ROLLBACK_FAILED", resource_status_reason=f"The following resource(s) failed to update: [{names}]."
        )
        return
    _rollbacks.pop(stack.stack_id, None)
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    made = {
        c.logical_id: (c.after, rollback.new_resources[c.logical_id]) for c in rollback.changes if c.action != "Modify"
    }
    for failure in _delete_all(resources, made):
        _resource_event(stack, failure, "DELETE_FAILED")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


def _update_resources(self: parsing.ResourceMap, template: dict[str, Any], parameters: Any = None) -> None:
    """moto's ResourceMap.update (a change set's execution calls it) as the update above runs
    it: a failure raises, the cleanup deletes what it can."""
    old = self._resource_json_map
    try:
        changes = apply_update(self, template, parameters)
    except _ResourceFailed as failed:
        raise ValidationError(message=f"{failed.failure.logical_id}: {failed.failure.reason}") from failed
    clean_up(self, old, changes)


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
    """The update as CloudFormation runs it, unless it would change a table's indexes more than
    DynamoDB allows at once, or the stack policy in force denies one of its changes: then the
    update fails on that resource and rolls back, changing nothing."""
    old = self.template_dict.get("Resources", {})
    new = self.parse_template(template).get("Resources", {})
    failed = index_changes_refused(old, new)
    policy = getattr(_during_update, "body", None) or self.policy
    if policy and not failed:
        changes = planned_changes(old, new, self.parameters, parameters or {})
        failed = {
            name: f"Action denied by stack policy: [{action}] on resource [LogicalResourceId/{name}]"
            for name, action in changes.items()
            if not allows(json.loads(policy), name, action)
        }
    if failed:
        self._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        failures = [
            _Failure(name, old[name]["Type"], _physical_id(self.resource_map._parsed_resources.get(name)), why)
            for name, why in sorted(failed.items())
        ]
        _fail(self, failures, _Rollback(dict(self.resource_map.input_parameters)))
        return
    _update_or_roll_back(self, template, role_arn, parameters, tags)


# CloudFormation's refusal of a table update that creates or deletes more than one global
# secondary index: DynamoDB's UpdateTable takes one such change at a time
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html).
ONE_INDEX_CHANGE = "Cannot perform more than one GSI creation or deletion in a single update"


def index_changes_refused(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """The tables the update would give more than one index creation or deletion (a renamed or
    redefined index is both), with CloudFormation's reason."""
    refused = {}
    for name, before in old.items():
        after = new.get(name)
        if before["Type"] != "AWS::DynamoDB::Table" or after is None or after["Type"] != before["Type"]:
            continue
        was, now = _indexes(before), _indexes(after)
        deleted = [n for n in was if now.get(n) != was[n]]
        created = [n for n in now if was.get(n) != now[n]]
        if len(deleted) + len(created) > 1:
            refused[name] = ONE_INDEX_CHANGE
    return refused


def _indexes(table: dict[str, Any]) -> dict[str, Any]:
    """A table's global secondary indexes by name: what creating one takes (keys, projection)."""
    return {
        index["IndexName"]: (index.get("KeySchema"), index.get("Projection"))
        for index in table.get("Properties", {}).get("GlobalSecondaryIndexes", [])
    }


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
        was, now = resolved(before, old_parameters), resolved(after, new_parameters or old_parameters)
        if was == now:
            continue
        if was["Type"] != now["Type"] or any(
            value_at(was.get("Properties", {}), path) != value_at(now.get("Properties", {}), path)
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


def register() -> None:
    CloudFormationStack.create_resources = _create_or_roll_back  # type: ignore[method-assign]
    CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
    CloudFormationBackend.delete_stack = _delete_unless_protected  # type: ignore[method-assign]
    CloudFormationResponse.update_stack = _update_stack_with_its_policy  # type: ignore[method-assign]
    CloudFormationResponse.continue_update_rollback = _continue_update_rollback  # type: ignore[attr-defined]
    CloudFormationResponse.cancel_update_stack = _cancel_update_stack  # type: ignore[attr-defined]
    CloudFormationStack.update = _update_within_policy  # type: ignore[method-assign]
    parsing.ResourceMap.update = _update_resources  # type: ignore[method-assign]
