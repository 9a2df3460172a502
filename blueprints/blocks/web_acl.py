"""AWS WAF web ACLs: the edge ACL in front of a CloudFront distribution, and the origin ACL
that lets a REST API stage answer only requests that came through that distribution.

Every refusal is answered with a custom response body (WAF's `CustomResponseBodies`), so
callers get the API's own JSON error shape from WAF as from API Gateway. See
https://docs.aws.amazon.com/waf/latest/developerguide/waf-custom-request-response.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from pydantic import Field
from troposphere import GetAtt, Parameter, Ref, Sub, Template
from troposphere import wafv2 as waf

from blueprints.blocks.base import Block, Options
from blueprints.core import LogRetentionPeriod, accept_finding, log_group
from blueprints.core.config import RATE_LIMIT_MAX, RATE_LIMIT_MIN

# The rate-based rule's evaluation windows (its bounds, RATE_LIMIT_MIN and RATE_LIMIT_MAX, are in
# blueprints.core.config, shared with the edge stack's settings).
EVALUATION_WINDOWS = (60, 120, 300, 600)
WafMode = Literal["block", "count"]

# CloudFront sends this header to the origin; the origin ACL admits only its known values.
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"


def secret_parameter(template: Template, name: str, description: str) -> Parameter:
    """A NoEcho string parameter: CloudFormation never shows its value (the origin secret)."""
    return template.add_parameter(Parameter(name, Type="String", NoEcho=True, MinLength=32, Description=description))


def error_body(code: str, message: str) -> waf.CustomResponseBody:
    """A WAF response body in the API's error shape: {"error": {"code", "message"}}."""
    content = json.dumps({"error": {"code": code, "message": message}}, sort_keys=True)
    return waf.CustomResponseBody(ContentType="APPLICATION_JSON", Content=content)


def _visibility(metric: str) -> waf.VisibilityConfig:
    return waf.VisibilityConfig(SampledRequestsEnabled=True, CloudWatchMetricsEnabled=True, MetricName=metric)


def _block(status: int, body_key: str) -> waf.BlockAction:
    return waf.BlockAction(CustomResponse=waf.CustomResponse(ResponseCode=status, CustomResponseBodyKey=body_key))


def _action(mode: WafMode, status: int, body_key: str) -> waf.RuleAction:
    """Block with the custom response, or (mode count) count only: evaluated and logged."""
    if mode == "count":
        return waf.RuleAction(Count=waf.CountAction())
    return waf.RuleAction(Block=_block(status, body_key))


class ManagedGroup(Options):
    """An AWS managed rule group, and the labels of its rules that block a request."""

    name: str = Field(description="The rule group's name (vendor AWS).")
    labels: tuple[str, ...] = Field(
        min_length=1, description="Label keys (or one namespace ending in ':') whose requests are refused."
    )


# The label namespaces and names are listed with each group in
# https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html. The
# IP reputation group's AWSManagedIPDDoSList rule counts by design, so only its two blocking
# rules' labels refuse a request.
MANAGED_GROUPS = (
    ManagedGroup(
        name="AWSManagedRulesAmazonIpReputationList",
        labels=(
            "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList",
            "awswaf:managed:aws:amazon-ip-list:AWSManagedReconnaissanceList",
        ),
    ),
    ManagedGroup(name="AWSManagedRulesKnownBadInputsRuleSet", labels=("awswaf:managed:aws:known-bad-inputs:",)),
    ManagedGroup(name="AWSManagedRulesCommonRuleSet", labels=("awswaf:managed:aws:core-rule-set:",)),
)


