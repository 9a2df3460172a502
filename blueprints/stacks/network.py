"""Network: a VPC across availability zones, its S3 and DynamoDB gateway endpoints and
interface endpoints (by default Secrets Manager, for the cursor signing key), each with an
endpoint policy naming only this environment's resources; the functions' least-egress
security group and the interface endpoints' group; optional NAT gateways; VPC flow logs.

The functions call only DynamoDB (gateway endpoint) and Secrets Manager (interface
endpoint), so their group allows HTTPS only to the gateway endpoints' AWS-managed prefix
lists and to the endpoint group: no rule reaches 0.0.0.0/0. Nothing else runs in the VPC.
Lambda fetches function code and delivers the functions' logs outside the VPC ("the
CloudWatch log messages do not use the VPC routes",
https://docs.aws.amazon.com/lambda/latest/dg/foundation-networking.html#foundation-nw-obs),
and with customer-managed keys DynamoDB and Secrets Manager call KMS on the functions'
behalf (kms:ViaService), so no NAT gateway and no other endpoint is needed.

The prefix list ids are stack parameters: CloudFormation cannot look one up by name, so
the stack file feeds them with Sceptre's `!managed_prefix_list <service>` at launch.
"""

from __future__ import annotations

from awacs import s3 as awss3
from awacs import secretsmanager as awssm
from awacs.aws import Action
from pydantic import Field, ValidationInfo, field_validator
from troposphere import Join, Parameter, Ref, Sub, Template

from blueprints.blocks import READ_DATA, WRITE_DATA, EndpointGrant, Vpc
from blueprints.blocks.key import log_group_arn, stack_key
from blueprints.core import (
    Blueprint,
    EncryptionSettings,
    LogRetentionDays,
    RetainData,
    VpcCidr,
    add_output,
    per_environment,
)

GATEWAY_SERVICES = ("s3", "dynamodb")
# Stack parameter of each gateway service's prefix list id (the stack file feeds each with
# `!managed_prefix_list <service>`).
PREFIX_LIST_PARAMETERS = {"s3": "S3PrefixListId", "dynamodb": "DynamoDbPrefixListId"}
# AWS-managed prefix list ids: pl- and 8 (older) or 17 hexadecimal digits.
PREFIX_LIST_ID_PATTERN = "^pl-([0-9a-f]{8}|[0-9a-f]{17})$"
# Item reads and writes and DescribeTable: the data plane the building blocks grant, and
# nothing of the control plane (no DeleteTable, UpdateTable, backups or exports).
TABLE_DATA_ACTIONS: tuple[Action, ...] = tuple(
    sorted({a.JSONrepr(): a for a in (*READ_DATA, *WRITE_DATA)}.values(), key=lambda a: a.JSONrepr())
)

# Reading a secret, and the steps of its rotation by a function in the VPC.
SECRET_ACTIONS: tuple[Action, ...] = (
    awssm.DescribeSecret,
    awssm.GetSecretValue,
    awssm.PutSecretValue,
    awssm.UpdateSecretVersionStage,
)


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


