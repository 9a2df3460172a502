"""The Sceptre adapter: a template handler that renders a blueprint for a stack, and
offline rendering of a whole environment through Sceptre itself.

The handler is registered as the `blueprint` template handler (entry point
`sceptre.template_handlers`), so a stack config needs no shim file::

    template:
      type: blueprint
      name: network

The environment is the stack's group (`dev/network` -> `dev`); its settings come from
the project's `config/<env>/config.yaml` files, validated together with every other
environment before anything is rendered, once per process and version of those files.

Sceptre imports every registered plugin when any command starts, so this module imports
only Sceptre's plugin base classes at import time: the blueprints (troposphere, pydantic),
cfn-lint (the guard), packaging and Sceptre's plan machinery (offline rendering) are
imported where they are used.

A configuration error reaches Sceptre as a `SceptreException`, which its CLI prints as one
line (a traceback only with `--debug`) before exiting 1: the file and line that set the
field, then the environment, stack and field, e.g.
`config/dev/config.yaml:14: environment 'dev', stack 'network', field 'nat_gatways': Extra
inputs are not permitted; did you mean 'nat_gateways'?`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sceptre.exceptions import SceptreException
from sceptre.hooks import Hook
from sceptre.resolvers import Resolver
from sceptre.template_handlers import TemplateHandler

from blueprints.core.errors import ConfigError, InvalidName
from blueprints.deploy.guard import destructive_changes, is_stateful

if TYPE_CHECKING:
    from blueprints.deploy.packaging import Package
    from blueprints.project.environment import Environment, Project
    from blueprints.project.locations import Location

ANY_STACK = "*"


class BlueprintConfigError(SceptreException, ConfigError):  # type: ignore[misc]
    """A configuration error as Sceptre's CLI reports it: one line, located.

    `str()` is `<file>:<line>: environment '<env>', stack '<stack>', field '<field>': <reason>`
    (the file relative to the project directory); it is still a `ConfigError` with
    `environment`, `stack`, `field` and `reason`, plus `location`."""

    def __init__(self, error: ConfigError, location: Location | None) -> None:
        super().__init__(error.reason, environment=error.environment, stack=error.stack, field=error.field)
        self.location = location
        text = " ".join(str(self).split())  # one line, whatever the reason's text
        shown = error.located_at or location  # an error that knows its line (YAML syntax) says it
        self.args = (f"{shown}: {text}" if shown is not None else text,)


@contextmanager
def reported(project_dir: str | Path) -> Iterator[None]:
    """Turn a `ConfigError` (or a name no physical name can carry) raised inside into a
    `BlueprintConfigError` located in the project's files: the boundary with Sceptre."""
    try:
        yield
    except BlueprintConfigError:
        raise
    except ConfigError as err:
        raise BlueprintConfigError(err, _locate(project_dir, err)) from err
    except InvalidName as err:
        # project_code and the environment list are in config/config.yaml
        where = "project_code" if err.role == "project" else "environments"
        error = ConfigError(str(err), environment=ANY_STACK, stack=ANY_STACK, field=where)
        raise BlueprintConfigError(error, _locate(project_dir, error)) from err


def _locate(project_dir: str | Path, err: ConfigError) -> Location | None:
    from blueprints.project.locations import locate  # noqa: PLC0415 - only on the error path

    try:
        return locate(project_dir, err.environment, err.stack, err.field)
    except Exception:  # the error itself matters more than where it is
        return None


@dataclass
class _Loaded:
    stamp: tuple[tuple[str, int, int], ...]
    project: Project
    built: set[str] = field(default_factory=set)  # environments whose every template was built


_PROJECTS: dict[Path, _Loaded] = {}
_PROJECTS_LOCK = threading.Lock()