class EdgeWebAclOptions(Options):
    name: str = Field(description="The web ACL's name (also the prefix of its metric names).")
    scope: Literal["CLOUDFRONT", "REGIONAL"] = Field(
        default="CLOUDFRONT", description="CLOUDFRONT (the stack must be in us-east-1) or REGIONAL."
    )
    mode: WafMode = Field(
        default="block",
        description="block (default): refuse what the rules match; count: evaluate and log only, refuse nothing.",
    )
    managed_groups: tuple[ManagedGroup, ...] = Field(
        default=MANAGED_GROUPS,
        min_length=1,
        description="AWS managed rule groups (default: IP reputation, known bad inputs, common rule set).",
    )
    rate_limit: int = Field(
        ge=RATE_LIMIT_MIN,
        le=RATE_LIMIT_MAX,
        description=f"Requests per client IP per evaluation window ({RATE_LIMIT_MIN} to {RATE_LIMIT_MAX}).",
    )
    rate_window_seconds: Literal[60, 120, 300, 600] = Field(
        default=300, description="Evaluation window of the rate rule, seconds: 60, 120, 300 (default) or 600."
    )
    log_group_name: str = Field(
        pattern="^aws-waf-logs-[\\w.-]+$", description="Log group of the ACL's logs (WAF requires aws-waf-logs-)."
    )
    log_retention_days: LogRetentionPeriod = Field(description="Retention of the ACL's logs, in days.")
    retain_logs: bool = Field(default=True, description="Keep the log group when the stack deletes it.")
    redacted_headers: tuple[str, ...] = Field(
        default=("authorization",), description="Headers whose values the logs never show (default Authorization)."
    )
    kms_key: object | None = Field(
        default=None, description="ARN of a customer-managed KMS key for the log group (default none)."
    )


class EdgeWebAcl(Block):
    """A WAFv2 web ACL for a distribution: default Allow; a rate-based rule per client IP
    (429); each AWS managed rule group run in Count so that it only labels requests, then a
    rule per group that refuses what the group labelled (403): WAF answers a managed rule's
    own Block with its default body, while a rule of our own can answer in the API's JSON
    shape (https://docs.aws.amazon.com/waf/latest/developerguide/waf-labels.html). Mode
    `count` turns every refusing rule into Count. Logs to CloudWatch Logs with the
    Authorization header redacted, and metrics and sampled requests on every rule."""

    Options = EdgeWebAclOptions
    options: EdgeWebAclOptions

    def build(self) -> None:
        o = self.options
        t = self.template
        metric = o.name  # metric names allow letters, digits, - and _
        rules = [
            waf.WebACLRule(
                Name="RateLimitPerClientIp",
                Priority=0,
                Statement=waf.Statement(
                    RateBasedStatement=waf.RateBasedStatement(
                        Limit=o.rate_limit, AggregateKeyType="IP", EvaluationWindowSec=o.rate_window_seconds
                    )
                ),
                Action=_action(o.mode, 429, "TooManyRequests"),
                VisibilityConfig=_visibility(f"{metric}-RateLimitPerClientIp"),
            )
        ]
        for index, group in enumerate(o.managed_groups):
            rules.append(
                waf.WebACLRule(
                    Name=group.name,
                    Priority=1 + index,
                    Statement=waf.Statement(
                        ManagedRuleGroupStatement=waf.ManagedRuleGroupStatement(VendorName="AWS", Name=group.name)
                    ),
                    OverrideAction=waf.OverrideAction(Count={}),
                    VisibilityConfig=_visibility(f"{metric}-{group.name}"),
                )
            )
        for index, group in enumerate(o.managed_groups):
            rules.append(
                waf.WebACLRule(
                    Name=f"Refuse{group.name}",
                    Priority=1 + len(o.managed_groups) + index,
                    Statement=_any_label(group.labels),
                    Action=_action(o.mode, 403, "Forbidden"),
                    VisibilityConfig=_visibility(f"{metric}-Refuse{group.name}"),
                )
            )
        self.acl = t.add_resource(
            waf.WebACL(
                self.logical_id,
                Name=o.name,
                Scope=o.scope,
                Description=f"Edge protection, mode {o.mode}: rate limit per client IP and AWS managed rules",
                DefaultAction=waf.DefaultAction(Allow=waf.AllowAction()),
                CustomResponseBodies={
                    "Forbidden": error_body("Forbidden", "request refused by the web application firewall"),
                    "TooManyRequests": error_body("TooManyRequests", "too many requests from this address"),
                },
                Rules=rules,
                VisibilityConfig=_visibility(metric),
            )
        )
        accept_finding(
            self.acl,
            "CKV_AWS_192",
            "AWSManagedRulesKnownBadInputsRuleSet runs in Count only to label requests; the rule after it refuses "
            "every request it labels (Log4JRCE included) with the API's JSON error body"
            if o.mode == "block"
            else "count mode by this environment's settings: every rule, this group's included, only counts and logs",
        )
        self.log_group = t.add_resource(
            log_group(
                f"{self.logical_id}LogGroup",
                name=o.log_group_name,
                retention_days=o.log_retention_days,
                retain=o.retain_logs,
                kms_key=o.kms_key,
            )
        )
        # WAF wants the log group ARN without the ":*" suffix GetAtt Arn carries:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-wafv2-loggingconfiguration.html
        t.add_resource(
            waf.LoggingConfiguration(
                f"{self.logical_id}Logging",
                ResourceArn=GetAtt(self.acl, "Arn"),
                LogDestinationConfigs=[
                    Sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                        Group=Ref(self.log_group),
                    )
                ],
                RedactedFields=[
                    waf.LoggingConfigurationFieldToMatch(SingleHeader=waf.SingleHeader(Name=header))
                    for header in sorted(o.redacted_headers)
                ],
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.acl, "Arn")


