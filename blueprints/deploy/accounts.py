"""Acting in an environment's account from Python, as a launch does: assume the account's
deploy role (made by its bootstrap) with the caller's own credentials, and make sure the
result acts in the environment's declared account before anything changes.

For scripts beside Sceptre (origin secret rotation, reading a launched environment);
Sceptre itself does the same through `sceptre_role` and the `!check_account` hook. And the
account's bootstrap (`bootstrap`), made by its administrator before the first launch.
Needs boto3 (installed with the `[sceptre]` extra).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from blueprints.stacks.bootstrap.settings import bootstrap_stack_name, deploy_role_name, role_arn

if TYPE_CHECKING:
    import boto3

    from blueprints.project.environment import Environment


class WrongAccountError(RuntimeError):
    """Credentials that act in another account than the environment's."""


def check_account(session: boto3.Session, env: Environment, *, doing: str) -> dict[str, Any]:
    """The caller identity of `session`; `WrongAccountError` naming both accounts unless it
    acts in the environment's account."""
    identity: dict[str, Any] = session.client("sts", region_name=env.region).get_caller_identity()
    if identity["Account"] != env.settings.account_id:
        raise WrongAccountError(
            f"refusing to {doing}: the credentials in use ({identity['Arn']}) act in account "
            f"{identity['Account']}, but environment {env.name!r} lives in account {env.settings.account_id} "
            f"(environment.account_id in config/{env.name}/config.yaml). Nothing was changed."
        )
    return identity


def assume(
    base: boto3.Session, arn: str, session_name: str, region: str, *, endpoint_url: str | None = None
) -> boto3.Session:
    """A session acting as role `arn`, assumed with `base`'s credentials (through STS at
    `endpoint_url` if given, else the usual one)."""
    import boto3  # noqa: PLC0415 - the base package does not need boto3

    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url)
    credentials = sts.assume_role(RoleArn=arn, RoleSessionName=session_name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def deploy_session(env: Environment, base: boto3.Session | None = None, *, doing: str) -> boto3.Session:
    """A session acting as the environment's deploy role, checked to act in its account."""
    import boto3  # noqa: PLC0415

    arn = role_arn(env.settings.account_id, deploy_role_name(env.context), env.region)
    session = assume(base or boto3.Session(), arn, f"{env.project}-{env.name}", env.region)
    check_account(session, env, doing=doing)
    return session


class BootstrapError(RuntimeError):
    """The bootstrap stack could not be created or updated; the message says why."""


def bootstrap(env: Environment, session: boto3.Session, *, log: Callable[[str], None] = print) -> dict[str, str]:
    """Create or update the stack `<project>-<env>-bootstrap` (blueprints.stacks.bootstrap) with
    `session`, an administrator of the environment's account, after checking that it acts
    there; termination protection on; nothing changes when the template is the deployed one.
    Its outputs (the roles' ARNs)."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - the base package does not need boto3

    stack = bootstrap_stack_name(env.context)
    check_account(session, env, doing=f"bootstrap {stack}")
    template = env.bootstrap().render()
    cloudformation = session.client("cloudformation", region_name=env.region)
    try:
        deployed = cloudformation.get_template(StackName=stack)["TemplateBody"]
    except ClientError as err:
        if "does not exist" not in str(err):
            raise
        deployed = None
    if deployed is None:
        log(f"{stack}: creating in account {env.settings.account_id}, {env.region}")
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=template,
            Capabilities=["CAPABILITY_NAMED_IAM"],
            EnableTerminationProtection=True,
            Tags=[{"Key": k, "Value": v} for k, v in env.context.tags("bootstrap").items()],
        )
        _wait(cloudformation, "stack_create_complete", stack)
    elif (deployed if isinstance(deployed, dict) else json.loads(deployed)) == json.loads(template):
        log(f"{stack}: up to date, nothing to change")
    else:
        log(f"{stack}: updating")
        cloudformation.update_stack(StackName=stack, TemplateBody=template, Capabilities=["CAPABILITY_NAMED_IAM"])
        _wait(cloudformation, "stack_update_complete", stack)
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _wait(cloudformation: Any, waiter: str, stack: str) -> None:
    from botocore.exceptions import WaiterError  # noqa: PLC0415

    try:
        cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 2, "MaxAttempts": 450})
    except WaiterError as err:
        raise BootstrapError(f"{stack}: {err}; its events say why (describe-stack-events)") from err
