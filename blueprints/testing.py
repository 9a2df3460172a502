"""Assertions on rendered templates, in the spirit of CDK's `assertions` module
(`Template`, `Match`, `Capture`).

    t = TemplateAssertions.of(blueprint)
    t.resource_count_is("AWS::EC2::NatGateway", 0)
    t.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "payments-dev-sessions"})
    t.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "RetainExceptOnCreate"})
    t.all_resources_properties("AWS::DynamoDB::Table", {"SSESpecification": {"SSEEnabled": True}})

    name = Capture(Match.string_like_regexp("^payments-dev-"))
    t.has_resource_properties("AWS::DynamoDB::Table", {"TableName": name, "TimeToLiveSpecification": Match.any_value()})
    name.as_string()  # the first matching table's name; name.next() moves on to the next one

Patterns
    A pattern is plain data, a matcher (`Match.*`, `Capture`), or plain data with matchers inside it:

    - a dict matches an object when each of its keys matches that key's value; other keys are
      ignored (partial matching, CDK's `objectLike`), except inside `Match.exact`,
      `Match.object_equals` or `Match.array_equals`, where the object may have no other key;
    - a list or tuple matches a list of the same length, element by element;
    - anything else matches an equal value (a bool only equals a bool: `True` does not match `1`);
    - a matcher decides for itself; see `Match` and `Capture`.

Failures
    Every assertion raises AssertionError naming what it looked for, the closest candidates
    and, for each, its differences as `path: expected ..., got ...` lines, where the path
    starts at the logical ID (`SessionsTable.Properties.KeySchema[0].AttributeName`).
    Assertions and captures set `__tracebackhide__`, so pytest shows the failing line of the
    test, not the frames of this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from troposphere import Template

from blueprints.core import Blueprint

_DIFFERENCES_SHOWN = 8  # per candidate in a failure message
_CLOSEST_SHOWN = 3  # candidates in a failure message when none matches
_UNSET: Any = object()


@dataclass
class _Outcome:
    """What matching a pattern found: its differences (none: it matched) and the values
    captured on the way, kept only if the whole pattern matches."""

    differences: list[str] = field(default_factory=list)
    captures: list[tuple[Capture, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def extend(self, other: _Outcome) -> None:
        self.differences += other.differences
        self.captures += other.captures

    def commit(self) -> None:
        """Hand the captured values to their captures, if the pattern matched."""
        if self.ok:
            for capture, value in self.captures:
                capture._record(value)


def _fail(difference: str) -> _Outcome:
    return _Outcome([difference])


class Matcher:
    """A pattern that decides for itself what it matches. Get one from `Match` or `Capture`
    rather than constructing it: `test(value, present, path, partial)` gets the value (None
    and `present=False` when the key is missing), its path for messages, and whether plain
    dicts nested in the matcher match partially (the mode of the enclosing pattern).
    """

    def __init__(self, name: str, test: Callable[[Any, bool, str, bool], _Outcome]) -> None:
        self.name = name
        self._test_function = test

    def _test(self, value: Any, present: bool, path: str, partial: bool) -> _Outcome:
        return self._test_function(value, present, path, partial)

    def __repr__(self) -> str:
        return self.name


class Match:
    """Matchers for what plain data cannot say. Each may sit anywhere in a pattern."""

    @staticmethod
    def absent() -> Matcher:
        """The key is missing (a key whose value is null is present)."""

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            return _fail(f"{_where(path)}: expected absent, got {_show(value)}") if present else _Outcome()

        return Matcher("absent", test)

    @staticmethod
    def any_value() -> Matcher:
        """Any value that is present and not null."""

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            if not present:
                return _fail(f"{_where(path)}: missing (expected any value)")
            return _fail(f"{_where(path)}: expected any value, got null") if value is None else _Outcome()

        return Matcher("any_value", test)

    @staticmethod
    def exact(pattern: Any) -> Matcher:
        """Equal as a whole: dicts inside `pattern` (at any depth) must have exactly its keys,
        lists its elements. Matchers inside `pattern` still decide for themselves."""
        return Matcher(
            f"exact({_show(pattern)})",
            lambda value, present, path, partial: _match(pattern, value, present, path, partial=False),
        )

    @staticmethod
    def object_like(pattern: Mapping[str, Any]) -> Matcher:
        """An object with at least the keys of `pattern`, each matching; other keys are ignored,
        at every depth. This is what a plain dict means, except inside `exact`/`object_equals`."""
        _require(pattern, Mapping, "object_like", "a dict")
        return Matcher(
            f"object_like({_show(pattern)})",
            lambda value, present, path, partial: _match(pattern, value, present, path, partial=True),
        )

    @staticmethod
    def object_equals(pattern: Mapping[str, Any]) -> Matcher:
        """An object with exactly the keys of `pattern` (keys whose pattern is `Match.absent()`
        must be missing), each matching; dicts nested in `pattern` are exact too."""
        _require(pattern, Mapping, "object_equals", "a dict")
        return Matcher(
            f"object_equals({_show(pattern)})",
            lambda value, present, path, partial: _match(pattern, value, present, path, partial=False),
        )

    @staticmethod
    def array_with(items: Sequence[Any]) -> Matcher:
        """A list containing elements that match `items`, in that order, among other elements
        (CDK's `arrayWith`). Each pattern takes the first element after the previous one's that
        it matches. Dicts in `items` match partially, unless inside `exact`/`object_equals`."""
        _require(items, (list, tuple), "array_with", "a list")

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            if not present or not isinstance(value, list | tuple):
                got = _show(value) if present else "nothing"
                return _fail(f"{_where(path)}: expected a list containing {_show(items)}, got {got}")
            outcome, position = _Outcome(), 0
            for wanted in items:
                start, closest = position, None
                while position < len(value):
                    attempt = _match(wanted, value[position], True, f"{path}[{position}]", partial)
                    if attempt.ok:
                        outcome.extend(attempt)
                        break
                    if closest is None or len(attempt.differences) < len(closest.differences):
                        closest = attempt
                    position += 1
                else:
                    after = f" after index {start - 1} (elements match in order)" if start else ""
                    hint = f"; closest: {'; '.join(closest.differences[:3])}" if closest else ""
                    return _fail(f"{_where(path)}: no element{after} matches {_show(wanted)}{hint}")
                position += 1
            return outcome

        return Matcher(f"array_with({_show(items)})", test)

    @staticmethod
    def array_equals(items: Sequence[Any]) -> Matcher:
        """A list of exactly these elements, in this order, each matched exactly (as `exact`)."""
        _require(items, (list, tuple), "array_equals", "a list")
        return Matcher(
            f"array_equals({_show(items)})",
            lambda value, present, path, partial: _match(list(items), value, present, path, partial=False),
        )

    @staticmethod
    def string_like_regexp(regex: str) -> Matcher:
        """A string in which `regex` is found (`re.search`: anchor it with `^...$` to match the
        whole string). The regex is compiled at once, so a bad one fails where it is written."""
        compiled = re.compile(regex)

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            if present and isinstance(value, str) and compiled.search(value):
                return _Outcome()
            got = _show(value) if present else "nothing"
            return _fail(f"{_where(path)}: expected a string matching /{regex}/, got {got}")

        return Matcher(f"string_like_regexp({regex!r})", test)

    @staticmethod
    def not_(pattern: Any) -> Matcher:
        """Anything `pattern` does not match. A missing key matches, unless `pattern` matches a
        missing key (as `Match.absent()` does). Values captured inside `pattern` are dropped."""

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            if _match(pattern, value, present, path, partial).ok:
                got = _show(value) if present else "nothing"
                return _fail(f"{_where(path)}: expected anything but {_show(pattern)}, got {got}")
            return _Outcome()

        return Matcher(f"not_({_show(pattern)})", test)

    @staticmethod
    def serialized_json(pattern: Any) -> Matcher:
        """A string holding JSON whose parsed value matches `pattern` (dicts partially, unless
        inside `exact`/`object_equals`); paths inside it read `Format(json).requestId`."""

        def test(value: Any, present: bool, path: str, partial: bool) -> _Outcome:
            if not present or not isinstance(value, str):
                got = _show(value) if present else "nothing"
                return _fail(f"{_where(path)}: expected a JSON string, got {got}")
            try:
                parsed = json.loads(value)
            except ValueError as err:
                return _fail(f"{_where(path)}: expected a JSON string, got {_show(value)} ({err})")
            return _match(pattern, parsed, True, f"{path}(json)", partial)

        return Matcher(f"serialized_json({_show(pattern)})", test)


class Capture(Matcher):
    """Records the values it matches, to read back after an assertion (CDK's `Capture`).

        arn = Capture()
        t.has_resource_properties("AWS::Lambda::Function", {"Role": {"Fn::GetAtt": arn}})
        role, attribute = arn.as_array()

    `Capture(pattern)` matches only values that `pattern` matches (default: any present value,
    null included). A capture keeps a value only when the whole pattern around it matches a
    candidate: every resource that matches contributes one value per place the capture sits,
    in logical-ID order, and values add up across assertions. The `as_*` methods return the
    current value (the first, until `next()`), and fail when nothing was captured or when
    the value has another JSON type.
    """

    def __init__(self, pattern: Any = _UNSET) -> None:
        super().__init__("Capture()" if pattern is _UNSET else f"Capture({_show(pattern)})", self._test)
        self._pattern = pattern
        self._values: list[Any] = []
        self._index = 0

    def _test(self, value: Any, present: bool, path: str, partial: bool) -> _Outcome:
        if not present:
            return _fail(f"{_where(path)}: missing (expected a value to capture)")
        outcome = _Outcome() if self._pattern is _UNSET else _match(self._pattern, value, True, path, partial)
        if outcome.ok:
            outcome.captures.append((self, value))
        return outcome

    def _record(self, value: Any) -> None:
        self._values.append(value)

    @property
    def values(self) -> list[Any]:
        """Every value captured so far, in order."""
        return list(self._values)

    def next(self) -> bool:
        """Move to the next captured value; False (staying put) when there is none."""
        if self._index + 1 < len(self._values):
            self._index += 1
            return True
        return False

    def as_string(self) -> str:
        __tracebackhide__ = True
        value: str = self._current("string")
        return value

    def as_number(self) -> int | float:
        __tracebackhide__ = True
        value: int | float = self._current("number")
        return value

    def as_boolean(self) -> bool:
        __tracebackhide__ = True
        value: bool = self._current("boolean")
        return value

    def as_array(self) -> list[Any]:
        __tracebackhide__ = True
        value: list[Any] = list(self._current("array"))
        return value

    def as_object(self) -> dict[str, Any]:
        __tracebackhide__ = True
        value: dict[str, Any] = dict(self._current("object"))
        return value

    def _current(self, kind: str) -> Any:
        __tracebackhide__ = True
        if not self._values:
            raise AssertionError(f"{self!r} captured nothing: no assertion matched a value with it")
        value = self._values[self._index]
        if _json_type(value) != kind:
            raise AssertionError(
                f"{self!r} captured {_json_type(value)} {_show(value)} (value {self._index + 1} of "
                f"{len(self._values)}), not a {kind}"
            )
        return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object" if isinstance(value, Mapping) else "other"


def _require(value: Any, kinds: type | tuple[type, ...], name: str, what: str) -> None:
    if not isinstance(value, kinds):
        raise TypeError(f"Match.{name} takes {what}, got {type(value).__name__}")


def _where(path: str) -> str:
    return path or "(template)"


def _child(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _render(value: Any) -> str:
    if isinstance(value, Matcher):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return json.dumps(value, default=repr)


def _show(value: Any, limit: int = 120) -> str:
    text = _render(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _match(pattern: Any, value: Any, present: bool, path: str, partial: bool = True) -> _Outcome:
    """Match `value` (None and `present=False` when missing) against `pattern` at `path`."""
    if isinstance(pattern, Matcher):
        return pattern._test(value, present, path, partial)
    if not present:
        return _fail(f"{_where(path)}: missing (expected {_show(pattern)})")
    if isinstance(pattern, Mapping):
        if not isinstance(value, Mapping):
            return _fail(f"{_where(path)}: expected an object, got {_show(value)}")
        outcome = _Outcome()
        for key, sub in pattern.items():
            outcome.extend(_match(sub, value.get(key), key in value, _child(path, key), partial))
        if not partial:
            for key in value:
                if key not in pattern:
                    outcome.differences.append(f"{_child(path, key)}: unexpected key (value {_show(value[key])})")
        return outcome
    if isinstance(pattern, list | tuple):
        if not isinstance(value, list | tuple) or len(value) != len(pattern):
            return _fail(f"{_where(path)}: expected {_show(pattern)}, got {_show(value)}")
        outcome = _Outcome()
        for i, (p, v) in enumerate(zip(pattern, value, strict=True)):
            outcome.extend(_match(p, v, True, f"{path}[{i}]", partial))
        return outcome
    if pattern == value and isinstance(pattern, bool) == isinstance(value, bool):
        return _Outcome()
    return _fail(f"{_where(path)}: expected {_show(pattern)}, got {_show(value)}")


def _match_each(candidates: Mapping[str, Any], pattern: Any) -> dict[str, _Outcome]:
    """Match every candidate, in name order, with paths starting at its name; the values
    captured in the ones that match are kept."""
    outcomes = {}
    for name in sorted(candidates):
        outcome = _match(pattern, candidates[name], True, name)
        outcome.commit()
        outcomes[name] = outcome
    return outcomes


def _describe(outcomes: Mapping[str, _Outcome], *, closest: int | None, kind: str) -> list[str]:
    """Failure lines for the candidates that did not match: the `closest` ones with the fewest
    differences, or all of them (in name order) when `closest` is None."""
    failing = [(name, o) for name, o in outcomes.items() if not o.ok]
    if closest is not None:
        failing.sort(key=lambda item: (len(item[1].differences), item[0]))
    lines = []
    for name, outcome in failing[:closest]:
        count = len(outcome.differences)
        lines.append(f"  {name} ({count} difference{'' if count == 1 else 's'})")
        lines += [f"    {d}" for d in outcome.differences[:_DIFFERENCES_SHOWN]]
        if count > _DIFFERENCES_SHOWN:
            lines.append(f"    ... and {count - _DIFFERENCES_SHOWN} more")
    if closest is not None and len(failing) > closest:
        lines.append(f"  ... and {len(failing) - closest} other {kind} further off")
    return lines


def _with_properties(resources: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Resources with `Properties: {}` where they have none, so that property patterns such as
    `{"X": Match.absent()}` hold for them too."""
    return {k: {**r, "Properties": r.get("Properties", {})} for k, r in resources.items()}


class TemplateAssertions:
    """A rendered template, queried and asserted on as plain CloudFormation data.

    Resource patterns match the resource's whole definition (`Type`, `Properties`,
    `DeletionPolicy`, `DependsOn`, ...) for `has_resource`, `all_resources` and
    `find_resources`, and its `Properties` (`{}` when it has none) for the `*_properties`
    methods. A plain dict pattern matches partially; pass `Match.object_equals(...)` for an
    exact match. Assertions return what they found (logical IDs, or the entry) for further use.
    """

    def __init__(self, template: Template | Mapping[str, Any] | str) -> None:
        """From a troposphere Template, a template dict, or its JSON text."""
        if isinstance(template, Template):
            self.template: dict[str, Any] = template.to_dict()
        elif isinstance(template, str):
            self.template = json.loads(template)
        else:
            self.template = dict(template)

    @classmethod
    def of(cls, blueprint: Blueprint[Any]) -> TemplateAssertions:
        """The template a blueprint builds."""
        return cls(blueprint.body())

    # -- queries ---------------------------------------------------------------------------
    def resources(self, type_: str | None = None) -> dict[str, dict[str, Any]]:
        """Logical ID -> resource, of every type or only `type_`."""
        res: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return {k: v for k, v in res.items() if type_ is None or v["Type"] == type_}

    def find_resources(self, type_: str, pattern: Any = None) -> dict[str, dict[str, Any]]:
        """Resources of `type_` whose whole definition matches `pattern` (default: all of them)."""
        return self._find(self.resources(type_), pattern)

    def find_outputs(self, pattern: Any = None) -> dict[str, dict[str, Any]]:
        """Outputs that match `pattern` (default: all of them)."""
        return self._find(self.template.get("Outputs", {}), pattern)

    def find_parameters(self, pattern: Any = None) -> dict[str, dict[str, Any]]:
        """Parameters that match `pattern` (default: all of them)."""
        return self._find(self.template.get("Parameters", {}), pattern)

    def find_conditions(self, pattern: Any = None) -> dict[str, Any]:
        """Conditions that match `pattern` (default: all of them)."""
        return self._find(self.template.get("Conditions", {}), pattern)

    def find_mappings(self, pattern: Any = None) -> dict[str, dict[str, Any]]:
        """Mappings that match `pattern` (default: all of them)."""
        return self._find(self.template.get("Mappings", {}), pattern)

    @staticmethod
    def _find(section: Mapping[str, Any], pattern: Any) -> dict[str, Any]:
        outcomes = _match_each(section, {} if pattern is None else pattern)
        return {name: section[name] for name, outcome in outcomes.items() if outcome.ok}

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The Properties of one resource (`{}` if it has none); fails if there is no such resource."""
        __tracebackhide__ = True
        resource = self.resources().get(logical_id)
        if resource is None:
            raise AssertionError(f"no resource {logical_id!r}; resources are {sorted(self.resources())}")
        props: dict[str, Any] = resource.get("Properties", {})
        return props

    # -- assertions on resources -----------------------------------------------------------
    def resource_count_is(self, type_: str, count: int) -> list[str]:
        """Exactly `count` resources of `type_`; returns their logical IDs."""
        __tracebackhide__ = True
        found = sorted(self.resources(type_))
        if len(found) != count:
            raise AssertionError(f"expected {count} {type_}, found {len(found)}: {found}")
        return found

    def resource_properties_count_is(self, type_: str, pattern: Any, count: int) -> list[str]:
        """Exactly `count` resources of `type_` whose Properties match `pattern`; returns their
        logical IDs. When too few match, the failure shows the closest of the others."""
        __tracebackhide__ = True
        outcomes = _match_each(_with_properties(self.resources(type_)), {"Properties": pattern})
        matched = [name for name, outcome in outcomes.items() if outcome.ok]
        if len(matched) != count:
            lines = [f"expected {count} {type_} with properties matching the pattern, found {len(matched)}: {matched}"]
            lines.append(f"  pattern: {_show(pattern, 400)}")
            if len(matched) < count and len(outcomes) > len(matched):
                lines.append("closest of the others:")
                lines += _describe(outcomes, closest=_CLOSEST_SHOWN, kind=type_)
            raise AssertionError("\n".join(lines))
        return matched

    def has_resource(self, type_: str, pattern: Any) -> list[str]:
        """At least one resource of `type_` whose whole definition matches `pattern`; returns the
        logical IDs of all that do. The failure shows the closest ones with their differences."""
        __tracebackhide__ = True
        return self._some(self.resources(type_), type_, pattern)

    def has_resource_properties(self, type_: str, pattern: Any) -> list[str]:
        """At least one resource of `type_` whose Properties match `pattern`; returns the logical
        IDs of all that do. The failure shows the closest ones with their differences."""
        __tracebackhide__ = True
        return self._some(_with_properties(self.resources(type_)), type_, {"Properties": pattern}, shown=pattern)

    def all_resources(self, type_: str, pattern: Any) -> list[str]:
        """Every resource of `type_` (and there is at least one) matches `pattern` with its whole
        definition; returns their logical IDs. The failure lists each that does not."""
        __tracebackhide__ = True
        return self._every(self.resources(type_), type_, pattern)

    def all_resources_properties(self, type_: str, pattern: Any) -> list[str]:
        """Every resource of `type_` (and there is at least one) has Properties matching
        `pattern`; returns their logical IDs. The failure lists each that does not."""
        __tracebackhide__ = True
        return self._every(_with_properties(self.resources(type_)), type_, {"Properties": pattern}, shown=pattern)

    def _some(self, candidates: Mapping[str, Any], type_: str, pattern: Any, shown: Any = _UNSET) -> list[str]:
        __tracebackhide__ = True
        self._require_any(candidates, type_)
        outcomes = _match_each(candidates, pattern)
        matched = [name for name, outcome in outcomes.items() if outcome.ok]
        if not matched:
            lines = [f"no {type_} matches the pattern (of {len(candidates)} in the template); closest:"]
            lines += _describe(outcomes, closest=_CLOSEST_SHOWN, kind=type_)
            lines.append(f"  pattern: {_show(pattern if shown is _UNSET else shown, 400)}")
            raise AssertionError("\n".join(lines))
        return matched

    def _every(self, candidates: Mapping[str, Any], type_: str, pattern: Any, shown: Any = _UNSET) -> list[str]:
        __tracebackhide__ = True
        self._require_any(candidates, type_)
        outcomes = _match_each(candidates, pattern)
        failing = [name for name, outcome in outcomes.items() if not outcome.ok]
        if failing:
            lines = [f"{len(failing)} of {len(candidates)} {type_} do not match the pattern:"]
            lines += _describe(outcomes, closest=None, kind=type_)
            lines.append(f"  pattern: {_show(pattern if shown is _UNSET else shown, 400)}")
            raise AssertionError("\n".join(lines))
        return sorted(candidates)

    def _require_any(self, candidates: Mapping[str, Any], type_: str) -> None:
        __tracebackhide__ = True
        if not candidates:
            types = sorted({r["Type"] for r in self.resources().values()})
            raise AssertionError(f"template has no {type_} (types present: {types})")

    # -- assertions on the other sections --------------------------------------------------
    def has_output(self, name: str, pattern: Any = None) -> dict[str, Any]:
        """The output `name` exists and matches `pattern` (default: anything); returns it."""
        __tracebackhide__ = True
        found: dict[str, Any] = self._entry("Outputs", "output", name, pattern)
        return found

    def has_parameter(self, name: str, type_: str | None = None, pattern: Any = None) -> dict[str, Any]:
        """The parameter `name` exists, of type `type_` if given, and matches `pattern` (default:
        anything); returns it."""
        __tracebackhide__ = True
        found: dict[str, Any] = self._entry("Parameters", "parameter", name, pattern)
        if type_ is not None and found.get("Type") != type_:
            raise AssertionError(f"parameter {name!r} is {found.get('Type')}, expected {type_}")
        return found

    def has_condition(self, name: str, pattern: Any = None) -> Any:
        """The condition `name` exists and matches `pattern` (default: anything); returns it."""
        __tracebackhide__ = True
        return self._entry("Conditions", "condition", name, pattern)

    def has_mapping(self, name: str, pattern: Any = None) -> dict[str, Any]:
        """The mapping `name` exists and matches `pattern` (default: anything); returns it."""
        __tracebackhide__ = True
        found: dict[str, Any] = self._entry("Mappings", "mapping", name, pattern)
        return found

    def _entry(self, section: str, kind: str, name: str, pattern: Any) -> Any:
        __tracebackhide__ = True
        entries: dict[str, Any] = self.template.get(section, {})
        if name not in entries:
            raise AssertionError(f"no {kind} {name!r}; {kind}s are {sorted(entries)}")
        if pattern is not None:
            outcome = _match(pattern, entries[name], True, f"{section}.{name}")
            outcome.commit()
            if not outcome.ok:
                lines = [f"{kind} {name!r} does not match the pattern:"]
                lines += [f"  {d}" for d in outcome.differences]
                raise AssertionError("\n".join(lines))
        return entries[name]

    def template_matches(self, pattern: Any) -> None:
        """The whole template matches `pattern` (a dict: partially, as everywhere; pass
        `Match.object_equals(...)` for nothing more). The failure lists every difference."""
        __tracebackhide__ = True
        outcome = _match(pattern, self.template, True, "")
        outcome.commit()
        if not outcome.ok:
            count = len(outcome.differences)
            lines = [f"the template does not match the pattern ({count} difference{'' if count == 1 else 's'}):"]
            lines += [f"  {d}" for d in outcome.differences]
            raise AssertionError("\n".join(lines))
