"""The Sceptre adapter: a template handler that renders a blueprint for a stack, and
offline rendering of a whole environment through Sceptre itself.

The handler is registered as the `blueprint` template handler (entry point
`sceptre.template_handlers`), so a stack config needs no shim file::

    template:
      type: blueprint
      name: network

The environment is the stack's group (`dev/network` -> `dev`); its settings come from
the project's `config/<env>/config.yaml` files, validated together with every other
environment before anything is rendered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError
from sceptre.context import SceptreContext
from sceptre.hooks import Hook
from sceptre.plan.plan import SceptrePlan
from sceptre.resolvers import Resolver
from sceptre.template_handlers import TemplateHandler

from blueprints.environments import Environment, load_project
from blueprints.guard import destructive_changes, is_stateful
from blueprints.packaging import Package, build_package


class BlueprintHandler(TemplateHandler):  # type: ignore[misc]
    """Renders the named blueprint for the stack's environment."""

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"name": {"type": "string", "description": "Blueprint (stack) name, e.g. network"}},
            "required": ["name"],
        }

    def handle(self) -> str:
        environment, _, stack = str(self.name).partition("/")
        project = load_project(self.stack_group_config["project_path"])
        return project.environment(environment, stack=stack).render(stack)


def _environment(stack: Any) -> tuple[Environment, str]:
    """The validated environment a Sceptre stack belongs to, and the stack's blueprint name."""
    environment, _, name = str(stack.name).partition("/")
    project = load_project(stack.stack_group_config["project_path"])
    return project.environment(environment, stack=name), name


class ValidateEnvironmentHook(Hook):  # type: ignore[misc]
    """`!validate_environment`: validate the whole project and render every stack of this
    environment before the stack's first AWS call.

    Run as a `before_launch`/`before_create`/`before_update` hook on every stack, it makes
    a configuration error stop the launch at its first level, before anything is created.
    """

    def run(self) -> None:
        env, _ = _environment(self.stack)
        for stack in env.stacks:
            env.blueprint(stack).build()


class DestructiveChangeRefused(RuntimeError):
    """An update would replace or delete a stateful resource the environment does not allow."""


class GuardStatefulResourcesHook(Hook):  # type: ignore[misc]
    """`!guard_stateful_resources`: before an update, compare the deployed template with
    the new one and refuse any change that would replace or delete a stateful resource,
    unless `environment.allow_destructive_changes` names it. Nothing is changed on refusal."""

    def run(self) -> None:
        env, name = _environment(self.stack)
        try:
            deployed = self.stack.connection_manager.call(
                "cloudformation", "get_template", {"StackName": self.stack.external_name}, region=self.stack.region
            )["TemplateBody"]
        except ClientError as err:
            if "does not exist" in str(err):
                return  # a first launch replaces nothing
            raise
        old = deployed if isinstance(deployed, dict) else yaml.safe_load(deployed)
        changes = destructive_changes(name, old, json.loads(env.render(name)))
        refused = [c for c in changes if c.allowance not in env.settings.allow_destructive_changes]
        if refused:
            lines = [
                f"refusing to update {self.stack.external_name} ({env.name}/{name}): it would replace or delete data"
            ]
            lines += [f"  {change.describe()}" for change in refused]
            allow = ", ".join(sorted({c.allowance for c in refused}))
            lines.append(
                f"Nothing was changed. If this is intended, list [{allow}] under "
                f"environment.allow_destructive_changes in config/{env.name}/config.yaml."
            )
            raise DestructiveChangeRefused("\n".join(lines))
        for change in changes:
            self.logger.warning(f"allowed by environment.allow_destructive_changes: {change.describe()}")


class ProtectStackHook(Hook):  # type: ignore[misc]
    """`!protect_stack`: after a launch, in environments with `protect_stacks`, turn on
    termination protection and set a stack policy that denies replacing or deleting each
    stateful resource of the stack."""

    def run(self) -> None:
        env, name = _environment(self.stack)
        if not env.settings.protect_stacks:
            return
        self._call("update_termination_protection", EnableTerminationProtection=True)
        policy = stack_policy(json.loads(env.render(name)))
        if policy is not None:
            self._call("set_stack_policy", StackPolicyBody=json.dumps(policy))

    def _call(self, command: str, **kwargs: Any) -> Any:
        kwargs["StackName"] = self.stack.external_name
        return self.stack.connection_manager.call("cloudformation", command, kwargs, region=self.stack.region)


