"""Network: a VPC across availability zones, the Lambda and endpoint security groups,
gateway endpoints for S3 and DynamoDB, interface endpoints (by default Secrets Manager, for
the cursor signing key), optional NAT gateways, and VPC flow logs.

Without a NAT gateway the private subnets have no default route: the functions reach S3 and
DynamoDB through the gateway endpoints, the services of the interface endpoints (Secrets
Manager) through those, and nothing else.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from troposphere import Join, Ref, Tags, Template, ec2

from blueprints.blocks import Vpc
from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    RetainData,
    StackConfig,
    VpcCidr,
    add_output,
    per_environment,
)

HTTPS = 443


class NetworkConfig(StackConfig):
    """Inputs of the network stack."""

    cidr: VpcCidr = per_environment(
        description="The VPC's IPv4 block, /16 to /24, private range; must not overlap another environment's."
    )
    availability_zones: int = Field(
        2, ge=2, le=3, description="How many AZs get a public and a private subnet (default 2)."
    )
    nat_gateways: int = per_environment(
        description=(
            "NAT gateways: 0 (the functions reach AWS only through the VPC endpoints: the S3 and DynamoDB "
            "gateways and the interface endpoints), 1, or one per AZ."
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
            "for the cursor signing key; dev has no NAT, so this is its only way there)."
        ),
    )

    @field_validator("nat_gateways")
    @classmethod
    def _nat_within_azs(cls, nat_gateways: int, info: ValidationInfo) -> int:
        zones = info.data.get("availability_zones", nat_gateways)
        if nat_gateways > zones:
            raise ValueError(f"{nat_gateways} NAT gateways but only {zones} availability zones")
        return nat_gateways


class NetworkBlueprint(Blueprint[NetworkConfig]):
    name = "network"
    description = "VPC, subnets, NAT, security groups, VPC endpoints and flow logs"
    config_model = NetworkConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        network = Vpc(
            t,
            "Vpc",
            name=self.context.name(),
            cidr=cfg.cidr,
            availability_zones=cfg.availability_zones,
            nat_gateways=cfg.nat_gateways,
            flow_log_traffic=cfg.flow_log_traffic,
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
        )
        lambda_sg, endpoint_sg = self._security_groups(t, network)
        network.interface_endpoints(cfg.interface_endpoints, Ref(endpoint_sg))

        add_output(t, "VpcId", Ref(network.vpc), "The VPC")
        add_output(
            t,
            "PrivateSubnetIds",
            Join(",", [Ref(s) for s in network.private_subnets]),
            "Private subnets, comma-separated",
        )
        add_output(
            t, "PublicSubnetIds", Join(",", [Ref(s) for s in network.public_subnets]), "Public subnets, comma-separated"
        )
        add_output(t, "LambdaSecurityGroupId", Ref(lambda_sg), "Security group of the Lambda functions")
        add_output(t, "EndpointSecurityGroupId", Ref(endpoint_sg), "Security group of interface endpoints")

    def _security_groups(self, t: Template, network: Vpc) -> tuple[ec2.SecurityGroup, ec2.SecurityGroup]:
        """The functions' group (no inbound, HTTPS out) and the interface endpoints' group
        (HTTPS in from the functions only, nothing out)."""
        lambda_sg = t.add_resource(
            ec2.SecurityGroup(
                "LambdaSecurityGroup",
                GroupDescription="Lambda functions: no inbound, HTTPS outbound to AWS APIs only",
                VpcId=Ref(network.vpc),
                SecurityGroupEgress=[
                    ec2.SecurityGroupRule(
                        IpProtocol="tcp",
                        FromPort=HTTPS,
                        ToPort=HTTPS,
                        CidrIp="0.0.0.0/0",
                        Description="HTTPS to AWS service endpoints (gateway endpoints or NAT)",
                    )
                ],
                Tags=Tags(Name=self.context.name("lambda")),
            )
        )
        endpoint_sg = t.add_resource(
            ec2.SecurityGroup(
                "EndpointSecurityGroup",
                GroupDescription="Interface VPC endpoints: HTTPS from the Lambda security group only",
                VpcId=Ref(network.vpc),
                SecurityGroupIngress=[
                    ec2.SecurityGroupRule(
                        IpProtocol="tcp",
                        FromPort=HTTPS,
                        ToPort=HTTPS,
                        SourceSecurityGroupId=Ref(lambda_sg),
                        Description="HTTPS from the Lambda functions",
                    )
                ],
                # An explicit rule that matches nothing replaces the default allow-all egress.
                SecurityGroupEgress=[
                    ec2.SecurityGroupRule(
                        IpProtocol="icmp",
                        FromPort=252,
                        ToPort=86,
                        CidrIp="255.255.255.255/32",
                        Description="Disallow all outbound traffic",
                    )
                ],
                Tags=Tags(Name=self.context.name("endpoints")),
            )
        )
        return lambda_sg, endpoint_sg
