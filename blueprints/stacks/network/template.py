"""The network stack's blueprint, and the actions its endpoint policies allow."""

from __future__ import annotations

from awacs import s3 as awss3
from awacs import secretsmanager as awssm
from awacs.aws import Action
from troposphere import Join, Parameter, Ref, Sub, Template

from blueprints.blocks.key import log_group_arn, stack_key
from blueprints.blocks.table import READ_DATA, WRITE_DATA
from blueprints.blocks.vpc import EndpointGrant, Vpc
from blueprints.core import Blueprint, add_output
from blueprints.stacks.network.settings import (
    GATEWAY_SERVICES,
    PREFIX_LIST_ID_PATTERN,
    PREFIX_LIST_PARAMETERS,
    NetworkConfig,
)

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