def _loaded(project_dir: str | Path) -> _Loaded:
    """The validated project, loaded once per process and version of its config files:
    Sceptre asks for it once for every stack (handler and hooks), from several threads."""
    from blueprints.project.environment import load_project  # noqa: PLC0415 - not at plugin import

    root = Path(project_dir).resolve()
    stamp = _stamp(root)
    with _PROJECTS_LOCK:
        loaded = _PROJECTS.get(root)
        if loaded is None or loaded.stamp != stamp:
            loaded = _PROJECTS[root] = _Loaded(stamp, load_project(root))
        return loaded


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every YAML file under config/ (links followed)."""
    stamps = []
    for path in sorted((root / "config").rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:  # a dangling link: load_project reports it
            continue
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


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
        project_dir = self.stack_group_config["project_path"]
        with reported(project_dir):
            return _loaded(project_dir).project.environment(environment, stack=stack).render(stack)


def _environment(stack: Any) -> tuple[Environment, str]:
    """The validated environment a Sceptre stack belongs to, and the stack's blueprint name."""
    environment, _, name = str(stack.name).partition("/")
    project = _loaded(stack.stack_group_config["project_path"]).project
    return project.environment(environment, stack=name), name


class ValidateEnvironmentHook(Hook):  # type: ignore[misc]
    """`!validate_environment`: validate the whole project and render every stack of this
    environment before the stack's first AWS call.

    Run as a `before_launch`/`before_create`/`before_update` hook on every stack, it makes
    a configuration error stop the launch at its first level, before anything is created.
    """

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            loaded = _loaded(self.stack.stack_group_config["project_path"])
            env, _ = _environment(self.stack)
            if env.name in loaded.built:  # another stack of this launch built them all
                return
            for stack in env.stacks:
                env.blueprint(stack).build()
            loaded.built.add(env.name)


class AccountRoleResolver(Resolver):  # type: ignore[misc]
    """`!account_role deploy` or `!account_role cloudformation`: the ARN of that role in the
    stack's environment's account (`environment.account_id`), as the account's bootstrap names
    it (blueprints.stacks.bootstrap). Set once in config/config.yaml as every stack's `sceptre_role`
    and `cloudformation_service_role`, so each environment is launched through its own account's
    roles; reads only the configuration."""

    ROLES = ("deploy", "cloudformation")

    def resolve(self) -> str:
        from blueprints.stacks.bootstrap import cloudformation_role_name, deploy_role_name, role_arn  # noqa: PLC0415

        if self.argument not in self.ROLES:
            problem = f"!account_role takes one of {', '.join(self.ROLES)}, got {self.argument!r}"
            raise _argument_error(self.stack, problem)
        with reported(self.stack.stack_group_config["project_path"]):
            env, _ = _environment(self.stack)
        name = deploy_role_name(env.context) if self.argument == "deploy" else cloudformation_role_name(env.context)
        return role_arn(env.settings.account_id, name, env.region)


