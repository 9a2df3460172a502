"""Names and sizes within AWS's limits, and API Gateway deployments that wait for what they take.

Each limit is AWS's documented quota or naming rule (its page in `NAME_LIMITS` and
`SIZE_LIMITS`), checked on the values as deployed (intrinsics resolved at the site), so a
check run with the longest partition and region and the longest names the settings allow
proves the templates fit everywhere they may be deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from blueprints.checks.iam_resources import Finding
from blueprints.checks.intrinsics import Resolver, Unresolvable
from blueprints.core.context import BUCKET_NAME_LIMIT

# The longest partition a template may be deployed in; the longest region is core's.
LONGEST_PARTITION = "aws-us-gov"

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# type: (name property, most characters, pattern or None, documentation)
NAME_LIMITS: dict[str, tuple[str, int, re.Pattern[str] | None, str]] = {
    "AWS::S3::Bucket": (
        "BucketName",
        BUCKET_NAME_LIMIT,
        _BUCKET,
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    "AWS::IAM::Role": (
        "RoleName",
        64,
        re.compile(r"^[\w+=,.@-]+$"),
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
    ),
    "AWS::IAM::ManagedPolicy": (
        "ManagedPolicyName",
        128,
        None,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
    ),
    "AWS::Lambda::Function": (
        "FunctionName",
        64,
        re.compile(r"^[a-zA-Z0-9_-]+$"),
        "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
    ),
    "AWS::Logs::LogGroup": (
        "LogGroupName",
        512,
        re.compile(r"^[\w\-./#]+$"),
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    ),
    "AWS::CloudWatch::Alarm": (
        "AlarmName",
        255,
        None,
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    ),
    "AWS::CloudWatch::CompositeAlarm": (
        "AlarmName",
        255,
        None,
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html",
    ),
    "AWS::SNS::Topic": (
        "TopicName",
        256,
        re.compile(r"^[\w-]+$"),
        "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    ),
    "AWS::DynamoDB::Table": (
        "TableName",
        255,
        re.compile(r"^[\w.-]{3,}$"),
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html",
    ),
    "AWS::KMS::Alias": (
        "AliasName",
        256,
        re.compile(r"^alias/[\w/-]+$"),
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    ),
    "AWS::SecretsManager::Secret": (
        "Name",
        512,
        None,
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    ),
    "AWS::Cognito::UserPoolDomain": (
        "Domain",
        63,
        re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"),
        "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html",
    ),
    "AWS::CodeDeploy::DeploymentGroup": (
        "DeploymentGroupName",
        100,
        None,
        "https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html",
    ),
    "AWS::CodeDeploy::Application": (
        "ApplicationName",
        100,
        None,
        "https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateApplication.html",
    ),
    "AWS::WAFv2::WebACL": (
        "Name",
        128,
        re.compile(r"^[\w-]+$"),
        "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
    ),
    "AWS::CloudWatch::Dashboard": (
        "DashboardName",
        255,
        re.compile(r"^[\w-]+$"),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    ),
}

_IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
# type: (document property, most characters without white space, documentation)
SIZE_LIMITS: dict[str, tuple[str, int, str]] = {
    "AWS::IAM::ManagedPolicy": ("PolicyDocument", 6_144, _IAM_QUOTAS),
    "AWS::KMS::Key": (
        "KeyPolicy",
        32_768,
        "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html",
    ),
    "AWS::S3::BucketPolicy": (
        "PolicyDocument",
        20_480,
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html",
    ),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", 30_720, "https://docs.aws.amazon.com/general/latest/gr/sns.html"),
}
ROLE_TRUST_LIMIT = 2_048  # the default quota (adjustable to 4,096)
ROLE_INLINE_LIMIT = 10_240  # all inline policies of a role together
ROLE_MANAGED_POLICIES = 10  # attached managed policies per role (default quota)
TEMPLATE_BODY_LIMIT = 51_200  # bytes, as a TemplateBody (larger ones must come from S3)

# What a REST API deployment snapshots, so it must wait for (DependsOn) in its template.
SNAPSHOT_TYPES = (
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
)


class _Resolved:
    """A document with every intrinsic resolved (the first value of each `Fn::If`)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(item) for item in node]
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::If" in node:
                branches = [self(branch) for branch in node["Fn::If"][1:]]
                return max(branches, key=lambda b: len(json.dumps(b)))
            if len(node) == 1 and (next(iter(node)).startswith("Fn::") or "Ref" in node):
                values = self.resolver.values(node)
                return max(values, key=len)
            return {key: self(value) for key, value in node.items()}
        return node


