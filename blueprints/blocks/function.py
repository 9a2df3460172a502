"""A Lambda function in a VPC, with its own least-privilege role and log group; the live
alias its callers invoke, moved to a new version on every change (`LiveAlias`), and the
CodeDeploy deployment group that moves it gradually (`LambdaDeploymentGroup`)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Literal

from awacs import awslambda as awslambda_actions
from awacs import cloudwatch as awscloudwatch
from awacs import ec2 as awsec2
from awacs import logs as awslogs
from awacs import xray as awsxray
from awacs.aws import Statement
from pydantic import Field, model_validator
from troposphere import AWSObject, GetAtt, Ref, Sub, awslambda, codedeploy
from troposphere.policies import CodeDeployLambdaAliasUpdate, UpdatePolicy

from blueprints.blocks.base import Block, Options
from blueprints.blocks.key import KeyReference
from blueprints.core import LogRetentionPeriod, accept_finding, add_output, log_group, set_removal_policy
from blueprints.core.config import DeploymentConfig  # shared with the functions stack's settings
from blueprints.core.iam import allow, service_role
from blueprints.core.lazy import renamed
from blueprints.core.policies import HOLDS_NO_SECRET


class VpcFunctionOptions(Options):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Physical function name.")
    description: str = Field(max_length=256, description="What the function does.")
    code_bucket: object = Field(description="Bucket of the deployment package.")
    code_key: object = Field(description="Object key of the deployment package (content-addressed: see packaging).")
    handler: str = Field(default="handler.handler", description="module.function (default handler.handler).")
    runtime: str = Field(default="python3.12", pattern=r"^python3\.\d+$", description="Python runtime (default 3.12).")
    architecture: Literal["arm64", "x86_64"] = Field(default="arm64", description="CPU architecture (default arm64).")
    memory_mb: int = Field(ge=128, le=10240, description="Memory in MB (CPU scales with it).")
    timeout_seconds: int = Field(ge=1, le=900, description="Timeout in seconds.")
    reserved_concurrency: int | None = Field(
        default=None, ge=0, description="Reserved concurrent executions (default: the account's pool)."
    )
    subnet_ids: object = Field(description="Private subnets the function runs in (a list, or a List parameter).")
    security_group_ids: tuple[object, ...] = Field(min_length=1, description="Its security groups.")
    environment: dict[str, object] = Field(
        default_factory=dict, description="Environment variables (configuration only: no secrets)."
    )
    grants: tuple[Statement, ...] = Field(
        default=(), description="What it may do beyond logging, VPC networking and tracing (e.g. Table grants)."
    )
    log_retention_days: LogRetentionPeriod = Field(description="Retention of its log group, in days.")
    retain_logs: bool = Field(default=True, description="Keep the log group when the stack deletes it (default on).")
    label: str | None = Field(default=None, description="How its outputs describe it (default: its name).")
    invoked_synchronously_by: str | None = Field(
        default="API Gateway",
        min_length=3,
        description=(
            "Who invokes it, always synchronously (default API Gateway): a dead-letter queue would never "
            "receive anything, so the scanner's DLQ finding is accepted with this reason. None for a function "
            "invoked asynchronously, which then needs a DLQ."
        ),
    )
    kms_key: object | None = Field(
        default=None,
        description=(
            "ARN of a customer-managed KMS key for its environment variables and its log group (default "
            "none: AWS-managed keys); its role may then decrypt with it through Lambda."
        ),
    )
    code_signing_config: object | None = Field(
        default=None,
        description=(
            "ARN of a Lambda code signing config (AWS::Lambda::CodeSigningConfig) that every package of the "
            "function must satisfy (default none: Lambda deploys any package it is given, unverified)."
        ),
    )


def _ec2_arn(resource: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:ec2:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


class VpcFunction(Block):
    """A Lambda function in private subnets: its own IAM role (only its grants, plus writing
    its own logs, attaching to the VPC and X-Ray), its own log group with retention (the one
    place that retention is set), X-Ray active tracing, explicit memory and timeout, and
    `<id>FunctionArn`, `<id>FunctionName`, `<id>RoleArn` outputs."""

    Options = VpcFunctionOptions
    options: VpcFunctionOptions

    def build(self) -> None:
        o = self.options
        logs = self.template.add_resource(
            log_group(
                f"{self.logical_id}LogGroup",
                name=f"/aws/lambda/{o.name}",
                retention_days=o.log_retention_days,
                retain=o.retain_logs,
                kms_key=o.kms_key,
            )
        )
        statements = [
            allow([awslogs.CreateLogStream, awslogs.PutLogEvents], [GetAtt(logs, "Arn")], sid="WriteOwnLogs"),
            # Lambda manages the function's network interfaces with this role. Each action is
            # scoped as far as the Service Authorization Reference allows: interfaces and subnets
            # of this account and region, behind the function's own security groups; listing
            # interfaces and writing X-Ray segments accept no resource, so those alone take "*".
            allow(
                [awsec2.CreateNetworkInterface],
                [
                    _ec2_arn("network-interface/*"),
                    _ec2_arn("subnet/*"),
                    *(Sub("${Arn}/${Group}", Arn=_ec2_arn("security-group"), Group=g) for g in o.security_group_ids),
                ],
                sid="AttachToVpc",
            ),
            allow(
                [awsec2.DeleteNetworkInterface, awsec2.AssignPrivateIpAddresses, awsec2.UnassignPrivateIpAddresses],
                [_ec2_arn("network-interface/*")],
                sid="ManageOwnInterfaces",
            ),
            allow([awsec2.DescribeNetworkInterfaces], ["*"], sid="ListInterfaces"),
            allow([awsxray.PutTraceSegments, awsxray.PutTelemetryRecords], ["*"], sid="WriteTraces"),
            *o.grants,
        ]
        if o.kms_key is not None:
            # Lambda decrypts the environment with the execution role's permissions at start.
            statements.append(KeyReference(o.kms_key).grant_decrypt(sid="DecryptEnvironment", via_service="lambda"))
        # Only functions of this account can use the role (iam:PassRole); Lambda documents
        # no source-account condition for execution roles, so the trust names the service.
        self.role = self.template.add_resource(
            service_role(
                f"{self.logical_id}Role", "lambda", f"{self.label}-least-privilege", statements, source_account=False
            )
        )
        accept_finding(
            self.role,
            "CKV_AWS_111",
            "X-Ray's PutTraceSegments and PutTelemetryRecords accept no resource or condition key (Service "
            "Authorization Reference): '*' is the only resource they can have",
        )
        function = awslambda.Function(
            f"{self.logical_id}Function",
            FunctionName=o.name,
            Description=o.description,
            Runtime=o.runtime,
            Architectures=[o.architecture],
            Handler=o.handler,
            Code=awslambda.Code(S3Bucket=o.code_bucket, S3Key=o.code_key),
            Role=GetAtt(self.role, "Arn"),
            MemorySize=o.memory_mb,
            Timeout=o.timeout_seconds,
            TracingConfig=awslambda.TracingConfig(Mode="Active"),
            VpcConfig=awslambda.VPCConfig(SubnetIds=o.subnet_ids, SecurityGroupIds=list(o.security_group_ids)),
            Environment=awslambda.Environment(Variables=dict(sorted(o.environment.items()))),
            LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(logs)),
        )
        if o.kms_key is not None:
            function.KmsKeyArn = o.kms_key
        else:
            accept_finding(
                function,
                "CKV_AWS_173",
                HOLDS_NO_SECRET,
            )
        if o.reserved_concurrency is not None:
            function.ReservedConcurrentExecutions = o.reserved_concurrency
        if o.invoked_synchronously_by is not None:
            accept_finding(
                function,
                "CKV_AWS_116",
                f"invoked synchronously by {o.invoked_synchronously_by}; a DLQ only serves asynchronous invocations",
            )
        if o.code_signing_config is not None:
            # Lambda then checks each new package's signature at deployment
            # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html).
            function.CodeSigningConfigArn = o.code_signing_config
        else:
            accept_finding(
                function,
                "CKV_AWS_272",
                "built without a code signing config (option code_signing_config): its packages are deployed as given",
            )
        self.function = self.template.add_resource(function)
        add_output(
            self.template, f"{self.logical_id}FunctionArn", GetAtt(function, "Arn"), f"{self.label} function ARN"
        )
        add_output(self.template, f"{self.logical_id}FunctionName", Ref(function), f"{self.label} function name")
        add_output(
            self.template, f"{self.logical_id}RoleArn", GetAtt(self.role, "Arn"), f"{self.label} execution role ARN"
        )

    @property
    def label(self) -> str:
        return self.options.label or self.options.name


# What a published version is made of besides its code (Lambda's versioned configuration):
# a change to any of them must publish a new version, or the alias keeps running the old
# settings. Function-level settings (FunctionName, ReservedConcurrentExecutions,
# CodeSigningConfigArn, Tags, Description) are not part of a version and are left out: a
# version whose description changed while the function did not cannot be published.
VERSIONED_PROPERTIES = (
    "Architectures",
    "DeadLetterConfig",
    "Environment",
    "EphemeralStorage",
    "FileSystemConfigs",
    "Handler",
    "ImageConfig",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "MemorySize",
    "Role",
    "Runtime",
    "SnapStart",
    "Timeout",
    "TracingConfig",
    "VpcConfig",
)


def _configuration_digest(function: awslambda.Function) -> str:
    """A digest of the function's versioned configuration as the template writes it (a value
    arriving through a parameter counts by its parameter's name; the package by its key)."""
    properties = function.to_dict()["Properties"]
    versioned = {k: properties[k] for k in VERSIONED_PROPERTIES if k in properties}
    return hashlib.sha256(json.dumps(versioned, sort_keys=True).encode()).hexdigest()[:16]


