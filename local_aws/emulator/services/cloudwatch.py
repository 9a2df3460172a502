"""CloudWatch's alarms through moto's CloudWatch backend: AWS::CloudWatch::Alarm (one metric, or
metric math) and AWS::CloudWatch::CompositeAlarm, which moto 5.2's CloudFormation lacks. moto
keeps alarms and evaluates nothing: no metric reaches an alarm and none fires by itself (what
a state change does: local_aws/emulator/alarm_actions.py)."""

from __future__ import annotations

from typing import Any, Self

from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource


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
                # moto's annotations say str; it keeps what its own API parsing passes, None included.
                label=query.get("Label"),  # type: ignore[arg-type]
                period=query.get("Period"),  # type: ignore[arg-type]
                return_data=query.get("ReturnData"),  # type: ignore[arg-type]
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class _Alarm(EmulatedResource):
    """What metric and composite alarms share: the name is the id, moto's backend holds them."""

    ATTRIBUTES = ("Arn",)

    def __init__(self, name: str, arn: str) -> None:
        self.physical_resource_id = name
        self.arn = arn

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])

    @classmethod
    def put(cls, props: dict[str, Any], resource_name: str, account_id: str, region_name: str, **watched: Any) -> Self:
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
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


MODELS = (Alarm, CompositeAlarm)
