"""Preflight: read-only checks of an environment's account before a launch changes anything,
for what a new account or a first launch always hits and no template can show.

- the bootstrap stack exists, completed, and is the one the environment's templates need;
- Lambda's concurrency quota covers the functions' reservations plus the 100 executions
  Lambda keeps unreserved;
- the domain delegates to its hosted zone's name servers (an ACM certificate validated by
  DNS waits until it does), or, on a first launch, what to do once the zone exists;
- API Gateway has its CloudWatch role in the region (stage execution logs need it);
- the service-linked roles the stacks need exist, or CloudFormation may create them;
- the Cognito domain prefix is free (prefixes are global per region);
- the alarm topics' subscriptions are confirmed (a warning: pending ones hear nothing).

`preflight(env, call)` returns one `Problem` per finding; `call(service, operation, params,
region)` makes one AWS API call (a boto3 session through `session_caller`, or Sceptre's
connection manager in the `!preflight` hook), so the same code runs against a real account
and against the emulator. DNS questions go to the system's resolver, or to
BLUEPRINTS_DNS_RESOLVER (`host:port`; the emulator's public DNS).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprints.checks import BOOTSTRAP, DeployedStack, deployed_stacks
from blueprints.checks.intrinsics import Resolver, Site
from blueprints.stacks.bootstrap.settings import bootstrap_stack_name, role_arn

if TYPE_CHECKING:
    import boto3

    from blueprints.project.environment import Environment

Call = Callable[[str, str, Mapping[str, Any], str], Mapping[str, Any]]

UNRESERVED_MINIMUM = 100  # https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
CONCURRENCY_QUOTA_CODE = "L-B99A9384"  # Service Quotas: AWS Lambda, Concurrent executions
COMPLETE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
DNS_RESOLVER_VARIABLE = "BLUEPRINTS_DNS_RESOLVER"
# Service-linked roles a resource type needs, by what the resource says (the services create
# them on first use when the caller may iam:CreateServiceLinkedRole).
SERVICE_LINKED_ROLES: dict[tuple[str, str], str] = {
    # (type, the property value that selects the service): role name
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "dynamodb",
    ): "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
}


@dataclass(frozen=True)
class Problem:
    """One finding: what is wrong and what to do, on one line."""

    check: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'warning' if self.warning else 'problem'} [{self.check}]: {self.message}"


class CallFailed(RuntimeError):
    """An AWS call failed: `code` is AWS's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def session_caller(session: boto3.Session) -> Call:
    """`Call` through a boto3 session (one client per service and region)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    clients: dict[tuple[str, str], Any] = {}

    def call(service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        key = (service, region)
        if key not in clients:
            clients[key] = session.client(service, region_name=region)
        try:
            return getattr(clients[key], operation)(**params)  # type: ignore[no-any-return]
        except ClientError as err:
            raise CallFailed(err.response["Error"]["Code"], err.response["Error"].get("Message", "")) from err

    return call


def as_caller(call: Callable[[str, str, dict[str, Any], str], Any]) -> Call:
    """`Call` through another caller that raises botocore's ClientError (Sceptre's)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    def wrapped(service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        try:
            return call(service, operation, dict(params), region)  # type: ignore[no-any-return]
        except ClientError as err:
            raise CallFailed(err.response["Error"]["Code"], err.response["Error"].get("Message", "")) from err

    return wrapped


@dataclass
class _Context:
    env: Environment
    call: Call
    stacks: Mapping[str, DeployedStack]

    def stack_name(self, stack: str) -> str:
        return self.env.context.name(stack)

    def outputs(self, stack: str) -> dict[str, str] | None:
        """The stack's outputs, read in its region; None when it does not exist (or never completed)."""
        if stack not in self.stacks:
            return None
        try:
            found = self.call(
                "cloudformation", "describe_stacks", {"StackName": self.stack_name(stack)}, self.stacks[stack].region
            )["Stacks"]
        except CallFailed as err:
            if "does not exist" in str(err):
                return None
            raise
        if not found or found[0]["StackStatus"] not in COMPLETE:
            return None
        return {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}

    def resources(self, kind: str) -> Iterable[tuple[DeployedStack, Mapping[str, Any]]]:
        """(stack, properties) of every resource of `kind` in the environment's stacks."""
        for name, stack in self.stacks.items():
            if name == BOOTSTRAP:
                continue
            for resource in stack.template.get("Resources", {}).values():
                if resource["Type"] == kind:
                    yield stack, resource.get("Properties", {})

    def value(self, stack: DeployedStack, node: Any) -> str:
        """`node` (a literal or an intrinsic of pseudo parameters) as deployed."""
        site = Site(partition=_partition(stack.region), region=stack.region, account=self.env.settings.account_id)
        return Resolver(stack.template, site).values(node)[0]


def preflight(
    env: Environment, call: Call, project_dir: str | Path, *, checks: Iterable[str] | None = None
) -> list[Problem]:
    """Every problem the environment's account has for a launch (warnings included), or
    those of the named `checks` (names of `CHECKS`)."""
    context = _Context(env, call, deployed_stacks(env, Path(project_dir) / "config" / env.name))
    problems: list[Problem] = []
    for name, check in CHECKS.items():
        if checks is None or name in checks:
            try:
                problems += check(context)
            except CallFailed as err:
                problems.append(Problem(name, f"could not check: {err} (the deploy role may lack the permission)"))
    return problems


def _bootstrap(c: _Context) -> list[Problem]:
    stack = bootstrap_stack_name(c.env.context)
    fix = f"run `make bootstrap ENV={c.env.name}` as the administrator of account {c.env.settings.account_id}"
    try:
        found = c.call("cloudformation", "describe_stacks", {"StackName": stack}, c.env.region)["Stacks"]
    except CallFailed as err:
        if "does not exist" in str(err):
            return [Problem("bootstrap", f"no stack {stack} in {c.env.region}: {fix}")]
        raise
    status = found[0]["StackStatus"]
    if status not in COMPLETE:
        return [Problem("bootstrap", f"{stack} is {status}: {fix}")]
    deployed = c.call("cloudformation", "get_template", {"StackName": stack}, c.env.region)["TemplateBody"]
    deployed = json.loads(deployed) if isinstance(deployed, str) else deployed
    if deployed != c.stacks[BOOTSTRAP].template:
        return [
            Problem(
                "bootstrap",
                f"{stack} is not the bootstrap these templates need (a resource type or permission changed): {fix}",
            )
        ]
    return []


def _concurrency(c: _Context) -> list[Problem]:
    planned: dict[str, dict[str, int]] = {}
    for stack, props in c.resources("AWS::Lambda::Function"):
        if "ReservedConcurrentExecutions" in props:
            name = c.value(stack, props["FunctionName"])
            planned.setdefault(stack.region, {})[name] = int(props["ReservedConcurrentExecutions"])
    problems = []
    for region, functions in sorted(planned.items()):
        limit = c.call("lambda", "get_account_settings", {}, region)["AccountLimit"]
        current = 0
        for name in functions:
            try:
                found = c.call("lambda", "get_function_concurrency", {"FunctionName": name}, region)
            except CallFailed as err:
                if err.code != "ResourceNotFoundException":
                    raise
                continue  # not created yet
            current += int(found.get("ReservedConcurrentExecutions") or 0)
        quota = int(limit["ConcurrentExecutions"])
        others = quota - int(limit["UnreservedConcurrentExecutions"]) - current
        wanted = sum(functions.values())
        needed = others + wanted + UNRESERVED_MINIMUM
        if needed > quota:
            besides = f" and other functions {others}" if others else ""
            problems.append(
                Problem(
                    "lambda-concurrency",
                    f"Lambda's concurrent executions quota in {region} is {quota}: the functions reserve {wanted}"
                    f"{besides}, and Lambda keeps {UNRESERVED_MINIMUM} unreserved, so it must be at least {needed}; "
                    f"request an increase of 'Concurrent executions' ({CONCURRENCY_QUOTA_CODE}) in Service Quotas, "
                    "or lower functions.reserved_concurrency",
                )
            )
    return problems


def zone_name_servers(c: _Context) -> list[str] | None:
    """The name servers of the environment's hosted zone, or None before the zone exists."""
    outputs = c.outputs("zone")
    if outputs is None or "HostedZoneId" not in outputs:
        return None
    zone = c.call("route53", "get_hosted_zone", {"Id": outputs["HostedZoneId"]}, c.env.region)
    return sorted(_fqdn(n) for n in zone["DelegationSet"]["NameServers"])


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def public_name_servers(domain: str) -> list[str]:
    """The NS records the public DNS gives for `domain` (empty when it is not delegated)."""
    import dns.exception  # noqa: PLC0415 - only where preflight runs
    import dns.resolver  # noqa: PLC0415

    resolver = dns.resolver.Resolver(configure=not os.environ.get(DNS_RESOLVER_VARIABLE))
    if os.environ.get(DNS_RESOLVER_VARIABLE):
        host, _, port = os.environ[DNS_RESOLVER_VARIABLE].rpartition(":")
        resolver.nameservers = [host]
        resolver.port = int(port)
    resolver.lifetime = 5.0
    try:
        return sorted(_fqdn(r.to_text()) for r in resolver.resolve(domain, "NS"))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.Timeout:
        return []


def delegation(env: Environment, call: Call, project_dir: str | Path, *, first_launch_ok: bool) -> Problem | None:
    """Whether the domain delegates to its zone now (`first_launch_ok`: a zone not yet made
    is a warning, not a problem)."""
    context = _Context(env, call, deployed_stacks(env, Path(project_dir) / "config" / env.name))
    return _delegation_problem(context, first_launch_ok=first_launch_ok)


def _delegation_problem(c: _Context, *, first_launch_ok: bool) -> Problem | None:
    domain = c.env.settings.domain
    if domain is None or "zone" not in c.stacks:
        return None
    servers = zone_name_servers(c)
    if servers is None:
        if not first_launch_ok:
            return Problem(
                "delegation", f"the zone stack of {domain} does not exist: launch {c.env.name}/zone.yaml first"
            )
        return Problem(
            "delegation",
            f"first launch: ACM validates {domain}'s certificate only once the parent domain delegates to the "
            "zone's name servers; the launch creates the zone, then refuses the certificate stack with the NS "
            f"records to add if the delegation is not there yet (or launch {c.env.name}/zone.yaml alone and run "
            f"`make preflight ENV={c.env.name}`, which prints them)",
            warning=True,
        )
    public = public_name_servers(domain)
    if public == servers:
        return None
    seen = ", ".join(public) if public else "no NS records (not delegated)"
    return Problem(
        "delegation",
        f"{domain} does not delegate to its hosted zone (the public DNS gives {seen}): in the parent zone of "
        f"{domain}, add the NS record {domain}. NS {' '.join(servers)}; ACM validates the certificate only then",
    )


def _delegation(c: _Context) -> list[Problem]:
    problem = _delegation_problem(c, first_launch_ok=True)
    return [problem] if problem else []


def _api_gateway_account(c: _Context) -> list[Problem]:
    regions = {stack.region for stack, _ in c.resources("AWS::ApiGateway::Stage")}
    problems = []
    for region in sorted(regions):
        account = c.call("apigateway", "get_account", {}, region)
        if not account.get("cloudwatchRoleArn"):
            problems.append(
                Problem(
                    "api-gateway-account",
                    f"API Gateway in {region} has no CloudWatch role, so no stage can write execution logs: run "
                    f"`make bootstrap ENV={c.env.name}` as the administrator of account {c.env.settings.account_id}",
                )
            )
    return problems


def _service_linked_roles(c: _Context) -> list[Problem]:
    needed = {
        role
        for (kind, service), role in SERVICE_LINKED_ROLES.items()
        for _, props in c.resources(kind)
        if props.get("ServiceNamespace") == service and "RoleARN" not in props
    }
    creatable = "iam:CreateServiceLinkedRole" in json.dumps(c.stacks[BOOTSTRAP].template)
    problems = []
    for role in sorted(needed):
        try:
            c.call("iam", "get_role", {"RoleName": role}, c.env.region)
        except CallFailed as err:
            if err.code != "NoSuchEntity":
                raise
            if creatable:
                problems.append(
                    Problem(
                        "service-linked-roles", f"{role} does not exist yet: AWS creates it at first use", warning=True
                    )
                )
            else:
                problems.append(
                    Problem(
                        "service-linked-roles",
                        f"{role} does not exist and CloudFormation may not create it: create it with `aws iam "
                        "create-service-linked-role` as the account's administrator",
                    )
                )
    return problems


def _cognito_domain(c: _Context) -> list[Problem]:
    own = (c.outputs("identity") or {}).get("UserPoolId")
    problems = []
    for stack, props in c.resources("AWS::Cognito::UserPoolDomain"):
        prefix = c.value(stack, props["Domain"])
        found = c.call("cognito-idp", "describe_user_pool_domain", {"Domain": prefix}, stack.region)
        owner = (found.get("DomainDescription") or {}).get("UserPoolId")
        if owner and owner != own:
            problems.append(
                Problem(
                    "cognito-domain",
                    f"the Cognito domain prefix {prefix!r} belongs to user pool {owner} in {stack.region}, not this "
                    "environment's: delete that domain or change the project or environment name",
                )
            )
    return problems


def _subscriptions(c: _Context) -> list[Problem]:
    problems = []
    for stack, props in c.resources("AWS::SNS::Topic"):
        region, topic = stack.region, c.value(stack, props["TopicName"])
        arn = f"arn:{_partition(region)}:sns:{region}:{c.env.settings.account_id}:{topic}"
        try:
            found = c.call("sns", "list_subscriptions_by_topic", {"TopicArn": arn}, region)["Subscriptions"]
        except CallFailed as err:
            if err.code != "NotFound":
                raise
            continue  # not launched yet
        problems += [
            Problem(
                "subscriptions",
                f"{s['Endpoint']} ({s['Protocol']}) has not confirmed its subscription to {topic} in "
                f"{region}: it hears no alarm until it follows the link AWS sent it",
                warning=True,
            )
            for s in found
            if s["SubscriptionArn"] == "PendingConfirmation"
        ]
    return problems


def _partition(region: str) -> str:
    return role_arn("0", "x", region).split(":")[1]


CHECKS: dict[str, Callable[[_Context], list[Problem]]] = {
    "bootstrap": _bootstrap,
    "lambda-concurrency": _concurrency,
    "delegation": _delegation,
    "api-gateway-account": _api_gateway_account,
    "service-linked-roles": _service_linked_roles,
    "cognito-domain": _cognito_domain,
    "subscriptions": _subscriptions,
}
