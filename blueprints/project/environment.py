"""A validated environment (its settings, its stacks and the blueprint each names) and the
project of every environment, validated together.

An environment-wide setting is filled into every stack whose config declares a field of
that name, and may not be set per stack: retention, protection and the domain are each
decided in exactly one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from blueprints.core.context import Context
from blueprints.core.errors import ANY_STACK, ConfigError
from blueprints.project.registry import blueprint_class, config_model
from blueprints.project.settings import (
    DATA_KEEPING_SETTINGS,
    STORAGE_DATA_KEEPING_SETTINGS,
    EnvironmentSettings,
    SharedSettings,
)
from blueprints.stacks.edge.settings import EDGE_REGION

if TYPE_CHECKING:
    from blueprints.core.blueprint import Blueprint
    from blueprints.core.config import StackConfig
    from blueprints.stacks.bootstrap.template import BootstrapBlueprint


@dataclass(frozen=True)
class Environment:
    """A validated environment: name, region, settings, and its stacks (stack name ->
    the blueprint its stack file names)."""

    project: str
    name: str
    region: str
    settings: EnvironmentSettings
    stacks: Mapping[str, str]

    @property
    def context(self) -> Context:
        return Context(project=self.project, environment=self.name)

    def config(self, stack: str) -> StackConfig:
        """The validated config of `stack`, its environment-wide settings filled in; errors name
        environment, stack and field. A built-in stack's template is not imported."""
        model = config_model(self._reference(stack), environment=self.name, stack=stack)
        own = dict(self.settings.stacks.get(stack, {}))
        shared = SharedSettings.model_fields.keys()
        for key in sorted(own.keys() & shared):
            raise ConfigError(
                f"{key!r} is an environment-wide setting: set it under 'environment', not per stack",
                environment=self.name,
                stack=stack,
                field=key,
            )
        declared = model.model_fields.keys()
        own.update(
            {
                key: getattr(self.settings, key)
                for key in shared
                if key in declared and getattr(self.settings, key) is not None
            }
        )
        try:
            config = model.model_validate(own)
            config.check_context(self.context)
        except ValidationError as err:
            raise ConfigError.from_validation(err, environment=self.name, stack=stack, model=model) from err
        except ConfigError as err:
            if err.stack == stack:
                raise
            # The stack file's name, not the blueprint's, is what the settings are keyed by.
            raise ConfigError(err.reason, environment=err.environment, stack=stack, field=err.field) from err
        return config

    def blueprint(self, stack: str) -> Blueprint[Any]:
        """The configured blueprint of `stack`; errors name environment, stack and field."""
        blueprint = blueprint_class(self._reference(stack), environment=self.name, stack=stack)
        return blueprint(self.config(stack), self.context)

    def _reference(self, stack: str) -> str:
        """The blueprint `stack`'s file names."""
        if stack not in self.stacks:
            raise ConfigError(
                f"no stack {stack!r} in this environment (its stacks: {', '.join(sorted(self.stacks))})",
                environment=self.name,
                stack=stack,
                field="template.name",
            )
        return self.stacks[stack]

    def render(self, stack: str) -> str:
        return self.blueprint(stack).render()

    def data_keeping_settings(self) -> list[str]:
        """The settings by which this environment keeps its data (`<scope>.<name>`): while any is
        on, nothing may tear it down (`make destroy`), and its deploy role may not empty buckets."""
        kept = [f"environment.{name}" for name in DATA_KEEPING_SETTINGS if getattr(self.settings, name)]
        if "storage" in self.stacks:
            storage = self.config("storage")
            kept += [f"storage.{name}" for name in STORAGE_DATA_KEEPING_SETTINGS if getattr(storage, name, None)]
        return kept

    def bootstrap(self) -> BootstrapBlueprint:
        """The bootstrap of this environment's account: roles allowed what its stacks use."""
        from blueprints.stacks.bootstrap.settings import BootstrapConfig  # noqa: PLC0415
        from blueprints.stacks.bootstrap.template import BootstrapBlueprint  # noqa: PLC0415 - troposphere, when built

        types = {
            resource["Type"] for stack in self.stacks for resource in self.blueprint(stack).body()["Resources"].values()
        }
        # Global services (IAM, CloudFront, Route 53) and the edge stacks act in us-east-1.
        regions = tuple(sorted({self.region, EDGE_REGION}))
        config = BootstrapConfig(
            deployers=self.settings.deployers,
            regions=regions,
            resource_types=tuple(sorted(types)),
            api_gateway_account=True,
            teardown=not self.data_keeping_settings(),
        )
        return BootstrapBlueprint(config, self.context)


@dataclass(frozen=True)
class Project:
    """Every environment of a Sceptre project, validated together."""

    name: str
    environments: Mapping[str, Environment]

    def environment(self, name: str, *, stack: str = ANY_STACK) -> Environment:
        if name not in self.environments:
            raise ConfigError(
                f"no such environment (known: {', '.join(sorted(self.environments))})",
                environment=name,
                stack=stack,
                field="environment",
            )
        return self.environments[name]

    @property
    def stacks(self) -> list[str]:
        """Every stack of any environment, in the order environments declare them."""
        return list(dict.fromkeys(stack for env in self.environments.values() for stack in env.stacks))
