"""Lambda versions and aliases through moto's Lambda backend: versions published as Lambda
publishes them (a new number each time, refused when nothing changed), aliases updated in place
with their provisioned concurrency. CodeDeploy deployments are not run: an alias under a
`CodeDeployLambdaAliasUpdate` policy moves to the new version at once."""

from __future__ import annotations

import contextlib
import copy
from typing import Any, Self

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource


def _lambda_storage(account_id: str, region_name: str) -> Any:
    return lambda_backends[account_id][region_name]._lambdas


class FunctionVersion(EmulatedResource, CloudFormationModel):
    """AWS::Lambda::Version (in place of moto's, which has neither Ref nor attributes): publishes
    the function's current code and configuration under the next number, never reused, as
    Lambda does; refused, as Lambda refuses it, when nothing changed since the last version.
    Ref is the version's ARN. Every property is create-only: an update publishes a new version,
    and the replaced one is deleted once the stack's update is done, unless the template
    retains it (local_aws/emulator/stack_lifecycle.py's cleanup)."""

    ATTRIBUTES = ("FunctionArn", "Version")

    def __init__(self, function: LambdaFunction) -> None:
        self.physical_resource_id = self.function_arn = function.function_arn
        self.function_name = function.function_name
        self.version = str(function.version)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Version"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        return cls(publish_version(account_id, region_name, props["FunctionName"], props.get("Description", "")))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        """A new version; the original stays until the update is done (the alias may still
        point at it)."""
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        # Gone already when its function was deleted first (a stack's deletion).
        with contextlib.suppress(UnknownFunctionException, KeyError):
            lambda_backends[account_id][region_name].delete_function(self.function_name, self.version)


def publish_version(account_id: str, region_name: str, function_name: str, description: str) -> LambdaFunction:
    """PublishVersion as Lambda does it: a new number each time (moto numbers by count, so a
    number comes back after an older version is deleted), and an error if the function has
    not changed since its last version."""
    storage = _lambda_storage(account_id, region_name)
    latest = storage.get_function_by_name_or_arn_forbid_qualifier(function_name)
    versions = storage._functions[latest.function_name]["versions"]
    last = getattr(latest, "emulator_last_version", max((int(v.version) for v in versions), default=0))
    if versions and not latest.code_or_config_updated:
        raise ValidationError(
            message=f"A version for this Lambda function exists ( {last} ). "
            "Modify the function to create a new version."
        )
    latest.code_or_config_updated = False
    number = latest.emulator_last_version = last + 1
    # What moto's publish_version makes: a copy of $LATEST, attributes shared until either
    # is updated (an update replaces them).
    version: LambdaFunction = copy.copy(latest)
    version.set_version(number)
    if description:
        version.description = description
    versions.append(version)
    storage._arns[version.function_arn] = version
    return version


class FunctionAlias(EmulatedResource, CloudFormationModel):
    """AWS::Lambda::Alias through moto's Lambda backend; updated in place (same ARN), so a new
    FunctionVersion moves it at once: the traffic shifting of a `CodeDeployLambdaAliasUpdate`
    policy (CodeDeploy) is not emulated. ProvisionedConcurrencyConfig is kept on the alias and
    answered by GetProvisionedConcurrencyConfig, READY at once. Ref is the alias's ARN."""

    ATTRIBUTES = ("AliasArn",)

    def __init__(self, alias: Any, function_name: str) -> None:
        self.physical_resource_id = self.alias_arn = alias.arn
        self.name = alias.name
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        alias = lambda_backends[account_id][region_name].create_alias(
            props["Name"],
            props["FunctionName"],
            str(props["FunctionVersion"]),
            props.get("Description", ""),
            props.get("RoutingConfig"),
        )
        _provision(alias, props)
        return cls(alias, props["FunctionName"])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        props = cloudformation_json["Properties"]
        if (props["Name"], props["FunctionName"]) != (original_resource.name, original_resource.function_name):
            original_resource.delete(account_id, region_name)  # create-only properties: replaced
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        alias = lambda_backends[account_id][region_name].update_alias(
            props["Name"],
            props["FunctionName"],
            str(props["FunctionVersion"]),
            props.get("Description", ""),
            props.get("RoutingConfig"),
        )
        _provision(alias, props)
        return cls(alias, props["FunctionName"])

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(UnknownFunctionException, KeyError):
            lambda_backends[account_id][region_name].delete_alias(self.name, self.function_name)


def _provision(alias: Any, props: dict[str, Any]) -> None:
    config = props.get("ProvisionedConcurrencyConfig") or {}
    requested = int(config.get("ProvisionedConcurrentExecutions", 0))
    alias.provisioned_concurrency = requested or None


# Every update of these makes a new resource (a new physical id): what refers to them is
# updated too (local_aws/emulator/patches/cloudformation.py, stack_lifecycle.py).
REPLACED_ON_EVERY_UPDATE = frozenset({FunctionVersion.cloudformation_type()})


MODELS = (
    FunctionVersion,
    FunctionAlias,
)
