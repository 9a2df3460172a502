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

import difflib
import functools
import importlib
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from blueprints.core import (
    AccountId,
    AlarmSubscriptions,
    Blueprint,
    ConfigError,
    Context,
    CustomerManagedKeys,
    DeletionProtection,
    DomainName,
    KeyDeletionWindowDays,
    LogRetentionDays,
    PageSubscriptions,
    PrincipalArn,
    RetainData,
)
from blueprints.project.locations import file_location, yaml_syntax
from blueprints.stacks.api import ApiBlueprint
from blueprints.stacks.bootstrap import BootstrapBlueprint, BootstrapConfig
from blueprints.stacks.cdn import CdnBlueprint
from blueprints.stacks.certificate import CertificateBlueprint
from blueprints.stacks.data import DataBlueprint
from blueprints.stacks.edge import EDGE_REGION, EdgeBlueprint
from blueprints.stacks.functions import FunctionsBlueprint
from blueprints.stacks.identity import IdentityBlueprint
from blueprints.stacks.monitoring import MonitoringBlueprint
from blueprints.stacks.network import NetworkBlueprint
from blueprints.stacks.storage import StorageBlueprint
from blueprints.stacks.zone import ZoneBlueprint

BLUEPRINTS: dict[str, type[Blueprint[Any]]] = {
    b.name: b
    for b in (
        NetworkBlueprint,
        DataBlueprint,
        StorageBlueprint,
        ZoneBlueprint,
        IdentityBlueprint,
        CertificateBlueprint,
        EdgeBlueprint,
        FunctionsBlueprint,
        ApiBlueprint,
        CdnBlueprint,
        MonitoringBlueprint,
    )
}

# Other packages register their blueprints under this entry-point group (name = Class path);
# a stack config may also name one directly as `module:Class`.
ENTRY_POINT_GROUP = "payments_blueprints.blueprints"

_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,15}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ANY_STACK = "*"


