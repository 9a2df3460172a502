"""CloudWatch alarms for a resource and the encrypted SNS topic they notify.

An environment has two topics in each region it has alarms in (`AlarmTopics`):
`<project>-<env>-alarms`, which every alarm tells, and `<project>-<env>-pages`, which only
what should wake someone tells (the composite "payments unhealthy" alarm). Their ARNs follow
from their names, so an alarm in any stack notifies them without a stack dependency
(`alarm_topic_arn`; CloudWatch uses an alarm's action when the alarm fires, not when it is
made). They are encrypted under a customer-managed key of their own in every environment:
CloudWatch cannot publish to a topic under the AWS managed SNS key
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from awacs import sns as awssns
from awacs.aws import ArnLike, Condition, Principal, Statement, StringEquals
from pydantic import BaseModel, ConfigDict, Field, model_validator
from troposphere import AccountId, GetAtt, Ref, Sub, cloudwatch, sns

from blueprints.blocks.base import Block, Options
from blueprints.blocks.key import EncryptionKey
from blueprints.core import Context, Subscription, add_output
from blueprints.core.iam import document
from blueprints.core.lazy import renamed

Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
Statistic = Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount"]


Topic = Literal["alarms", "pages"]


def alarm_topic_name(context: Context, topic: Topic = "alarms") -> str:
    return context.name(topic)


def alarm_topic_arn(context: Context, topic: Topic = "alarms") -> Sub:
    """The ARN of the environment's `alarms` topic (every alarm tells it) or `pages` topic
    (what pages someone) in the stack's own region."""
    return Sub(f"arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{alarm_topic_name(context, topic)}")


class AlarmTopicsOptions(Options):
    context: Context = Field(description="Names the topics `<project>-<env>-alarms` / `-pages` and the key's alias.")
    alarm_subscriptions: tuple[Subscription, ...] = Field(
        default=(), description="Who hears of every alarm (default nobody)."
    )
    page_subscriptions: tuple[Subscription, ...] = Field(
        default=(), description="Who is paged (default nobody), e.g. the on-call service's https endpoint."
    )
    key_deletion_window_days: int = Field(default=30, ge=7, le=30, description="The key's deletion window.")


class AlarmTopics(Block):
    """The environment's two alarm topics in this stack's region, `alarms` (every alarm tells
    it) and `pages` (only what should wake someone), encrypted under one key of their own
    (CloudWatch may use it for this account only), published to only by CloudWatch alarms of
    this account, with the configured subscriptions. Outputs `AlarmTopicArn`, `PageTopicArn`."""

    Options = AlarmTopicsOptions
    options: AlarmTopicsOptions

    def build(self) -> None:
        o = self.options
        self.key = EncryptionKey(
            self.template,
            f"{self.logical_id}Key",
            alias=f"alias/{o.context.name('alarm-topics')}",
            description=f"{o.context.name()} alarm notifications",
            deletion_window_days=o.key_deletion_window_days,
            retain=False,  # it encrypts messages in flight only: nothing is lost with it
            via_services=("sns",),
            publishing_services=("cloudwatch",),
        )
        self.alarms = self._topic("Alarms", "alarms", o.alarm_subscriptions)
        self.pages = self._topic("Pages", "pages", o.page_subscriptions)
        self.template.add_resource(
            sns.TopicPolicy(
                f"{self.logical_id}Policy",
                Topics=[Ref(self.alarms), Ref(self.pages)],
                PolicyDocument=document(
                    Statement(
                        Sid="CloudWatchAlarmsOfThisAccount",
                        Effect="Allow",
                        Principal=Principal("Service", ["cloudwatch.amazonaws.com"]),
                        Action=[awssns.Publish],
                        Resource=[Ref(self.alarms), Ref(self.pages)],
                        # The conditions CloudWatch documents for its alarms' topics
                        # (AlarmThatSendsEmail.html, "Preventing confused deputy security issues").
                        Condition=Condition(
                            [
                                ArnLike(
                                    "aws:SourceArn",
                                    Sub("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"),
                                ),
                                StringEquals("aws:SourceAccount", AccountId),
                            ]
                        ),
                    )
                ),
            )
        )
        add_output(self.template, "AlarmTopicArn", Ref(self.alarms), "Topic every alarm of the region tells")
        add_output(self.template, "PageTopicArn", Ref(self.pages), "Topic of what pages someone")

    def _topic(self, title: str, topic: Topic, subscriptions: tuple[Subscription, ...]) -> sns.Topic:
        o = self.options
        return self.template.add_resource(
            sns.Topic(
                f"{title}Topic",
                TopicName=alarm_topic_name(o.context, topic),
                DisplayName=f"{o.context.name()} {topic}",
                KmsMasterKeyId=self.key.arn,
                Subscription=[sns.Subscription(Protocol=s.protocol, Endpoint=s.endpoint) for s in subscriptions],
            )
        )


