"""Secrets Manager's CloudFormation types through moto's Secrets Manager backend: secrets (a
generated secret string included) and rotation schedules (kept as Secrets Manager keeps them;
nothing rotates on the emulator)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

from local_aws.emulator.services.base import EmulatedResource


class Secret(EmulatedResource, CloudFormationModel):
    """AWS::SecretsManager::Secret, including a generated secret string."""

    ATTRIBUTES = ("Id",)

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = self.id = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        backend = secretsmanager_backends[account_id][region_name]
        value = props.get("SecretString")
        generate = props.get("GenerateSecretString")
        if value is None and generate is not None:
            generated = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=bool(generate.get("ExcludeNumbers", False)),
                exclude_punctuation=bool(generate.get("ExcludePunctuation", False)),
                exclude_uppercase=bool(generate.get("ExcludeUppercase", False)),
                exclude_lowercase=bool(generate.get("ExcludeLowercase", False)),
                include_space=bool(generate.get("IncludeSpace", False)),
                require_each_included_type=bool(generate.get("RequireEachIncludedType", True)),
            )
            value = json.loads(generated)["RandomPassword"]
            if generate.get("GenerateStringKey"):
                # As Secrets Manager does: the template's JSON with the generated string added.
                template = json.loads(generate.get("SecretStringTemplate") or "{}")
                value = json.dumps({**template, generate["GenerateStringKey"]: value})
        created = backend.create_secret(
            # Without a Name, CloudFormation makes a unique one: two stacks' secrets of the same
            # logical ID (dev and prod in one account) must not overwrite each other.
            name=props.get("Name") or f"{resource_name}-{uuid.uuid4().hex[:12]}",
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags") or [],
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        # The backend answers the API's JSON ({"ARN", "Name", "VersionId"}); Ref is the ARN.
        return cls(json.loads(created)["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(self.id, None, True)


DAY = 86400


class RotationSchedule(EmulatedResource, CloudFormationModel):
    """The secret's rotation configuration (function and interval) as Secrets Manager keeps
    it, so DescribeSecret shows what the stack declared; Ref is the secret's ARN, as
    CloudFormation answers for this type. The emulator has no scheduler and runs no Lambda
    functions (no Docker), so nothing is rotated here: the rotation function is tested
    in-process through moto's own RotateSecret (tests/unit/handlers/test_rotator.py)."""

    def __init__(self, secret_arn: str) -> None:
        self.physical_resource_id = self.id = secret_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::RotationSchedule"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        secret = secretsmanager_backends[account_id][region_name].describe_secret(props["SecretId"])
        if not isinstance(secret, FakeSecret):
            raise ValueError(f"{resource_name}: {props['SecretId']} is a replica: rotation is set on its primary")
        days = int(props.get("RotationRules", {}).get("AutomaticallyAfterDays", 0))
        if props.get("HostedRotationLambda") or not props.get("RotationLambdaARN") or days < 1:
            raise ValueError(
                f"{resource_name}: the emulator models rotation by a function (RotationLambdaARN) every "
                "RotationRules.AutomaticallyAfterDays days only"
            )
        secret.rotation_requested = secret.rotation_enabled = True  # DescribeSecret shows rotation once requested
        secret.rotation_lambda_arn = props["RotationLambdaARN"]
        secret.auto_rotate_after_days = days
        secret.next_rotation_date = int(time.time()) + days * DAY
        return cls(secret.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = secretsmanager_backends[account_id][self.id.split(":")[3]]
        if backend._is_valid_identifier(self.id):
            secret = backend.describe_secret(self.id)
            if not isinstance(secret, FakeSecret):
                return
            secret.rotation_enabled, secret.rotation_lambda_arn = False, ""
            secret.auto_rotate_after_days, secret.next_rotation_date = 0, None


MODELS = (
    Secret,
    RotationSchedule,
)
