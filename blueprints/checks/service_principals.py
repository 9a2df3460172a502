"""Every statement that lets an AWS service in is the statement AWS documents for that
integration, with only the condition keys that service is documented to send.

A key policy, topic policy, bucket policy or trust policy that names a service principal
works only as AWS documents it: a missing action (CloudFront's log delivery calls
`kms:GenerateDataKey*`, not only `kms:GenerateDataKey`) or a condition key the service does
not send fails silently, as logs never written and alarms never delivered. `DOCUMENTED`
holds, per policy kind and principal, the statements AWS's documentation gives, each with
its page; a statement must grant exactly one documented form's actions (as written,
case-insensitively) and use no condition key beyond that form's. A principal with no
documented form is a finding too: it needs its documentation read and recorded here.

`kms:ViaService` values are checked as well: a service endpoint of the key's own region
(a key is used through a service in its region only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blueprints.checks.iam_resources import Finding, _as_list, allow_statements
from blueprints.checks.intrinsics import Resolver, Unresolvable

KEY_POLICY = "key policy"
TOPIC_POLICY = "topic policy"
BUCKET_POLICY = "bucket policy"
TRUST_POLICY = "trust policy"


@dataclass(frozen=True)
class Documented:
    """One statement AWS documents for a service principal."""

    actions: frozenset[str]
    condition_keys: frozenset[str]
    source: str

    @classmethod
    def of(cls, actions: tuple[str, ...], condition_keys: tuple[str, ...], source: str) -> Documented:
        return cls(frozenset(a.lower() for a in actions), frozenset(k.lower() for k in condition_keys), source)


_ASSUME = ("sts:AssumeRole",)
_CONFUSED_DEPUTY = ("aws:SourceAccount", "aws:SourceArn")

# (policy kind, principal; "{region}" for a regional principal) -> the documented forms.
DOCUMENTED: dict[tuple[str, str], tuple[Documented, ...]] = {
    (KEY_POLICY, "logs.{region}.amazonaws.com"): (
        Documented.of(
            ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
            ("kms:EncryptionContext:aws:logs:arn",),
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
        ),
    ),
    (KEY_POLICY, "delivery.logs.amazonaws.com"): (
        # CloudFront standard logging (legacy) into an SSE-KMS bucket; with an S3 Bucket Key,
        # also kms:Decrypt. No condition key is documented for it.
        Documented.of(
            ("kms:GenerateDataKey*",),
            (),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html",
        ),
        Documented.of(
            ("kms:GenerateDataKey*", "kms:Decrypt"),
            (),
            "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html",
        ),
        # CloudWatch Logs vended delivery (CloudFront standard logging v2) to S3.
        Documented.of(
            ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
            _CONFUSED_DEPUTY,
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html",
        ),
    ),
    (KEY_POLICY, "cloudwatch.amazonaws.com"): (
        # CloudWatch alarms publishing to an SNS topic under the key.
        Documented.of(
            ("kms:GenerateDataKey*", "kms:Decrypt"),
            (),
            "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
        ),
        # The form SNS documents for any publishing service (its step 3), which CloudWatch's own
        # documentation does not give: allowed, not the default.
        Documented.of(
            ("kms:GenerateDataKey*", "kms:Decrypt"),
            _CONFUSED_DEPUTY,
            "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
        ),
    ),
    (TOPIC_POLICY, "cloudwatch.amazonaws.com"): (
        Documented.of(
            ("sns:Publish",),
            _CONFUSED_DEPUTY,
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        ),
    ),
    (BUCKET_POLICY, "logging.s3.amazonaws.com"): (
        Documented.of(
            ("s3:PutObject",),
            _CONFUSED_DEPUTY,
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
        ),
    ),
    (TRUST_POLICY, "lambda.amazonaws.com"): (
        Documented.of(_ASSUME, (), "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"),
    ),
    (TRUST_POLICY, "apigateway.amazonaws.com"): (
        # No condition key: API Gateway is not documented to send aws:SourceAccount for this role.
        Documented.of(
            _ASSUME,
            (),
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-account.html",
        ),
    ),
    (TRUST_POLICY, "codedeploy.amazonaws.com"): (
        Documented.of(
            _ASSUME,
            (),
            "https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html",
        ),
    ),
    (TRUST_POLICY, "vpc-flow-logs.amazonaws.com"): (
        Documented.of(
            _ASSUME,
            _CONFUSED_DEPUTY,
            "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
        ),
    ),
    (TRUST_POLICY, "cloudformation.amazonaws.com"): (
        Documented.of(
            _ASSUME,
            (),
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html",
        ),
    ),
}

_POLICY_KINDS: dict[str, tuple[str, str]] = {
    # type: (property, kind)
    "AWS::KMS::Key": ("KeyPolicy", KEY_POLICY),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", TOPIC_POLICY),
    "AWS::S3::BucketPolicy": ("PolicyDocument", BUCKET_POLICY),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", TRUST_POLICY),
}
_VIA_SERVICE = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.amazonaws\.com$")


def _principal_key(principal: str, region: str) -> str:
    return principal.replace(f".{region}.", ".{region}.")


def _conditions(statement: Mapping[str, Any]) -> dict[str, Any]:
    """Condition key (lower case) -> its value, over every operator."""
    out: dict[str, Any] = {}
    for block in (statement.get("Condition") or {}).values():
        for key, value in block.items():
            out[key.lower()] = value
    return out


def check_template(stack: str, template: Mapping[str, Any], resolver: Resolver) -> list[Finding]:
    findings = []
    region = resolver.site.region
    for logical_id, resource in template.get("Resources", {}).items():
        prop, kind = _POLICY_KINDS.get(resource["Type"], ("", ""))
        for where, statement in allow_statements(prop, resource.get("Properties", {}).get(prop)):
            conditions = _conditions(statement)
            if kind == KEY_POLICY and "kms:viaservice" in conditions:
                findings += [Finding(stack, logical_id, where, m) for m in _via_service_problems(conditions, resolver)]
            principal = statement.get("Principal")
            if not isinstance(principal, dict) or "Service" not in principal:
                continue
            try:
                services = [s for node in _as_list(principal["Service"]) for s in resolver.values(node)]
            except Unresolvable as err:
                findings.append(Finding(stack, logical_id, where, f"cannot resolve the principal: {err}"))
                continue
            actions = frozenset(str(a).lower() for a in _as_list(statement.get("Action", [])))
            for service in services:
                problem = statement_problem(kind, _principal_key(service, region), actions, frozenset(conditions))
                if problem:
                    findings.append(Finding(stack, logical_id, where, problem))
    return findings


def statement_problem(kind: str, principal: str, actions: frozenset[str], condition_keys: frozenset[str]) -> str | None:
    """Why a statement for `principal` in a `kind` is not one AWS documents, or None."""
    forms = DOCUMENTED.get((kind, principal))
    if not forms:
        return f"no documented statement for {principal} in a {kind} is known (read AWS's and add it to DOCUMENTED)"
    for form in forms:
        if actions == form.actions and condition_keys <= form.condition_keys:
            return None
    closest = min(forms, key=lambda f: len(f.actions ^ actions))
    missing, extra = sorted(closest.actions - actions), sorted(actions - closest.actions)
    keys = sorted(condition_keys - closest.condition_keys)
    parts = [f"missing {missing}" if missing else "", f"beyond it {extra}" if extra else ""]
    parts.append(f"condition keys {principal} is not documented to send: {keys}" if keys else "")
    return f"not AWS's documented statement for {principal} in a {kind} ({closest.source}): " + "; ".join(
        p for p in parts if p
    )


def _via_service_problems(conditions: Mapping[str, Any], resolver: Resolver) -> list[str]:
    problems = []
    try:
        values = [v for node in _as_list(conditions["kms:viaservice"]) for v in resolver.values(node)]
    except Unresolvable as err:
        return [f"cannot resolve kms:ViaService: {err}"]
    for value in values:
        match = _VIA_SERVICE.match(value)
        if not match:
            problems.append(f"kms:ViaService {value!r} is not <service>.<region>.amazonaws.com")
        elif match.group(2) != resolver.site.region:
            problems.append(
                f"kms:ViaService {value!r} names region {match.group(2)}: a key in {resolver.site.region} is used "
                "through services of its own region only"
            )
    return problems