class SharedSettings(BaseModel):
    """Environment-wide settings, each consumed by every stack that declares it (a stack that
    declares one the environment does not set is refused, naming the stack and field)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: DomainName | None = Field(None, description="The API's public domain name, no wildcard.")
    log_retention_days: LogRetentionDays | None = Field(
        None, description="Days CloudWatch Logs keeps the events of every log group."
    )
    retain_data: RetainData | None = Field(
        None,
        description=(
            "Retain stateful resources (tables, buckets, zone, user pool, log groups) when a stack deletes or "
            "replaces them: DeletionPolicy RetainExceptOnCreate (a create that rolls back removes them: no "
            "data can exist yet) and UpdateReplacePolicy Retain."
        ),
    )
    deletion_protection: DeletionProtection | None = Field(
        None, description="Deletion protection on every table and the user pool."
    )
    customer_managed_keys: CustomerManagedKeys | None = Field(
        None,
        description=(
            "Every data store under its stack's own customer-managed KMS key (tables, secrets, log groups, "
            "function environments, the artifacts bucket); off: AWS-managed keys."
        ),
    )
    key_deletion_window_days: KeyDeletionWindowDays | None = Field(
        None, description="Days a deleted customer-managed key can still be recovered (7 to 30)."
    )
    alarm_subscriptions: AlarmSubscriptions | None = Field(
        None, description="Who hears of every alarm (the `alarms` topics): email, https or sms endpoints."
    )
    page_subscriptions: PageSubscriptions | None = Field(
        None,
        description=(
            "Who is paged (the `pages` topics: the composite payments-unhealthy alarm and the edge's 5xx rate), "
            "e.g. the on-call service's https endpoint."
        ),
    )


class EnvironmentSettings(SharedSettings):
    """One environment: its account, its shared settings and the settings of each of its stacks."""

    account_id: AccountId = Field(
        description=(
            "The AWS account the environment lives in, 12 digits in quotes; no two environments share one. "
            "Launches act through the account's deploy role and stop before any change when their "
            "credentials reach another account."
        )
    )
    deployers: tuple[PrincipalArn, ...] = Field(
        min_length=1,
        description=(
            "IAM principals the account's deploy role trusts (ARNs of roles, or `arn:aws:iam::<account>:root` "
            "for every principal of an account its own policies allow), e.g. the CI's role in a tooling account."
        ),
    )
    stacks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-stack settings, keyed by stack name (the stack file's name)."
    )
    absent_stacks: tuple[str, ...] = Field(
        (),
        description=(
            "Stacks other environments have and this one deliberately does not (default none: every "
            "environment has every stack, and a missing stack file is refused)."
        ),
    )
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


@functools.cache
def _registered() -> dict[str, EntryPoint]:
    """Blueprints other installed packages register (loaded only when a stack names them)."""
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def blueprint_class(reference: str, *, environment: str, stack: str) -> type[Blueprint[Any]]:
    """The blueprint a stack config names: a built-in (`network`), one another package
    registers under the `payments_blueprints.blueprints` entry points, or `module:Class`."""
    where = {"environment": environment, "stack": stack, "field": "template.name"}
    if ":" in reference:
        module_name, _, attribute = reference.partition(":")
        try:
            found: object = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as err:
            raise ConfigError(f"cannot load {reference!r}: {err}", **where) from None
    elif reference in BLUEPRINTS:
        found = BLUEPRINTS[reference]
    elif reference in _registered():
        found = _registered()[reference].load()
    else:
        known = sorted({*BLUEPRINTS, *_registered()})
        close = difflib.get_close_matches(reference, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"no blueprint named {reference!r}{hint}; known: {', '.join(known)}, or 'module:Class'", **where
        )
    if not (isinstance(found, type) and issubclass(found, Blueprint)):
        raise ConfigError(f"{reference!r} is not a Blueprint subclass", **where)
    return found


# Settings that keep an environment's data: the environment's own, and the logs bucket's.
DATA_KEEPING_SETTINGS = ("retain_data", "deletion_protection", "protect_stacks")
STORAGE_DATA_KEEPING_SETTINGS = ("logs_version_protection", "logs_object_lock_days")


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

    def blueprint(self, stack: str) -> Blueprint[Any]:
        """The configured blueprint of `stack`; errors name environment, stack and field."""
        if stack not in self.stacks:
            raise ConfigError(
                f"no stack {stack!r} in this environment (its stacks: {', '.join(sorted(self.stacks))})",
                environment=self.name,
                stack=stack,
                field="template.name",
            )
        blueprint = blueprint_class(self.stacks[stack], environment=self.name, stack=stack)
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
        own.update(
            {
                key: getattr(self.settings, key)
                for key in shared
                if key in declared and getattr(self.settings, key) is not None
            }
        )
        try:
            return blueprint.from_mapping(own, self.context)
        except ConfigError as err:
            if err.stack == stack:
                raise
            # The stack file's name, not the blueprint's, is what the settings are keyed by.
            raise ConfigError(err.reason, environment=err.environment, stack=stack, field=err.field) from err

    def render(self, stack: str) -> str:
        return self.blueprint(stack).render()

    def data_keeping_settings(self) -> list[str]:
        """The settings by which this environment keeps its data (`<scope>.<name>`): while any is
        on, nothing may tear it down (`make destroy`), and its deploy role may not empty buckets."""
        kept = [f"environment.{name}" for name in DATA_KEEPING_SETTINGS if getattr(self.settings, name)]
        if "storage" in self.stacks:
            storage = self.blueprint("storage").config
            kept += [f"storage.{name}" for name in STORAGE_DATA_KEEPING_SETTINGS if getattr(storage, name, None)]
        return kept

    def bootstrap(self) -> BootstrapBlueprint:
        """The bootstrap of this environment's account: roles allowed what its stacks use."""
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

    def validate(self) -> Project:
        """Validate every stack of every environment, then the rules across environments."""
        everywhere = set(self.stacks)
        for env in self.environments.values():
            for stack in sorted(env.settings.stacks.keys() - env.stacks.keys()):
                close = difflib.get_close_matches(stack, list(env.stacks), n=1)
                raise ConfigError(
                    "settings for an unknown stack"
                    + (f" (did you mean {close[0]!r}?)" if close else "")
                    + f"; this environment's stacks: {', '.join(sorted(env.stacks))}",
                    environment=env.name,
                    stack=stack,
                    field=f"environment.stacks.{stack}",
                )
            _check_stack_set(env, everywhere)
            for stack in env.stacks:
                env.blueprint(stack)
            for entry in env.settings.allow_destructive_changes:
                stack, _, logical_id = entry.partition(".")
                if stack not in env.stacks or not logical_id.isalnum():
                    raise ConfigError(
                        f"{entry!r} is not '<stack>.<LogicalId>' of a known stack of this environment",
                        environment=env.name,
                        stack=stack,
                        field="environment.allow_destructive_changes",
                    )
        _check_invariants_identical(self)
        _check_cidrs_disjoint(self)
        _check_domains_distinct(self)
        _check_accounts_distinct(self)
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
        raise ConfigError.from_validation(
            err, environment=name, stack=stack, prefix=prefix, model=EnvironmentSettings
        ) from err
    return Environment(project=project, name=name, region=region, settings=settings, stacks=_stack_files(group))


