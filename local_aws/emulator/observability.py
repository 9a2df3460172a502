"""CloudFormation models moto 5.2 lacks for alarms, alarm topics and table auto scaling,
through moto's own backends (so the APIs read them back as AWS would):
AWS::CloudWatch::Alarm (one metric, or metric math), AWS::CloudWatch::CompositeAlarm,
AWS::SNS::TopicPolicy, AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy.

moto keeps alarms and evaluates nothing: no metric reaches an alarm, none fires, nothing is
published; auto scaling never changes a table's capacity. The definitions are what the
emulator can show."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudformation import parsing
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends

from local_aws.emulator.models import _Emulated


def _dimensions(items: list[dict[str, str]] | None) -> list[Dimension]:
    return [Dimension(d["Name"], d["Value"]) for d in items or []]


def _queries(metrics: list[dict[str, Any]] | None) -> list[MetricDataQuery] | None:
    if not metrics:
        return None
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            metric_stat = MetricStat(
                metric=Metric(metric["MetricName"], metric["Namespace"], _dimensions(metric.get("Dimensions"))),
                period=stat.get("Period"),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=query["Id"],
                label=query.get("Label"),
                period=query.get("Period"),
                return_data=query.get("ReturnData"),
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class _Alarm(_Emulated):
    """What metric and composite alarms share: the name is the id, moto's backend holds them."""

    ATTRIBUTES = ("Arn",)

    def __init__(self, name: str, arn: str) -> None:
        self.physical_resource_id = name
        self.arn = arn

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])

    @classmethod
    def put(
        cls, props: dict[str, Any], resource_name: str, account_id: str, region_name: str, **watched: Any
    ) -> _Alarm:
        """Put the alarm in moto's backend: name, description and actions from `props`."""
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=props.get("AlarmName", resource_name),
            description=props.get("AlarmDescription", ""),
            alarm_actions=list(props.get("AlarmActions") or []),
            ok_actions=list(props.get("OKActions") or []),
            insufficient_data_actions=list(props.get("InsufficientDataActions") or []),
            **watched,
        )
        return cls(alarm.name, alarm.alarm_arn)


class Alarm(_Alarm, CloudFormationModel):
    """AWS::CloudWatch::Alarm, on one metric or a metric math expression."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def, override]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        return cls.put(
            props,
            resource_name,
            account_id,
            region_name,
            namespace=props.get("Namespace"),
            metric_name=props.get("MetricName"),
            metric_data_queries=_queries(props.get("Metrics")),
            comparison_operator=props["ComparisonOperator"],
            evaluation_periods=int(props["EvaluationPeriods"]),
            datapoints_to_alarm=props.get("DatapointsToAlarm"),
            period=props.get("Period"),
            threshold=float(props["Threshold"]),
            statistic=props.get("Statistic"),
            extended_statistic=props.get("ExtendedStatistic"),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in props.get("Dimensions") or []],
            treat_missing_data=props.get("TreatMissingData"),
        )


class CompositeAlarm(_Alarm, CloudFormationModel):
    """AWS::CloudWatch::CompositeAlarm: a rule over other alarms (kept as written). moto's
    CloudFormation sees direct subclasses of CloudFormationModel only: not a subclass of Alarm."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::CompositeAlarm"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def, override]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        # moto keeps composite alarms as metric alarms with a rule and no metric.
        return cls.put(
            props,
            resource_name,
            account_id,
            region_name,
            namespace="",
            metric_name="",
            comparison_operator="",
            evaluation_periods=0,
            period=0,
            threshold=0.0,
            statistic="",
            dimensions=[],
            rule=props["AlarmRule"],
        )


class TopicPolicy(_Emulated, CloudFormationModel):
    """AWS::SNS::TopicPolicy: the policy set on each topic named."""

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.physical_resource_id = ",".join(topics)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def, override]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        document = props["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        topics = [str(t) for t in props["Topics"]]
        for topic in topics:
            sns_backends[account_id][region_name].set_topic_attribute(topic, "policy", text)  # the setter's name
        return cls(topics)


class ScalableTarget(_Emulated, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalableTarget (Ref: `<resource id>|<dimension>|<namespace>`)."""

    def __init__(self, namespace: str, resource_id: str, dimension: str) -> None:
        self.namespace, self.resource_id, self.dimension = namespace, resource_id, dimension
        self.physical_resource_id = f"{resource_id}|{dimension}|{namespace}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalableTarget"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def, override]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            namespace=props["ServiceNamespace"],
            r_id=props["ResourceId"],
            dimension=props["ScalableDimension"],
            min_capacity=int(props["MinCapacity"]),
            max_capacity=int(props["MaxCapacity"]),
            role_arn=props.get("RoleARN", ""),
            suspended_state=props.get("SuspendedState") or {},
        )
        return cls(props["ServiceNamespace"], props["ResourceId"], props["ScalableDimension"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = applicationautoscaling_backends[account_id][region_name]
        with contextlib.suppress(Exception):  # already gone with its table
            backend.deregister_scalable_target(self.namespace, self.resource_id, self.dimension)


class ScalingPolicy(_Emulated, CloudFormationModel):
    """AWS::ApplicationAutoScaling::ScalingPolicy on a scalable target of the same stack."""

    ATTRIBUTES = ("Arn",)

    def __init__(self, arn: str, key: tuple[str, str, str, str]) -> None:
        self.physical_resource_id = self.arn = arn
        self.key = key

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApplicationAutoScaling::ScalingPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def, override]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
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


OBSERVABILITY_TYPES = tuple(
    m.cloudformation_type() for m in (Alarm, CompositeAlarm, TopicPolicy, ScalableTarget, ScalingPolicy)
)


def register() -> None:
    """Check moto's CloudFormation sees the models above (imported before its registry is
    first read, by local_aws/emulator/server.py)."""
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    missing = [t for t in OBSERVABILITY_TYPES if t not in parsing.get_model_map()]
    if missing:
        raise RuntimeError(f"emulated CloudFormation models not registered: {missing}")
