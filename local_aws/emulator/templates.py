"""CloudFormation templates read as CloudFormation reads them (no moto): what a fragment refers
to, the property paths whose change replaces a resource, a property at a path, and a fragment
with its parameters' values in place. Shared by the stack lifecycle, change sets, deletions and
the resource diff."""

from __future__ import annotations

import re
from functools import cache
from typing import Any


def references(node: Any) -> set[str]:
    """The logical ids (and parameters) a template fragment refers to: Ref, Fn::GetAtt,
    Fn::Sub's ${Name} and ${Name.Attribute}, DependsOn."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if isinstance(value, list):
                    found |= references(value[1])
            elif key == "DependsOn":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


@cache
def create_only(resource_type: str) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """Property paths whose change replaces a resource of this type, (always, conditionally), from
    the CloudFormation resource schema (cfn-lint's copy); a type it does not know: any change
    of any property, the empty path."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - only when an update is checked

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:
        return ((),), ()

    def paths(key: str) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(p.removeprefix("/properties/").split("/")) for p in schema.get(key, []))

    return paths("createOnlyProperties"), paths("conditionalCreateOnlyProperties")


def create_only_paths(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Every path whose change replaces the resource or may (conditional ones count)."""
    always, conditionally = create_only(resource_type)
    return always + conditionally


def value_at(properties: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in a template fragment, None where the path is absent."""
    node = properties
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def resolved(node: Any, parameters: dict[str, Any]) -> Any:
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
        return {key: resolved(value, parameters) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(item, parameters) for item in node]
    return node
