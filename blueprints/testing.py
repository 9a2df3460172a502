"""Assertions on rendered templates, in the spirit of CDK's `assertions` module.

    t = TemplateAssertions.of(blueprint)
    t.resource_count_is("AWS::EC2::NatGateway", 0)
    t.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "payments-dev-sessions"})
    t.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain"})

Patterns match partially: a dict matches when each of its keys matches (other keys are
ignored), a list matches element by element, and `Match` gives the other cases. When
nothing matches, the error lists the closest resources with path-level differences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from troposphere import Template

from blueprints.core import Blueprint


@dataclass(frozen=True)
class _Matcher:
    name: str
    check: Callable[[Any, bool, str], list[str]]  # (value, present, path) -> differences

    def __repr__(self) -> str:
        return self.name


class Match:
    """Special patterns."""

    @staticmethod
    def absent() -> _Matcher:
        return _Matcher(
            "absent", lambda v, present, path: [f"{path}: expected absent, got {_short(v)}"] if present else []
        )

    @staticmethod
    def any_value() -> _Matcher:
        return _Matcher("any", lambda v, present, path: [] if present else [f"{path}: missing"])

    @staticmethod
    def array_with(items: list[Any]) -> _Matcher:
        """A list containing the patterns in `items`, in that order, among other elements."""

        def check(value: Any, present: bool, path: str) -> list[str]:
            if not present or not isinstance(value, list):
                return [
                    f"{path}: expected a list containing {_short(items)}, got {_short(value) if present else 'nothing'}"
                ]
            position = 0
            for wanted in items:
                while position < len(value) and _diff(wanted, value[position], True, path):
                    position += 1
                if position == len(value):
                    return [f"{path}: no element matches {_short(wanted)} (in order) in {_short(value)}"]
                position += 1
            return []

        return _Matcher(f"array_with({items!r})", check)

    @staticmethod
    def exact(pattern: Any) -> _Matcher:
        """Equal as a whole: no extra keys in dicts."""
        return _Matcher(
            f"exact({pattern!r})",
            lambda v, present, path: (
                [] if present and v == pattern else [f"{path}: expected exactly {_short(pattern)}, got {_short(v)}"]
            ),
        )


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, default=repr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _diff(pattern: Any, value: Any, present: bool, path: str) -> list[str]:
    """Differences between a pattern and a value, as 'path: expected ..., got ...' lines."""
    if isinstance(pattern, _Matcher):
        return pattern.check(value, present, path)
    if not present:
        return [f"{path}: missing (expected {_short(pattern)})"]
    if isinstance(pattern, Mapping):
        if not isinstance(value, Mapping):
            return [f"{path}: expected an object, got {_short(value)}"]
        diffs: list[str] = []
        for key, sub in pattern.items():
            diffs += _diff(sub, value.get(key), key in value, f"{path}.{key}")
        return diffs
    if isinstance(pattern, list):
        if not isinstance(value, list) or len(value) != len(pattern):
            return [f"{path}: expected {_short(pattern)}, got {_short(value)}"]
        return [
            d for i, (p, v) in enumerate(zip(pattern, value, strict=True)) for d in _diff(p, v, True, f"{path}[{i}]")
        ]
    return [] if pattern == value else [f"{path}: expected {_short(pattern)}, got {_short(value)}"]


class TemplateAssertions:
    """A rendered template, queried and asserted on as plain CloudFormation data."""

    def __init__(self, template: Template | Mapping[str, Any] | str) -> None:
        if isinstance(template, Template):
            self.template: dict[str, Any] = template.to_dict()
        elif isinstance(template, str):
            self.template = json.loads(template)
        else:
            self.template = dict(template)

    @classmethod
    def of(cls, blueprint: Blueprint[Any]) -> TemplateAssertions:
        return cls(blueprint.build())

    # -- queries ---------------------------------------------------------------------------
    def resources(self, type_: str | None = None) -> dict[str, dict[str, Any]]:
        """Logical ID -> resource, optionally of one type."""
        res: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return {k: v for k, v in res.items() if type_ is None or v["Type"] == type_}

    def find_resources(self, type_: str, pattern: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Resources of `type_` whose whole definition matches `pattern`."""
        return {k: v for k, v in self.resources(type_).items() if not _diff(pattern or {}, v, True, k)}

    def properties(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources().get(logical_id)
        if resource is None:
            raise AssertionError(f"no resource {logical_id!r}; resources are {sorted(self.resources())}")
        props: dict[str, Any] = resource.get("Properties", {})
        return props

    # -- assertions ------------------------------------------------------------------------
    def resource_count_is(self, type_: str, count: int) -> None:
        found = sorted(self.resources(type_))
        if len(found) != count:
            raise AssertionError(f"expected {count} {type_}, found {len(found)}: {found}")

    def has_resource_properties(self, type_: str, pattern: Mapping[str, Any]) -> list[str]:
        """Logical IDs of the `type_` resources whose Properties match; fails if none."""
        return self.has_resource(type_, {"Properties": pattern})

    def has_resource(self, type_: str, pattern: Mapping[str, Any]) -> list[str]:
        """Logical IDs of the `type_` resources whose definition matches; fails if none."""
        candidates = self.resources(type_)
        if not candidates:
            raise AssertionError(
                f"template has no {type_} (types present: {sorted({r['Type'] for r in self.resources().values()})})"
            )
        diffs = {k: _diff(pattern, v, True, k) for k, v in candidates.items()}
        matched = sorted(k for k, d in diffs.items() if not d)
        if matched:
            return matched
        closest = sorted(diffs.items(), key=lambda kv: (len(kv[1]), kv[0]))[:3]
        lines = [f"no {type_} matches the pattern; closest:"]
        for logical_id, differences in closest:
            lines.append(f"  {logical_id} ({len(differences)} differences)")
            lines += [f"    {d}" for d in differences[:8]]
        raise AssertionError("\n".join(lines))

    def has_output(self, name: str, pattern: Any = None) -> dict[str, Any]:
        outputs: dict[str, Any] = self.template.get("Outputs", {})
        if name not in outputs:
            raise AssertionError(f"no output {name!r}; outputs are {sorted(outputs)}")
        differences = _diff(pattern or {}, outputs[name], True, f"Outputs.{name}")
        if differences:
            raise AssertionError("\n".join(differences))
        return dict(outputs[name])

    def has_parameter(self, name: str, type_: str | None = None) -> None:
        parameters: dict[str, Any] = self.template.get("Parameters", {})
        if name not in parameters:
            raise AssertionError(f"no parameter {name!r}; parameters are {sorted(parameters)}")
        if type_ is not None and parameters[name]["Type"] != type_:
            raise AssertionError(f"parameter {name!r} is {parameters[name]['Type']}, expected {type_}")
