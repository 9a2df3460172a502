"""Network: a VPC across availability zones, the Lambda and endpoint security groups,
gateway endpoints for S3 and DynamoDB, optional NAT gateways, and VPC flow logs."""

from __future__ import annotations

import ipaddress

from awacs import logs as awslogs
from pydantic import Field, ValidationInfo, field_validator
from troposphere import GetAtt, GetAZs, Join, Ref, Select, Sub, Tags, Template, ec2

from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    RetainData,
    StackConfig,
    VpcCidr,
    add_output,
    log_group,
    per_environment,
)
from blueprints.core.iam import allow, service_role

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
        description="NAT gateways: 0 (only S3 and DynamoDB, via gateway endpoints), 1, or one per AZ.",
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

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """(public, private) CIDRs: the VPC split in eighths, public first."""
        blocks = list(ipaddress.IPv4Network(self.cidr).subnets(prefixlen_diff=3))
        n = self.availability_zones
        return [str(b) for b in blocks[:n]], [str(b) for b in blocks[n : 2 * n]]


class NetworkBlueprint(Blueprint[NetworkConfig]):
    name = "network"
    description = "VPC, subnets, NAT, security groups, VPC endpoints and flow logs"
    config_model = NetworkConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        vpc = t.add_resource(
            ec2.VPC(
                "Vpc",
                CidrBlock=cfg.cidr,
                EnableDnsHostnames=True,
                EnableDnsSupport=True,
                Tags=Tags(Name=self.context.name("vpc")),
            )
        )
        igw = t.add_resource(ec2.InternetGateway("InternetGateway"))
        attachment = t.add_resource(
            ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw))
        )
        public_rt = t.add_resource(ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc)))
        t.add_resource(
            ec2.Route(
                "PublicDefaultRoute",
                DependsOn=attachment.title,
                RouteTableId=Ref(public_rt),
                DestinationCidrBlock="0.0.0.0/0",
                GatewayId=Ref(igw),
            )
        )

        public_cidrs, private_cidrs = cfg.subnet_cidrs()
        public_subnets, private_subnets, private_rts = [], [], []
        for az, (public_cidr, private_cidr) in enumerate(zip(public_cidrs, private_cidrs, strict=True)):
            zone = Select(az, GetAZs(""))
            public = t.add_resource(
                ec2.Subnet(
                    f"PublicSubnet{az}",
                    VpcId=Ref(vpc),
                    CidrBlock=public_cidr,
                    AvailabilityZone=zone,
                    MapPublicIpOnLaunch=False,  # only NAT gateways live here, with their own EIPs
                    Tags=Tags(Name=self.context.name("public", str(az))),
                )
            )
            t.add_resource(
                ec2.SubnetRouteTableAssociation(
                    f"PublicSubnet{az}RouteTableAssociation", SubnetId=Ref(public), RouteTableId=Ref(public_rt)
                )
            )
            private = t.add_resource(
                ec2.Subnet(
                    f"PrivateSubnet{az}",
                    VpcId=Ref(vpc),
                    CidrBlock=private_cidr,
                    AvailabilityZone=zone,
                    MapPublicIpOnLaunch=False,
                    Tags=Tags(Name=self.context.name("private", str(az))),
                )
            )
            private_rt = t.add_resource(ec2.RouteTable(f"PrivateRouteTable{az}", VpcId=Ref(vpc)))
            t.add_resource(
                ec2.SubnetRouteTableAssociation(
                    f"PrivateSubnet{az}RouteTableAssociation", SubnetId=Ref(private), RouteTableId=Ref(private_rt)
                )
            )
            public_subnets.append(public)
            private_subnets.append(private)
            private_rts.append(private_rt)

        # NAT i sits in public subnet i; private subnet j uses NAT j mod n. With no NAT the
        # private route tables have no default route at all: the gateway endpoints below
        # are the only way out, which is exactly what the functions need.
        nats = []
        for i in range(cfg.nat_gateways):
            eip = t.add_resource(ec2.EIP(f"NatEip{i}", Domain="vpc", DependsOn=attachment.title))
            nats.append(
                t.add_resource(
                    ec2.NatGateway(
                        f"NatGateway{i}",
                        AllocationId=GetAtt(eip, "AllocationId"),
                        SubnetId=Ref(public_subnets[i]),
                        Tags=Tags(Name=self.context.name("nat", str(i))),
                    )
                )
            )
        for j, private_rt in enumerate(private_rts):
            if nats:
                t.add_resource(
                    ec2.Route(
                        f"PrivateDefaultRoute{j}",
                        RouteTableId=Ref(private_rt),
                        DestinationCidrBlock="0.0.0.0/0",
                        NatGatewayId=Ref(nats[j % len(nats)]),
                    )
                )

        lambda_sg = t.add_resource(
            ec2.SecurityGroup(
                "LambdaSecurityGroup",
                GroupDescription="Lambda functions: no inbound, HTTPS outbound to AWS APIs only",
                VpcId=Ref(vpc),
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
                VpcId=Ref(vpc),
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

        for service, title in (("s3", "S3GatewayEndpoint"), ("dynamodb", "DynamoDbGatewayEndpoint")):
            t.add_resource(
                ec2.VPCEndpoint(
                    title,
                    VpcId=Ref(vpc),
                    ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                    VpcEndpointType="Gateway",
                    RouteTableIds=[Ref(rt) for rt in private_rts],
                )
            )
        for service in cfg.interface_endpoints:
            t.add_resource(
                ec2.VPCEndpoint(
                    f"{_camel(service)}InterfaceEndpoint",
                    VpcId=Ref(vpc),
                    ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                    VpcEndpointType="Interface",
                    PrivateDnsEnabled=True,
                    SubnetIds=[Ref(s) for s in private_subnets],
                    SecurityGroupIds=[Ref(endpoint_sg)],
                )
            )

        self._flow_logs(t, vpc)

        add_output(t, "VpcId", Ref(vpc), "The VPC")
        add_output(
            t, "PrivateSubnetIds", Join(",", [Ref(s) for s in private_subnets]), "Private subnets, comma-separated"
        )
        add_output(t, "PublicSubnetIds", Join(",", [Ref(s) for s in public_subnets]), "Public subnets, comma-separated")
        add_output(t, "LambdaSecurityGroupId", Ref(lambda_sg), "Security group of the Lambda functions")
        add_output(t, "EndpointSecurityGroupId", Ref(endpoint_sg), "Security group of interface endpoints")

    def _flow_logs(self, t: Template, vpc: ec2.VPC) -> None:
        group = t.add_resource(
            log_group(
                "FlowLogGroup",
                name=None,
                retention_days=self.config.log_retention_days,
                retain=self.config.retain_data,
            )
        )
        role = t.add_resource(
            service_role(
                "FlowLogRole",
                "vpc-flow-logs",
                "deliver-flow-logs",
                [
                    allow(
                        [awslogs.CreateLogStream, awslogs.PutLogEvents, awslogs.DescribeLogStreams],
                        [GetAtt(group, "Arn")],
                        sid="WriteFlowLogs",
                    )
                ],
            )
        )
        t.add_resource(
            ec2.FlowLog(
                "FlowLog",
                ResourceId=Ref(vpc),
                ResourceType="VPC",
                TrafficType=self.config.flow_log_traffic,
                LogDestinationType="cloud-watch-logs",
                LogGroupName=Ref(group),
                DeliverLogsPermissionArn=GetAtt(role, "Arn"),
            )
        )


def _camel(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace(".", "-").split("-"))
