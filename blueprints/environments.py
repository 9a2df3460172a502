"""Environment settings: read from the Sceptre project's stack-group `config.yaml` files,
validated as a whole (every environment, every stack) and turned into blueprints.

Layout of `config/<env>/config.yaml`::

    region: eu-west-1              # Sceptre's own key; the region of the environment
    environment:
      domain: api.dev.example.com  # environment-wide settings ...
      log_retention_days: 7
      retain_data: false
      deletion_protection: false
      stacks:                      # ... and per-stack settings, keyed by blueprint name
        network: {cidr: 10.10.0.0/16, nat_gateways: 0}

An environment-wide setting is filled into every stack whose config declares a field of
that name, and may not be set per stack: retention, protection and the domain are each
decided in exactly one place.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from blueprints.api import ApiBlueprint
from blueprints.cdn import CdnBlueprint
from blueprints.certificate import CertificateBlueprint
from blueprints.core import (
    Blueprint,
    ConfigError,
    Context,
    DeletionProtection,
    DomainName,
    LogRetentionDays,
    RetainData,
)
from blueprints.data import DataBlueprint
from blueprints.functions import FunctionsBlueprint
from blueprints.identity import IdentityBlueprint
from blueprints.network import NetworkBlueprint
from blueprints.storage import StorageBlueprint
from blueprints.zone import ZoneBlueprint

BLUEPRINTS: dict[str, type[Blueprint[Any]]] = {
    b.name: b
    for b in (
        NetworkBlueprint,
        DataBlueprint,
        StorageBlueprint,
        ZoneBlueprint,
        IdentityBlueprint,
        CertificateBlueprint,
        FunctionsBlueprint,
        ApiBlueprint,
        CdnBlueprint,
    )
}

_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,15}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ANY_STACK = "*"


class SharedSettings(BaseModel):
    """Environment-wide settings, each consumed by every stack that declares it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: DomainName
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    deletion_protection: DeletionProtection


class EnvironmentSettings(SharedSettings):
    """One environment: its shared settings and the settings of each of its stacks."""

    stacks: dict[str, dict[str, Any]] = Field(description="Per-stack settings, keyed by blueprint name.")
    protect_stacks: bool = Field(
        description=(
            "Termination protection on every stack, and a stack policy denying replacement or deletion of "
            "each stateful resource, applied after each launch."
        )
    )
    allow_destructive_changes: tuple[str, ...] = Field(
        (),
        description=(
            "Stateful resources ('<stack>.<LogicalId>') an update may replace or delete in this environment "
            "(default none: every such change is refused)."
        ),
    )


@dataclass(frozen=True)
class Environment:
    """A validated environment: name, region and settings."""

    project: str
    name: str
    region: str
    settings: EnvironmentSettings

    @property
    def context(self) -> Context:
        return Context(project=self.project, environment=self.name)

    def blueprint(self, stack: str) -> Blueprint[Any]:
        """The configured blueprint of `stack`; errors name environment, stack and field."""
        if stack not in BLUEPRINTS:
            raise ConfigError(
                f"no blueprint named {stack!r} (known: {', '.join(sorted(BLUEPRINTS))})",
                environment=self.name,
                stack=stack,
                field="template.name",
            )
        blueprint = BLUEPRINTS[stack]
        own = dict(self.settings.stacks.get(stack, {}))
        shared = SharedSettings.model_fields.keys()
        for key in sorted(own.keys() & shared):
            raise ConfigError(
                f"{key!r} is an environment-wide setting: set it under 'environment', not per stack",
                environment=self.name,
                stack=stack,
                field=key,
            )
        declared = blueprint.config_model.model_fields.keys()
        own.update({key: getattr(self.settings, key) for key in shared if key in declared})
        return blueprint.from_mapping(own, self.context)

    def render(self, stack: str) -> str:
        return self.blueprint(stack).render()


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

    def validate(self) -> Project:
        """Validate every stack of every environment, then the rules across environments."""
        for env in self.environments.values():
            for stack in sorted(env.settings.stacks.keys() - BLUEPRINTS.keys()):
                raise ConfigError(
                    f"settings for an unknown stack (known: {', '.join(sorted(BLUEPRINTS))})",
                    environment=env.name,
                    stack=stack,
                    field=f"environment.stacks.{stack}",
                )
            for stack in BLUEPRINTS:
                env.blueprint(stack)
            for entry in env.settings.allow_destructive_changes:
                stack, _, logical_id = entry.partition(".")
                if stack not in BLUEPRINTS or not logical_id.isalnum():
                    raise ConfigError(
                        f"{entry!r} is not '<stack>.<LogicalId>' of a known stack",
                        environment=env.name,
                        stack=stack,
                        field="environment.allow_destructive_changes",
                    )
        _check_invariants_identical(self)
        _check_cidrs_disjoint(self)
        _check_domains_distinct(self)
        return self


