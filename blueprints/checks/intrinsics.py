"""The values a rendered template's intrinsic functions take once deployed, as strings.

The checks compare ARNs with AWS's references, so a `Ref`, `Fn::GetAtt` or `Fn::Sub` must
first become the ARN CloudFormation would put there. Pseudo parameters come from the site
(partition, region, account), parameters from the stack outputs they are wired to (or their
default), and a resource's `Ref` and `Arn` from the return values CloudFormation documents
for its type (`RETURN_VALUES`), with the resource's own name where the template gives one.
`Fn::If` gives both branches: every value a template can take is checked.

A type or attribute without a known return value raises `Unresolvable`, naming it: a check
never passes because it could not see a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Unresolvable(ValueError):
    """An intrinsic the resolver cannot turn into a string."""


@dataclass(frozen=True)
class Site:
    """Where a template is deployed."""

    partition: str = "aws"
    region: str = "eu-west-1"
    account: str = "123456789012"

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": "stack",
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/stack/id",
            "AWS::NoValue": "",
        }.get(name)


# What CloudFormation returns for `Ref` and `Fn::GetAtt <id>.Arn` of each type whose value an
# IAM policy may name (the "Return values" section of each type's page in the CloudFormation
# resource reference). `{name}` is the resource's name property, or a generated name.
RETURN_VALUES: dict[str, tuple[str | None, dict[str, str]]] = {
    # type: (name property, {attribute (Ref for Ref): shape})
    "AWS::DynamoDB::Table": ("TableName", {"Ref": "{name}", "Arn": "arn:{p}:dynamodb:{r}:{a}:table/{name}"}),
    "AWS::S3::Bucket": ("BucketName", {"Ref": "{name}", "Arn": "arn:{p}:s3:::{name}"}),
    "AWS::SNS::Topic": ("TopicName", {"Ref": "arn:{p}:sns:{r}:{a}:{name}", "TopicArn": "arn:{p}:sns:{r}:{a}:{name}"}),
    "AWS::KMS::Key": (None, {"Ref": "{id}", "Arn": "arn:{p}:kms:{r}:{a}:key/{id}"}),
    "AWS::Logs::LogGroup": ("LogGroupName", {"Ref": "{name}", "Arn": "arn:{p}:logs:{r}:{a}:log-group:{name}:*"}),
    "AWS::CloudWatch::Alarm": ("AlarmName", {"Ref": "{name}", "Arn": "arn:{p}:cloudwatch:{r}:{a}:alarm:{name}"}),
    "AWS::Lambda::Function": ("FunctionName", {"Ref": "{name}", "Arn": "arn:{p}:lambda:{r}:{a}:function:{name}"}),
    "AWS::IAM::Role": ("RoleName", {"Ref": "{name}", "Arn": "arn:{p}:iam::{a}:role/{name}"}),
    "AWS::SecretsManager::Secret": (
        "Name",
        {
            "Ref": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
            "Id": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
        },
    ),
    "AWS::ApiGateway::RestApi": (None, {"Ref": "{id}", "RootResourceId": "{id}"}),
    "AWS::EC2::VPC": (None, {"Ref": "vpc-{id}"}),
    "AWS::EC2::Subnet": (None, {"Ref": "subnet-{id}"}),
    "AWS::EC2::SecurityGroup": (None, {"Ref": "sg-{id}", "GroupId": "sg-{id}"}),
    "AWS::Cognito::UserPool": (None, {"Ref": "{r}_{id}", "Arn": "arn:{p}:cognito-idp:{r}:{a}:userpool/{r}_{id}"}),
    "AWS::WAFv2::WebACL": ("Name", {"Arn": "arn:{p}:wafv2:{r}:{a}:global/webacl/{name}/{id}"}),
    "AWS::CloudFront::Distribution": (None, {"Ref": "E{id}"}),
}


def _lambda_alias(resource: Mapping[str, Any], resolve: Callable[[Any], list[str]]) -> list[str]:
    """An alias's Ref is its ARN: the function's ARN (or name) and the alias name."""
    props = resource.get("Properties", {})
    out = []
    for function in resolve(props.get("FunctionName")):
        base = function if function.startswith("arn:") else "arn:{p}:lambda:{r}:{a}:function:" + function
        out += [f"{base}:{name}" for name in resolve(props.get("Name"))]
    return out


def _lambda_version(resource: Mapping[str, Any], resolve: Callable[[Any], list[str]]) -> list[str]:
    props = resource.get("Properties", {})
    out = []
    for function in resolve(props.get("FunctionName")):
        base = function if function.startswith("arn:") else "arn:{p}:lambda:{r}:{a}:function:" + function
        out.append(f"{base}:1")
    return out


# Types whose Ref is made of their properties rather than of one name.
COMPOSED_REFS: dict[str, Callable[[Mapping[str, Any], Callable[[Any], list[str]]], list[str]]] = {
    "AWS::Lambda::Alias": _lambda_alias,
    "AWS::Lambda::Version": _lambda_version,
}

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class Resolver:
    """Resolves the intrinsics of one template deployed at `site`; `parameters` gives the
    values a parameter takes (its wired output's values), else its default is used."""

    template: Mapping[str, Any]
    site: Site
    parameters: Mapping[str, list[str]] = field(default_factory=dict)

    def values(self, node: Any) -> list[str]:
        """Every string `node` can take (one per branch of each `Fn::If`)."""
        if node is None:
            return [""]
        if isinstance(node, bool):
            return [str(node).lower()]
        if isinstance(node, (str, int, float)):
            return [str(node)]
        if isinstance(node, list):
            raise Unresolvable(f"a list where a string is expected: {node!r}")
        if not isinstance(node, dict) or len(node) != 1:
            raise Unresolvable(f"not an intrinsic: {node!r}")
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return self._ref(arg)
        if fn == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self._attribute(logical_id, attribute)
        if fn == "Fn::Sub":
            return self._sub(arg)
        if fn == "Fn::Join":
            separator, parts = arg
            if not isinstance(parts, list):
                raise Unresolvable(f"Fn::Join of a list attribute: {parts!r}")
            return _product(
                [self._list(p) if isinstance(p, dict) and "Fn::Split" in p else self.values(p) for p in parts],
                separator,
            )
        if fn == "Fn::If":
            _, yes, no = arg
            return self.values(yes) + self.values(no)
        if fn == "Fn::Select":
            index, items = arg
            return [
                item
                for option in self._items(items)
                for item in ([option[int(index)]] if len(option) > int(index) else [])
            ]
        raise Unresolvable(f"intrinsic {fn} is not resolved by the checks")

    def _items(self, node: Any) -> list[list[str]]:
        if isinstance(node, list):
            return [[v for item in node for v in self.values(item)]]
        return [self._list(node)]

    def _list(self, node: Any) -> list[str]:
        if isinstance(node, dict) and "Fn::Split" in node:
            separator, source = node["Fn::Split"]
            return [part for value in self.values(source) for part in value.split(separator)]
        return self.values(node)

    def _format(self, shape: str, name: str, logical_id: str) -> str:
        return shape.format(
            p=self.site.partition, r=self.site.region, a=self.site.account, name=name, id=logical_id.lower() + "0a1b2c"
        )

    def _ref(self, name: str) -> list[str]:
        pseudo = self.site.pseudo(name)
        if pseudo is not None:
            return [pseudo]
        if name in self.template.get("Parameters", {}):
            if name in self.parameters:
                return list(self.parameters[name])
            default = self.template["Parameters"][name].get("Default")
            if default is None:
                raise Unresolvable(f"parameter {name} has no wired value and no default")
            return [str(default)]
        return self._attribute(name, "Ref")

    def _attribute(self, logical_id: str, attribute: str) -> list[str]:
        resources = self.template.get("Resources", {})
        if logical_id not in resources:
            raise Unresolvable(f"{logical_id} is neither a parameter nor a resource of the template")
        resource = resources[logical_id]
        kind = resource["Type"]
        if attribute == "Ref" and kind in COMPOSED_REFS:
            return [self._format(v, "", logical_id) for v in COMPOSED_REFS[kind](resource, self.values)]
        if kind not in RETURN_VALUES or attribute not in RETURN_VALUES[kind][1]:
            raise Unresolvable(
                f"{logical_id} ({kind}): no known value for {attribute} (add it to checks.intrinsics.RETURN_VALUES)"
            )
        name_property, shapes = RETURN_VALUES[kind]
        props = resource.get("Properties", {})
        names = (
            self.values(props[name_property])
            if name_property and name_property in props
            else [f"stack-{logical_id}-GENERATED"]
        )
        return [self._format(shapes[attribute], name, logical_id) for name in names]

    def _sub(self, arg: Any) -> list[str]:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        pieces: list[list[str]] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(text):
            pieces.append([text[position : match.start()]])
            name = match.group(1)
            if name in variables:
                pieces.append(self.values(variables[name]))
            elif "." in name and self.site.pseudo(name) is None:
                logical_id, attribute = name.split(".", 1)
                pieces.append(self._attribute(logical_id, attribute))
            else:
                pieces.append(self._ref(name))
            position = match.end()
        pieces.append([text[position:].replace("${!", "${")])
        return _product(pieces, "")


def _product(pieces: list[list[str]], separator: str) -> list[str]:
    out = [""]
    for index, options in enumerate(pieces):
        joiner = separator if index else ""
        out = [f"{done}{joiner}{option}" for done in out for option in options]
    return out
