"""moto's CloudFormation, patched where it differs from CloudFormation:

- a stack's resource diff lists modifications in dependency order, with what refers to a
  replaced resource (a Lambda version) among them;
- an update that changes nothing is refused, stacks without parameters included;
- a resource type the emulator does not model fails the stack (moto skips it with a warning)."""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Stack
from moto.cloudformation.responses import CloudFormationResponse

from local_aws.emulator.services.awslambda import REPLACED_ON_EVERY_UPDATE
from local_aws.emulator.services.base import MOTO_VERSION
from local_aws.emulator.templates import references

_build_resource_diff = parsing.ResourceMap.build_resource_diff


def _diff_in_dependency_order(self: parsing.ResourceMap, other_template: dict[str, Any], parameters: Any = None) -> Any:
    """moto's resource diff, with what refers to a replaced resource modified too, and the
    modifications in dependency order (moto updates in template order: an alias before its
    new version would stay on the old one)."""
    diff = _build_resource_diff(self, other_template, parameters)
    new = other_template["Resources"]
    depends = {name: references(resource) & set(new) for name, resource in new.items()}
    modified = list(diff["Modify"])
    replaced = {name for name in modified if new[name]["Type"] in REPLACED_ON_EVERY_UPDATE}
    for name in new:
        if name in self._resource_json_map and name not in modified and depends[name] & replaced:
            modified.append(name)
    sorter = TopologicalSorter({name: depends[name] & set(modified) for name in modified})
    diff["Modify"] = list(sorter.static_order())
    return diff


def _no_update_without_changes(
    self: CloudFormationResponse, incoming_params: list[dict[str, Any]] | None, stack_body: str, old_stack: Stack
) -> None:
    """Like CloudFormation, refuse an update that changes nothing, also for stacks without
    parameters (moto only checks stacks that have some). Sceptre reads the refusal as
    "no updates", so a second launch of an unchanged environment changes nothing."""
    if stack_body and old_stack.template == stack_body:
        new_params = self._get_param_values(incoming_params or [], old_stack.stack_parameters)
        if _comparable(old_stack.stack_parameters) == _comparable(new_params):
            raise ValidationError(old_stack.name, message="No updates are to be performed.")


def _comparable(parameters: dict[str, Any]) -> dict[str, str]:
    """moto keeps List<...> parameters split; the request carries them comma-joined."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in parameters.items()}


_resource_class_from_type = parsing.resource_class_from_type


def _refuse_unemulated_types(resource_type: str) -> Any:
    """moto skips a resource type it cannot create, with a warning only the server log
    shows, and the stack still completes. Here the stack fails and says which type."""
    model = _resource_class_from_type(resource_type)
    if model is None and resource_type not in parsing.NULL_MODELS:
        raise ValidationError(message=f"{resource_type} is not emulated by the local AWS (moto {MOTO_VERSION})")
    return model


def register() -> None:
    parsing.ResourceMap.build_resource_diff = _diff_in_dependency_order  # type: ignore[method-assign]
    CloudFormationResponse._validate_different_update = _no_update_without_changes  # type: ignore[method-assign]
    parsing.resource_class_from_type = _refuse_unemulated_types