def load_project(project_dir: str | Path) -> Project:
    """Read `config/config.yaml` and every `config/<env>/config.yaml`, validated."""
    config_dir = Path(project_dir) / "config"
    root = _read_yaml(config_dir / "config.yaml")
    project_code = root.get("project_code")
    if not isinstance(project_code, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,20}", project_code):
        raise ConfigError(
            f"project_code must be a short lower-case name, got {project_code!r}",
            environment=ANY_STACK,
            stack=ANY_STACK,
            field="project_code",
        )
    declared = root.get("environments")
    groups = sorted(p.name for p in config_dir.iterdir() if (p / "config.yaml").is_file())
    if not isinstance(declared, list) or not declared or sorted(map(str, declared)) != groups:
        raise ConfigError(
            f"must list every stack group under config/ in promotion order (groups found: {groups})",
            environment=ANY_STACK,
            stack=ANY_STACK,
            field="environments",
        )
    environments = {}
    for name in declared:
        env = _load_environment(project_code, config_dir / name, default_region=root.get("region"))
        environments[env.name] = env
    return Project(project_code, environments).validate()


def _load_environment(project: str, group: Path, *, default_region: object) -> Environment:
    name = group.name
    where = {"environment": name, "stack": ANY_STACK}
    if not _ENV_NAME.fullmatch(name):
        raise ConfigError("environment names are 2-16 lower-case letters and digits", field="environment", **where)
    raw = _read_yaml(group / "config.yaml")
    region = raw.get("region", default_region)
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigError(f"{region!r} is not an AWS region", field="region", **where)
    if "environment" not in raw:
        raise ConfigError("missing the 'environment' settings block", field="environment", **where)
    try:
        settings = EnvironmentSettings.model_validate(raw["environment"])
    except ValidationError as err:
        first = err.errors()[0]["loc"]
        stack = str(first[1]) if len(first) > 1 and first[0] == "stacks" else ANY_STACK
        prefix = "environment."
        raise ConfigError.from_validation(err, environment=name, stack=stack, prefix=prefix) from err
    return Environment(project=project, name=name, region=region, settings=settings)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(), Loader=_TolerantLoader)  # noqa: S506 - safe subclass
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(str(err), environment=path.parent.name, stack=ANY_STACK, field=path.name) from err
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping", environment=path.parent.name, stack=ANY_STACK, field=path.name)
    return data


class _TolerantLoader(yaml.SafeLoader):
    """Safe YAML that reads Sceptre resolver tags (`!stack_output ...`) as plain strings."""


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix} {node.value}")


def _check_invariants_identical(project: Project) -> None:
    """A setting not declared per_environment must have one value in every environment."""
    for stack, blueprint in BLUEPRINTS.items():
        varying = set(blueprint.config_model.per_environment_fields())
        configs = {name: env.blueprint(stack).config for name, env in project.environments.items()}
        for field in blueprint.config_model.model_fields:
            if field in varying:
                continue
            values = {name: getattr(config, field) for name, config in configs.items()}
            counts = Counter(repr(v) for v in values.values())
            if len(counts) > 1:
                usual = counts.most_common(1)[0][0]
                odd = next(name for name, value in values.items() if repr(value) != usual)
                shown = ", ".join(f"{name}={value!r}" for name, value in values.items())
                raise ConfigError(
                    f"is the same in every environment by design (not per_environment), got {shown}",
                    environment=odd,
                    stack=stack,
                    field=field,
                )


def _check_cidrs_disjoint(project: Project) -> None:
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for env in project.environments.values():
        cidr = ipaddress.IPv4Network(env.blueprint("network").config.cidr)
        for other, other_cidr in seen:
            if cidr.overlaps(other_cidr):
                raise ConfigError(
                    f"{cidr} overlaps {other}'s {other_cidr}: environments must be peerable",
                    environment=env.name,
                    stack="network",
                    field="cidr",
                )
        seen.append((env.name, cidr))


def _check_domains_distinct(project: Project) -> None:
    owners: dict[str, str] = {}
    for env in project.environments.values():
        domain = env.settings.domain
        if domain in owners:
            raise ConfigError(
                f"{domain!r} is already the domain of {owners[domain]!r}",
                environment=env.name,
                stack=ANY_STACK,
                field="environment.domain",
            )
        owners[domain] = env.name


def settings_table(project: Project) -> str:
    """Markdown table: every declared setting (rows) by environment (columns)."""
    envs = list(project.environments.values())
    rows: list[tuple[str, list[object]]] = [("region", [e.region for e in envs])]
    environment_wide = [key for key in EnvironmentSettings.model_fields if key != "stacks"]
    rows += [(key, [getattr(e.settings, key) for e in envs]) for key in environment_wide]
    declared = sorted({(stack, key) for e in envs for stack, values in e.settings.stacks.items() for key in values})
    rows += [(f"{stack}.{key}", [getattr(e.blueprint(stack).config, key) for e in envs]) for stack, key in declared]

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(value) or "-"
        return "on" if value is True else "off" if value is False else str(value)

    lines = ["| setting | " + " | ".join(e.name for e in envs) + " |", "|---" * (len(envs) + 1) + "|"]
    lines += [f"| `{name}` | " + " | ".join(cell(v) for v in values) + " |" for name, values in rows]
    return "\n".join(lines)