def stack_policy(template: dict[str, Any]) -> dict[str, Any] | None:
    """Deny Update:Replace and Update:Delete on the template's stateful resources (None if
    it has none); every other update stays allowed."""
    stateful = sorted(k for k, r in template.get("Resources", {}).items() if is_stateful(r))
    if not stateful:
        return None
    return {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["Update:Replace", "Update:Delete"],
                "Resource": [f"LogicalResourceId/{logical_id}" for logical_id in stateful],
            },
            {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
        ]
    }


class FunctionPackageResolver(Resolver):  # type: ignore[misc]
    """`!function_package {source: <dir>, shared: [<dir>...], bucket: <bucket>}`: build the
    function's package (with the shared packages), upload it to `bucket` under its content
    address unless already there, and resolve to the object key. Directories are relative
    to the Sceptre project directory; installed requirements are cached in `.build/`
    next to it.

    Only launches resolve parameters: `generate` stays offline and never packages.
    """

    def resolve(self) -> str:
        arguments = self.argument
        project = Path(self.stack.stack_group_config["project_path"]).resolve()
        package = _package(
            (project / arguments["source"]).resolve(),
            tuple((project / s).resolve() for s in arguments.get("shared", [])),
            project.parent / ".build" / "lambda-deps",
        )
        bucket = arguments["bucket"]
        try:
            self._call("head_object", Bucket=bucket, Key=package.key)
            self.logger.debug(f"{package.key} already in {bucket}")
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in {"404", "NoSuchKey", "NotFound"}:
                raise
            self._call("put_object", Bucket=bucket, Key=package.key, Body=package.content)
            self.logger.info(f"uploaded {package.key} ({len(package.content)} bytes)")
        return package.key

    def _call(self, command: str, **kwargs: Any) -> Any:
        return self.stack.connection_manager.call("s3", command, kwargs, region=self.stack.region)


_PACKAGES: dict[str, Package] = {}


def _package(source: Path, shared: tuple[Path, ...], cache: Path) -> Package:
    """Build once per process and source content: Sceptre may resolve a parameter twice."""
    digest = hashlib.sha256()
    for root in (source, *shared):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{root}/{path.relative_to(root).as_posix()}".encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    if key not in _PACKAGES:
        _PACKAGES[key] = build_package(source, shared, cache)
    return _PACKAGES[key]


@dataclass(frozen=True)
class RenderedStack:
    """One stack as Sceptre sees it: where it goes, what it needs, and its template."""

    name: str  # e.g. "dev/network"
    external_name: str  # the CloudFormation stack name, e.g. "payments-dev-network"
    region: str
    dependencies: tuple[str, ...]
    parameters: tuple[str, ...]  # parameter names the stack config supplies
    template: str

    @property
    def stack(self) -> str:
        return self.name.rpartition("/")[2]


def render_environment(project_dir: str | Path, environment: str) -> dict[str, RenderedStack]:
    """Every stack of `environment`, rendered by Sceptre with no AWS call. Keyed by stack."""
    context = SceptreContext(project_path=str(Path(project_dir).resolve()), command_path=environment)
    plan = SceptrePlan(context)
    rendered = {}
    for stack, body in plan.dump_template().items():
        item = RenderedStack(
            name=stack.name,
            external_name=stack.external_name,
            region=stack.region,
            dependencies=tuple(sorted(str(d) for d in stack.dependencies)),
            # the raw config: reading stack.parameters would resolve !stack_output (an AWS call)
            parameters=tuple(sorted(stack.config.get("parameters", {}))),
            template=body.removeprefix("---\n"),  # Sceptre marks every body as a YAML document
        )
        rendered[item.stack] = item
    return dict(sorted(rendered.items()))


def dependency_depth(stacks: dict[str, RenderedStack]) -> dict[str, int]:
    """Launch level of each stack: 1 for no dependencies, else 1 + deepest dependency."""
    levels: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in levels:
            deps = stacks[name].dependencies
            levels[name] = 1 + max((level(d.rpartition("/")[2]) for d in deps), default=0)
        return levels[name]

    for name in stacks:
        level(name)
    return levels
