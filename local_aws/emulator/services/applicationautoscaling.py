"""Table auto scaling through moto's Application Auto Scaling backend:
AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy, which moto 5.2's CloudFormation
lacks. They are kept as declared; nothing ever changes a table's capacity on the emulator."""

from __future__ import annotations

import contextlib
from typing import Any, Self

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource


class ScalableTarget(EmulatedResource, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalableTarget (Ref: `<resource id>|<dimension>|<namespace>`)."""

    def __init__(self, namespace: str, resource_id: str, dimension: str) -> None:
        self.namespace, self.resource_id, self.dimension = namespace, resource_id, dimension
        self.physical_resource_id = f"{resource_id}|{dimension}|{namespace}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalableTarget"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            namespace=props["ServiceNamespace"],
            r_id=props["ResourceId"],
            dimension=props["ScalableDimension"],
            min_capacity=int(props["MinCapacity"]),
            max_capacity=int(props["MaxCapacity"]),
            role_arn=props.get("RoleARN", ""),
            suspended_state=props.get("SuspendedState") or {},  # type: ignore[arg-type]  # a dict, as moto's API passes it
        )
        return cls(props["ServiceNamespace"], props["ResourceId"], props["ScalableDimension"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = applicationautoscaling_backends[account_id][region_name]
        with contextlib.suppress(Exception):  # already gone with its table
            backend.deregister_scalable_target(self.namespace, self.resource_id, self.dimension)


class ScalingPolicy(EmulatedResource, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalingPolicy on a scalable target of the same stack."""

    ATTRIBUTES = ("Arn",)

    def __init__(self, arn: str, key: tuple[str, str, str, str]) -> None:
        self.physical_resource_id = self.arn = arn
        self.key = key

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalingPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        resource_id, dimension, namespace = str(props["ScalingTargetId"]).split("|")
        policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            policy_name=props["PolicyName"],
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=props.get(
                "TargetTrackingScalingPolicyConfiguration", props.get("StepScalingPolicyConfiguration")
            ),
            policy_type=props["PolicyType"],
        )
        return cls(policy.policy_arn, (props["PolicyName"], namespace, resource_id, dimension))

    def delete(self, account_id: str, region_name: str) -> None:
        name, namespace, resource_id, dimension = self.key
        with contextlib.suppress(Exception):
            applicationautoscaling_backends[account_id][region_name].delete_scaling_policy(
                name, namespace, resource_id, dimension
            )


MODELS = (ScalableTarget, ScalingPolicy)
