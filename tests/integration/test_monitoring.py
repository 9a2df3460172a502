"""On the emulator: every alarm of the templates exists with its threshold and its topic, the
composite alarm and the dashboard exist, the topics are encrypted, and dev's tables are
registered for auto scaling. moto evaluates no alarm and scales nothing: the definitions are
what is checked."""

from __future__ import annotations

import json

import pytest

from blueprints.stacks.edge import EDGE_REGION


def _template_alarms(environment, kind: str) -> dict[str, dict]:
    found = {}
    for stack in environment.stacks.values():
        for resource in json.loads(stack.rendered.template)["Resources"].values():
            if resource["Type"] == kind:
                found[resource["Properties"]["AlarmName"]] = {**resource["Properties"], "region": stack.rendered.region}
    return found


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_alarm_exists_with_its_threshold_and_topic(launched, env):
    environment = launched[env]
    account = environment.settings.settings.account_id
    expected = _template_alarms(environment, "AWS::CloudWatch::Alarm")
    assert expected
    for region in sorted({environment.region(), EDGE_REGION}):
        described = environment.client("cloudwatch", region).describe_alarms(AlarmTypes=["MetricAlarm"])
        # Target tracking makes alarms of its own (TargetTracking-<resource>-...), on AWS as here.
        deployed = {
            a["AlarmName"]: a for a in described["MetricAlarms"] if not a["AlarmName"].startswith("TargetTracking-")
        }
        wanted = {name: props for name, props in expected.items() if props["region"] == region}
        assert set(deployed) == set(wanted), region
        for name, props in wanted.items():
            alarm = deployed[name]
            assert alarm["Threshold"] == props["Threshold"], name
            assert alarm["ComparisonOperator"] == props["ComparisonOperator"], name
            assert len(alarm["AlarmActions"]) == 1, name
            topic = alarm["AlarmActions"][0]
            assert topic.startswith(f"arn:aws:sns:{region}:{account}:payments-{env}-"), (name, topic)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_composite_alarm_pages_and_the_topics_it_tells_exist_encrypted(launched, env):
    environment = launched[env]
    (expected,) = _template_alarms(environment, "AWS::CloudWatch::CompositeAlarm").values()
    cloudwatch = environment.client("cloudwatch")
    (composite,) = cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert composite["AlarmName"] == environment.output("monitoring", "PaymentsUnhealthyAlarmName")
    assert composite["AlarmRule"] == expected["AlarmRule"]
    (pages,) = composite["AlarmActions"]
    sns = environment.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=pages)["Attributes"]
    assert pages.endswith(f":payments-{env}-pages")
    assert attributes["KmsMasterKeyId"]
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": ["cloudwatch.amazonaws.com"]}
    subscribed = sns.list_subscriptions_by_topic(TopicArn=pages)["Subscriptions"]
    configured = environment.settings.settings.page_subscriptions or ()
    assert sorted(s["Endpoint"] for s in subscribed) == sorted(s.endpoint for s in configured)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_dashboard_exists_with_every_layer(launched, env):
    environment = launched[env]
    name = environment.output("monitoring", "DashboardName")
    body = json.loads(environment.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])
    titles = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert len(titles) == 5
    stage = environment.output("api", "StageName")  # filled in by CloudFormation
    api_metrics = [
        m
        for w in body["widgets"]
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if m[0] == "AWS/ApiGateway"
    ]
    assert api_metrics and all(m[2:6] == ["ApiName", f"payments-{env}-api", "Stage", stage] for m in api_metrics)


def test_devs_tables_and_index_scale_between_their_bounds(launched):
    dev = launched["dev"]
    capacity = dev.settings.blueprint("data").config.capacity
    targets = dev.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="dynamodb")
    found = {
        (t["ResourceId"], t["ScalableDimension"]): (t["MinCapacity"], t["MaxCapacity"])
        for t in targets["ScalableTargets"]
    }
    table = dev.output("data", "TransactionsTableName")
    assert found[(f"table/{table}", "dynamodb:table:ReadCapacityUnits")] == (
        capacity.min_read_capacity,
        capacity.max_read_capacity,
    )
    assert found[(f"table/{table}/index/CustomerIndex", "dynamodb:index:WriteCapacityUnits")] == (
        capacity.min_write_capacity,
        capacity.max_write_capacity,
    )
    template = json.loads(dev.stacks["data"].rendered.template)["Resources"]
    assert len(found) == sum(r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget" for r in template.values())
    policies = dev.client("application-autoscaling").describe_scaling_policies(ServiceNamespace="dynamodb")
    assert len(policies["ScalingPolicies"]) == len(found)
    prod_targets = (
        launched["prod"].client("application-autoscaling").describe_scalable_targets(ServiceNamespace="dynamodb")
    )
    assert not prod_targets["ScalableTargets"]  # on demand
