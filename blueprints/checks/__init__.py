"""The rendered templates checked the way AWS will check them, offline, from AWS's own
machine-readable references: IAM statements against the Service Authorization Reference
(`iam_resources`), statements for service principals against the statements AWS documents
for each integration (`service_principals`), names and sizes against AWS's limits (`limits`),
and API Gateway deployments against what they snapshot (`limits.deployment_problems`).

`check_environment(project_dir, "prod")` renders every stack of the environment (and its
account's bootstrap) as deployed, resolves their intrinsics (`intrinsics`) with the outputs
each parameter is wired to by its stack file's `!stack_output`, and returns the findings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprints.checks import limits
from blueprints.checks.iam_resources import Finding
from blueprints.checks.intrinsics import Resolver, Site, Unresolvable
from blueprints.checks.limits import LONGEST_PARTITION
from blueprints.core.context import LONGEST_REGION

if TYPE_CHECKING:
    from blueprints.project.environment import Environment

LOGS_BUCKET_PREFIX_LONGEST = 16  # storage.logs_bucket_prefix

BOOTSTRAP = "bootstrap"
_STACK_OUTPUT = re.compile(r"^!stack_output\s+\S*?([A-Za-z0-9_-]+)\.yaml::([A-Za-z0-9]+)$")


@dataclass(frozen=True)
class DeployedStack:
    """A stack's rendered template where it is deployed, and how its parameters are fed."""

    name: str
    template: Mapping[str, Any]
    region: str
    wiring: Mapping[str, tuple[str, str]]  # parameter -> (stack, output)


def deployed_stacks(env: Environment, group: Path) -> dict[str, DeployedStack]:
    """Every stack of `env` (whose stack files are in `group`, `config/<env>/`) and its
    account's bootstrap, rendered, with their regions and parameter wiring."""
    from blueprints.project.loader import read_yaml  # noqa: PLC0415 - the loader imports every stack

    out = {BOOTSTRAP: DeployedStack(BOOTSTRAP, env.bootstrap().body(), env.region, {})}
    for stack in env.stacks:
        config = read_yaml(group / f"{stack}.yaml", jinja=True)
        wiring = {}
        for parameter, value in (config.get("parameters") or {}).items():
            match = _STACK_OUTPUT.match(str(value))
            if match:
                wiring[parameter] = (match.group(1), match.group(2))
        region = str(config.get("region") or env.region)
        out[stack] = DeployedStack(stack, env.blueprint(stack).body(), region, wiring)
    return out


def longest_names(env: Environment, *, project_length: int, environment_length: int) -> Environment:
    """`env` with names of the given lengths, in the longest region, and every naming
    setting at its longest: the templates of the longest inputs the settings allow."""
    from blueprints.project.environment import Environment  # noqa: PLC0415

    stacks = {name: dict(values) for name, values in env.settings.stacks.items()}
    if "storage" in stacks:
        stacks["storage"]["logs_bucket_prefix"] = "l" * LOGS_BUCKET_PREFIX_LONGEST
    return Environment(
        project="p" * project_length,
        name="e" * environment_length,
        region=LONGEST_REGION,
        settings=env.settings.model_copy(update={"stacks": stacks}),
        stacks=env.stacks,
    )


class EnvironmentResolver:
    """A `Resolver` per stack, parameters resolved through the outputs they are wired to."""

    def __init__(self, stacks: Mapping[str, DeployedStack], *, partition: str, account: str) -> None:
        self.stacks = stacks
        self.partition = partition
        self.account = account
        self._resolvers: dict[str, Resolver] = {}

    def site(self, stack: str) -> Site:
        return Site(partition=self.partition, region=self.stacks[stack].region, account=self.account)

    def resolver(self, stack: str) -> Resolver:
        if stack not in self._resolvers:
            deployed = self.stacks[stack]
            parameters: dict[str, list[str]] = {}
            for parameter, (source, output) in deployed.wiring.items():
                try:
                    outputs = self.stacks[source].template.get("Outputs", {})
                    parameters[parameter] = self.resolver(source).values(outputs[output]["Value"])
                except (KeyError, Unresolvable):
                    continue  # left to the parameter's default, or reported where it is used
            self._resolvers[stack] = Resolver(deployed.template, self.site(stack), parameters)
        return self._resolvers[stack]


def check_environment(
    project_dir: str | Path, environment: str, *, partition: str = "aws", account: str = "123456789012"
) -> list[Finding]:
    """Every finding of every check over `environment`'s stacks as deployed."""
    from blueprints.project.loader import load_project  # noqa: PLC0415

    env = load_project(project_dir).environment(environment)
    return check_stacks(deployed_stacks(env, Path(project_dir) / "config" / environment), partition, account)


def check_stacks(stacks: Mapping[str, DeployedStack], partition: str, account: str) -> list[Finding]:
    from blueprints.checks import iam_resources, service_principals  # noqa: PLC0415

    resolvers = EnvironmentResolver(stacks, partition=partition, account=account)
    findings: list[Finding] = []
    for name, deployed in stacks.items():
        resolver = resolvers.resolver(name)
        findings += iam_resources.check_template(name, deployed.template, resolver)
        findings += service_principals.check_template(name, deployed.template, resolver)
        findings += limits.check_template(name, deployed.template, resolver)
    return findings


__all__ = [
    "LONGEST_PARTITION",
    "LONGEST_REGION",
    "DeployedStack",
    "EnvironmentResolver",
    "Finding",
    "check_environment",
    "check_stacks",
    "deployed_stacks",
    "longest_names",
]
