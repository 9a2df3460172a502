"""The functions stack's blueprint."""

from __future__ import annotations

import math
from typing import Any

from awacs import kms as awskms
from awacs import secretsmanager as awssm
from troposphere import AccountId, GetAtt, Ref, Template, awslambda, codedeploy, secretsmanager

from blueprints.blocks.alarms import MetricAlarm, alarm_topic_arn
from blueprints.blocks.function import LambdaDeploymentGroup, LiveAlias, VpcFunction
from blueprints.blocks.key import KeyReference, log_group_arn, stack_key, stack_key_alias
from blueprints.blocks.table import TableReference
from blueprints.core import Blueprint, accept_finding, add_parameter, set_removal_policy
from blueprints.core.iam import allow
from blueprints.core.policies import ENCRYPTED_WITH_AWS_MANAGED_KEY
from blueprints.stacks.functions.catalogue import (
    ALARM_SIGNALS,
    DEPLOYED,
    FUNCTIONS,
    SECRET_ROTATOR,
    AlarmSignal,
    FunctionSpec,
    function_alarm_name,
)
from blueprints.stacks.functions.settings import (
    ARCHITECTURE,
    HANDLER,
    LIVE_ALIAS,
    ROTATOR_MEMORY_MB,
    ROTATOR_RESERVED_CONCURRENCY,
    ROTATOR_TIMEOUT_SECONDS,
    RUNTIME,
    VERSIONED_INPUTS,
    FunctionsConfig,
)