class LiveAliasOptions(Options):
    function: VpcFunction = Field(description="The function whose versions the alias points at.")
    name: str = Field(
        default="live",
        pattern=r"^[a-zA-Z_-][a-zA-Z0-9_-]{0,127}$",
        description="The alias's name (default live): what callers invoke; not a version number.",
    )
    provisioned_concurrency: int = Field(
        default=0,
        ge=0,
        description=(
            "Execution environments kept initialised for the alias (default 0: none); at most the "
            "function's reserved concurrency."
        ),
    )
    deployment: tuple[object, object] | None = Field(
        default=None,
        description=(
            "(application name, deployment group name) of the CodeDeploy deployment group that shifts the "
            "alias's traffic to a new version (default none: the alias moves at once)."
        ),
    )
    inputs_digest: object | None = Field(
        default=None,
        description=(
            "A digest of the values that reach the function's versioned configuration only through "
            "parameters (subnets, security groups, names), e.g. a Ref to a parameter Sceptre's `!digest` "
            "resolves: a new value publishes a new version (default none: a new parameter value updates the "
            "function but publishes no version, and the alias keeps the old configuration)."
        ),
    )

    @model_validator(mode="after")
    def _provisioned_within_reserved(self) -> LiveAliasOptions:
        reserved = self.function.options.reserved_concurrency
        if reserved is not None and self.provisioned_concurrency > reserved:
            raise ValueError(
                f"provisioned_concurrency ({self.provisioned_concurrency}) exceeds the function's reserved "
                f"concurrency ({reserved})"
            )
        return self


