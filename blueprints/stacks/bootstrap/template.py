"""The bootstrap's blueprint."""

from __future__ import annotations

import json
from collections.abc import Sequence

from awacs.aws import (
    Action,
    Allow,
    AWSPrincipal,
    Condition,
    ForAllValuesStringEquals,
    PolicyDocument,
    Statement,
    StringEquals,
    StringLike,
)
from troposphere import GetAtt, Ref, Sub, Template, encode_to_dict, iam

from blueprints.blocks.rest_api import api_gateway_account
from blueprints.core import Blueprint, add_output
from blueprints.core.artifacts import SIGNING_JOBS_PREFIX
from blueprints.core.iam import allow, document, trust_policy
from blueprints.core.permissions import grouped, handler_permissions
from blueprints.stacks.bootstrap.settings import (
    BootstrapConfig,
    cloudformation_role_name,
    deploy_role_name,
)
from blueprints.stacks.edge.settings import EDGE_REGION, origin_secret_name

# IAM counts a managed policy's size without white space; 6,144 characters at most.
MANAGED_POLICY_LIMIT = 6144
# Sceptre's calls for a launch: stacks, their templates, policies and protection, change sets;
# and recovery's.
STACK_ACTIONS = (
    "CreateStack",
    "UpdateStack",
    "DeleteStack",
    "DescribeStacks",
    "DescribeStackEvents",
    "DescribeStackResource",
    "DescribeStackResources",
    "ListStackResources",
    "GetTemplate",
    "GetTemplateSummary",
    "GetStackPolicy",
    "SetStackPolicy",
    "UpdateTerminationProtection",
    # make recover: out of UPDATE_ROLLBACK_FAILED, or a stuck update rolled back
    "ContinueUpdateRollback",
    "CancelUpdateStack",
    "CreateChangeSet",
    "DescribeChangeSet",
    "ExecuteChangeSet",
    "DeleteChangeSet",
    "ListChangeSets",
    "DetectStackDrift",
    "DescribeStackResourceDrifts",
)
# Stack actions IAM authorizes on no stack (the Service Authorization Reference lists no
# resource type for them): they take "*".
STACK_ACTIONS_WITHOUT_RESOURCE = ("DescribeStackDriftDetectionStatus",)