def _stack_files(group: Path) -> dict[str, str]:
    """Stack name -> blueprint, for each stack file of the group rendered by the `blueprint`
    template handler (stacks of other template types are Sceptre's own business)."""
    stacks = {}
    for path in sorted(group.glob("*.yaml")):
        if path.name == "config.yaml":
            continue
        template = _read_yaml(path, jinja=True).get("template")
        if isinstance(template, dict) and template.get("type") == "blueprint":
            reference = template.get("name")
            if not isinstance(reference, str) or not reference:
                raise ConfigError(
                    "a blueprint stack names its blueprint: `template: {type: blueprint, name: <name>}`",
                    environment=group.name,
                    stack=path.stem,
                    field="template.name",
                )
            stacks[path.stem] = reference
    return stacks


def _check_stack_set(env: Environment, everywhere: set[str]) -> None:
    """Every environment has every stack, unless it declares the stack absent."""
    absent = set(env.settings.absent_stacks)
    for stack in sorted(absent - everywhere):
        raise ConfigError(
            "declared absent, but no environment has such a stack",
            environment=env.name,
            stack=stack,
            field="environment.absent_stacks",
        )
    for stack in sorted(absent & env.stacks.keys()):
        raise ConfigError(
            f"declared absent, but config/{env.name}/{stack}.yaml exists",
            environment=env.name,
            stack=stack,
            field="environment.absent_stacks",
        )
    for stack in sorted(everywhere - env.stacks.keys() - absent):
        raise ConfigError(
            f"other environments have this stack and this one does not: add config/{env.name}/{stack}.yaml "
            "(a link to stacks/<stack>.yaml) or list it in environment.absent_stacks",
            environment=env.name,
            stack=stack,
            field="environment.absent_stacks",
        )


# Sceptre renders stack files with Jinja first; only `template:` is read here, so
# expressions are blanked out rather than rendered.
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


def _read_yaml(path: Path, *, jinja: bool = False) -> dict[str, Any]:
    """A configuration file's mapping; a file that cannot be read, is not YAML or not a mapping
    is a ConfigError naming the file (and for a syntax error, leading with its file and line)."""
    group = path.parent.name if path.absolute().parent.parent.name == "config" else ANY_STACK  # else config/config.yaml
    where = {"environment": group, "stack": ANY_STACK, "field": path.name}
    try:
        text = path.read_text(encoding="utf-8")
        # Expressions blanked line for line: a syntax error's line is the file's.
        blanked = _JINJA.sub(lambda m: "jinja" + "\n" * m.group().count("\n"), text) if jinja else text
        data = yaml.load(blanked, Loader=_TolerantLoader)  # noqa: S506 - safe subclass
    except OSError as err:
        raise ConfigError(str(err), **where) from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"is not UTF-8 text ({err.reason} at byte {err.start})", **where) from err
    except yaml.YAMLError as err:
        reason, line = yaml_syntax(err)
        raise ConfigError(reason, **where, located_at=str(file_location(path, line))) from err
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping", **where, located_at=str(file_location(path, 1)))
    return data


