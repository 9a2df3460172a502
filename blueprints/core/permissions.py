"""What CloudFormation needs to manage the environment's resources: the permissions each
resource type's handlers declare (create, read, update, delete) in the CloudFormation
registry schemas, read from cfn-lint's copy of them, turned into the statements of the
bootstrap's CloudFormation role.

- IAM roles only under the environment's prefix (`<project>-<environment>-*`: names the
  stacks give and the `<stack name>-<logical id>-<suffix>` names CloudFormation gives, as every
  stack name starts with it), service-linked roles only under `aws-service-role/`.
- Every other service's actions act on resources whose ids the service generates at creation
  (vpc-..., a REST API id, a distribution id, a key id) or, for the few with names of ours,
  share their actions with generated-id resources of the same service: they take `"*"`,
  limited to the environment's regions (`aws:RequestedRegion`). `SERVICES` says which and why.
- A handler's permissions for integrations these stacks never use are left out (`LEFT_OUT`,
  each with what it serves): a web ACL association's handler, for one, lists the actions of
  every kind of resource WAF protects.

cfn-lint is imported only here, and only when a bootstrap is rendered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

HANDLERS = ("create", "read", "update", "delete")  # what a stack operation calls ("list" serves discovery)

# Services whose actions take "*" in the CloudFormation role (limited to the environment's
# regions), and why no narrower resource fits.
SERVICES: Mapping[str, str] = {
    "acm": "certificates get generated ids",
    "apigateway": "REST APIs, stages and every sub-resource get generated ids",
    "application-autoscaling": "scalable targets and scaling policies get generated ids",
    "cloudfront": "distributions and policies get generated ids",
    "cloudwatch": "DescribeAlarms and ListDashboards take no resource; alarms share their actions",
    "codedeploy": "deployments and deployment configs get generated ids",
    "cognito-idp": "user pools and their clients get generated ids",
    "dynamodb": "DescribeLimits and ListTables take no resource; the tables' own names share their actions",
    "ec2": "VPCs, subnets, groups, endpoints and flow logs get generated ids",
    "kms": "keys get generated ids (aliases of ours share their actions)",
    "lambda": "code signing configs get generated ids; the functions' own names share their actions",
    "logs": "DescribeLogGroups and the log delivery actions take no resource",
    "route53": "hosted zones and changes get generated ids",
    "s3": "bucket policies and configurations act on buckets of several name patterns",
    "secretsmanager": "GetRandomPassword takes no resource; secrets get a generated suffix",
    "signer": "signing profiles get generated names",
    "sns": "ListTopics takes no resource; the topics share their actions",
    "wafv2": "web ACLs get generated ids; the association acts on the stage's ARN",
}

# Actions handlers list for integrations these stacks never use: left out of the role.
LEFT_OUT: Mapping[str, str] = {
    "acm-pca": "private certificate authorities (the certificate is DNS-validated)",
    "amplify": "web ACL associations with Amplify apps (ours: API Gateway stages)",
    "apprunner": "web ACL associations with App Runner services (ours: API Gateway stages)",
    "appsync": "web ACL associations with AppSync APIs (ours: API Gateway stages)",
    "autoscaling": "tags of Auto Scaling groups read by flow logs (no group here)",
    "bedrock-agentcore": "web ACL associations with Bedrock gateways (ours: API Gateway stages)",
    "elasticfilesystem": "EFS mounts of functions (none here)",
    "elasticloadbalancing": "web ACL associations with load balancers (ours: API Gateway stages)",
    "firehose": "log delivery to Firehose streams (logs go to CloudWatch Logs)",
    "iam:DescribeOrganization": "organization-wide WAF logging (logs stay in the account)",
    "kinesis": "Kinesis streaming of table changes (none here)",
    "payments": "payment-connected WAF accounts (not used)",
    "s3files": "S3 Files mounts of functions (none here)",
    "s3tables": "S3 Tables metadata of buckets (none here)",
    "vpc-lattice": "VPC Lattice service network endpoints (none here)",
    "vpce": "cross-region VPC endpoints (endpoints here are in the VPC's region)",
}

# IAM actions on the environment's roles; any other IAM action is left out or unknown.
ROLE_ACTIONS = frozenset(
    {
        "AttachRolePolicy",
        "CreateRole",
        "DeleteRole",
        "DeleteRolePermissionsBoundary",
        "DeleteRolePolicy",
        "DetachRolePolicy",
        "GetRole",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
        "ListRolePolicies",
        "PassRole",
        "PutRolePermissionsBoundary",
        "PutRolePolicy",
        "TagRole",
        "UntagRole",
        "UpdateAssumeRolePolicy",
        "UpdateRole",
        "UpdateRoleDescription",
    }
)
SERVICE_LINKED_ROLE_ACTIONS = frozenset({"CreateServiceLinkedRole"})


class UnknownPermission(ValueError):
    """A resource type, or an action its handlers need, that nothing here accounts for: a new
    resource type needs its services in `SERVICES` (or `LEFT_OUT`) before the role allows it."""


def handler_permissions(resource_types: Iterable[str], region: str = "us-east-1") -> dict[str, set[str]]:
    """Resource type -> every action its create, read, update and delete handlers declare."""
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER  # noqa: PLC0415 - only when a bootstrap is rendered

    permissions = {}
    for resource_type in sorted(set(resource_types)):
        try:
            handlers = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema.get("handlers", {})
        except Exception as err:  # cfn-lint raises its own lookup errors
            raise UnknownPermission(f"{resource_type}: no CloudFormation registry schema ({err})") from err
        actions = {a for h in HANDLERS for a in handlers.get(h, {}).get("permissions", [])}
        if not actions:
            raise UnknownPermission(f"{resource_type}: its registry schema declares no handler permissions")
        permissions[resource_type] = actions
    return permissions


def iam_actions() -> dict[str, set[str]]:
    """Service -> its IAM actions, lower case (the service authorization reference as cfn-lint
    ships it). Some handler schemas list API names that are no IAM action (an S3 handler lists
    `s3:DeleteBucketCors`, governed by `s3:PutBucketCORS`); they grant nothing and are dropped."""
    from cfnlint.data import AdditionalSpecs  # noqa: PLC0415 - only when a bootstrap is rendered
    from cfnlint.helpers import load_resource  # noqa: PLC0415

    reference = load_resource(AdditionalSpecs, "Policies.json")
    return {service: set(entry.get("Actions", {})) for service, entry in reference.items()}


def left_out(action: str) -> bool:
    return action in LEFT_OUT or action.partition(":")[0] in LEFT_OUT


def grouped(permissions: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """The actions the CloudFormation role allows, by group: `iam-roles`,
    `iam-service-linked-roles`, and one group per service of `SERVICES`. An action of a
    service nothing accounts for raises `UnknownPermission` naming the resource type."""
    groups: dict[str, set[str]] = defaultdict(set)
    known = iam_actions()
    for resource_type, actions in sorted(permissions.items()):
        for action in sorted(actions):
            service, _, name = action.partition(":")
            if left_out(action) or name.lower() not in known.get(service, set()):
                continue
            if service == "iam" and name in ROLE_ACTIONS:
                groups["iam-roles"].add(action)
            elif service == "iam" and name in SERVICE_LINKED_ROLE_ACTIONS:
                groups["iam-service-linked-roles"].add(action)
            elif service in SERVICES:
                groups[service].add(action)
            else:
                raise UnknownPermission(
                    f"{resource_type} needs {action}: add {service!r} to blueprints.core.permissions.SERVICES "
                    "(with why it takes '*') or to LEFT_OUT (with what it serves), then bootstrap again"
                )
    return {group: sorted(actions) for group, actions in sorted(groups.items())}
