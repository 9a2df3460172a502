"""CodeDeploy's CloudFormation types through moto's CodeDeploy backend: applications and
deployment groups (no deployment ever runs on the emulator)."""

from __future__ import annotations

import uuid
from typing import Any, Self, cast

from moto.codedeploy.models import codedeploy_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource


def _camel(value: Any) -> Any:
    """A CloudFormation property in the CodeDeploy API's shape (lower camel case keys)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


class DeploymentApplication(EmulatedResource, CloudFormationModel):
    """AWS::CodeDeploy::Application through moto's CodeDeploy backend. Ref is its name."""

    def __init__(self, name: str, compute_platform: str) -> None:
        self.physical_resource_id = self.name = name
        self.compute_platform = compute_platform

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::Application"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        name = props.get("ApplicationName") or f"{resource_name}-{uuid.uuid4().hex[:12]}"
        platform = props.get("ComputePlatform", "Server")
        codedeploy_backends[account_id][region_name].create_application(name, platform, props.get("Tags") or [])
        return cls(name, platform)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        """In place unless a create-only property (name, compute platform) changed."""
        props = cloudformation_json["Properties"]
        if (
            props.get("ApplicationName") == original_resource.name
            and props.get("ComputePlatform", "Server") == original_resource.compute_platform
        ):
            return cast("Self", original_resource)
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = codedeploy_backends[account_id][region_name]
        backend.applications.pop(self.name, None)
        backend.deployment_groups.pop(self.name, None)


class DeploymentGroup(EmulatedResource, CloudFormationModel):
    """AWS::CodeDeploy::DeploymentGroup through moto's CodeDeploy backend (GetDeploymentGroup
    reads its configuration, deployment style and rollback settings back; moto answers its
    alarm configuration empty). Ref is its name. No deployment ever runs on the emulator."""

    def __init__(self, application: str, name: str) -> None:
        self.application = application
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::DeploymentGroup"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        application = props["ApplicationName"]
        name = props.get("DeploymentGroupName") or f"{resource_name}-{uuid.uuid4().hex[:12]}"
        codedeploy_backends[account_id][region_name].create_deployment_group(
            application_name=application,
            deployment_group_name=name,
            deployment_config_name=props.get("DeploymentConfigName"),
            ec2_tag_filters=None,
            on_premises_instance_tag_filters=None,
            auto_scaling_groups=None,
            service_role_arn=props["ServiceRoleArn"],
            alarm_configuration=_camel(props.get("AlarmConfiguration")),
            auto_rollback_configuration=_camel(props.get("AutoRollbackConfiguration")),
            deployment_style=_camel(props.get("DeploymentStyle")),
            tags=props.get("Tags") or [],
        )
        return cls(application, name)

    def delete(self, account_id: str, region_name: str) -> None:
        codedeploy_backends[account_id][region_name].deployment_groups.get(self.application, {}).pop(self.name, None)


MODELS = (
    DeploymentApplication,
    DeploymentGroup,
)
