"""The network stack's settings, and its gateway endpoints' prefix list parameters (the
stack files feed them with `!managed_prefix_list`)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from blueprints.core.config import EncryptionSettings, LogRetentionDays, RetainData, VpcCidr, per_environment

GATEWAY_SERVICES = ("s3", "dynamodb")
# Stack parameter of each gateway service's prefix list id (the stack file feeds each with
# `!managed_prefix_list <service>`).
PREFIX_LIST_PARAMETERS = {"s3": "S3PrefixListId", "dynamodb": "DynamoDbPrefixListId"}
# AWS-managed prefix list ids: pl- and 8 (older) or 17 hexadecimal digits.
PREFIX_LIST_ID_PATTERN = "^pl-([0-9a-f]{8}|[0-9a-f]{17})$"


class NetworkConfig(EncryptionSettings):
    """Inputs of the network stack."""

    cidr: VpcCidr = per_environment(
        description="The VPC's IPv4 block, /16 to /24, private range; must not overlap another environment's."
    )
    availability_zones: int = Field(
        2, ge=2, le=3, description="How many AZs get a private subnet, and a public one with NAT gateways (default 2)."
    )
    nat_gateways: int = per_environment(
        description=(
            "NAT gateways: 0, 1, or one per AZ, each in a public subnet the stack then makes with an internet "
            "gateway. 0 for the payments API: its functions' security group reaches only the VPC endpoints "
            "(the S3 and DynamoDB gateways and the interface endpoints), so a NAT gateway would carry nothing "
            "of theirs; more only for another security group of the VPC's that must reach the internet."
        ),
        ge=0,
    )
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    flow_log_traffic: str = Field(
        "ALL", pattern="^(ALL|REJECT|ACCEPT)$", description="Traffic recorded by the flow log (default ALL)."
    )
    interface_endpoints: tuple[str, ...] = Field(
        ("secretsmanager",),
        description=(
            "AWS services the functions reach through interface endpoints (default: secretsmanager, "
            "for the cursor signing key); the functions' security group reaches nothing else."
        ),
    )

    @field_validator("nat_gateways")
    @classmethod
    def _nat_within_azs(cls, nat_gateways: int, info: ValidationInfo) -> int:
        zones = info.data.get("availability_zones", nat_gateways)
        if nat_gateways > zones:
            raise ValueError(f"{nat_gateways} NAT gateways but only {zones} availability zones")
        return nat_gateways
