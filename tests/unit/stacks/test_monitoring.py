"""Alarms on every layer, the topics they tell, the composite alarm that pages, the dashboard,
and table capacity that follows load: on the rendered templates of every environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from blueprints.core import Context, Subscription
from blueprints.project import load_project
from blueprints.stacks.data import TABLES, DataConfig, OnDemand, Provisioned
from blueprints.stacks.edge import EDGE_REGION
from blueprints.stacks.functions import ALARM_SIGNALS, DEPLOYED
from blueprints.stacks.monitoring import composite_members, unhealthy_alarm_name
from tests.conftest import ENVIRONMENTS, PROJECT_DIR

PROJECT = load_project(PROJECT_DIR)
REGION_OF = {"edge": EDGE_REGION, "cdn": EDGE_REGION, "certificate": EDGE_REGION}


def _template(env: str, stack: str) -> dict[str, Any]:
    return json.loads(PROJECT.environment(env).render(stack))


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _alarms(env: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Alarm name -> (stack, properties) of every metric alarm of the environment."""
    found = {}
    for stack in PROJECT.environment(env).stacks:
        for alarm in _of_type(_template(env, stack), "AWS::CloudWatch::Alarm").values():
            props = alarm["Properties"]
            assert props["AlarmName"] not in found, props["AlarmName"]
            found[props["AlarmName"]] = (stack, props)
    return found


def _topic(action: dict[str, Any]) -> str:
    """`alarms` or `pages`: the topic an action's ARN names (in the stack's own region)."""
    text = action["Fn::Sub"]
    assert text.startswith("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"), text
    return text.rpartition("-")[2]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_layer_has_its_alarms(env):
    names = set(_alarms(env))
    context = Context("payments", env)
    for spec in DEPLOYED:  # functions: errors, throttles, duration, concurrency
        assert len([n for n in names if n.startswith(context.name(spec.name) + "-")]) == len(ALARM_SIGNALS), spec.name
    for table in TABLES:
        assert {context.name(table.lower(), s) for s in ("throttles", "system-errors")} <= names, table
    assert {context.name("api", "5xx-rate"), context.name("api", "p99-latency")} <= names
    assert {context.name("edge", "blocked-requests"), context.name("edge", "5xx-rate")} <= names


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_alarm_tells_a_topic_when_it_fires_and_when_it_recovers(env):
    for name, (_, props) in _alarms(env).items():
        assert props["AlarmActions"] == props["OKActions"], name
        topics = [_topic(a) for a in props["AlarmActions"]]
        # CloudFront's 5xx rate pages on its own: no composite can reach across regions.
        assert topics == (["pages"] if name.endswith("-edge-5xx-rate") else ["alarms"]), name


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_composite_alarm_pages_on_every_alarm_of_the_environments_region(env):
    alarms = _alarms(env)
    in_region = {name for name, (stack, _) in alarms.items() if REGION_OF.get(stack) != EDGE_REGION}
    assert set(composite_members(Context("payments", env))) == in_region
    (composite,) = _of_type(_template(env, "monitoring"), "AWS::CloudWatch::CompositeAlarm").values()
    props = composite["Properties"]
    assert props["AlarmName"] == unhealthy_alarm_name(Context("payments", env))
    assert set(re.findall(r'ALARM\("([^"]+)"\)', props["AlarmRule"])) == in_region
    assert props["AlarmRule"].count(" OR ") == len(in_region) - 1
    assert [_topic(a) for a in props["AlarmActions"]] == ["pages"] == [_topic(a) for a in props["OKActions"]]


@pytest.mark.parametrize(("env", "stack"), [(e, s) for e in ENVIRONMENTS for s in ("monitoring", "edge")])
def test_the_topics_are_encrypted_and_only_this_accounts_alarms_publish(env, stack):
    template = _template(env, stack)
    topics = _of_type(template, "AWS::SNS::Topic")
    assert sorted(t["Properties"]["TopicName"] for t in topics.values()) == [
        f"payments-{env}-alarms",
        f"payments-{env}-pages",
    ]
    key_ids = {key_id for key_id in _of_type(template, "AWS::KMS::Key") if key_id.startswith("AlarmTopics")}
    assert key_ids
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0] in key_ids
    (key,) = [template["Resources"][k] for k in key_ids]
    publish = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Sid"] == "ServicesPublish"]
    assert publish == [
        {
            "Sid": "ServicesPublish",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com"]},
            # SNS's documented statement for CloudWatch: no condition key CloudWatch is not
            # documented to send to KMS (the topic policy narrows who publishes).
            "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
            "Resource": ["*"],
        }
    ]
    (policy,) = _of_type(template, "AWS::SNS::TopicPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    assert statement["Action"] == ["sns:Publish"]
    assert statement["Condition"] == {
        "ArnLike": {
            "aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"}
        },
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }


