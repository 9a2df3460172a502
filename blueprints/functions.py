"""Functions: per function an IAM role (least privilege), its log group (the one place its
retention is set) and the Lambda function itself, in the private subnets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from awacs import dynamodb as awsddb
from awacs import ec2 as awsec2
from awacs import logs as awslogs
from awacs import secretsmanager as awssm
from awacs import xray as awsxray
from awacs.aws import Action
from pydantic import Field
from troposphere import GetAtt, Ref, Sub, Template, awslambda, secretsmanager

from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    StackConfig,
    accept_finding,
    add_output,
    add_parameter,
    log_group,
    per_environment,
    set_removal_policy,
)
from blueprints.core.iam import allow, service_role
from blueprints.data import CUSTOMER_INDEX

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
HANDLER = "handler.handler"


@dataclass(frozen=True)
class TableAccess:
    """What one function may do on one table (and which of its indexes it queries)."""

    table: str  # parameter prefix: "Transactions" -> TransactionsTableName / TransactionsTableArn
    env_var: str
    actions: tuple[Action, ...]
    indexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed function. The catalogue below is the same in every environment."""

    title: str  # logical-ID prefix, e.g. "PaymentProcessor"
    name: str  # physical-name suffix, e.g. "payment-processor"
    source_dir: str  # folder under lambda_code/
    description: str
    tables: tuple[TableAccess, ...]
    settings_in_environment: tuple[str, ...] = ()  # FunctionsConfig fields exported as env vars
    reads_cursor_secret: bool = False  # gets CURSOR_SECRET_ARN and may read that one secret

    @property
    def code_key_parameter(self) -> str:
        return f"{self.title}CodeKey"


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        title="PaymentProcessor",
        name="payment-processor",
        source_dir="payment_processor",
        description="Records and reads payment transactions",
        tables=(
            TableAccess(
                "Transactions",
                "TRANSACTIONS_TABLE",
                (awsddb.PutItem, awsddb.GetItem, awsddb.Query),
                indexes=(CUSTOMER_INDEX,),
            ),
            TableAccess("Idempotency", "IDEMPOTENCY_TABLE", (awsddb.PutItem, awsddb.GetItem)),
        ),
        settings_in_environment=("max_payment_amount", "allowed_currencies", "idempotency_ttl_seconds"),
        reads_cursor_secret=True,
    ),
    FunctionSpec(
        title="SessionManager",
        name="session-manager",
        source_dir="session_manager",
        description="Creates, reads and ends customer sessions",
        tables=(TableAccess("Sessions", "SESSIONS_TABLE", (awsddb.PutItem, awsddb.GetItem, awsddb.DeleteItem)),),
        settings_in_environment=("session_ttl_seconds",),
    ),
)