class LiveAlias(Block):
    """The alias callers invoke (`live`), on a version published from the function's current
    package and configuration: `<id>Version`, `<id>Alias` and the output `<id>AliasArn`.

    The version's description names the package's (content-addressed) key and a digest of
    the versioned configuration, and every property of a version is create-only: a new
    package or a changed setting replaces the version (a new one is published) and moves
    the alias; an unchanged function changes nothing. The old version is deleted in
    CloudFormation's cleanup, after the alias has moved (with `deployment`, after CodeDeploy
    shifted all traffic, which CloudFormation waits for; a failed or alarmed deployment rolls
    the stack back to it), so one version per function stays at rest. The configuration digest
    sees the template, not parameter values (as CDK's version hash): a value that reaches the
    function only through a parameter (a new subnet, say) counts through `inputs_digest`, else
    it updates the function and publishes no version."""

    Options = LiveAliasOptions
    options: LiveAliasOptions

    def build(self) -> None:
        o = self.options
        function = o.function.function
        description = f"package ${{Package}}; configuration {_configuration_digest(function)}"
        values: dict[str, object] = {"Package": o.function.options.code_key}
        if o.inputs_digest is not None:
            description += "; inputs ${Inputs}"
            values["Inputs"] = o.inputs_digest
        version = awslambda.Version(
            f"{self.logical_id}Version", FunctionName=Ref(function), Description=Sub(description, **values)
        )
        # Not retained: see the class's documentation (nothing piles up, and the guard never
        # counts a version as data: blueprints.deploy.guard).
        self.version = self.template.add_resource(set_removal_policy(version, retain=False))
        alias = awslambda.Alias(
            f"{self.logical_id}Alias",
            FunctionName=Ref(function),
            FunctionVersion=GetAtt(self.version, "Version"),
            Name=o.name,
            Description=f"What callers of {o.function.label} invoke",
        )
        if o.provisioned_concurrency:
            alias.ProvisionedConcurrencyConfig = awslambda.ProvisionedConcurrencyConfiguration(
                ProvisionedConcurrentExecutions=o.provisioned_concurrency
            )
        if o.deployment is not None:
            application, group = o.deployment
            alias.UpdatePolicy = UpdatePolicy(
                CodeDeployLambdaAliasUpdate=CodeDeployLambdaAliasUpdate(
                    ApplicationName=application, DeploymentGroupName=group
                )
            )
        self.alias = self.template.add_resource(alias)
        add_output(
            self.template, f"{self.logical_id}AliasArn", Ref(self.alias), f"{o.function.label} {o.name} alias ARN"
        )

    @property
    def arn(self) -> Ref:
        return Ref(self.alias)


_ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM")


class LambdaDeploymentGroupOptions(Options):
    application: object = Field(description="Name of the CodeDeploy application (ComputePlatform Lambda).")
    name: str = Field(pattern=r"^[A-Za-z0-9_.+=,@-]{1,100}$", description="The group's name in the application.")
    function_name: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,53}$",
        description="Physical name of the function (at most 53 characters: its role is `<name>-codedeploy`).",
    )
    alias_name: str = Field(default="live", description="The alias whose traffic it shifts (default live).")
    config: DeploymentConfig = Field(description="How traffic shifts: CodeDeployDefault.Lambda<config>.")
    alarms: tuple[AWSObject, ...] = Field(
        default=(),
        max_length=10,
        description=(
            "CloudWatch alarms (AWS::CloudWatch::Alarm resources of the template) that stop and roll back a "
            "deployment when one fires (at most 10, CodeDeploy's limit)."
        ),
    )


def _arn(service: str, resource: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


class LambdaDeploymentGroup(Block):
    """A CodeDeploy deployment group that shifts a function alias's traffic to a new version
    by a predefined configuration, stopped and rolled back automatically when the deployment
    fails or one of `alarms` fires, with a service role of its own allowed only to read those
    alarms and move that alias (no managed policy). Referenced by the alias's
    `CodeDeployLambdaAliasUpdate` update policy (`LiveAlias(deployment=...)`)."""

    Options = LambdaDeploymentGroupOptions
    options: LambdaDeploymentGroupOptions

    def build(self) -> None:
        o = self.options
        # ARNs from names, not Refs: the alias's update policy names this group. IAM authorizes
        # GetAlias and UpdateAlias on the function, GetProvisionedConcurrencyConfig on the alias
        # (the Service Authorization Reference's resource types; a statement naming another type
        # never matches, and CodeDeploy would be refused at its first deployment).
        function_arn = _arn("lambda", f"function:{o.function_name}")
        alias_arn = _arn("lambda", f"function:{o.function_name}:{o.alias_name}")
        statements: list[Statement] = [
            allow([awslambda_actions.GetAlias, awslambda_actions.UpdateAlias], [function_arn], sid="ShiftAliasTraffic"),
            allow([awslambda_actions.GetProvisionedConcurrencyConfig], [alias_arn], sid="ReadAliasConcurrency"),
        ]
        if o.alarms:
            statements.append(
                allow([awscloudwatch.DescribeAlarms], [GetAtt(a, "Arn") for a in o.alarms], sid="WatchDeploymentAlarms")
            )
        # The trust CodeDeploy documents names the principal only (how-to-create-service-role):
        # it is not documented to send aws:SourceAccount, and a condition it does not send would
        # refuse its first deployment.
        role = service_role(
            f"{self.logical_id}Role", "codedeploy", f"{o.name}-deployments", statements, source_account=False
        )
        # Named after the function: a name CloudFormation generates from a long stack name and
        # logical ID is cut to IAM's 64 characters, and may lose the environment's prefix that
        # the account's CloudFormation role is allowed to manage.
        role.RoleName = f"{o.function_name}-codedeploy"
        self.role = self.template.add_resource(role)
        group: dict[str, Any] = {
            "ApplicationName": o.application,
            "DeploymentGroupName": o.name,
            "DeploymentConfigName": f"CodeDeployDefault.Lambda{o.config}",
            "DeploymentStyle": codedeploy.DeploymentStyle(
                DeploymentType="BLUE_GREEN", DeploymentOption="WITH_TRAFFIC_CONTROL"
            ),
            "ServiceRoleArn": GetAtt(self.role, "Arn"),
            "AutoRollbackConfiguration": codedeploy.AutoRollbackConfiguration(
                Enabled=True, Events=list(_ROLLBACK_EVENTS)
            ),
        }
        if o.alarms:
            group["AlarmConfiguration"] = codedeploy.AlarmConfiguration(
                Enabled=True, Alarms=[codedeploy.Alarm(Name=Ref(a)) for a in o.alarms]
            )
        self.group = self.template.add_resource(codedeploy.DeploymentGroup(self.logical_id, **group))


__all__ = [
    "VERSIONED_PROPERTIES",
    "DeploymentConfig",
    "LambdaDeploymentGroup",
    "LambdaDeploymentGroupOptions",
    "LiveAlias",
    "LiveAliasOptions",
    "VpcFunction",
    "VpcFunctionOptions",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "FunctionOptions": "VpcFunctionOptions",
            "AliasOptions": "LiveAliasOptions",
            "DeploymentGroupOptions": "LambdaDeploymentGroupOptions",
        },
    )