def test_subscriptions_come_from_the_environment_and_bad_ones_are_refused():
    prod = _of_type(_template("prod", "monitoring"), "AWS::SNS::Topic")
    by_name = {t["Properties"]["TopicName"]: t["Properties"]["Subscription"] for t in prod.values()}
    assert by_name["payments-prod-pages"] == [{"Protocol": "email", "Endpoint": "payments-oncall@example.com"}]
    dev = _of_type(_template("dev", "monitoring"), "AWS::SNS::Topic")
    assert [
        t["Properties"]["Subscription"] for t in dev.values() if t["Properties"]["TopicName"].endswith("pages")
    ] == [[]]
    for protocol, endpoint, words in (
        ("email", "not-an-address", "not an email address"),
        ("https", "http://plain.example.com", "not an https:// URL"),
        ("sms", "12345", "E.164"),
    ):
        with pytest.raises(ValidationError, match=words):
            Subscription(protocol=protocol, endpoint=endpoint)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_thresholds_are_the_environments_settings(env):
    alarms = _alarms(env)
    api = PROJECT.environment(env).blueprint("api").config
    data = PROJECT.environment(env).blueprint("data").config
    _, rate = alarms[f"payments-{env}-api-5xx-rate"]
    assert (rate["Statistic"], rate["Threshold"]) == ("Average", api.alarm_5xx_rate_percent / 100)
    _, latency = alarms[f"payments-{env}-api-p99-latency"]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", api.alarm_p99_latency_ms)
    assert latency["Dimensions"] == [
        {"Name": "ApiName", "Value": f"payments-{env}-api"},
        {"Name": "Stage", "Value": api.stage_name},
    ]
    _, throttles = alarms[f"payments-{env}-transactions-throttles"]
    assert throttles["Threshold"] == data.alarm_throttle_events
    watched = [q["MetricStat"]["Metric"] for q in throttles["Metrics"] if "MetricStat" in q]
    assert {m["MetricName"] for m in watched} == {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert {"Name": "GlobalSecondaryIndexName", "Value": "CustomerIndex"} in [
        d for m in watched for d in m["Dimensions"]
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_dashboard_shows_every_layer_and_names_what_exists(env):
    (dashboard,) = _of_type(_template(env, "monitoring"), "AWS::CloudWatch::Dashboard").values()
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    assert variables == {"StageName": {"Ref": "StageName"}}
    filled = body.replace("${AWS::Region}", "eu-west-1").replace("${StageName}", "v1")
    widgets = json.loads(filled)["widgets"]
    titles = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert [t.removeprefix("## ").split(" ")[0] for t in titles] == ["Payments", "Edge", "API", "Functions", "Tables"]
    text = json.dumps(widgets)
    for spec in DEPLOYED:
        assert f'"payments-{env}-{spec.name}"' in text
    for table in TABLES:
        assert f'"payments-{env}-{table.lower()}"' in text
    assert f'"payments-{env}-api"' in text and f'"payments-{env}-edge"' in text
    assert all(w["properties"]["region"] in ("eu-west-1", EDGE_REGION) for w in widgets if w["type"] == "metric")


def _scaling(env: str) -> tuple[dict[str, Any], dict[str, Any]]:
    template = _template(env, "data")
    return (
        _of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget"),
        _of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy"),
    )


def test_dev_scales_provisioned_capacity_of_every_table_and_index():
    capacity = PROJECT.environment("dev").blueprint("data").config.capacity
    assert isinstance(capacity, Provisioned)
    targets, policies = _scaling("dev")
    tables = _of_type(_template("dev", "data"), "AWS::DynamoDB::Table")
    indexes = sum(len(t["Properties"].get("GlobalSecondaryIndexes", [])) for t in tables.values())
    assert len(targets) == len(policies) == 2 * (len(tables) + indexes)
    for target in targets.values():
        props = target["Properties"]
        kind = "read" if "Read" in props["ScalableDimension"] else "write"
        assert (props["MinCapacity"], props["MaxCapacity"]) == (
            getattr(capacity, f"min_{kind}_capacity"),
            getattr(capacity, f"max_{kind}_capacity"),
        )
    for policy in policies.values():
        tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        assert tracking["TargetValue"] == capacity.target_utilization_percent
    for table in tables.values():
        assert table["Properties"]["BillingMode"] == "PROVISIONED"
        assert table["Properties"]["ProvisionedThroughput"] == {
            "ReadCapacityUnits": capacity.min_read_capacity,
            "WriteCapacityUnits": capacity.min_write_capacity,
        }


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_staging_and_prod_tables_are_on_demand(env):
    assert isinstance(PROJECT.environment(env).blueprint("data").config.capacity, OnDemand)
    targets, policies = _scaling(env)
    assert not targets and not policies
    for table in _of_type(_template(env, "data"), "AWS::DynamoDB::Table").values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert "ProvisionedThroughput" not in table["Properties"]
        assert all("ProvisionedThroughput" not in i for i in table["Properties"].get("GlobalSecondaryIndexes", []))


PROVISIONED = {
    "mode": "provisioned",
    "min_read_capacity": 1,
    "max_read_capacity": 10,
    "min_write_capacity": 1,
    "max_write_capacity": 10,
}


@pytest.mark.parametrize(
    ("capacity", "words"),
    [
        ({"mode": "on_demand", "min_read_capacity": 5}, "Extra inputs are not permitted"),
        ({**PROVISIONED, "max_read_capacity": None}, "max_read_capacity"),
        ({**PROVISIONED, "min_read_capacity": 50}, "min_read_capacity \\(50\\) exceeds max_read_capacity \\(10\\)"),
        ({**PROVISIONED, "target_utilization_percent": 95}, "less than or equal to 90"),
        ({"mode": "reserved"}, "does not match any of the expected tags"),
    ],
)
def test_bad_capacity_settings_are_refused(capacity, words):
    base = {"point_in_time_recovery": True, "deletion_protection": True, "retain_data": True}
    with pytest.raises(ValidationError, match=words):
        DataConfig(**base, capacity=capacity)
