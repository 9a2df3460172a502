"""The bootstrap's settings, and the names of its stack and roles (the deploy commands and
the `!account_role` resolver name them without building it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from blueprints.core.config import PrincipalArn, StackConfig

if TYPE_CHECKING:
    from blueprints.core.context import Context


def deploy_role_name(context: Context) -> str:
    return context.name("deploy")


def cloudformation_role_name(context: Context) -> str:
    return context.name("cloudformation")


def bootstrap_stack_name(context: Context) -> str:
    return context.name("bootstrap")


def role_arn(account_id: str, name: str, region: str) -> str:
    """`arn:<partition>:iam::<account>:role/<name>`, in the region's partition."""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:iam::{account_id}:role/{name}"


class BootstrapConfig(StackConfig):
    """Inputs of an account's bootstrap."""

    deployers: tuple[PrincipalArn, ...] = Field(
        min_length=1, description="IAM principals (role or account-root ARNs) the deploy role trusts."
    )
    regions: tuple[str, ...] = Field(
        min_length=1,
        description=(
            "Regions the environment's stacks live in (its own and us-east-1, where CloudFront, Route 53 and IAM "
            "are called): the roles act nowhere else."
        ),
    )
    resource_types: tuple[str, ...] = Field(
        min_length=1,
        description="Every resource type the environment's templates use: the CloudFormation role may manage these.",
    )
    api_gateway_account: bool = Field(
        True, description="Own the account-and-region-wide API Gateway CloudWatch role (default true)."
    )
    teardown: bool = Field(
        False,
        description=(
            "Let the deploy role do what a teardown needs besides deleting stacks: empty the environment's "
            "buckets of every version, delete the certificate's validation records, watch Lambda's network "
            "interfaces (default false: only for an environment whose settings keep no data)."
        ),
    )
