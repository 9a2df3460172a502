"""The rules across environments, checked when a project is loaded: every environment has
every stack (or declares it absent), invariant settings are the same everywhere, and
CIDRs, domains and accounts are never shared."""

from __future__ import annotations

import difflib
import ipaddress
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from blueprints.core import ANY_STACK, ConfigError

if TYPE_CHECKING:
    from blueprints.project.environment import Environment, Project


def check_stack_set(env: Environment, everywhere: set[str]) -> None:
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


def check_invariants_identical(project: Project) -> None:
    """A setting not declared per_environment must have one value in every environment
    that has the stack."""
    for stack in project.stacks:
        having = {name: env for name, env in project.environments.items() if stack in env.stacks}
        configs = {name: env.config(stack) for name, env in having.items()}
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


def check_cidrs_disjoint(project: Project) -> None:
    """VPC CIDRs (any stack setting named `cidr`) of different environments never overlap."""
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for env in project.environments.values():
        for stack in env.stacks:
            cidr_text = getattr(env.config(stack), "cidr", None)
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


def check_domains_distinct(project: Project) -> None:
    _check_distinct(project, "domain", lambda value, owner: f"{value!r} is already the domain of {owner!r}")


def check_accounts_distinct(project: Project) -> None:
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


def validate_project(project: Project) -> Project:
    """Every stack of every environment validated (its settings), then the rules across
    environments."""
    everywhere = set(project.stacks)
    for env in project.environments.values():
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
        check_stack_set(env, everywhere)
        for stack in env.stacks:
            env.config(stack)  # its settings alone: no template is imported
        for entry in env.settings.allow_destructive_changes:
            stack, _, logical_id = entry.partition(".")
            if stack not in env.stacks or not logical_id.isalnum():
                raise ConfigError(
                    f"{entry!r} is not '<stack>.<LogicalId>' of a known stack of this environment",
                    environment=env.name,
                    stack=stack,
                    field="environment.allow_destructive_changes",
                )
    check_invariants_identical(project)
    check_cidrs_disjoint(project)
    check_domains_distinct(project)
    check_accounts_distinct(project)
    return project