def _any_label(labels: Sequence[str]) -> waf.Statement:
    """A statement matching a request that carries any of `labels` (a key ending in ':' is a
    namespace)."""
    matches = [
        waf.Statement(
            LabelMatchStatement=waf.LabelMatchStatement(
                Scope="NAMESPACE" if label.endswith(":") else "LABEL", Key=label
            )
        )
        for label in labels
    ]
    return _any_of(matches)


def _any_of(statements: Sequence[waf.Statement]) -> waf.Statement:
    """One statement, or an OrStatement of several (WAF wants at least two in an Or)."""
    if len(statements) == 1:
        return statements[0]
    return waf.Statement(OrStatement=waf.OrStatement(Statements=list(statements)))


class OriginWebAclOptions(Options):
    name: str = Field(description="The web ACL's name (also the prefix of its metric names).")
    header: str = Field(default=ORIGIN_VERIFY_HEADER, description="The header the distribution adds.")
    values: tuple[object, ...] = Field(
        min_length=1,
        max_length=2,
        description="Values of the header that are admitted (the current and the previous secret).",
    )
    resource_arn: object = Field(description="What the ACL protects (a REST API stage ARN).")


class OriginWebAcl(Block):
    """A regional WAFv2 web ACL for an API stage behind CloudFront: default Block (403 in
    the API's JSON shape), and one Allow rule for requests whose origin-verify header is
    exactly one of the admitted values (no text transformation). Associated with the stage,
    so API Gateway refuses anything else before routing, authorizers or integrations run
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html)."""

    Options = OriginWebAclOptions
    options: OriginWebAclOptions

    def build(self) -> None:
        o = self.options
        t = self.template
        metric = o.name
        statement = _any_of([_header_equals(o.header, value) for value in o.values])
        self.acl = t.add_resource(
            waf.WebACL(
                self.logical_id,
                Name=o.name,
                Scope="REGIONAL",
                Description="Admits only requests that came through the CloudFront distribution",
                DefaultAction=waf.DefaultAction(Block=_block(403, "Forbidden")),
                CustomResponseBodies={
                    "Forbidden": error_body("Forbidden", "call the API through its domain name"),
                },
                Rules=[
                    waf.WebACLRule(
                        Name="AllowThroughDistribution",
                        Priority=0,
                        Statement=statement,
                        Action=waf.RuleAction(Allow=waf.AllowAction()),
                        VisibilityConfig=_visibility(f"{metric}-AllowThroughDistribution"),
                    )
                ],
                VisibilityConfig=_visibility(metric),
            )
        )
        accept_finding(
            self.acl,
            "CKV_AWS_192",
            "admits only requests bearing the origin secret, which only the distribution sends, after its edge "
            "web ACL ran AWSManagedRulesKnownBadInputsRuleSet on them",
        )
        t.add_resource(
            waf.WebACLAssociation(
                f"{self.logical_id}Association", ResourceArn=o.resource_arn, WebACLArn=GetAtt(self.acl, "Arn")
            )
        )


def _header_equals(header: str, value: object) -> waf.Statement:
    return waf.Statement(
        ByteMatchStatement=waf.ByteMatchStatement(
            FieldToMatch=waf.FieldToMatch(SingleHeader=waf.SingleHeader(Name=header.lower())),
            PositionalConstraint="EXACTLY",
            SearchString=value,
            TextTransformations=[waf.TextTransformation(Priority=0, Type="NONE")],
        )
    )


__all__ = [
    "EVALUATION_WINDOWS",
    "MANAGED_GROUPS",
    "ORIGIN_VERIFY_HEADER",
    "RATE_LIMIT_MAX",
    "RATE_LIMIT_MIN",
    "EdgeWebAcl",
    "EdgeWebAclOptions",
    "ManagedGroup",
    "OriginWebAcl",
    "OriginWebAclOptions",
    "WafMode",
    "error_body",
    "secret_parameter",
]
