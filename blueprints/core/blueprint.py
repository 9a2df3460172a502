"""The blueprint contract: typed config in, one CloudFormation template out.

A blueprint is one stack. It is constructed from a validated config model and a
`Context` (project and environment names, used for naming and tags only, never to
decide behaviour) and `build()` returns a fresh troposphere `Template`. `build()` is
pure: no AWS calls, no clock, no file system, so the same input gives a
byte-identical template.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import ValidationError
from troposphere import Equals, Output, Parameter, Ref, Tags, Template

from blueprints.core.config import StackConfig
from blueprints.core.context import BUCKET_NAME_LIMIT, LONGEST_REGION, MAX_NAMES_LENGTH, Context
from blueprints.core.errors import ConfigError, InvalidName

# ConfigError and InvalidName live in blueprints.core.errors, Context and the limits of names in
# blueprints.core.context (standard library only: the project's loader needs them).
__all__ = [
    "BUCKET_NAME_LIMIT",
    "LONGEST_REGION",
    "MAX_NAMES_LENGTH",
    "Blueprint",
    "BlueprintError",
    "ConfigError",
    "Context",
    "InvalidName",
    "add_output",
    "add_parameter",
    "require_region",
    "tag_resources",
]

ConfigT = TypeVar("ConfigT", bound=StackConfig)


class BlueprintError(RuntimeError):
    """A template that CloudFormation would reject, caught while building it."""


class Blueprint(abc.ABC, Generic[ConfigT]):
    """Base class of every stack blueprint.

    Subclasses set `name`, `description` and `config_model`, and implement `define()`,
    which adds parameters, resources and outputs to the template it is given.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    config_model: ClassVar[type[StackConfig]]

    def __init__(self, config: ConfigT, context: Context) -> None:
        if not isinstance(config, self.config_model):
            raise TypeError(f"{type(self).__name__} needs a {self.config_model.__name__}, got {type(config).__name__}")
        config.check_context(context)
        self.config: ConfigT = config
        self.context = context

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], context: Context) -> Blueprint[Any]:
        """Validate plain data (e.g. from YAML) and construct; errors name env/stack/field."""
        try:
            config = cls.config_model.model_validate(dict(values))
        except ValidationError as err:
            raise ConfigError.from_validation(
                err, environment=context.environment, stack=cls.name, model=cls.config_model
            ) from err
        return cls(config, context)  # type: ignore[arg-type]

    @abc.abstractmethod
    def define(self, template: Template) -> None:
        """Add this stack's parameters, resources and outputs to `template`."""

    def build(self) -> Template:
        return self._build()[0]

    def body(self) -> dict[str, Any]:
        """The template as the JSON object CloudFormation receives (built and validated)."""
        return self._build()[1]

    def _build(self) -> tuple[Template, dict[str, Any]]:
        """The template and its JSON object, computed once: troposphere's `to_dict()`
        (which also validates) is most of a render."""
        template = Template(Description=f"{self.context.project} {self.context.environment}: {self.description}")
        template.set_version("2010-09-09")
        self.define(template)
        tag_resources(template, self.context.tags(self.name))
        try:
            # troposphere validates required properties lazily; force it here so a
            # broken template fails in build(), named, instead of in CloudFormation.
            body = template.to_dict()
        except (ValueError, TypeError, AttributeError) as err:
            raise BlueprintError(f"blueprint {self.name!r} ({self.context.environment}): {err}") from err
        return template, body

    def render(self) -> str:
        """The template as CloudFormation receives it: compact JSON with sorted keys, so
        byte-stable and well within the 51,200 bytes CloudFormation accepts as a template body
        (`make render` writes it indented, for people)."""
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":"))


def tag_resources(template: Template, tags: Mapping[str, str]) -> None:
    """Add the standard tags to every taggable resource, keeping tags it already has."""
    for resource in template.resources.values():
        key = next((k for k in ("HostedZoneTags", "UserPoolTags", "Tags") if k in resource.props), None)
        if key is None:
            continue
        existing = resource.properties.get(key)
        own = {t["Key"]: t["Value"] for t in existing.to_dict()} if isinstance(existing, Tags) else {}
        merged = {**tags, **own}
        if resource.props[key][0] is dict:
            resource.properties[key] = dict(sorted(merged.items()))
        else:
            resource.properties[key] = Tags(**merged)


def add_parameter(template: Template, name: str, description: str, type_: str = "String") -> Parameter:
    """A value that comes from another stack's output (fed by Sceptre's !stack_output)."""
    return template.add_parameter(Parameter(name, Type=type_, Description=description))


def require_region(template: Template, rule: str, region: str, why: str) -> None:
    """A template rule: CloudFormation refuses to create the stack in any other region."""
    assertion = {"Assert": Equals(Ref("AWS::Region"), region), "AssertDescription": why}
    template.add_rule(rule, {"Assertions": [assertion]})


def add_output(template: Template, name: str, value: object, description: str) -> Output:
    return template.add_output(Output(name, Value=value, Description=description))