# libyaml's loader is 8x faster than the pure-Python one, with the same results.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TolerantLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe YAML that reads Sceptre resolver tags (`!stack_output ...`) as plain strings."""


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix} {node.value}")


def _check_invariants_identical(project: Project) -> None:
    """A setting not declared per_environment must have one value in every environment
    that has the stack."""
    for stack in project.stacks:
        having = {name: env for name, env in project.environments.items() if stack in env.stacks}
        configs = {name: env.blueprint(stack).config for name, env in having.items()}
        model = type(next(iter(configs.values())))
        varying = set(model.per_environment_fields())
        for field in model.model_fields:
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
    """VPC CIDRs (any stack setting named `cidr`) of different environments never overlap."""
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for env in project.environments.values():
        for stack in env.stacks:
            cidr_text = getattr(env.blueprint(stack).config, "cidr", None)
            if not isinstance(cidr_text, str):
                continue
            cidr = ipaddress.IPv4Network(cidr_text)
            for other, other_cidr in seen:
                if cidr.overlaps(other_cidr):
                    raise ConfigError(
                        f"{cidr} overlaps {other}'s {other_cidr}: environments must be peerable",
                        environment=env.name,
                        stack=stack,
                        field="cidr",
                    )
            seen.append((env.name, cidr))


def _check_domains_distinct(project: Project) -> None:
    _check_distinct(project, "domain", lambda value, owner: f"{value!r} is already the domain of {owner!r}")


def _check_accounts_distinct(project: Project) -> None:
    """One account per environment: nothing of one environment may land in another's."""
    _check_distinct(
        project,
        "account_id",
        lambda value, owner: f"{value} is already the account of {owner!r}: each environment has its own account",
    )


def _check_distinct(project: Project, setting: str, taken: Callable[[object, str], str]) -> None:
    """No two environments set `environment.<setting>` to one value (unset values aside)."""
    owners: dict[object, str] = {}
    for env in project.environments.values():
        value = getattr(env.settings, setting)
        if value is None:
            continue
        if value in owners:
            raise ConfigError(
                taken(value, owners[value]), environment=env.name, stack=ANY_STACK, field=f"environment.{setting}"
            )
        owners[value] = env.name


def _item(value: object) -> str:
    """An item of a list setting in one cell: a subscription as `<protocol>: <endpoint>`."""
    if isinstance(value, BaseModel):
        return ": ".join(str(v) for v in value.model_dump().values())
    return str(value)


def settings_table(project: Project) -> str:
    """Markdown table: every declared setting (rows) by environment (columns)."""
    envs = list(project.environments.values())
    rows: list[tuple[str, list[object]]] = [("region", [e.region for e in envs])]
    environment_wide = [key for key in EnvironmentSettings.model_fields if key != "stacks"]
    rows += [(key, [getattr(e.settings, key) for e in envs]) for key in environment_wide]
    declared = {(stack, key) for e in envs for stack, values in e.settings.stacks.items() for key in values}
    # Alarm thresholds are shown even where every environment keeps the default.
    declared |= {
        (stack, key) for e in envs for stack in e.stacks for key in e.blueprint(stack).config_model.model_fields
        if key.startswith("alarm_") and key != "alarm_subscriptions"
    }  # fmt: skip
    rows += [
        (f"{stack}.{key}", [getattr(e.blueprint(stack).config, key) if stack in e.stacks else None for e in envs])
        for stack, key in sorted(declared)
    ]

    def cell(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(_item(v) for v in value) or "-"
        return "on" if value is True else "off" if value is False else "-" if value is None else str(value)

    lines = ["| setting | " + " | ".join(e.name for e in envs) + " |", "|---" * (len(envs) + 1) + "|"]
    lines += [f"| `{name}` | " + " | ".join(cell(v) for v in values) + " |" for name, values in rows]
    return "\n".join(lines)
