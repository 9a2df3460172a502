"""`make demo`'s listing of an environment's alarms (scripts/demo.py), from sample answers of
CloudWatch's describe_alarms."""

from __future__ import annotations

import uuid

from scripts.demo import alarm_lines

TOPICS = "arn:aws:sns:eu-west-1:111111111111:payments-dev-alarms"


def _alarm(name: str, **fields: object) -> dict[str, object]:
    return {
        "AlarmName": name,
        "Statistic": "Sum",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1.0,
        "AlarmActions": [TOPICS],
        **fields,
    }


def _tracking(resource: str) -> list[dict[str, object]]:
    """The four alarms target tracking makes for one scaling policy, as AWS names them."""
    kinds = ("AlarmHigh", "AlarmLow", "ProvisionedCapacityHigh", "ProvisionedCapacityLow")
    return [
        _alarm(f"TargetTracking-{resource}-{kind}-{uuid.uuid4()}", Statistic="Average", AlarmActions=["arn:policy"])
        for kind in kinds
    ]


def test_the_projects_alarms_are_listed_and_target_trackings_collapsed_into_their_count():
    tables = ("table/payments-dev-transactions", "table/payments-dev-transactions/index/customer", "table/s")
    tracking = [alarm for resource in tables for _ in ("read", "write") for alarm in _tracking(resource)]
    described = {
        "MetricAlarms": [
            *tracking[:5],
            _alarm("payments-dev-data-throttles"),
            *tracking[5:],
            _alarm("payments-dev-api-p99", ExtendedStatistic="p99", Statistic=None, Threshold=3000.0),
        ],
        "CompositeAlarms": [
            {
                "AlarmName": "payments-dev-unhealthy",
                "AlarmRule": "ALARM(a) OR ALARM(b) OR ALARM(c)",
                "AlarmActions": ["arn:aws:sns:eu-west-1:111111111111:payments-dev-pages"],
            }
        ],
    }
    lines = alarm_lines("eu-west-1", described)
    assert [line.split()[:2] for line in lines] == [
        ["eu-west-1", "payments-dev-data-throttles"],
        ["eu-west-1", "payments-dev-api-p99"],
        ["eu-west-1", "payments-dev-unhealthy"],
        ["eu-west-1", "TargetTracking-*"],
    ]
    assert lines[0].endswith("Sum >= 1 -> payments-dev-alarms")
    assert lines[1].endswith("p99 >= 3000 -> payments-dev-alarms")
    assert lines[2].endswith("any of 3 alarms -> payments-dev-pages")
    assert lines[3].endswith(
        "24 alarms of auto scaling's target tracking for 3 scalable targets (its own, not the project's)"
    )
    assert not any("AlarmHigh" in line for line in lines)


def test_a_region_without_target_tracking_lists_only_the_projects_alarms():
    lines = alarm_lines("us-east-1", {"MetricAlarms": [_alarm("payments-dev-edge-blocked", AlarmActions=[])]})
    assert lines == [f"  us-east-1  {'payments-dev-edge-blocked':<52} Sum >= 1 -> -"]
    assert alarm_lines("us-east-1", {}) == []
    one = alarm_lines("eu-west-1", {"MetricAlarms": _tracking("table/t")})
    assert one == [
        f"  eu-west-1  {'TargetTracking-*':<52} 4 alarms of auto scaling's target tracking for 1 scalable target "
        "(its own, not the project's)"
    ]