def policy_size(document: Any, resolver: Resolver) -> int:
    """Characters of a policy as IAM counts them: resolved, without white space."""
    text = json.dumps(_Resolved(resolver)(document), separators=(",", ":"))
    return len(re.sub(r"\s", "", text))


def check_template(stack: str, template: Mapping[str, Any], resolver: Resolver) -> list[Finding]:
    findings = []
    body = len(json.dumps(template, separators=(",", ":")).encode())
    if body > TEMPLATE_BODY_LIMIT:
        findings.append(
            Finding(stack, "(template)", "body", f"{body} bytes, CloudFormation takes {TEMPLATE_BODY_LIMIT}")
        )
    resources = template.get("Resources", {})
    managed: dict[str, int] = {}
    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        try:
            findings += _name_problems(stack, logical_id, kind, props, resolver)
            findings += _size_problems(stack, logical_id, kind, props, resolver)
        except Unresolvable as err:
            findings.append(Finding(stack, logical_id, "(value)", f"cannot resolve: {err}"))
        if kind == "AWS::IAM::ManagedPolicy":
            for role in props.get("Roles", []):
                if isinstance(role, dict) and "Ref" in role:
                    managed[role["Ref"]] = managed.get(role["Ref"], 0) + 1
        if kind == "AWS::ApiGateway::Deployment":
            findings += _deployment_problems(stack, logical_id, resource, resources)
    for logical_id, count in managed.items():
        attached = count + len(resources.get(logical_id, {}).get("Properties", {}).get("ManagedPolicyArns", []))
        if attached > ROLE_MANAGED_POLICIES:
            findings.append(
                Finding(
                    stack,
                    logical_id,
                    "managed policies",
                    f"{attached} attached, IAM allows {ROLE_MANAGED_POLICIES} ({_IAM_QUOTAS})",
                )
            )
    return findings


def _name_problems(
    stack: str, logical_id: str, kind: str, props: Mapping[str, Any], resolver: Resolver
) -> list[Finding]:
    if kind not in NAME_LIMITS or NAME_LIMITS[kind][0] not in props:
        return []
    prop, most, pattern, source = NAME_LIMITS[kind]
    problems = []
    for name in resolver.values(props[prop]):
        if len(name) > most:
            problems.append(
                Finding(stack, logical_id, prop, f"{name!r} is {len(name)} characters, {kind} takes {most} ({source})")
            )
        elif pattern is not None and not pattern.fullmatch(name):
            problems.append(Finding(stack, logical_id, prop, f"{name!r} breaks the naming rule of {kind} ({source})"))
    return problems


def _size_problems(
    stack: str, logical_id: str, kind: str, props: Mapping[str, Any], resolver: Resolver
) -> list[Finding]:
    problems = []
    if kind in SIZE_LIMITS and SIZE_LIMITS[kind][0] in props:
        prop, most, source = SIZE_LIMITS[kind]
        size = policy_size(props[prop], resolver)
        if size > most:
            problems.append(Finding(stack, logical_id, prop, f"{size} characters, {kind} takes {most} ({source})"))
    if kind == "AWS::IAM::Role":
        trust = policy_size(props.get("AssumeRolePolicyDocument", {}), resolver)
        if trust > ROLE_TRUST_LIMIT:
            problems.append(
                Finding(
                    stack,
                    logical_id,
                    "AssumeRolePolicyDocument",
                    f"{trust} characters, IAM takes {ROLE_TRUST_LIMIT} ({_IAM_QUOTAS})",
                )
            )
        inline = sum(
            policy_size(p.get("PolicyDocument", {}), resolver) + len(str(p.get("PolicyName", "")))
            for p in props.get("Policies", [])
        )
        if inline > ROLE_INLINE_LIMIT:
            problems.append(
                Finding(
                    stack,
                    logical_id,
                    "Policies",
                    f"{inline} characters of inline policy, IAM takes {ROLE_INLINE_LIMIT} ({_IAM_QUOTAS})",
                )
            )
    return problems


def _deployment_problems(
    stack: str, logical_id: str, deployment: Mapping[str, Any], resources: Mapping[str, Any]
) -> list[Finding]:
    """A deployment snapshots its API's methods, resources, models, validators, authorizers
    and gateway responses as they are when it is made: it must depend on all of them."""
    api = deployment.get("Properties", {}).get("RestApiId")
    depends = deployment.get("DependsOn", [])
    depends = {depends} if isinstance(depends, str) else set(depends)
    missing = sorted(
        other
        for other, resource in resources.items()
        if resource["Type"] in SNAPSHOT_TYPES
        and resource.get("Properties", {}).get("RestApiId") == api
        and other not in depends
    )
    if not missing:
        return []
    return [Finding(stack, logical_id, "DependsOn", f"the deployment may be taken before {', '.join(missing)} exist")]
