"""The monthly fixed cost report: charges counted from rendered templates, priced per region."""

from __future__ import annotations

import json
from decimal import Decimal

from blueprints.reports import costs
from tests.conftest import ENVIRONMENTS


def _template(**resources: dict) -> dict:
    return {"Resources": resources}


def test_fixed_charges_are_counted_from_the_template():
    template = _template(
        A={"Type": "AWS::KMS::Key", "Properties": {}},
        B={"Type": "AWS::KMS::Key", "Properties": {}},
        Acl={"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
        Endpoint={
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
        },
        Gateway={"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
        Table={"Type": "AWS::DynamoDB::Table", "Properties": {}},
    )
    found = {c.item: c.quantity for c in costs.charges("s", "eu-west-1", template)}
    assert found == {"kms-key": 2, "web-acl": 1, "web-acl-rule": 3, "interface-endpoint-az": 2}
    assert costs.total(costs.charges("s", "eu-west-1", template)) == Decimal("2") + 5 + 3 + Decimal("0.011") * 730 * 2


def test_a_nat_gateway_costs_its_hours_and_its_public_address():
    template = _template(N={"Type": "AWS::EC2::NatGateway"}, E={"Type": "AWS::EC2::EIP", "Properties": {}})
    assert costs.total(costs.charges("network", "eu-west-1", template)) == (Decimal("0.048") + Decimal("0.005")) * 730


def test_a_region_without_a_recorded_price_is_said_not_guessed():
    found = costs.charges("network", "ap-east-2", _template(N={"Type": "AWS::EC2::NatGateway", "Properties": {}}))
    assert found[0].monthly is None
    assert "no price recorded for ap-east-2" in costs.table({"dev": found})
    assert "**$0.00**" in costs.table({"dev": found})


def test_every_keyed_and_firewalled_resource_of_every_environment_is_charged(rendered):
    for env in ENVIRONMENTS:
        stacks = {name: (s.region, s.template) for name, s in rendered[env].items()}
        found = costs.environment_charges(stacks)
        for kind, item in (("AWS::KMS::Key", "kms-key"), ("AWS::WAFv2::WebACL", "web-acl")):
            expected = sum(
                1
                for s in rendered[env].values()
                for r in json.loads(s.template)["Resources"].values()
                if r["Type"] == kind
            )
            assert sum(c.quantity for c in found if c.item == item) == expected, (env, kind)
        assert all(c.monthly is not None for c in found), env  # every region we deploy to is priced
