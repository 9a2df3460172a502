"""The monthly fixed cost of an environment: what its resources cost per month while they
exist, before a single request, from AWS's public prices (USD, 730 hours a month).

Only resources with a fixed charge are counted: customer-managed KMS keys, CloudWatch alarms
(beyond an account's 10 free ones, counted as if none were free), WAF web ACLs and their
rules, Secrets Manager secrets, NAT gateways and their public IPv4 addresses, interface VPC
endpoints and hosted zones. Usage (requests, GB processed, invocations, log ingestion and storage, provisioned
DynamoDB capacity, KMS requests) is not: it depends on traffic. A region without a recorded
price is reported as such, not guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

HOURS_PER_MONTH = Decimal(730)
ANY_REGION = "*"


@dataclass(frozen=True)
class Price:
    unit: str
    usd_per_month: Mapping[str, Decimal]  # region (or ANY_REGION) -> price
    source: str

    def monthly(self, region: str) -> Decimal | None:
        return self.usd_per_month.get(region, self.usd_per_month.get(ANY_REGION))


def _hourly(**regions: str) -> dict[str, Decimal]:
    return {region.replace("_", "-"): Decimal(rate) * HOURS_PER_MONTH for region, rate in regions.items()}


PRICES = {
    # Rotation adds $1 a month for each of a key's first two rotations (then no more).
    "kms-key": Price("customer-managed KMS key", {ANY_REGION: Decimal("1.00")}, "https://aws.amazon.com/kms/pricing/"),
    "web-acl": Price("WAF web ACL", {ANY_REGION: Decimal("5.00")}, "https://aws.amazon.com/waf/pricing/"),
    # Each rule, and each managed rule group, of a web ACL (the AWS managed groups used here
    # carry no subscription charge).
    "web-acl-rule": Price(
        "WAF rule or rule group", {ANY_REGION: Decimal("1.00")}, "https://aws.amazon.com/waf/pricing/"
    ),
    "secret": Price(
        "Secrets Manager secret", {ANY_REGION: Decimal("0.40")}, "https://aws.amazon.com/secrets-manager/pricing/"
    ),
    "nat-gateway": Price(
        "NAT gateway (hours only)",
        _hourly(eu_west_1="0.048", us_east_1="0.045"),
        "https://aws.amazon.com/vpc/pricing/",
    ),
    "public-ipv4": Price(
        "public IPv4 address (a NAT gateway's)",
        _hourly(eu_west_1="0.005", us_east_1="0.005"),
        "https://aws.amazon.com/vpc/pricing/",
    ),
    "interface-endpoint-az": Price(
        "interface VPC endpoint, per AZ (hours only)",
        _hourly(eu_west_1="0.011", us_east_1="0.01"),
        "https://aws.amazon.com/privatelink/pricing/",
    ),
    "hosted-zone": Price(
        "Route 53 hosted zone", {ANY_REGION: Decimal("0.50")}, "https://aws.amazon.com/route53/pricing/"
    ),
    # A standard-resolution alarm costs $0.10 per metric it watches (a metric math alarm, one per
    # metric of its expression; a percentile, the same). The first 10 of an account are free:
    # not counted here. One dashboard per account is within the 3 free ones.
    "alarm-metric": Price(
        "CloudWatch alarm, per metric watched",
        {ANY_REGION: Decimal("0.10")},
        "https://aws.amazon.com/cloudwatch/pricing/",
    ),
    "composite-alarm": Price(
        "CloudWatch composite alarm", {ANY_REGION: Decimal("0.50")}, "https://aws.amazon.com/cloudwatch/pricing/"
    ),
}


@dataclass(frozen=True)
class Charge:
    stack: str
    region: str
    item: str  # a PRICES key
    quantity: int

    @property
    def monthly(self) -> Decimal | None:
        price = PRICES[self.item].monthly(self.region)
        return None if price is None else price * self.quantity


def charges(stack: str, region: str, template: Mapping[str, Any]) -> list[Charge]:
    """The fixed charges of one rendered template."""
    found: dict[str, int] = {}
    for resource in template.get("Resources", {}).values():
        for item, quantity in _items(resource):
            found[item] = found.get(item, 0) + quantity
    return [Charge(stack, region, item, quantity) for item, quantity in sorted(found.items())]


def _items(resource: Mapping[str, Any]) -> Iterable[tuple[str, int]]:
    kind, props = resource["Type"], resource.get("Properties", {})
    if kind == "AWS::KMS::Key":
        yield "kms-key", 1
    elif kind == "AWS::WAFv2::WebACL":
        yield "web-acl", 1
        yield "web-acl-rule", len(props.get("Rules", []))
    elif kind == "AWS::SecretsManager::Secret":
        yield "secret", 1
    elif kind == "AWS::EC2::NatGateway":
        yield "nat-gateway", 1
    elif kind == "AWS::EC2::EIP":
        yield "public-ipv4", 1
    elif kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
        subnets = props.get("SubnetIds", [])
        yield "interface-endpoint-az", len(subnets) if isinstance(subnets, list) else 1
    elif kind == "AWS::Route53::HostedZone":
        yield "hosted-zone", 1
    elif kind == "AWS::CloudWatch::Alarm":
        yield "alarm-metric", sum(1 for q in props.get("Metrics", []) if "MetricStat" in q) or 1
    elif kind == "AWS::CloudWatch::CompositeAlarm":
        yield "composite-alarm", 1


def environment_charges(stacks: Mapping[str, tuple[str, str]]) -> list[Charge]:
    """stack -> (region, template JSON) to every fixed charge of the environment."""
    return [c for stack, (region, body) in sorted(stacks.items()) for c in charges(stack, region, json.loads(body))]


def total(found: Iterable[Charge]) -> Decimal:
    return sum((c.monthly for c in found if c.monthly is not None), Decimal(0))


def table(by_environment: Mapping[str, list[Charge]]) -> str:
    """A markdown table: one row per charge and environment, then the totals."""
    environments = list(by_environment)
    rows: dict[tuple[str, str], dict[str, Charge]] = {}
    for environment, found in by_environment.items():
        for charge in found:
            rows.setdefault((charge.stack, charge.item), {})[environment] = charge
    lines = [
        "| stack | item | " + " | ".join(environments) + " | price source |",
        "|---" * (len(environments) + 3) + "|",
    ]
    for (stack, item), cells in sorted(rows.items()):
        shown = [_cell(cells.get(e)) for e in environments]
        lines.append(f"| {stack} | {PRICES[item].unit} | " + " | ".join(shown) + f" | {PRICES[item].source} |")
    totals = [f"**${total(by_environment[e]):.2f}**" for e in environments]
    lines.append("| | **total per month** | " + " | ".join(totals) + " | |")
    return "\n".join(lines)


def _cell(charge: Charge | None) -> str:
    if charge is None:
        return "-"
    if charge.monthly is None:
        return f"{charge.quantity} (no price recorded for {charge.region})"
    return f"{charge.quantity} = ${charge.monthly:.2f}"
