"""A Lambda function in a VPC, with its own least-privilege role and log group."""

from __future__ import annotations

from typing import Literal

from awacs import ec2 as awsec2
from awacs import logs as awslogs
from awacs import xray as awsxray
from awacs.aws import Statement
from pydantic import Field
from troposphere import GetAtt, Ref, Sub, awslambda

from blueprints.blocks.base import Block, Options
from blueprints.blocks.key import KeyReference
from blueprints.core import LOG_RETENTION_DAYS, accept_finding, add_output, log_group
from blueprints.core.iam import allow, service_role


class FunctionOptions(Options):
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
    log_retention_days: int = Field(description=f"Retention of its log group, one of {LOG_RETENTION_DAYS}.")
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

    Options = FunctionOptions
    options: FunctionOptions

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
                "no customer-managed key by this environment's settings; the environment holds names and limits only",
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
