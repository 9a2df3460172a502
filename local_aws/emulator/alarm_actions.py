"""CloudWatch alarm actions as AWS runs them, which moto does not: when an alarm changes
state (on the emulator only SetAlarmState changes one: moto evaluates no metric), CloudWatch
publishes to each SNS topic of that state's actions, and the alarm's history tells whether
it could (DescribeAlarmHistory, which moto lacks).

A publish succeeds only as far as the policies let it:
- the topic's policy must let `cloudwatch.amazonaws.com` publish, with the request context
  CloudWatch documents for its alarms (aws:SourceArn the alarm, aws:SourceAccount);
- an encrypted topic's key policy must let CloudWatch use the key (kms:GenerateDataKey and
  kms:Decrypt) with no condition key at all: CloudWatch is not documented to send any to KMS,
  so a key policy that requires one mutes every alarm here, as it may on AWS.
"""

from __future__ import annotations

import json

from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.kms.models import kms_backends
from moto.sns.models import sns_backends

from local_aws.emulator.resource_policies import allows

PRINCIPAL = "cloudwatch.amazonaws.com"
_set_alarm_state = CloudWatchBackend.set_alarm_state


def delivery_error(account_id: str, region: str, alarm_arn: str, topic_arn: str) -> str | None:
    """Why CloudWatch could not publish this alarm's notification to `topic_arn`, or None."""
    sns = sns_backends[account_id][region]
    topic = sns.topics.get(topic_arn)
    if topic is None:
        return f"Topic {topic_arn} does not exist"
    context = {"aws:SourceArn": alarm_arn, "aws:SourceAccount": account_id}
    if not allows(topic.policy, PRINCIPAL, "SNS:Publish", topic_arn, context):
        return "CloudWatch Alarms is not authorized to perform: SNS:Publish on resource: " + topic_arn
    key_id = getattr(topic, "kms_master_key_id", None)
    if key_id:
        try:
            key = kms_backends[account_id][region].describe_key(key_id)
        except Exception:
            return f"the topic's KMS key {key_id} does not exist"
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            if not allows(key.policy, PRINCIPAL, action, key.arn, {}):
                return (
                    f"CloudWatch Alarms does not have authorization to access the SNS topic encryption key "
                    f"({action} on {key.arn} is not allowed to {PRINCIPAL} without condition keys)"
                )
    return None


def _set_alarm_state_and_act(
    self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str
) -> None:
    before = self.alarms[alarm_name].state_value if alarm_name in self.alarms else None
    _set_alarm_state(self, alarm_name, reason, reason_data, state_value)
    alarm = self.alarms[alarm_name]
    if before == state_value:
        return  # no transition, no action
    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions}.get(state_value, alarm.insufficient_data_actions)
    account_id, region = self.account_id, self.region_name
    for arn in actions or []:
        if ":sns:" not in arn:
            continue
        error = delivery_error(account_id, region, alarm.alarm_arn, arn)
        if error is None:
            sns_backends[account_id][region].publish(message=json.dumps({"AlarmName": alarm_name}), arn=arn)
            summary = f"Successfully executed action {arn}"
        else:
            summary = f'Failed to execute action {arn}. Received error: "{error}"'
        data = json.dumps({"actionState": "Succeeded" if error is None else "Failed"})
        alarm.history.append(("Action", summary, data, state_value, utcnow()))


def _describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    items = []
    for alarm in self.cloudwatch_backend.alarms.values():
        if name and alarm.name != name:
            continue
        for item_type, summary, data, state, timestamp in alarm.history:
            if kind and item_type != kind:
                continue
            items.append(
                {
                    "AlarmName": alarm.name,
                    "AlarmType": "CompositeAlarm" if getattr(alarm, "rule", None) else "MetricAlarm",
                    "Timestamp": timestamp,
                    "HistoryItemType": item_type,
                    "HistorySummary": summary if item_type == "Action" else f"Alarm updated from {state}",
                    "HistoryData": data or "{}",
                }
            )
    items.sort(key=lambda i: i["Timestamp"], reverse=True)
    return ActionResult({"AlarmHistoryItems": items})


def register() -> None:
    CloudWatchBackend.set_alarm_state = _set_alarm_state_and_act  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarm_history = _describe_alarm_history  # type: ignore[attr-defined]
