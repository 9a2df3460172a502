"""A VPC with private subnets across availability zones, gateway and interface endpoints
(each with an optional endpoint policy), the least-egress security groups of the endpoints'
clients, optional NAT gateways (with the public subnets and internet gateway they need),
and flow logs."""

from __future__ import annotations

import ipaddress

from awacs import logs as awslogs
from awacs.aws import Action, Condition, PolicyDocument, Principal, Statement, StringEquals
from pydantic import BaseModel, ConfigDict, Field, model_validator
from troposphere import AccountId, GetAtt, GetAZs, Ref, Select, Sub, Tags, ec2

from blueprints.blocks.base import Block, BlockError, Options
from blueprints.core import LogRetentionPeriod, log_group
from blueprints.core.iam import allow, service_role

HTTPS = 443


class EndpointGrant(BaseModel):
    """One statement of an endpoint policy: what principals of this account may do through
    the endpoint, as explicit actions on named resources (no wildcard action)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    sid: str = Field(pattern=r"^[A-Za-z0-9]+$", description="Statement id (letters and digits).")
    actions: tuple[Action, ...] = Field(min_length=1, description="Explicit actions; a wildcard action is refused.")
    resources: tuple[object, ...] = Field(
        min_length=1, description="ARNs or ARN patterns (text or an intrinsic function such as Sub)."
    )
    resource_account: bool = Field(
        default=False,
        description=(
            "Also require aws:ResourceAccount to be this account (default off); for services whose ARNs "
            "carry no account, such as S3, where a name pattern alone would also match another account's bucket."
        ),
    )

    @model_validator(mode="after")
    def _explicit_actions(self) -> EndpointGrant:
        allow(self.actions, self.resources, sid=self.sid)  # refuses a wildcard action, naming it
        return self

    def statement(self) -> Statement:
        """The statement: any principal of this account (aws:PrincipalAccount), as endpoint
        policies must name a principal and a gateway endpoint's can only be `*` narrowed by
        conditions (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html)."""
        statement = allow(self.actions, self.resources, sid=self.sid)
        statement.Principal = Principal("*")
        accounts: dict[str, object] = {"aws:PrincipalAccount": AccountId}
        if self.resource_account:
            accounts["aws:ResourceAccount"] = AccountId
        statement.Condition = Condition(StringEquals(accounts))
        return statement


class VpcOptions(Options):
    cidr: str = Field(
        description=(
            "The VPC's IPv4 block; split in eighths: the first `availability_zones` for public subnets "
            "(reserved even when there are none, so private subnets keep their blocks), then private."
        )
    )
    availability_zones: int = Field(default=2, ge=1, le=4, description="AZs with a private (and public) subnet.")
    nat_gateways: int = Field(
        default=0,
        ge=0,
        description=(
            "NAT gateways (default 0: private subnets have no default route, only the endpoints). More need "
            "public subnets: NAT i sits in public subnet i, private subnet j routes through NAT j mod n."
        ),
    )
    public_subnets: bool | None = Field(
        default=None,
        description=(
            "Public subnets, their route table and the internet gateway (default: only with NAT gateways, "
            "which live there; without them nothing uses the internet gateway). False with NAT gateways is refused."
        ),
    )
    gateway_endpoints: tuple[str, ...] = Field(
        default=("s3", "dynamodb"), description="Services reached through gateway endpoints (default S3, DynamoDB)."
    )
    gateway_prefix_lists: dict[str, object] = Field(
        default_factory=dict,
        description=(
            "Id of the AWS-managed prefix list (com.amazonaws.<region>.<service>) of each gateway endpoint's "
            "service, e.g. a stack parameter fed by Sceptre's `!managed_prefix_list <service>` (CloudFormation "
            "cannot look one up); required by `least_egress()` for every gateway endpoint (default none)."
        ),
    )
    interface_endpoints: tuple[str, ...] = Field(
        default=(),
        description=(
            "Services reached through interface endpoints in the private subnets, behind the endpoint security "
            "group `EndpointSecurityGroup` (HTTPS in from `least_egress()` groups only, nothing out) "
            "(default none)."
        ),
    )
    endpoint_group_description: str = Field(
        default="Interface VPC endpoints: HTTPS from the groups of their clients only",
        description="GroupDescription of the endpoint security group (changing it replaces the group).",
    )
    endpoint_policies: dict[str, tuple[EndpointGrant, ...]] = Field(
        default_factory=dict,
        description=(
            "Endpoint policy of each gateway or interface endpoint, by service: what principals of this account "
            "may do through it (default none: an endpoint without one keeps AWS's full-access default policy)."
        ),
    )
    flow_log_traffic: str = Field(
        default="ALL", pattern="^(ALL|REJECT|ACCEPT)$", description="Traffic the flow log records (default ALL)."
    )
    log_retention_days: LogRetentionPeriod = Field(description="Retention of the flow log group, in days.")
    retain_logs: bool = Field(default=True, description="Keep the flow log group when the stack deletes it.")
    flow_log_kms_key: object | None = Field(
        default=None,
        description=(
            "ARN of a customer-managed KMS key for the flow log group (default none). Its policy must admit "
            "CloudWatch Logs for `<stack name>-FlowLogGroup-*`, the name CloudFormation gives the group."
        ),
    )
    name: str = Field(description="Name prefix of the Name tags (e.g. payments-dev).")

    @model_validator(mode="after")
    def _consistent(self) -> VpcOptions:
        if self.nat_gateways > self.availability_zones:
            raise ValueError(f"{self.nat_gateways} NAT gateways but only {self.availability_zones} availability zones")
        if self.nat_gateways and self.public_subnets is False:
            raise ValueError(
                f"public_subnets is false but nat_gateways is {self.nat_gateways}: a NAT gateway sits in a public "
                "subnet and reaches the internet through its default route to the internet gateway"
            )
        unknown = sorted(set(self.gateway_prefix_lists) - set(self.gateway_endpoints))
        if unknown:
            raise ValueError(f"gateway_prefix_lists names {unknown}, which are not gateway_endpoints")
        endpoints = set(self.gateway_endpoints) | set(self.interface_endpoints)
        unknown = sorted(set(self.endpoint_policies) - endpoints)
        if unknown:
            raise ValueError(f"endpoint_policies names {unknown}, which are neither gateway nor interface endpoints")
        both = sorted(set(self.gateway_endpoints) & set(self.interface_endpoints))
        if both:
            raise ValueError(f"{both} are both gateway_endpoints and interface_endpoints")
        return self

    @property
    def has_public_subnets(self) -> bool:
        return self.nat_gateways > 0 if self.public_subnets is None else self.public_subnets


class Vpc(Block):
    """A VPC across availability zones, with gateway endpoints, interface endpoints behind
    their own security group, and flow logs; `least_egress()` adds a security group for the
    endpoints' clients that lets nothing in and HTTPS out to the endpoints only.

    With no NAT gateway the private route tables have no default route at all, and the
    endpoints are the only way out; public subnets and the internet gateway are then made
    only if `public_subnets` asks for them. Public subnets never map public IPs (only NAT
    gateways live there, with their own addresses). Flow logs go to their own log group."""

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
        self.attachment: ec2.VPCGatewayAttachment | None = None
        self.public_route_table: ec2.RouteTable | None = None
        if o.has_public_subnets:
            self._internet_gateway()
        self._subnets()
        self._nat_gateways()
        self._gateway_endpoints()
        self.endpoint_group: ec2.SecurityGroup | None = None
        if o.interface_endpoints:
            self.endpoint_group = self._endpoint_group()
            self._interface_endpoints()
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
        """(public, private) CIDRs: the VPC split in eighths, public first (reserved even
        without public subnets, so the private subnets' blocks never move)."""
        blocks = list(ipaddress.IPv4Network(self.options.cidr).subnets(prefixlen_diff=3))
        n = self.options.availability_zones
        return [str(b) for b in blocks[:n]], [str(b) for b in blocks[n : 2 * n]]

    def _subnets(self) -> None:
        self.public_subnets: list[ec2.Subnet] = []
        self.private_subnets: list[ec2.Subnet] = []
        self.private_route_tables: list[ec2.RouteTable] = []
        for az, (public_cidr, private_cidr) in enumerate(zip(*self.subnet_cidrs(), strict=True)):
            if self.public_route_table is not None:
                public = self._subnet(f"PublicSubnet{az}", public_cidr, az, "public")
                self._associate(public, self.public_route_table)
                self.public_subnets.append(public)
            private = self._subnet(f"PrivateSubnet{az}", private_cidr, az, "private")
            route_table = self.template.add_resource(ec2.RouteTable(f"PrivateRouteTable{az}", VpcId=Ref(self.vpc)))
            self._associate(private, route_table)
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
            assert self.attachment is not None  # VpcOptions refuses NAT gateways without public subnets
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
            self._endpoint(
                f"{_GATEWAY_TITLES.get(service, _camel(service))}GatewayEndpoint",
                service,
                VpcEndpointType="Gateway",
                RouteTableIds=[Ref(rt) for rt in self.private_route_tables],
            )

    def _endpoint_group(self) -> ec2.SecurityGroup:
        """The interface endpoints' group: HTTPS in only from the groups `least_egress()`
        makes (each through its own ingress resource), nothing out."""
        return self.template.add_resource(
            ec2.SecurityGroup(
                "EndpointSecurityGroup",
                GroupDescription=self.options.endpoint_group_description,
                VpcId=Ref(self.vpc),
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
                Tags=Tags(Name=f"{self.options.name}-endpoints"),
            )
        )

    def _interface_endpoints(self) -> None:
        assert self.endpoint_group is not None
        for service in self.options.interface_endpoints:
            self._endpoint(
                f"{_camel(service)}InterfaceEndpoint",
                service,
                VpcEndpointType="Interface",
                PrivateDnsEnabled=True,
                SubnetIds=[Ref(s) for s in self.private_subnets],
                SecurityGroupIds=[Ref(self.endpoint_group)],
            )

    def _endpoint(self, title: str, service: str, **properties: object) -> None:
        """An endpoint to `service` in this VPC, with its policy from `endpoint_policies`."""
        endpoint = ec2.VPCEndpoint(
            title, VpcId=Ref(self.vpc), ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"), **properties
        )
        grants = self.options.endpoint_policies.get(service)
        if grants:
            endpoint.PolicyDocument = PolicyDocument(
                Version="2012-10-17", Statement=[grant.statement() for grant in grants]
            )
        self.template.add_resource(endpoint)

    def least_egress(self, title: str, *, description: str, name: str) -> ec2.SecurityGroup:
        """A security group for clients of the endpoints (e.g. functions in the private
        subnets): nothing in; HTTPS out only to each gateway endpoint's AWS-managed prefix
        list and to the endpoint security group, which in turn admits HTTPS from it.

        Security groups that restrict egress reach a gateway endpoint through its service's
        prefix list (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html).
        The endpoint group's ingress rule is its own AWS::EC2::SecurityGroupIngress: two groups
        whose inline rules named each other would be a circular dependency
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html).
        Refused when a gateway endpoint has no prefix list id, or there is nothing to reach: a
        group with no egress rule would keep AWS's default allow-all egress."""
        o = self.options
        missing = [s for s in o.gateway_endpoints if s not in o.gateway_prefix_lists]
        if missing:
            raise BlockError(
                f"Vpc {self.logical_id!r}: least_egress({title!r}) needs the prefix list id of every gateway "
                f"endpoint; gateway_prefix_lists lacks {missing}"
            )
        if not o.gateway_endpoints and self.endpoint_group is None:
            raise BlockError(
                f"Vpc {self.logical_id!r}: least_egress({title!r}) has nothing to reach (no gateway_endpoints and no "
                "interface_endpoints); a group without egress rules keeps AWS's default allow-all egress"
            )
        rules = [
            ec2.SecurityGroupRule(
                IpProtocol="tcp",
                FromPort=HTTPS,
                ToPort=HTTPS,
                DestinationPrefixListId=o.gateway_prefix_lists[service],
                Description=f"HTTPS to {service} through its gateway endpoint",
            )
            for service in o.gateway_endpoints
        ]
        if self.endpoint_group is not None:
            rules.append(
                ec2.SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=HTTPS,
                    ToPort=HTTPS,
                    DestinationSecurityGroupId=Ref(self.endpoint_group),
                    Description=f"HTTPS to the interface endpoints ({', '.join(o.interface_endpoints)})",
                )
            )
        group = self.template.add_resource(
            ec2.SecurityGroup(
                title,
                GroupDescription=description,
                VpcId=Ref(self.vpc),
                SecurityGroupEgress=rules,
                Tags=Tags(Name=name),
            )
        )
        if self.endpoint_group is not None:
            self.template.add_resource(
                ec2.SecurityGroupIngress(
                    f"EndpointIngressFrom{title}",
                    GroupId=Ref(self.endpoint_group),
                    IpProtocol="tcp",
                    FromPort=HTTPS,
                    ToPort=HTTPS,
                    SourceSecurityGroupId=Ref(group),
                    Description=f"HTTPS from {name}",
                )
            )
        return group

    def _flow_logs(self) -> None:
        t = self.template
        group = t.add_resource(
            log_group(
                "FlowLogGroup",
                name=None,
                retention_days=self.options.log_retention_days,
                retain=self.options.retain_logs,
                kms_key=self.options.flow_log_kms_key,
            )
        )
        role = t.add_resource(
            service_role(
                "FlowLogRole",
                "vpc-flow-logs",
                "deliver-flow-logs",
                [
                    # The group's Arn attribute ends in ":*" (its streams); DescribeLogStreams is
                    # authorized on the group itself, whose ARN has no such suffix.
                    allow([awslogs.CreateLogStream, awslogs.PutLogEvents], [GetAtt(group, "Arn")], sid="WriteFlowLogs"),
                    allow(
                        [awslogs.DescribeLogStreams],
                        [
                            Sub(
                                f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{group.title}}}"
                            )
                        ],
                        sid="FindFlowLogStreams",
                    ),
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


__all__ = [
    "HTTPS",
    "EndpointGrant",
    "Vpc",
    "VpcOptions",
]
