"""What the checks' resolver makes of a template's intrinsics: the strings CloudFormation would put
there once deployed, every branch of an `Fn::If`, and a named refusal for what it cannot see."""

from __future__ import annotations

import re
from typing import Any

import pytest

from blueprints.checks.intrinsics import Resolver, Site, Unresolvable

TEMPLATE: dict[str, Any] = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "live"},
        "Wired": {"Type": "String"},
        "Unwired": {"Type": "String"},
        "Subnets": {"Type": "String", "Default": "subnet-a,subnet-b"},
    },
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "payments-dev-payments"}},
        "Key": {"Type": "AWS::KMS::Key"},
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "payments-dev-pay"}},
        "Alias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Function"}, "Name": "live"}},
        "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Function"}}},
        "Queue": {"Type": "AWS::SQS::Queue"},
    },
}
SITE = Site(partition="aws-cn", region="cn-north-1", account="111111111111")


def resolve(node: Any) -> list[str]:
    return Resolver(TEMPLATE, SITE, {"Wired": ["from-output", "or-this"]}).values(node)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (None, [""]),
        (True, ["true"]),
        (443, ["443"]),
        ({"Ref": "AWS::URLSuffix"}, ["amazonaws.com.cn"]),
        ({"Ref": "Stage"}, ["live"]),  # a parameter's default
        ({"Ref": "Wired"}, ["from-output", "or-this"]),  # each value its wired output takes
        ({"Fn::GetAtt": ["Table", "Arn"]}, ["arn:aws-cn:dynamodb:cn-north-1:111111111111:table/payments-dev-payments"]),
        ({"Fn::GetAtt": "Key.Arn"}, ["arn:aws-cn:kms:cn-north-1:111111111111:key/key0a1b2c"]),
        ({"Ref": "Alias"}, ["arn:aws-cn:lambda:cn-north-1:111111111111:function:payments-dev-pay:live"]),
        ({"Ref": "Version"}, ["arn:aws-cn:lambda:cn-north-1:111111111111:function:payments-dev-pay:1"]),
        (
            {"Fn::Sub": "${Table.Arn}/index/*"},
            ["arn:aws-cn:dynamodb:cn-north-1:111111111111:table/payments-dev-payments/index/*"],
        ),
        (
            {"Fn::Sub": ["${Name}-${AWS::Region}-${!Literal}", {"Name": {"Ref": "Stage"}}]},
            ["live-cn-north-1-${Literal}"],
        ),
        ({"Fn::Join": [":", ["a", {"Fn::If": ["IsProd", "b", "c"]}]]}, ["a:b", "a:c"]),  # every branch
        ({"Fn::Join": [",", [{"Fn::Split": [",", {"Ref": "Subnets"}]}]]}, ["subnet-a", "subnet-b"]),
        ({"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Subnets"}]}]}, ["subnet-b"]),
        ({"Fn::Select": [0, ["x", {"Ref": "Stage"}]]}, ["x"]),
        ({"Fn::Select": [5, ["x"]]}, []),  # out of range: no value CloudFormation would accept
    ],
)
def test_intrinsics_resolve_to_what_cloudformation_would_put_there(node: Any, expected: list[str]) -> None:
    assert resolve(node) == expected


@pytest.mark.parametrize(
    ("node", "words"),
    [
        (["a", "b"], "a list where a string is expected"),
        ({"Ref": "A", "Fn::Sub": "b"}, "not an intrinsic"),
        ({"Fn::Join": [",", {"Fn::GetAtt": ["Table", "Arn"]}]}, "Fn::Join of a list attribute"),
        ({"Fn::Base64": "x"}, "intrinsic Fn::Base64 is not resolved by the checks"),
        ({"Ref": "Unwired"}, "parameter Unwired has no wired value and no default"),
        ({"Ref": "Nowhere"}, "Nowhere is neither a parameter nor a resource of the template"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "Queue (AWS::SQS::Queue): no known value for Arn"),
        ({"Fn::GetAtt": ["Table", "StreamArn"]}, "Table (AWS::DynamoDB::Table): no known value for StreamArn"),
    ],
)
def test_what_cannot_be_resolved_is_refused_by_name_never_passed(node: Any, words: str) -> None:
    with pytest.raises(Unresolvable, match="^" + re.escape(words)):
        resolve(node)


def test_a_resource_without_its_name_property_gets_a_generated_name() -> None:
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}}}
    assert Resolver(template, Site()).values({"Fn::GetAtt": ["Logs", "Arn"]}) == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:stack-Logs-GENERATED:*"
    ]