class _AlarmCommon(Options):
    """What every alarm has, whatever it watches."""

    name: str = Field(max_length=255, description="The alarm's name, `<project>-<env>-<resource>-<signal>`.")
    description: str = Field(max_length=1024, description="What it means when it fires, for the person paged.")
    threshold: float = Field(description="The value the statistic is compared with.")
    comparison: Comparison = Field(default="GreaterThanOrEqualToThreshold", description="How it is compared.")
    period_seconds: int = Field(default=60, description="Seconds per datapoint: 10, 30 or a multiple of 60.")
    evaluation_periods: int = Field(default=5, ge=1, le=100, description="Datapoints looked at (default 5).")
    datapoints_to_alarm: int = Field(
        default=3, ge=1, description="Of those, how many must breach (default 3: not one bad minute)."
    )
    missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = Field(
        default="notBreaching", description="No traffic is not an incident (default notBreaching)."
    )
    topic_arn: object | None = Field(
        default=None, description="Notified when it fires and when it recovers (default none: a composite's part)."
    )

    @model_validator(mode="after")
    def _evaluation(self) -> _AlarmCommon:
        if self.datapoints_to_alarm > self.evaluation_periods:
            breaching, looked_at = self.datapoints_to_alarm, self.evaluation_periods
            raise ValueError(f"datapoints_to_alarm ({breaching}) exceeds evaluation_periods ({looked_at})")
        if self.period_seconds not in (10, 30) and self.period_seconds % 60:
            raise ValueError(f"period_seconds {self.period_seconds}: 10, 30 or a multiple of 60")
        return self

    def alarm_properties(self) -> dict[str, object]:
        """The alarm's properties besides what it watches."""
        actions = [self.topic_arn] if self.topic_arn is not None else []
        return {
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison,
            "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.datapoints_to_alarm,
            "TreatMissingData": self.missing_data,
            "AlarmActions": actions,
            "OKActions": actions,
        }


class MetricAlarmOptions(_AlarmCommon):
    namespace: str = Field(description="The metric's namespace, e.g. AWS/Lambda.")
    metric: str = Field(description="The metric's name, e.g. Errors.")
    dimensions: dict[str, object] = Field(description="The metric's dimensions (names of resources, never ids).")
    statistic: Statistic | None = Field(default=None, description="Sum, Average, ... (or `percentile`).")
    percentile: str | None = Field(
        default=None, pattern=r"^p\d{1,2}(\.\d{1,2})?$", description="e.g. p99 (or `statistic`)."
    )

    @model_validator(mode="after")
    def _one_statistic(self) -> MetricAlarmOptions:
        if (self.statistic is None) == (self.percentile is None):
            raise ValueError("give exactly one of statistic and percentile")
        return self


class MetricAlarm(Block):
    """One CloudWatch alarm on one metric of one resource, named and described for the person
    it pages; notifies `topic_arn` (if any) when it fires and when it recovers."""

    Options = MetricAlarmOptions
    options: MetricAlarmOptions

    def build(self) -> None:
        o = self.options
        alarm = cloudwatch.Alarm(
            self.logical_id,
            Namespace=o.namespace,
            MetricName=o.metric,
            Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in o.dimensions.items()],
            Period=o.period_seconds,
            **o.alarm_properties(),
        )
        if o.statistic is not None:
            alarm.Statistic = o.statistic
        else:
            alarm.ExtendedStatistic = o.percentile
        self.alarm = self.template.add_resource(alarm)

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.alarm, "Arn")


class MetricQuery(BaseModel):
    """One metric of a metric math alarm."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    namespace: str = Field(description="The metric's namespace.")
    metric: str = Field(description="The metric's name.")
    dimensions: dict[str, object] = Field(description="Its dimensions.")
    statistic: Statistic = Field(default="Sum", description="How datapoints are aggregated (default Sum).")


class MathAlarmOptions(_AlarmCommon):
    queries: dict[str, MetricQuery] = Field(
        min_length=1, max_length=9, description="The metrics, by id (m1, m2, ...); at most 9 besides the expression."
    )
    expression: str = Field(description="What the alarm watches, e.g. `m1 + m2` or `SUM(METRICS())`.")

    @model_validator(mode="after")
    def _ids(self) -> MathAlarmOptions:
        bad = [i for i in self.queries if not re.fullmatch(r"[a-z][a-zA-Z0-9_]*", i)]
        if bad:
            raise ValueError(f"query ids {bad}: a lower-case letter, then letters, digits or _")
        return self


class MathAlarm(Block):
    """One alarm on a metric math expression over several metrics (e.g. a table's throttles
    across the table and its indexes), otherwise like `MetricAlarm`."""

    Options = MathAlarmOptions
    options: MathAlarmOptions

    def build(self) -> None:
        o = self.options
        queries = [cloudwatch.MetricDataQuery(Id="expression", Expression=o.expression, ReturnData=True)]
        queries += [
            cloudwatch.MetricDataQuery(
                Id=query_id,
                ReturnData=False,
                MetricStat=cloudwatch.MetricStat(
                    Metric=cloudwatch.Metric(
                        Namespace=q.namespace,
                        MetricName=q.metric,
                        Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in q.dimensions.items()],
                    ),
                    Period=o.period_seconds,
                    Stat=q.statistic,
                ),
            )
            for query_id, q in o.queries.items()
        ]
        self.alarm = self.template.add_resource(
            cloudwatch.Alarm(self.logical_id, Metrics=queries, **o.alarm_properties())
        )


__all__ = [
    "AlarmTopics",
    "AlarmTopicsOptions",
    "Comparison",
    "MathAlarm",
    "MathAlarmOptions",
    "MetricAlarm",
    "MetricAlarmOptions",
    "MetricQuery",
    "Statistic",
    "Topic",
    "alarm_topic_arn",
    "alarm_topic_name",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "TopicOptions": "AlarmTopicsOptions",
            "AlarmOptions": "MetricAlarmOptions",
        },
    )
