"""Functions: per function an IAM role (least privilege), its log group (the one place its
retention is set) and the Lambda function itself, in the private subnets.

Where the environment asks for customer-managed keys, the stack's own key `FunctionsKey`
encrypts the functions' environments, log groups and the cursor secret, and each role may
decrypt the tables' key (the data stack's, by its alias) through DynamoDB.

Secrets Manager rotates the cursor signing key on a schedule through the `secret-rotator`
function (lambda_code/secret_rotator), which is not behind the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from awacs import dynamodb as awsddb
from awacs import kms as awskms
from awacs import secretsmanager as awssm
from awacs.aws import Action
from pydantic import Field
from troposphere import AccountId, GetAtt, Ref, Template, awslambda, secretsmanager

from blueprints.blocks import KeyReference, TableReference, VpcFunction
from blueprints.blocks.key import log_group_arn, stack_key, stack_key_alias
from blueprints.core import (
    Blueprint,
    EncryptionSettings,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    accept_finding,
    add_parameter,
    per_environment,
    set_removal_policy,
)
from blueprints.core.iam import allow
from blueprints.data import CUSTOMER_INDEX, DataBlueprint

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
HANDLER = "handler.handler"
ROTATOR_MEMORY_MB = 128
ROTATOR_TIMEOUT_SECONDS = 30


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


# Not behind the API: Secrets Manager invokes it to rotate the cursor signing key.
SECRET_ROTATOR = FunctionSpec(
    title="SecretRotator",
    name="secret-rotator",
    source_dir="secret_rotator",
    description="Rotates the cursor signing key (Secrets Manager rotation steps)",
    tables=(),
)
# Every function the stack deploys, each with its own package, role and log group.
DEPLOYED: tuple[FunctionSpec, ...] = (*FUNCTIONS, SECRET_ROTATOR)


# Currencies the handler knows the minor units of (lambda_code/payment_processor).
Currency = Literal["EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "JPY"]


class FunctionsConfig(EncryptionSettings):
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
    cursor_key_rotation_days: int = Field(
        30,
        ge=1,
        le=1000,
        description=(
            "Days between rotations of the cursor signing key (default 30); cursors signed with the "
            "previous key stay valid until the next rotation."
        ),
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
        self.code_signing = self._code_signing_config(t)
        self.key = stack_key(
            t,
            "FunctionsKey",
            settings=self.config,
            context=self.context,
            stack=self.name,
            holds="function environments, logs and secrets",
            via_services=("lambda", "secretsmanager"),
            log_groups=(log_group_arn(f"/aws/lambda/{self.context.name()}-*"),),
        )
        tables = {
            access.table: (
                add_parameter(t, f"{access.table}TableName", f"{access.table} table name"),
                add_parameter(t, f"{access.table}TableArn", f"{access.table} table ARN"),
            )
            for spec in FUNCTIONS
            for access in spec.tables
        }
        network = (Ref(subnets), Ref(security_group), Ref(artifacts))
        code_keys = {
            spec.name: Ref(
                add_parameter(t, spec.code_key_parameter, f"Object key of the {spec.name} package (content-addressed)")
            )
            for spec in DEPLOYED
        }
        for spec in FUNCTIONS:
            self._function(t, spec, *network, code_keys[spec.name], tables)
        self._rotate_cursor_key(t, *network, code_keys[SECRET_ROTATOR.name])

    def _code_signing_config(self, t: Template) -> awslambda.CodeSigningConfig:
        """Every function deploys only packages signed by the storage stack's signing profile
        (its current version): Lambda refuses any other package, unsigned or altered, at
        deployment (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html)."""
        profile_version = add_parameter(
            t, "SigningProfileVersionArn", "Version ARN of the signing profile function packages are signed with"
        )
        return t.add_resource(
            awslambda.CodeSigningConfig(
                "CodeSigningConfig",
                Description=f"{self.context.name()} functions: packages signed by the storage stack's profile only",
                AllowedPublishers=awslambda.AllowedPublishers(SigningProfileVersionArns=[Ref(profile_version)]),
                CodeSigningPolicies=awslambda.CodeSigningPolicies(UntrustedArtifactOnDeployment="Enforce"),
            )
        )

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
        if spec.tables and cfg.customer_managed_keys:
            tables_key = KeyReference.by_alias(stack_key_alias(self.context, DataBlueprint.name))
            grants.append(tables_key.grant_decrypt(sid="DecryptTables", via_service="dynamodb"))
        for setting in spec.settings_in_environment:
            environment[setting.upper()] = cfg.environment_value(setting)
        if spec.reads_cursor_secret:
            self.cursor_secret = secret = self._cursor_secret(t)
            grants.append(allow([awssm.GetSecretValue], [Ref(secret)], sid="ReadCursorSigningKey"))
            if self.key is not None:
                grants.append(
                    self.key.reference().grant_decrypt(sid="DecryptCursorSigningKey", via_service="secretsmanager")
                )
            environment["CURSOR_SECRET_ARN"] = Ref(secret)
        self._vpc_function(
            t,
            spec,
            (subnets, security_group, bucket, code_key),
            memory_mb=cfg.memory_mb,
            timeout_seconds=cfg.timeout_seconds,
            reserved_concurrency=cfg.reserved_concurrency,
            environment=environment,
            grants=tuple(grants),
        )

    def _vpc_function(
        self, t: Template, spec: FunctionSpec, placement: tuple[Ref, Ref, Ref, Ref], **options: Any
    ) -> VpcFunction:
        """One of the stack's functions: in the private subnets, its package from the
        artifacts bucket, logs and environment under the stack's key (if any)."""
        subnets, security_group, bucket, code_key = placement
        return VpcFunction(
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
            subnet_ids=subnets,
            security_group_ids=(security_group,),
            log_retention_days=self.config.log_retention_days,
            retain_logs=self.config.retain_data,
            kms_key=self.key.arn if self.key else None,
            code_signing_config=GetAtt(self.code_signing, "CodeSigningConfigArn"),
            **options,
        )

    def _rotate_cursor_key(self, t: Template, subnets: Ref, security_group: Ref, bucket: Ref, code_key: Ref) -> None:
        """Secrets Manager rotates the cursor signing key every `cursor_key_rotation_days`
        through the rotator function; the payment processor keeps accepting the previous key."""
        secret = Ref(self.cursor_secret)
        grants = [
            allow(
                [awssm.DescribeSecret, awssm.GetSecretValue, awssm.PutSecretValue, awssm.UpdateSecretVersionStage],
                [secret],
                sid="RotateCursorSigningKey",
            ),
            # GetRandomPassword acts on no resource: AWS requires "*" (Service Authorization Reference).
            allow([awssm.GetRandomPassword], ["*"], sid="GenerateRandomKeys"),
        ]
        if self.key is not None:
            actions = (awskms.Decrypt, awskms.DescribeKey, awskms.GenerateDataKey)
            grants.append(self.key.reference().grant(actions, sid="UseFunctionsKey", via_service="secretsmanager"))
        rotator = self._vpc_function(
            t,
            SECRET_ROTATOR,
            (subnets, security_group, bucket, code_key),
            memory_mb=ROTATOR_MEMORY_MB,
            timeout_seconds=ROTATOR_TIMEOUT_SECONDS,
            # Secrets Manager runs one step at a time for the one secret it rotates.
            reserved_concurrency=1,
            invoked_synchronously_by="Secrets Manager (one invocation per rotation step)",
            environment={"LOG_LEVEL": self.config.log_level},
            grants=tuple(grants),
        )
        permission = t.add_resource(
            awslambda.Permission(
                "SecretRotatorInvokePermission",
                FunctionName=GetAtt(rotator.function, "Arn"),
                Action="lambda:InvokeFunction",
                Principal="secretsmanager.amazonaws.com",
                SourceAccount=AccountId,
                SourceArn=secret,
            )
        )
        t.add_resource(
            secretsmanager.RotationSchedule(
                "CursorSigningSecretRotation",
                DependsOn=permission.title,
                SecretId=secret,
                RotationLambdaARN=GetAtt(rotator.function, "Arn"),
                RotationRules=secretsmanager.RotationRules(AutomaticallyAfterDays=self.config.cursor_key_rotation_days),
                # The first rotation comes on schedule, not in the middle of a deployment.
                RotateImmediatelyOnUpdate=False,
            )
        )

    def _cursor_secret(self, t: Template) -> secretsmanager.Secret:
        """The key list cursors are signed with, generated by Secrets Manager."""
        secret = secretsmanager.Secret(
            "CursorSigningSecret",
            # Named, so the Secrets Manager endpoint's policy can name this environment's secrets.
            Name=self.context.name("cursor-signing-key"),
            Description="HMAC key of the payment list cursors, rotated by the secret-rotator function",
            GenerateSecretString=secretsmanager.GenerateSecretString(PasswordLength=64, ExcludePunctuation=True),
        )
        # Losing it only invalidates open cursors; the stack generates a new one.
        set_removal_policy(secret, retain=False)
        if self.key is not None:
            secret.KmsKeyId = self.key.arn
        else:
            accept_finding(
                secret,
                "CKV_AWS_149",
                "no customer-managed key by this environment's settings: encrypted with the AWS managed key",
            )
        return t.add_resource(secret)