class FunctionsBlueprint(Blueprint[FunctionsConfig]):
    name = "functions"
    description = "Lambda functions with their roles, log groups, live aliases, deployments and alarms"
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
        self.inputs_digest = add_parameter(
            t,
            VERSIONED_INPUTS,
            "Digest of the parameter values the functions' versions are made of (subnets, security group, table "
            "names, artifacts bucket): a new value publishes new versions",
        )
        code_keys = {
            spec.name: Ref(
                add_parameter(t, spec.code_key_parameter, f"Object key of the {spec.name} package (content-addressed)")
            )
            for spec in DEPLOYED
        }
        if self.config.deployment != "AllAtOnce":
            self.deployments: codedeploy.Application | None = t.add_resource(
                codedeploy.Application(
                    "DeploymentApplication", ApplicationName=self.context.name(self.name), ComputePlatform="Lambda"
                )
            )
        else:
            self.deployments = None
        for spec in FUNCTIONS:
            function = self._function(t, spec, *network, code_keys[spec.name], tables)
            self._publish(t, spec, function)
        self._rotate_cursor_key(t, *network, code_keys[SECRET_ROTATOR.name])

    def _publish(self, t: Template, spec: FunctionSpec, function: VpcFunction) -> LiveAlias:
        """The function's alarms, its live alias on its current version, and (with a gradual
        `deployment`) the deployment group that moves the alias, watching those alarms."""
        alarms = self._alarms(t, spec, function)
        deployment = None
        if self.deployments is not None:
            group = LambdaDeploymentGroup(
                t,
                f"{spec.title}DeploymentGroup",
                application=Ref(self.deployments),
                name=spec.name,
                function_name=function.options.name,
                alias_name=LIVE_ALIAS,
                config=self.config.deployment,
                alarms=tuple(a.alarm for a in alarms),
            )
            deployment = (Ref(self.deployments), Ref(group.group))
        return LiveAlias(
            t,
            spec.title,
            function=function,
            name=LIVE_ALIAS,
            provisioned_concurrency=self.config.provisioned_concurrency if spec.provisioned else 0,
            deployment=deployment,
            inputs_digest=Ref(self.inputs_digest),
        )

    def _alarms(self, t: Template, spec: FunctionSpec, function: VpcFunction) -> list[MetricAlarm]:
        """Errors, throttles, duration near the timeout, concurrency near the reservation: each
        tells the environment's alarm topic (made by the monitoring stack, addressed by name)."""
        cfg, options = self.config, function.options
        timeout_ms = options.timeout_seconds * 1000
        reserved = options.reserved_concurrency or 0
        duration_ms = round(timeout_ms * cfg.alarm_duration_percent / 100)
        # At least the percentage of the reservation, in whole executions (the rotator's 1 is all of it).
        concurrency = math.ceil(reserved * cfg.alarm_concurrency_percent / 100)
        name = options.name
        where = f"Logs: /aws/lambda/{name}."
        signals: dict[AlarmSignal, dict[str, Any]] = {
            "errors": {
                "metric": "Errors",
                "statistic": "Sum",
                "threshold": cfg.alarm_errors,
                "description": (
                    f"{name} failed {cfg.alarm_errors} or more invocations a minute (unhandled errors or timeouts) in "
                    f"3 of 5 minutes: callers get errors. During a deployment, CodeDeploy rolls back. {where}"
                ),
            },
            "throttles": {
                "metric": "Throttles",
                "statistic": "Sum",
                "threshold": cfg.alarm_throttles,
                "description": (
                    f"{name} refused {cfg.alarm_throttles} or more invocations a minute in 3 of 5 minutes: all "
                    f"{reserved} environments of its reservation were busy (functions.reserved_concurrency). {where}"
                ),
            },
            "duration": {
                "metric": "Duration",
                "percentile": "p99",
                "threshold": duration_ms,
                "description": (
                    f"{name}'s p99 duration reached {duration_ms} ms ({cfg.alarm_duration_percent}% of its "
                    f"{options.timeout_seconds} s timeout) in 3 of 5 minutes: requests are about to time out. {where}"
                ),
            },
            "concurrency": {
                "metric": "ConcurrentExecutions",
                "statistic": "Maximum",
                "threshold": concurrency,
                "description": (
                    f"{name} ran {concurrency} or more invocations at once (at least {cfg.alarm_concurrency_percent}% "
                    f"of its reservation of {reserved}) in 3 of 5 minutes: it is about to be throttled. {where}"
                ),
            },
        }
        return [
            MetricAlarm(
                t,
                f"{spec.title}{signal.capitalize()}Alarm",
                name=function_alarm_name(self.context, spec, signal),
                namespace="AWS/Lambda",
                dimensions={"FunctionName": name},
                topic_arn=alarm_topic_arn(self.context),
                **signals[signal],
            )
            for signal in ALARM_SIGNALS
        ]

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
    ) -> VpcFunction:
        cfg = self.config
        environment: dict[str, object] = {
            "LOG_LEVEL": cfg.log_level,
            # The handlers' metrics (lambda_code/common/metrics.py), in Powertools' variables;
            # the account is the environment's own, so the project names them.
            "POWERTOOLS_METRICS_NAMESPACE": self.context.project,
            "POWERTOOLS_SERVICE_NAME": spec.name,
        }
        grants = []
        for access in spec.tables:
            name, arn = tables[access.table]
            table = TableReference(Ref(arn), indexes=access.indexes)
            grants.append(table.grant(access.actions, sid=f"Use{access.table}Table"))
            environment[access.env_var] = Ref(name)
        if spec.tables and cfg.customer_managed_keys:
            # The data stack's key, by its alias.
            tables_key = KeyReference.by_alias(stack_key_alias(self.context, "data"))
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
        return self._vpc_function(
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
        through the rotator function's live alias; the payment processor keeps accepting the
        previous key."""
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
            reserved_concurrency=ROTATOR_RESERVED_CONCURRENCY,
            invoked_synchronously_by="Secrets Manager (one invocation per rotation step)",
            environment={"LOG_LEVEL": self.config.log_level},
            grants=tuple(grants),
        )
        alias = self._publish(t, SECRET_ROTATOR, rotator)
        permission = t.add_resource(
            awslambda.Permission(
                "SecretRotatorInvokePermission",
                # On the alias Secrets Manager invokes: a permission applies to the ARN it names only.
                FunctionName=alias.arn,
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
                RotationLambdaARN=alias.arn,
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
                ENCRYPTED_WITH_AWS_MANAGED_KEY,
            )
        return t.add_resource(secret)
