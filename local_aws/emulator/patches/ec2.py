"""moto's EC2 CloudFormation models, with what they drop: a security group's declared egress
rules (in place of the default allow-all), a VPC endpoint's policy as JSON text."""

from __future__ import annotations

import json
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.models.vpcs import VPCEndPoint

_create_security_group = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _security_group_with_egress(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::EC2::SecurityGroup with its SecurityGroupEgress, which moto ignores (leaving
    the default allow-all egress): the declared rules replace the default one, as in AWS."""
    group = _create_security_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    rules = cloudformation_json["Properties"].get("SecurityGroupEgress")
    if rules:
        backend = ec2_backends[account_id][region_name]
        # The default rule, all protocols and so no ports (moto's annotation wants them as text).
        backend.revoke_security_group_egress(group.id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}], vpc_id=group.vpc_id)  # type: ignore[arg-type]
        for rule in rules:
            ip_ranges = (
                [{"CidrIp": rule["CidrIp"], "Description": rule.get("Description", "")}] if "CidrIp" in rule else []
            )
            groups = [{"GroupId": rule["DestinationSecurityGroupId"]}] if "DestinationSecurityGroupId" in rule else []
            prefix_lists = (
                [{"PrefixListId": rule["DestinationPrefixListId"]}] if "DestinationPrefixListId" in rule else []
            )
            backend.authorize_security_group_egress(
                group.id,
                rule["IpProtocol"],
                rule.get("FromPort"),
                rule.get("ToPort"),
                ip_ranges,
                source_groups=groups,
                prefix_list_ids=prefix_lists,
                vpc_id=group.vpc_id,
            )
    return group


_create_vpc_endpoint = VPCEndPoint.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _vpc_endpoint_with_json_policy(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::EC2::VPCEndpoint whose PolicyDocument DescribeVpcEndpoints returns as JSON
    text, as EC2 does (moto keeps the template's object and answers its Python repr)."""
    endpoint = _create_vpc_endpoint(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    policy = cloudformation_json["Properties"].get("PolicyDocument")
    if isinstance(policy, dict):
        endpoint.policy_document = json.dumps(policy)
    return endpoint


def register() -> None:
    SecurityGroup.create_from_cloudformation_json = classmethod(_security_group_with_egress)  # type: ignore[method-assign,assignment]
    VPCEndPoint.create_from_cloudformation_json = classmethod(_vpc_endpoint_with_json_policy)  # type: ignore[method-assign,assignment]