# Currencies the handler knows the minor units of (lambda_code/payment_processor).
Currency = Literal["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "JPY"]


class FunctionsConfig(StackConfig):
    """Inputs of the functions stack (applied to every function)."""

    memory_mb: int = per_environment(
        ge=128, le=10240, description="Memory of each function in MB (CPU scales with it)."
    )
    timeout_seconds: int = per_environment(
        ge=1, le=29, description="Timeout of each function; at most 29 s, API Gateway's integration limit."
    )
    reserved_concurrency: PositiveInt = per_environment(description="Reserved concurrent executions of each function.")
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    log_level: str = Field(
        "INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Handler log level (default INFO)."
    )
    session_ttl_seconds: int = Field(
        3600, ge=60, le=86400, description="Lifetime of a session before it expires (default 3600)."
    )
    max_payment_amount: Decimal = Field(
        Decimal("10000.00"),
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="Largest accepted payment amount (default 10000.00).",
    )
    allowed_currencies: tuple[Currency, ...] = Field(
        ("EUR", "USD", "GBP"), min_length=1, description="ISO 4217 codes payments may use (default EUR, USD, GBP)."
    )
    idempotency_ttl_seconds: int = Field(
        86400, ge=3600, le=7 * 86400, description="How long an Idempotency-Key is remembered (default 86400)."
    )

    def environment_value(self, setting: str) -> str:
        """A setting as an environment variable's text (sequences comma-separated)."""
        value = getattr(self, setting)
        return ",".join(value) if isinstance(value, tuple) else str(value)


class FunctionsBlueprint(Blueprint[FunctionsConfig]):
    name = "functions"
    description = "Lambda functions with their roles and log groups"
    config_model = FunctionsConfig

    def define(self, t: Template) -> None:
        subnets = add_parameter(t, "PrivateSubnetIds", "Private subnets of the functions", "List<AWS::EC2::Subnet::Id>")
        security_group = add_parameter(
            t, "LambdaSecurityGroupId", "Security group of the functions", "AWS::EC2::SecurityGroup::Id"
        )
        artifacts = add_parameter(t, "ArtifactsBucketName", "Bucket holding the function packages")
        tables = {
            access.table: (
                add_parameter(t, f"{access.table}TableName", f"{access.table} table name"),
                add_parameter(t, f"{access.table}TableArn", f"{access.table} table ARN"),
            )
            for spec in FUNCTIONS
            for access in spec.tables
        }
        for spec in FUNCTIONS:
            code_key = add_parameter(
                t, spec.code_key_parameter, f"Object key of the {spec.name} package (content-addressed)"
            )
            self._function(t, spec, Ref(subnets), Ref(security_group), Ref(artifacts), Ref(code_key), tables)

    def _function(
        self,
        t: Template,
        spec: FunctionSpec,
        subnets: Ref,
        security_group: Ref,
        bucket: Ref,
        code_key: Ref,
        tables: dict[str, tuple[object, object]],
    ) -> None:
        cfg = self.config
        function_name = self.context.name(spec.name)
        logs = t.add_resource(
            log_group(
                f"{spec.title}LogGroup",
                name=f"/aws/lambda/{function_name}",
                retention_days=cfg.log_retention_days,
                retain=cfg.retain_data,
            )
        )
        statements = [
            allow([awslogs.CreateLogStream, awslogs.PutLogEvents], [GetAtt(logs, "Arn")], sid="WriteOwnLogs"),
            # ENI management and X-Ray segments have no resource-level permissions: AWS
            # requires "*" as the resource for these actions.
            allow(
                [
                    awsec2.CreateNetworkInterface,
                    awsec2.DescribeNetworkInterfaces,
                    awsec2.DeleteNetworkInterface,
                    awsec2.AssignPrivateIpAddresses,
                    awsec2.UnassignPrivateIpAddresses,
                ],
                ["*"],
                sid="AttachToVpc",
            ),
            allow([awsxray.PutTraceSegments, awsxray.PutTelemetryRecords], ["*"], sid="WriteTraces"),
        ]
        environment: dict[str, object] = {"POWERTOOLS_SERVICE_NAME": spec.name, "LOG_LEVEL": cfg.log_level}
        for access in spec.tables:
            name, arn = tables[access.table]
            resources: list[object] = [Ref(arn)]
            resources += [Sub(f"${{{access.table}TableArn}}/index/{index}") for index in access.indexes]
            statements.append(allow(list(access.actions), resources, sid=f"Use{access.table}Table"))
            environment[access.env_var] = Ref(name)
        for setting in spec.settings_in_environment:
            environment[setting.upper()] = cfg.environment_value(setting)
        if spec.reads_cursor_secret:
            secret = self._cursor_secret(t)
            statements.append(allow([awssm.GetSecretValue], [Ref(secret)], sid="ReadCursorSigningKey"))
            environment["CURSOR_SECRET_ARN"] = Ref(secret)

        # Only functions of this account can use the role (iam:PassRole); Lambda documents
        # no source-account condition for execution roles, so the trust names the service.
        role = t.add_resource(
            service_role(
                f"{spec.title}Role", "lambda", f"{spec.name}-least-privilege", statements, source_account=False
            )
        )
        accept_finding(
            role, "CKV_AWS_111", "ENI and X-Ray write actions have no resource-level permissions; see AttachToVpc"
        )
        function = t.add_resource(
            awslambda.Function(
                f"{spec.title}Function",
                FunctionName=function_name,
                Description=spec.description,
                Runtime=RUNTIME,
                Architectures=[ARCHITECTURE],
                Handler=HANDLER,
                Code=awslambda.Code(S3Bucket=bucket, S3Key=code_key),
                Role=GetAtt(role, "Arn"),
                MemorySize=cfg.memory_mb,
                Timeout=cfg.timeout_seconds,
                ReservedConcurrentExecutions=cfg.reserved_concurrency,
                TracingConfig=awslambda.TracingConfig(Mode="Active"),
                VpcConfig=awslambda.VPCConfig(SubnetIds=subnets, SecurityGroupIds=[security_group]),
                Environment=awslambda.Environment(Variables=dict(sorted(environment.items()))),
                LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(logs)),
            )
        )
        accept_finding(
            function, "CKV_AWS_116", "invoked synchronously by API Gateway; a DLQ only applies to async invocations"
        )
        accept_finding(function, "CKV_AWS_173", "environment holds table names and limits only, no secrets")
        accept_finding(function, "CKV_AWS_272", "code signing is not part of this release process yet")
        add_output(t, f"{spec.title}FunctionArn", GetAtt(function, "Arn"), f"{spec.name} function ARN")
        add_output(t, f"{spec.title}FunctionName", Ref(function), f"{spec.name} function name")
        add_output(t, f"{spec.title}RoleArn", GetAtt(role, "Arn"), f"{spec.name} execution role ARN")

    def _cursor_secret(self, t: Template) -> secretsmanager.Secret:
        """The key list cursors are signed with, generated by Secrets Manager."""
        secret = secretsmanager.Secret(
            "CursorSigningSecret",
            Description="HMAC key for the payment list cursors; rotating it only invalidates open cursors",
            GenerateSecretString=secretsmanager.GenerateSecretString(PasswordLength=64, ExcludePunctuation=True),
        )
        # Losing it only invalidates open cursors; the stack generates a new one.
        set_removal_policy(secret, retain=False)
        accept_finding(
            secret, "CKV_AWS_149", "encrypted with the AWS managed key; it signs cursors, it protects no data"
        )
        accept_finding(secret, "CKV2_AWS_57", "rotation would only invalidate open list cursors; not scheduled yet")
        return t.add_resource(secret)
