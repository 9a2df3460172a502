"""moto's Route 53 hosted zone model, with the attributes CloudFormation documents
(GetAtt Id and NameServers)."""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.route53.models import DelegationSet, FakeZone


def _zone_attribute(self: FakeZone, name: str) -> Any:
    """AWS::Route53::HostedZone attributes moto's model lacks (GetAtt NameServers/Id)."""
    if name == "Id":
        return self.id
    if name == "NameServers":
        return list((self.delegation_set or DelegationSet("cfn", None, None)).name_servers)
    raise UnformattedGetAttTemplateException()


def register() -> None:
    FakeZone.get_cfn_attribute = _zone_attribute  # type: ignore[attr-defined]
    FakeZone.has_cfn_attr = classmethod(lambda cls, attr: attr in {"Id", "NameServers"})  # type: ignore[method-assign,assignment]
