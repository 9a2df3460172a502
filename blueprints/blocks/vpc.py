"""A VPC with public and private subnets across availability zones, optional NAT gateways,
gateway and interface endpoints, and flow logs."""

from __future__ import annotations

import ipaddress

from awacs import logs as awslogs
from pydantic import Field, model_validator
from troposphere import GetAtt, GetAZs, Ref, Select, Sub, Tags, ec2

from blueprints.blocks.base import Block, Options
from blueprints.core import LOG_RETENTION_DAYS, log_group
from blueprints.core.iam import allow, service_role


class VpcOptions(Options):
    cidr: str = Field(description="The VPC's IPv4 block; split in eighths: public subnets first, then private.")
    availability_zones: int = Field(default=2, ge=1, le=4, description="AZs with a public and a private subnet.")
    nat_gateways: int = Field(
        default=0,
        ge=0,
        description="NAT gateways (default 0: private subnets have no default route, only the endpoints).",
    )
    gateway_endpoints: tuple[str, ...] = Field(
        default=("s3", "dynamodb"), description="Services reached through gateway endpoints (default S3, DynamoDB)."
    )
    flow_log_traffic: str = Field(
        default="ALL", pattern="^(ALL|REJECT|ACCEPT)$", description="Traffic the flow log records (default ALL)."
    )
    log_retention_days: int = Field(description=f"Retention of the flow log group, one of {LOG_RETENTION_DAYS}.")
    retain_logs: bool = Field(default=True, description="Keep the flow log group when the stack deletes it.")
    name: str = Field(description="Name prefix of the Name tags (e.g. payments-dev).")

    @model_validator(mode="after")
    def _consistent(self) -> VpcOptions:
        if self.nat_gateways > self.availability_zones:
            raise ValueError(f"{self.nat_gateways} NAT gateways but only {self.availability_zones} availability zones")
        return self


