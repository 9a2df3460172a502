"""Functions: per function an IAM role (least privilege), its log group (the one place its
retention is set) and the Lambda function itself, in the private subnets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from awacs import dynamodb as awsddb
from awacs import secretsmanager as awssm
from awacs.aws import Action
from pydantic import Field
from troposphere import Ref, Template, secretsmanager

from blueprints.blocks import TableReference, VpcFunction
from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    StackConfig,
    accept_finding,
    add_parameter,
    per_environment,
    set_removal_policy,
)
from blueprints.core.iam import allow
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
        environment: dict[str, object] = {"LOG_LEVEL": cfg.log_level}
        grants = []
        for access in spec.tables:
            name, arn = tables[access.table]
            table = TableReference(Ref(arn), indexes=access.indexes)
            grants.append(table.grant(access.actions, sid=f"Use{access.table}Table"))
            environment[access.env_var] = Ref(name)
        for setting in spec.settings_in_environment:
            environment[setting.upper()] = cfg.environment_value(setting)
        if spec.reads_cursor_secret:
            secret = self._cursor_secret(t)
            grants.append(allow([awssm.GetSecretValue], [Ref(secret)], sid="ReadCursorSigningKey"))
            environment["CURSOR_SECRET_ARN"] = Ref(secret)
        VpcFunction(
            t,
            spec.title,
            name=self.context.name(spec.name),
            label=spec.name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code_bucket=bucket,
            code_key=code_key,
            memory_mb=cfg.memory_mb,
            timeout_seconds=cfg.timeout_seconds,
            reserved_concurrency=cfg.reserved_concurrency,
            subnet_ids=subnets,
            security_group_ids=(security_group,),
            environment=environment,
            grants=tuple(grants),
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
        )

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