class NetworkBlueprint(Blueprint[NetworkConfig]):
    name = "network"
    description = "VPC, subnets, NAT, security groups, VPC endpoints and flow logs"
    config_model = NetworkConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        prefix_lists = {
            service: t.add_parameter(
                Parameter(
                    PREFIX_LIST_PARAMETERS[service],
                    Type="String",
                    AllowedPattern=PREFIX_LIST_ID_PATTERN,
                    ConstraintDescription="an AWS-managed prefix list id (pl- and 8 or 17 hexadecimal digits)",
                    Description=f"Id of the AWS-managed prefix list com.amazonaws.<region>.{service}",
                )
            )
            for service in GATEWAY_SERVICES
        }
        key = stack_key(
            t,
            "NetworkKey",
            settings=cfg,
            context=self.context,
            stack=self.name,
            holds="VPC flow logs",
            # CloudFormation names the unnamed flow log group <stack name>-FlowLogGroup-<suffix>.
            log_groups=(log_group_arn("${AWS::StackName}-FlowLogGroup-*"),),
        )
        network = Vpc(
            t,
            "Vpc",
            name=self.context.name(),
            cidr=cfg.cidr,
            availability_zones=cfg.availability_zones,
            nat_gateways=cfg.nat_gateways,
            gateway_endpoints=GATEWAY_SERVICES,
            gateway_prefix_lists={service: Ref(parameter) for service, parameter in prefix_lists.items()},
            interface_endpoints=cfg.interface_endpoints,
            # The group's description since its first launch: a new one would replace the group.
            endpoint_group_description="Interface VPC endpoints: HTTPS from the Lambda security group only",
            endpoint_policies=self._endpoint_policies(cfg.interface_endpoints),
            flow_log_traffic=cfg.flow_log_traffic,
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
            flow_log_kms_key=key.arn if key else None,
        )
        lambda_sg = network.least_egress(
            "LambdaSecurityGroup",
            # Unchanged since the first launch: a new description would replace the group
            # while the functions' network interfaces still use it.
            description="Lambda functions: no inbound, HTTPS outbound to AWS APIs only",
            name=self.context.name("lambda"),
        )

        add_output(t, "VpcId", Ref(network.vpc), "The VPC")
        add_output(
            t,
            "PrivateSubnetIds",
            Join(",", [Ref(s) for s in network.private_subnets]),
            "Private subnets, comma-separated",
        )
        if network.public_subnets:
            add_output(
                t,
                "PublicSubnetIds",
                Join(",", [Ref(s) for s in network.public_subnets]),
                "Public subnets (of the NAT gateways), comma-separated",
            )
        add_output(t, "LambdaSecurityGroupId", Ref(lambda_sg), "Security group of the Lambda functions")
        if network.endpoint_group is not None:
            add_output(
                t, "EndpointSecurityGroupId", Ref(network.endpoint_group), "Security group of interface endpoints"
            )

    def _endpoint_policies(self, interface_endpoints: tuple[str, ...]) -> dict[str, tuple[EndpointGrant, ...]]:
        """What principals of this account may do through each endpoint, on this
        environment's resources only (names from `Context.name()`, as the other stacks make
        them). Only the functions run in the VPC: DynamoDB carries their item reads and
        writes, Secrets Manager their reads of the cursor signing key and its rotation, and S3
        nothing today (Lambda fetches packages outside the VPC); S3 allows object reads and
        writes in this environment's buckets for a function that needs them."""
        prefix = self.context.name()
        env = self.context.environment
        account_region = "${AWS::AccountId}-${AWS::Region}"
        buckets = (
            # `<something>-<env>-<account>-<region>` (the logs bucket) and
            # `<project>-<env>-<name>-<account>-<region>` (the artifacts bucket).
            Sub(f"arn:${{AWS::Partition}}:s3:::*-{env}-{account_region}/*"),
            Sub(f"arn:${{AWS::Partition}}:s3:::{prefix}-*-{account_region}/*"),
        )
        table = f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{prefix}-*"
        policies: dict[str, tuple[EndpointGrant, ...]] = {
            # Bucket names are global: the account condition keeps a look-alike bucket of
            # another account out.
            "s3": (
                EndpointGrant(
                    sid="EnvironmentBucketObjects",
                    actions=(awss3.GetObject, awss3.PutObject),
                    resources=buckets,
                    resource_account=True,
                ),
            ),
            "dynamodb": (
                EndpointGrant(
                    sid="EnvironmentTables",
                    actions=TABLE_DATA_ACTIONS,
                    resources=(Sub(table), Sub(f"{table}/index/*")),
                ),
            ),
        }
        if "secretsmanager" in interface_endpoints:
            secret = f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{prefix}-*"
            policies["secretsmanager"] = (
                EndpointGrant(sid="EnvironmentSecrets", actions=SECRET_ACTIONS, resources=(Sub(secret),)),
                # GetRandomPassword acts on no resource: AWS accepts only "*" for it
                # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html).
                EndpointGrant(sid="RandomPasswords", actions=(awssm.GetRandomPassword,), resources=("*",)),
            )
        return policies
