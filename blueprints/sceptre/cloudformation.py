"""CloudFormation calls the hooks make through a Sceptre stack's own connection (its region,
profile and role): the deployed template, the guard's change set, and a stack policy that
applies to the stack's next update only."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import yaml
from sceptre.exceptions import SceptreException

from blueprints.deploy.guard import ALLOW_ALL_UPDATES


def deployed_template(stack: Any) -> dict[str, Any]:
    """The template CloudFormation holds for the stack (raises ClientError if there is none)."""
    body = stack.connection_manager.call(
        "cloudformation", "get_template", {"StackName": stack.external_name}, region=stack.region
    )["TemplateBody"]
    return body if isinstance(body, dict) else yaml.safe_load(body)


class ChangeSetFailed(SceptreException):  # type: ignore[misc]
    """CloudFormation could not make the change set the guard reads: its reason."""


# CloudFormation's answer per stack and update (a launch runs the guard before launch and
# before update): (stack name, digest of template and parameters) -> its resource changes.
_CHANGE_SETS: dict[tuple[str, str], list[dict[str, Any]]] = {}
CHANGE_SET_WAIT_SECONDS = 600
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def change_set_changes(stack: Any) -> list[dict[str, Any]]:
    """The `ResourceChange`s of a change set for the stack's update as Sceptre will send it
    (template, parameters, capabilities, CloudFormation role), made, read and deleted; none
    when CloudFormation finds nothing to change."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    parameters = [
        {"ParameterKey": key, "ParameterValue": ",".join(value) if isinstance(value, list) else value}
        for key, value in stack.parameters.items()
        if value is not None
    ]  # as Sceptre's update formats them
    request = {
        "StackName": stack.external_name,
        "ChangeSetType": "UPDATE",
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        **stack.template.get_boto_call_parameter(),
    }
    if stack.cloudformation_service_role:
        request["RoleARN"] = stack.cloudformation_service_role
    key = (stack.external_name, hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest())
    if key in _CHANGE_SETS:
        return _CHANGE_SETS[key]

    def call(command: str, **kwargs: Any) -> Any:
        return stack.connection_manager.call("cloudformation", command, kwargs, region=stack.region)

    name = f"guard-{key[1][:32]}"
    try:
        call("create_change_set", ChangeSetName=name, **request)
    except ClientError as err:
        if any(words in str(err) for words in _NO_CHANGES):
            return []
        raise
    try:
        described = _settled_change_set(call, stack.external_name, name)
        if described["Status"] not in ("CREATE_COMPLETE", "FAILED"):
            raise ChangeSetFailed(
                f"{stack.external_name}: the change set the guard reads is still {described['Status']} after "
                f"{CHANGE_SET_WAIT_SECONDS} s; nothing was changed"
            )
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason") or "no reason given"
            if any(words in reason for words in _NO_CHANGES):
                _CHANGE_SETS[key] = []
                return []
            raise ChangeSetFailed(f"{stack.external_name}: the change set the guard reads failed: {reason}")
        changes = [c["ResourceChange"] for c in described.get("Changes", []) if c.get("Type") == "Resource"]
        while described.get("NextToken"):
            described = call(
                "describe_change_set",
                StackName=stack.external_name,
                ChangeSetName=name,
                NextToken=described["NextToken"],
            )
            changes += [c["ResourceChange"] for c in described.get("Changes", []) if c.get("Type") == "Resource"]
    finally:
        call("delete_change_set", StackName=stack.external_name, ChangeSetName=name)
    _CHANGE_SETS[key] = changes
    return changes


def _settled_change_set(call: Any, stack_name: str, name: str) -> Any:
    deadline = time.monotonic() + CHANGE_SET_WAIT_SECONDS
    while True:
        described = call("describe_change_set", StackName=stack_name, ChangeSetName=name)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
            return described
        time.sleep(2)


def override_stack_policy_for_next_update(stack: Any, policy: dict[str, Any] | None) -> None:
    """Send `policy` as the StackPolicyDuringUpdateBody of the stack's next UpdateStack call:
    CloudFormation applies it instead of the stack policy for that update only, so the stack
    stays protected before and after it, and if it fails.

    Sceptre 4.7's update has no such option. Its stack actions call CloudFormation through the
    boto3 client that Sceptre keeps for the stack's region, profile and role, the one the
    stack's own connection manager gives: a one-shot botocore `provide-client-params` handler on
    that client adds the override to this stack's UpdateStack. A launch runs the guard twice
    (before launch and before update): the latest policy counts."""
    manager, name = stack.connection_manager, stack.external_name
    client = manager._get_client("cloudformation", manager.region, manager.profile, None, manager.sceptre_role)
    handler_id = f"blueprints-stack-policy-override-{name}"
    _UPDATE_POLICY_OVERRIDES[name] = json.dumps(policy or ALLOW_ALL_UPDATES)

    def add_override(params: dict[str, Any], **_: Any) -> None:
        if params.get("StackName") == name and name in _UPDATE_POLICY_OVERRIDES:
            params["StackPolicyDuringUpdateBody"] = _UPDATE_POLICY_OVERRIDES.pop(name)
            client.meta.events.unregister(_UPDATE_STACK_PARAMS, unique_id=handler_id)

    client.meta.events.register(_UPDATE_STACK_PARAMS, add_override, unique_id=handler_id)


_UPDATE_STACK_PARAMS = "provide-client-params.cloudformation.UpdateStack"
_UPDATE_POLICY_OVERRIDES: dict[str, str] = {}  # stack name -> the policy its next update carries