class Vpc(Block):
    """A VPC across availability zones, with gateway endpoints and flow logs;
    `interface_endpoints()` adds interface endpoints behind a security group.

    NAT i sits in public subnet i and private subnet j uses NAT j mod n; with no NAT the
    private route tables have no default route at all, and the endpoints are the only way
    out. Public subnets never map public IPs (only NAT gateways live there, with their own
    addresses). Flow logs go to their own log group."""

    Options = VpcOptions
    options: VpcOptions

    def build(self) -> None:
        o = self.options
        t = self.template
        self.vpc = t.add_resource(
            ec2.VPC(
                self.logical_id,
                CidrBlock=o.cidr,
                EnableDnsHostnames=True,
                EnableDnsSupport=True,
                Tags=Tags(Name=f"{o.name}-vpc"),
            )
        )
        self._internet_gateway()
        self._subnets()
        self._nat_gateways()
        self._gateway_endpoints()
        self._flow_logs()

    def _internet_gateway(self) -> None:
        t = self.template
        igw = t.add_resource(ec2.InternetGateway("InternetGateway"))
        self.attachment = t.add_resource(
            ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(self.vpc), InternetGatewayId=Ref(igw))
        )
        self.public_route_table = t.add_resource(ec2.RouteTable("PublicRouteTable", VpcId=Ref(self.vpc)))
        t.add_resource(
            ec2.Route(
                "PublicDefaultRoute",
                DependsOn=self.attachment.title,
                RouteTableId=Ref(self.public_route_table),
                DestinationCidrBlock="0.0.0.0/0",
                GatewayId=Ref(igw),
            )
        )

    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """(public, private) CIDRs: the VPC split in eighths, public first."""
        blocks = list(ipaddress.IPv4Network(self.options.cidr).subnets(prefixlen_diff=3))
        n = self.options.availability_zones
        return [str(b) for b in blocks[:n]], [str(b) for b in blocks[n : 2 * n]]

    def _subnets(self) -> None:
        self.public_subnets: list[ec2.Subnet] = []
        self.private_subnets: list[ec2.Subnet] = []
        self.private_route_tables: list[ec2.RouteTable] = []
        for az, (public_cidr, private_cidr) in enumerate(zip(*self.subnet_cidrs(), strict=True)):
            public = self._subnet(f"PublicSubnet{az}", public_cidr, az, "public")
            self._associate(public, self.public_route_table)
            private = self._subnet(f"PrivateSubnet{az}", private_cidr, az, "private")
            route_table = self.template.add_resource(ec2.RouteTable(f"PrivateRouteTable{az}", VpcId=Ref(self.vpc)))
            self._associate(private, route_table)
            self.public_subnets.append(public)
            self.private_subnets.append(private)
            self.private_route_tables.append(route_table)

    def _subnet(self, title: str, cidr: str, az: int, kind: str) -> ec2.Subnet:
        return self.template.add_resource(
            ec2.Subnet(
                title,
                VpcId=Ref(self.vpc),
                CidrBlock=cidr,
                AvailabilityZone=Select(az, GetAZs("")),
                MapPublicIpOnLaunch=False,
                Tags=Tags(Name=f"{self.options.name}-{kind}-{az}"),
            )
        )

    def _associate(self, subnet: ec2.Subnet, route_table: ec2.RouteTable) -> None:
        self.template.add_resource(
            ec2.SubnetRouteTableAssociation(
                f"{subnet.title}RouteTableAssociation", SubnetId=Ref(subnet), RouteTableId=Ref(route_table)
            )
        )

    def _nat_gateways(self) -> None:
        t = self.template
        nats = []
        for i in range(self.options.nat_gateways):
            eip = t.add_resource(ec2.EIP(f"NatEip{i}", Domain="vpc", DependsOn=self.attachment.title))
            nats.append(
                t.add_resource(
                    ec2.NatGateway(
                        f"NatGateway{i}",
                        AllocationId=GetAtt(eip, "AllocationId"),
                        SubnetId=Ref(self.public_subnets[i]),
                        Tags=Tags(Name=f"{self.options.name}-nat-{i}"),
                    )
                )
            )
        for j, route_table in enumerate(self.private_route_tables if nats else []):
            t.add_resource(
                ec2.Route(
                    f"PrivateDefaultRoute{j}",
                    RouteTableId=Ref(route_table),
                    DestinationCidrBlock="0.0.0.0/0",
                    NatGatewayId=Ref(nats[j % len(nats)]),
                )
            )

    def _gateway_endpoints(self) -> None:
        for service in self.options.gateway_endpoints:
            self.template.add_resource(
                ec2.VPCEndpoint(
                    f"{_GATEWAY_TITLES.get(service, _camel(service))}GatewayEndpoint",
                    VpcId=Ref(self.vpc),
                    ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                    VpcEndpointType="Gateway",
                    RouteTableIds=[Ref(rt) for rt in self.private_route_tables],
                )
            )

    def interface_endpoints(self, services: tuple[str, ...], security_group: object) -> None:
        """Interface endpoints for `services` in the private subnets, behind `security_group`."""
        for service in services:
            self.template.add_resource(
                ec2.VPCEndpoint(
                    f"{_camel(service)}InterfaceEndpoint",
                    VpcId=Ref(self.vpc),
                    ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                    VpcEndpointType="Interface",
                    PrivateDnsEnabled=True,
                    SubnetIds=[Ref(s) for s in self.private_subnets],
                    SecurityGroupIds=[security_group],
                )
            )

    def _flow_logs(self) -> None:
        t = self.template
        group = t.add_resource(
            log_group(
                "FlowLogGroup",
                name=None,
                retention_days=self.options.log_retention_days,
                retain=self.options.retain_logs,
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
                ResourceId=Ref(self.vpc),
                ResourceType="VPC",
                TrafficType=self.options.flow_log_traffic,
                LogDestinationType="cloud-watch-logs",
                LogGroupName=Ref(group),
                DeliverLogsPermissionArn=GetAtt(role, "Arn"),
            )
        )


# Logical IDs the payments network has always used (frozen: renaming replaces resources).
_GATEWAY_TITLES = {"s3": "S3", "dynamodb": "DynamoDb"}


def _camel(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace(".", "-").split("-"))