class DigestResolver(Resolver):  # type: ignore[misc]
    """`!digest [<value>, ...]`: 16 hex digits of the SHA-256 of its argument, after Sceptre has
    resolved the resolvers inside it (e.g. `!stack_output`s, or YAML aliases of other
    parameters). A template that writes the digest where CloudFormation compares (a Lambda
    version's description) sees a change of those values, which it otherwise cannot: a
    version is published only when its own properties change, not when a parameter it reads
    through its function does."""

    def resolve(self) -> str:
        text = json.dumps(self.argument, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class WrongAccount(SceptreException):  # type: ignore[misc]
    """The credentials a launch would use act in another account than the environment's."""


class CheckAccountHook(Hook):  # type: ignore[misc]
    """`!check_account`: before any change to a stack, ask STS who the stack's credentials
    (after Sceptre assumed its `sceptre_role`) are, and refuse unless they act in the
    environment's declared `account_id`, naming both accounts. Nothing is changed on refusal."""

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            env, name = _environment(self.stack)
        identity = self.stack.connection_manager.call("sts", "get_caller_identity", {}, region=self.stack.region)
        if identity["Account"] != env.settings.account_id:
            raise WrongAccount(
                f"refusing to change {self.stack.external_name} ({env.name}/{name}): its credentials "
                f"({identity['Arn']}) act in account {identity['Account']}, but environment {env.name!r} lives in "
                f"account {env.settings.account_id} (environment.account_id in config/{env.name}/config.yaml). "
                "Nothing was changed."
            )


class PreflightFailed(SceptreException):  # type: ignore[misc]
    """The account is not ready for the launch: one line per problem, nothing was changed."""


# One preflight per environment and process: Sceptre runs a level's stacks in threads, and
# each stack's hook waits for the first one's answer.
_PREFLIGHTS: dict[tuple[str, str], list[Any]] = {}
_PREFLIGHTS_LOCK = threading.Lock()


class PreflightHook(Hook):  # type: ignore[misc]
    """`!preflight`: before a stack's first change, the read-only checks of
    `blueprints.deploy.preflight` on the environment's account (once per launch), refusing the launch
    when any problem is found; warnings are logged. A stack that creates a DNS-validated
    certificate also waits for nothing: it is refused, with the NS records to add, unless the
    domain delegates to its zone now (on a first launch, after the zone stack was created)."""

    def run(self) -> None:
        from blueprints.deploy.preflight import as_caller, delegation, preflight  # noqa: PLC0415

        project_dir = self.stack.stack_group_config["project_path"]
        with reported(project_dir):
            env, name = _environment(self.stack)
        manager = self.stack.connection_manager
        call = as_caller(
            lambda service, operation, params, region: manager.call(service, operation, params, region=region)
        )
        with _PREFLIGHTS_LOCK:
            key = (str(Path(project_dir).resolve()), env.name)
            if key not in _PREFLIGHTS:
                _PREFLIGHTS[key] = preflight(env, call, project_dir)
                for problem in _PREFLIGHTS[key]:
                    self.logger.warning("%s - %s", self.stack.name, problem)
            problems = [p for p in _PREFLIGHTS[key] if not p.warning]
        if not problems and _validates_by_dns(env, name):
            problems = [p for p in [delegation(env, call, project_dir, first_launch_ok=False)] if p]
        if problems:
            raise PreflightFailed(
                "\n".join(
                    [f"refusing to launch {self.stack.external_name} ({env.name}/{name}); nothing was changed:"]
                    + [f"  {p}" for p in problems]
                )
            )


def _validates_by_dns(env: Environment, stack: str) -> bool:
    return any(
        r["Type"] == "AWS::CertificateManager::Certificate" and r["Properties"].get("ValidationMethod") == "DNS"
        for r in env.blueprint(stack).body()["Resources"].values()
    )


class DestructiveChangeRefused(SceptreException):  # type: ignore[misc]
    """An update would replace or delete a stateful resource the environment does not allow.
    Sceptre's CLI prints it as one line and exits 1; the hook has logged each change, with its
    old and new values, just before."""


class UpdateInSteps(SceptreException):  # type: ignore[misc]
    """An update AWS would refuse as one (two index changes on a table): it names the steps."""


class ChangeSetFailed(SceptreException):  # type: ignore[misc]
    """CloudFormation could not make the change set the guard reads: its reason."""


class GuardStatefulResourcesHook(Hook):  # type: ignore[misc]
    """`!guard_stateful_resources`: before an update, refuse any change that would replace or
    delete a stateful resource, unless `environment.allow_destructive_changes` names it, and
    any change AWS would refuse in one update, naming the steps. Nothing is changed on refusal.

    Two readings, the second only when the first passes: the deployed template against the new
    one through the resource schemas (offline: `blueprints.deploy.guard.destructive_changes`), then
    CloudFormation's own answer, a change set for the update (with its parameter values) whose
    `Remove`s and `Replacement: True | Conditional` on stateful resources count the same way;
    the change set is deleted, never executed."""

    def run(self) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415 - not at plugin import

        from blueprints.deploy.guard import destructive_changes_in_change_set, updates_in_steps  # noqa: PLC0415

        with reported(self.stack.stack_group_config["project_path"]):
            env, name = _environment(self.stack)
        try:
            old = _deployed_template(self.stack)
        except ClientError as err:
            if "does not exist" in str(err):
                return  # a first launch replaces nothing
            raise
        with reported(self.stack.stack_group_config["project_path"]):
            new = json.loads(env.render(name))
        where = f"{self.stack.external_name} ({env.name}/{name})"
        steps = updates_in_steps(name, old, new)
        if steps:
            raise UpdateInSteps(f"refusing to update {where}: AWS refuses it as one update: {' '.join(steps)}")
        changes = destructive_changes(name, old, new)
        self._refuse_unless_allowed(env, name, changes)
        found = {c.resource for c in changes}
        answered = destructive_changes_in_change_set(name, old, change_set_changes(self.stack))
        changes += [c for c in answered if c.resource not in found]
        self._refuse_unless_allowed(env, name, changes)
        for change in changes:
            self.logger.warning(f"allowed by environment.allow_destructive_changes: {change.describe()}")
        if changes:
            # A protected stack's policy denies these changes: the update carries an override
            # that allows them, and only them, for this update.
            override_stack_policy_for_next_update(self.stack, stack_policy(old, exempt={c.resource for c in changes}))

    def _refuse_unless_allowed(self, env: Environment, name: str, changes: list[Any]) -> None:
        refused = [c for c in changes if c.allowance not in env.settings.allow_destructive_changes]
        if not refused:
            return
        for change in refused:
            self.logger.error(f"would replace or delete data: {change.describe()}")
        what = "; ".join(f"{c.resource} ({c.what})" for c in refused)
        allow = ", ".join(sorted({c.allowance for c in refused}))
        raise DestructiveChangeRefused(
            f"refusing to update {self.stack.external_name} ({env.name}/{name}): it would replace or delete "
            f"data: {what}. Nothing was changed. If this is intended, list [{allow}] under "
            f"environment.allow_destructive_changes in config/{env.name}/config.yaml."
        )


# CloudFormation's answer per stack and update (a launch runs the guard before launch and
# before update): (stack name, digest of template and parameters) -> its resource changes.
_CHANGE_SETS: dict[tuple[str, str], list[dict[str, Any]]] = {}
CHANGE_SET_WAIT_SECONDS = 600
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def change_set_changes(stack: Any) -> list[dict[str, Any]]:
    """The `ResourceChange`s of a change set for the stack's update as Sceptre will send it
    (template, parameters, capabilities, CloudFormation role), made, read and deleted; none
    when CloudFormation finds nothing to change."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    parameters = [
        {"ParameterKey": key, "ParameterValue": ",".join(value) if isinstance(value, list) else value}
        for key, value in stack.parameters.items()
        if value is not None
    ]  # as Sceptre's update formats them
    request = {
        "StackName": stack.external_name,
        "ChangeSetType": "UPDATE",
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        **stack.template.get_boto_call_parameter(),
    }
    if stack.cloudformation_service_role:
        request["RoleARN"] = stack.cloudformation_service_role
    key = (stack.external_name, hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest())
    if key in _CHANGE_SETS:
        return _CHANGE_SETS[key]

    def call(command: str, **kwargs: Any) -> Any:
        return stack.connection_manager.call("cloudformation", command, kwargs, region=stack.region)

    name = f"guard-{key[1][:32]}"
    try:
        call("create_change_set", ChangeSetName=name, **request)
    except ClientError as err:
        if any(words in str(err) for words in _NO_CHANGES):
            return []
        raise
    try:
        described = _settled_change_set(call, stack.external_name, name)
        if described["Status"] not in ("CREATE_COMPLETE", "FAILED"):
            raise ChangeSetFailed(
                f"{stack.external_name}: the change set the guard reads is still {described['Status']} after "
                f"{CHANGE_SET_WAIT_SECONDS} s; nothing was changed"
            )
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason") or "no reason given"
            if any(words in reason for words in _NO_CHANGES):
                _CHANGE_SETS[key] = []
                return []
            raise ChangeSetFailed(f"{stack.external_name}: the change set the guard reads failed: {reason}")
        changes = [c["ResourceChange"] for c in described.get("Changes", []) if c.get("Type") == "Resource"]
        while described.get("NextToken"):
            described = call(
                "describe_change_set",
                StackName=stack.external_name,
                ChangeSetName=name,
                NextToken=described["NextToken"],
            )
            changes += [c["ResourceChange"] for c in described.get("Changes", []) if c.get("Type") == "Resource"]
    finally:
        call("delete_change_set", StackName=stack.external_name, ChangeSetName=name)
    _CHANGE_SETS[key] = changes
    return changes


def _settled_change_set(call: Any, stack_name: str, name: str) -> Any:
    deadline = time.monotonic() + CHANGE_SET_WAIT_SECONDS
    while True:
        described = call("describe_change_set", StackName=stack_name, ChangeSetName=name)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
            return described
        time.sleep(2)


# The statuses of a stack whose last operation completed: one that rolled back its own
# creation (ROLLBACK_COMPLETE) is deleted by the next launch, which protection would refuse.
PROTECTABLE_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


class ProtectStackHook(Hook):  # type: ignore[misc]
    """`!protect_stack`: after a launch, in environments with `protect_stacks`, turn on
    termination protection and set a stack policy that denies replacing or deleting each
    stateful resource of the stack as deployed.

    Sceptre runs after-launch hooks after a failed launch too: a stack whose create rolled
    back is left unprotected (the next launch deletes and creates it again), and one whose
    update rolled back keeps the protection of what it still runs."""

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            env, _ = _environment(self.stack)
            if not env.settings.protect_stacks:
                return
        (described,) = self._call("describe_stacks")["Stacks"]
        status = described["StackStatus"]
        if status not in PROTECTABLE_STATUSES:
            self.logger.warning(f"{self.stack.name} - not protected: the stack is {status}")
            return
        self._call("update_termination_protection", EnableTerminationProtection=True)
        policy = stack_policy(_deployed_template(self.stack))
        if policy is not None:
            self._call("set_stack_policy", StackPolicyBody=json.dumps(policy))

    def _call(self, command: str, **kwargs: Any) -> Any:
        kwargs["StackName"] = self.stack.external_name
        return self.stack.connection_manager.call("cloudformation", command, kwargs, region=self.stack.region)


def _deployed_template(stack: Any) -> dict[str, Any]:
    """The template CloudFormation holds for the stack (raises ClientError if there is none)."""
    body = stack.connection_manager.call(
        "cloudformation", "get_template", {"StackName": stack.external_name}, region=stack.region
    )["TemplateBody"]
    return body if isinstance(body, dict) else yaml.safe_load(body)


def stack_policy(template: dict[str, Any], exempt: Iterable[str] = ()) -> dict[str, Any] | None:
    """Deny Update:Replace and Update:Delete on the template's stateful resources, but those
    `exempt` (None if none is left); every other update stays allowed."""
    stateful = sorted(k for k, r in template.get("Resources", {}).items() if is_stateful(r) and k not in set(exempt))
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


# Everything may change during an update whose template replaces or deletes no other stateful resource.
ALLOW_ALL_UPDATES = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"}]}


def override_stack_policy_for_next_update(stack: Any, policy: dict[str, Any] | None) -> None:
    """Send `policy` as the StackPolicyDuringUpdateBody of the stack's next UpdateStack call:
    CloudFormation applies it instead of the stack policy for that update only, so the stack
    stays protected before and after it, and if it fails.

    Sceptre 4.7's update has no such option. Its stack actions call CloudFormation through the
    boto3 client that Sceptre keeps for the stack's region, profile and role, the one the
    stack's own connection manager gives: a one-shot botocore `provide-client-params` handler on
    that client adds the override to this stack's UpdateStack. A launch runs the guard twice
    (before launch and before update): the latest policy counts."""
    manager, name = stack.connection_manager, stack.external_name
    client = manager._get_client("cloudformation", manager.region, manager.profile, None, manager.sceptre_role)
    handler_id = f"blueprints-stack-policy-override-{name}"
    _UPDATE_POLICY_OVERRIDES[name] = json.dumps(policy or ALLOW_ALL_UPDATES)

    def add_override(params: dict[str, Any], **_: Any) -> None:
        if params.get("StackName") == name and name in _UPDATE_POLICY_OVERRIDES:
            params["StackPolicyDuringUpdateBody"] = _UPDATE_POLICY_OVERRIDES.pop(name)
            client.meta.events.unregister(_UPDATE_STACK_PARAMS, unique_id=handler_id)

    client.meta.events.register(_UPDATE_STACK_PARAMS, add_override, unique_id=handler_id)


_UPDATE_STACK_PARAMS = "provide-client-params.cloudformation.UpdateStack"
_UPDATE_POLICY_OVERRIDES: dict[str, str] = {}  # stack name -> the policy its next update carries


def _argument_error(stack: Any, problem: str) -> BlueprintConfigError:
    """A resolver's bad argument: a configuration error of the stack, located in its file."""
    environment, _, name = str(stack.name).partition("/")
    error = ConfigError(problem, environment=environment, stack=name, field="parameters")
    return BlueprintConfigError(error, _locate(stack.stack_group_config["project_path"], error))


class FunctionPackageResolver(Resolver):  # type: ignore[misc]
    """`!function_package {source: <dir>, shared: [<dir>...], bucket: <bucket>,
    signing_profile: <profile name>}`: build the function's package (with the shared
    packages), upload it to `bucket` under its content address unless already there, and
    resolve to the object key. Directories are relative to the Sceptre project directory;
    installed requirements are cached in `.build/` next to it.

    With `signing_profile` (an AWS Signer profile of the AWSLambda-SHA384-ECDSA platform, in
    the stack's region), the package is signed by a Signer signing job and the resolver
    resolves to the signed package's key instead, `signed/<profile version>/<dir>/<sha256>.zip`,
    reused while that profile version's signature on it stays valid (see
    `blueprints.deploy.packaging.ArtifactStore`). A function with an enforcing code signing config
    deploys only signed packages. Without it, the unsigned key.

    Only launches resolve parameters: `generate` stays offline and never packages.
    """

    class SigningFailed(SceptreException):  # type: ignore[misc]
        """Signing a package failed: Sceptre's CLI prints it as one line and exits 1."""

    _PROFILE_NAME = re.compile(r"[A-Za-z0-9_]{2,64}")  # Signer's profile name pattern

    def resolve(self) -> str:
        from blueprints.deploy.packaging import ArtifactStore, SigningFailed  # noqa: PLC0415 - not at plugin import

        project = Path(self.stack.stack_group_config["project_path"]).resolve()
        with reported(project):
            source, shared, bucket, profile = self._arguments(project)
            package = _package(source, shared, project.parent / ".build" / "lambda-deps")
        environment, _, stack = str(self.stack.name).partition("/")
        where = f"environment {environment!r}, stack {stack!r}"
        store = ArtifactStore(self._call, bucket, where, log=self.logger.info)
        if profile is None:
            store.upload(package)
            return package.key
        try:
            key = store.signed(package, profile)
        except SigningFailed as err:
            raise self.SigningFailed(str(err)) from err
        return key

    def _arguments(self, project: Path) -> tuple[Path, tuple[Path, ...], str, str | None]:
        """(source, shared, bucket, signing profile), checked: a mistake here is a configuration
        error of the stack."""
        environment, _, stack = str(self.stack.name).partition("/")

        def refuse(problem: str) -> ConfigError:
            usage = (
                "!function_package {source: <dir>, shared: [<dir>, ...], bucket: <bucket>, "
                "signing_profile: <profile name>}"
            )
            return ConfigError(f"{problem} (usage: {usage})", environment=environment, stack=stack, field="parameters")

        arguments = self.argument
        if not isinstance(arguments, dict) or not {"source", "bucket"} <= arguments.keys():
            raise refuse(f"needs 'source' and 'bucket', got {arguments!r}")
        unknown = sorted(arguments.keys() - {"source", "shared", "bucket", "signing_profile"})
        if unknown:
            raise refuse(f"unknown argument {unknown[0]!r}")
        shared = arguments.get("shared", [])
        if not isinstance(shared, list):
            raise refuse(f"'shared' is a list of directories, got {shared!r}")
        profile = arguments.get("signing_profile")
        if profile is not None and not (isinstance(profile, str) and self._PROFILE_NAME.fullmatch(profile)):
            raise refuse(f"'signing_profile' is a Signer profile name (2-64 letters, digits, _), got {profile!r}")
        source = (project / str(arguments["source"])).resolve()
        if not (source / "handler.py").is_file():
            raise refuse(f"source {arguments['source']!r}: no handler.py in {source}")
        for directory in shared:
            if not (project / str(directory)).resolve().is_dir():
                raise refuse(f"shared {directory!r}: no such directory {(project / str(directory)).resolve()}")
        return source, tuple((project / str(s)).resolve() for s in shared), arguments["bucket"], profile

    def _call(self, service: str, command: str, **kwargs: Any) -> Any:
        return self.stack.connection_manager.call(service, command, kwargs, region=self.stack.region)


class OriginVerifyResolver(Resolver):  # type: ignore[misc]
    """`!origin_verify current` or `!origin_verify previous`: a value of the environment's
    origin secret (`<project>-<env>-origin-verify`, made by the edge stack in us-east-1),
    read at launch with the stack's own credentials; `previous` is the current value when
    the secret has no previous one yet (before its first rotation).

    Read at every launch rather than through a CloudFormation dynamic reference, which
    CloudFormation re-resolves only when the resource holding it changes for another reason:
    a rotated value would never reach the web ACL or CloudFront (see blueprints/stacks/edge.py)."""

    def resolve(self) -> str:
        from blueprints.stacks.edge import EDGE_REGION, ORIGIN_SECRET_KEYS, origin_secret_name  # noqa: PLC0415

        if self.argument not in ORIGIN_SECRET_KEYS:
            keys = ", ".join(ORIGIN_SECRET_KEYS)
            raise _argument_error(self.stack, f"!origin_verify takes one of {keys}, got {self.argument!r}")
        name = origin_secret_name(self.stack.project_code, str(self.stack.name).partition("/")[0])
        described = self.stack.connection_manager.call(
            "secretsmanager", "get_secret_value", {"SecretId": name}, region=EDGE_REGION
        )
        values = json.loads(described["SecretString"])
        return str(values.get(self.argument) or values["current"])


_PACKAGES: dict[str, Package] = {}


def _package(source: Path, shared: tuple[Path, ...], cache: Path) -> Package:
    """Build once per process and source content: Sceptre may resolve a parameter twice."""
    digest = hashlib.sha256()
    for root in (source, *shared):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{root}/{path.relative_to(root).as_posix()}".encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    if key not in _PACKAGES:
        from blueprints.deploy.packaging import build_package  # noqa: PLC0415 - not at plugin import

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
    from sceptre.context import SceptreContext  # noqa: PLC0415 - Sceptre's plan machinery only here
    from sceptre.plan.plan import SceptrePlan  # noqa: PLC0415

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


class ManagedPrefixListNotFound(SceptreException):  # type: ignore[misc]
    """No AWS-managed prefix list of that name in the stack's region."""


class ManagedPrefixListResolver(Resolver):  # type: ignore[misc]
    """`!managed_prefix_list <service>`: the id of the AWS-managed prefix list
    `com.amazonaws.<region>.<service>` (e.g. `s3`, `dynamodb`: the destinations of the
    gateway endpoints) in the stack's own region, read at launch with the stack's own
    credentials (profile or role) through ec2 DescribeManagedPrefixLists.

    CloudFormation has no lookup of a prefix list by name and the ids differ per region, so
    the id is resolved here rather than hard-coded; `generate` never resolves it."""

    def resolve(self) -> str:
        environment, _, stack = str(self.stack.name).partition("/")
        service = self.argument
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            problem = f"!managed_prefix_list takes a service name such as s3 or dynamodb, got {service!r}"
            raise _argument_error(self.stack, problem)
        region = self.stack.region
        name = f"com.amazonaws.{region}.{service}"
        described = self.stack.connection_manager.call(
            "ec2",
            "describe_managed_prefix_lists",
            {"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            region=region,
        )
        found = sorted(str(p["PrefixListId"]) for p in described.get("PrefixLists", []) if p.get("OwnerId") == "AWS")
        if not found:
            raise ManagedPrefixListNotFound(
                f"environment {environment!r}, stack {stack!r}: !managed_prefix_list {service}: no AWS-managed "
                f"prefix list {name!r} in {region} (is {service!r} a service with a gateway endpoint there?)"
            )
        return found[0]


_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*")