class BootstrapBlueprint(Blueprint[BootstrapConfig]):
    name = "bootstrap"
    description = "Deploy and CloudFormation roles and account-wide settings of an environment's account"
    config_model = BootstrapConfig

    def define(self, t: Template) -> None:
        cloudformation = t.add_resource(
            iam.Role(
                "CloudFormationRole",
                RoleName=cloudformation_role_name(self.context),
                Description=f"CloudFormation manages the {self.context.environment} stacks with it",
                # Only CloudFormation assumes it, and only principals allowed iam:PassRole on it
                # (the deploy role) can hand it to CloudFormation.
                AssumeRolePolicyDocument=trust_policy("cloudformation", source_account=False),
            )
        )
        self._cloudformation_policies(t, cloudformation)
        deploy = t.add_resource(
            iam.Role(
                "DeployRole",
                RoleName=deploy_role_name(self.context),
                Description=f"Launches the {self.context.environment} stacks",
                AssumeRolePolicyDocument=PolicyDocument(
                    Version="2012-10-17",
                    Statement=[
                        Statement(
                            Effect=Allow,
                            Principal=AWSPrincipal(list(self.config.deployers)),
                            Action=[Action("sts", "AssumeRole")],
                        )
                    ],
                ),
                MaxSessionDuration=3600,
                Policies=[iam.Policy(PolicyName="launch", PolicyDocument=document(*self._deploy_statements()))],
            )
        )
        if self.config.api_gateway_account:
            api_gateway_account(t)
        add_output(t, "DeployRoleArn", GetAtt(deploy, "Arn"), "Role every launch acts through (sceptre_role)")
        add_output(
            t,
            "CloudFormationRoleArn",
            GetAtt(cloudformation, "Arn"),
            "Role CloudFormation acts with (cloudformation_service_role)",
        )

    def _in_regions(self) -> Condition:
        return Condition(StringEquals("aws:RequestedRegion", list(self.config.regions)))

    def cloudformation_statements(self) -> list[Statement]:
        """One statement per group of `blueprints.core.permissions.grouped`."""
        prefix = self.context.name("")
        groups = grouped(handler_permissions(self.config.resource_types))
        statements = []
        for group, names in groups.items():
            actions = [Action(*name.split(":", 1)) for name in names]
            sid = "".join(part.capitalize() for part in group.replace(":", "-").split("-"))
            if group == "iam-roles":
                resources: list[object] = [Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{prefix}*")]
                statements.append(allow(actions, resources, sid=sid))
            elif group == "iam-service-linked-roles":
                resources = [Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*")]
                statements.append(allow(actions, resources, sid=sid))
            else:
                statement = allow(actions, ["*"], sid=sid)  # why "*": SERVICES[group]
                statement.Condition = self._in_regions()
                statements.append(statement)
        return statements

    def _cloudformation_policies(self, t: Template, role: iam.Role) -> list[iam.ManagedPolicy]:
        """The statements packed into as few managed policies, attached to `role`, as IAM's
        size limit allows."""
        policies: list[list[Statement]] = [[]]
        for statement in self.cloudformation_statements():
            if _size([*policies[-1], statement]) > MANAGED_POLICY_LIMIT:
                policies.append([])
            policies[-1].append(statement)
        return [
            t.add_resource(
                iam.ManagedPolicy(
                    f"CloudFormationPolicy{number}",
                    Description=f"What CloudFormation needs for the {self.context.environment} stacks ({number})",
                    PolicyDocument=document(*statements),
                    Roles=[Ref(role)],
                )
            )
            for number, statements in enumerate(policies, start=1)
        ]

    def _deploy_statements(self) -> list[Statement]:
        prefix = self.context.name("")
        stacks = [
            Sub(f"arn:${{AWS::Partition}}:cloudformation:{region}:${{AWS::AccountId}}:stack/{prefix}*/*")
            for region in self.config.regions
        ]
        bucket = self.context.name("artifacts")  # the storage stack's artifacts bucket, in this region
        artifacts = f"arn:${{AWS::Partition}}:s3:::{bucket}-${{AWS::AccountId}}-${{AWS::Region}}"
        secret = origin_secret_name(self.context.project, self.context.environment)
        validate = allow(
            [Action("cloudformation", a) for a in ("ValidateTemplate", *STACK_ACTIONS_WITHOUT_RESOURCE)],
            ["*"],
            sid="ValidateTemplatesAndReadDrift",
        )
        pass_role = allow(
            [Action("iam", "PassRole")],
            [Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{cloudformation_role_name(self.context)}")],
            sid="PassTheCloudFormationRole",
        )
        pass_role.Condition = Condition(StringEquals("iam:PassedToService", "cloudformation.amazonaws.com"))
        keys = allow(
            [Action("kms", "Decrypt"), Action("kms", "GenerateDataKey")],
            [Sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*")],
            sid="KeysThroughS3AndSecretsManager",
        )
        keys.Condition = Condition(
            StringLike(
                "kms:ViaService",
                [f"s3.{region}.amazonaws.com" for region in self.config.regions]
                + [f"secretsmanager.{EDGE_REGION}.amazonaws.com"],
            )
        )
        prefix_lists = allow(
            [Action("ec2", "DescribeManagedPrefixLists")], ["*"], sid="FindManagedPrefixLists"
        )  # a Describe action takes no resource
        return [
            allow([Action("cloudformation", a) for a in STACK_ACTIONS], stacks, sid="ManageTheEnvironmentsStacks"),
            validate,  # take no resource
            pass_role,
            allow(
                [Action("s3", "GetObject"), Action("s3", "GetObjectVersion"), Action("s3", "PutObject")],
                [Sub(f"{artifacts}/*")],
                sid="UploadFunctionPackages",  # and copy the signed ones under their content address
            ),
            allow(
                [Action("s3", "DeleteObject")],
                [Sub(f"{artifacts}/{SIGNING_JOBS_PREFIX}*")],
                sid="RemoveSigningJobOutputs",  # once copied
            ),
            allow(
                [Action("s3", "ListBucket"), Action("s3", "GetBucketLocation"), Action("s3", "GetBucketVersioning")],
                [Sub(artifacts)],
                sid="FindFunctionPackages",
            ),
            allow(
                [
                    Action("signer", "StartSigningJob"),
                    Action("signer", "DescribeSigningJob"),
                    Action("signer", "GetSigningProfile"),
                ],
                [
                    Sub("arn:${AWS::Partition}:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/*"),
                    Sub("arn:${AWS::Partition}:signer:${AWS::Region}:${AWS::AccountId}:/signing-jobs/*"),
                ],
                sid="SignFunctionPackages",
            ),
            keys,
            allow(
                [
                    Action("secretsmanager", "DescribeSecret"),
                    Action("secretsmanager", "GetSecretValue"),
                    Action("secretsmanager", "PutSecretValue"),
                ],
                [Sub(f"arn:${{AWS::Partition}}:secretsmanager:{EDGE_REGION}:${{AWS::AccountId}}:secret:{secret}-*")],
                sid="ReadAndRotateTheOriginSecret",
            ),
            allow(
                [Action("lambda", "GetFunctionConfiguration")],
                [
                    Sub(f"arn:${{AWS::Partition}}:lambda:{region}:${{AWS::AccountId}}:function:{prefix}*")
                    for region in self.config.regions
                ],
                sid="CompareTheDeployedCode",  # the replication report: what runs is what the stack names
            ),
            allow(
                [Action("cloudfront", "GetDistributionConfig")],
                [Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*")],
                sid="ReadWhatTheDistributionSends",  # the origin secret's rotation checks it
            ),
            prefix_lists,
            *self._preflight_statements(prefix),
            *(self._teardown_statements(prefix) if self.config.teardown else []),
        ]

    def _preflight_statements(self, prefix: str) -> list[Statement]:
        """What `blueprints.deploy.preflight` reads (its checks run as the deploy role, before a launch)."""
        regions = self.config.regions
        return [
            allow(
                [Action("lambda", "GetAccountSettings"), Action("cognito-idp", "DescribeUserPoolDomain")],
                ["*"],
                sid="ReadAccountQuotasAndDomainPrefixes",  # take no resource
            ),
            allow(
                [Action("lambda", "GetFunctionConcurrency")],
                [Sub(f"arn:${{AWS::Partition}}:lambda:{r}:${{AWS::AccountId}}:function:{prefix}*") for r in regions],
                sid="ReadReservedConcurrency",
            ),
            allow(
                [Action("apigateway", "GET")],
                [Sub(f"arn:${{AWS::Partition}}:apigateway:{r}::/account") for r in regions],
                sid="ReadApiGatewayAccountSettings",
            ),
            allow(
                [Action("iam", "GetRole")],
                [Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*")],
                sid="FindServiceLinkedRoles",
            ),
            allow(
                [Action("sns", "ListSubscriptionsByTopic")],
                [Sub(f"arn:${{AWS::Partition}}:sns:{r}:${{AWS::AccountId}}:{prefix}*") for r in regions],
                sid="ReadAlarmSubscriptions",
            ),
            allow(
                [Action("route53", "GetHostedZone")],
                [Sub("arn:${AWS::Partition}:route53:::hostedzone/*")],
                sid="ReadZoneNameServers",
            ),
        ]

    def _teardown_statements(self, prefix: str) -> list[Statement]:
        """What `blueprints.deploy.teardown` does besides deleting the stacks (`make destroy`, refused where
        the environment's settings keep data): empty the environment's buckets of every version,
        remove the certificate's DNS validation records from the zone, and wait for Lambda's
        network interfaces."""
        regions = self.config.regions
        # The environment's buckets, in its region: `<project>-<env>-<what>-<account>-<region>`,
        # and the logs bucket, `<prefix>-<env>-<account>-<region>` (its prefix is a storage setting).
        buckets = [
            f"arn:${{AWS::Partition}}:s3:::{name}-${{AWS::AccountId}}-${{AWS::Region}}"
            for name in (f"{prefix}*", f"*-{self.context.environment}")
        ]
        validation_records = allow(
            [Action("route53", "ChangeResourceRecordSets")],
            [Sub("arn:${AWS::Partition}:route53:::hostedzone/*")],
            sid="RemoveCertificateValidationRecords",  # deletions of CNAME records only
        )
        validation_records.Condition = Condition(
            ForAllValuesStringEquals(
                {
                    "route53:ChangeResourceRecordSetsActions": ["DELETE"],
                    "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
                }
            )
        )
        return [
            allow([Action("s3", "ListBucketVersions")], [Sub(b) for b in buckets], sid="ListEveryObjectVersion"),
            allow([Action("s3", "DeleteObjectVersion")], [Sub(f"{b}/*") for b in buckets], sid="EmptyTheBuckets"),
            allow(
                [Action("acm", "DescribeCertificate")],
                [Sub(f"arn:${{AWS::Partition}}:acm:{r}:${{AWS::AccountId}}:certificate/*") for r in regions],
                sid="FindCertificateValidationRecords",
            ),
            allow(
                [Action("route53", "ListResourceRecordSets")],
                [Sub("arn:${AWS::Partition}:route53:::hostedzone/*")],
                sid="ReadZoneRecords",
            ),
            validation_records,
            allow(
                [Action("ec2", "DescribeNetworkInterfaces")], ["*"], sid="WaitForLambdaNetworkInterfaces"
            ),  # a Describe action takes no resource
        ]


def _size(statements: Sequence[Statement]) -> int:
    """A policy's size as IAM counts it (no white space), with `Fn::Sub` strings as written."""
    return len("".join(json.dumps(encode_to_dict(document(*statements)), separators=(",", ":")).split()))
