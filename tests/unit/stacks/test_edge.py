"""WAF at the edge and no path around CloudFront, in the rendered templates of every
environment: the edge web ACL and its logs (us-east-1), the distribution that uses it and
sends the origin secret, and the stage's regional web ACL that admits nothing else."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from blueprints.core import ConfigError, Context
from blueprints.deploy.rendering import dependency_depth
from blueprints.project import BLUEPRINTS, load_project
from blueprints.sceptre.errors import BlueprintConfigError
from blueprints.sceptre.resolvers.origin_verify import OriginVerifyResolver
from blueprints.stacks.edge import EdgeBlueprint
from tests.conftest import ENVIRONMENTS, PROJECT_DIR

MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}


def _template(rendered: Any, env: str, stack: str) -> dict[str, Any]:
    return json.loads(rendered[env][stack].template)


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _one(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = _resources(template, type_)
    assert len(found) == 1, (type_, sorted(found))
    return next(iter(found.values()))


def _error_body(acl: dict[str, Any], key: str) -> dict[str, Any]:
    body = acl["Properties"]["CustomResponseBodies"][key]
    assert body["ContentType"] == "APPLICATION_JSON"
    parsed: dict[str, Any] = json.loads(body["Content"])
    assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message"}, parsed
    return parsed


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_edge_web_acl_has_the_managed_groups_and_the_rate_rule_for_cloudfront(rendered, project, env):
    config = project.environments[env].blueprint("edge").config
    acl = _one(_template(rendered, env, "edge"), "AWS::WAFv2::WebACL")["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(groups) == MANAGED_GROUPS
    assert all(r["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS" for r in groups.values())
    rate = rules["RateLimitPerClientIp"]
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": config.rate_limit,
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": config.rate_window_seconds,
    }
    assert config.waf_mode == "block"  # every environment: dev behaves like prod
    assert rate["Action"] == {
        "Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "TooManyRequests"}}
    }
    assert _error_body({"Properties": acl}, "TooManyRequests")["error"]["code"] == "TooManyRequests"
    assert _error_body({"Properties": acl}, "Forbidden")["error"]["code"] == "Forbidden"
    # Each group only labels (Count); the rule after it refuses what it labelled, with the JSON body.
    for name, group in groups.items():
        assert group["OverrideAction"] == {"Count": {}}
        refuse = rules[f"Refuse{name}"]
        assert refuse["Priority"] > group["Priority"]
        assert refuse["Action"] == {
            "Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "Forbidden"}}
        }
        labels = json.dumps(refuse["Statement"])
        assert "LabelMatchStatement" in labels and "awswaf:managed:aws:" in labels
    priorities = [rule["Priority"] for rule in acl["Rules"]]
    assert len(set(priorities)) == len(priorities)
    for rule in [*acl["Rules"], {"Name": "(web ACL)", "VisibilityConfig": acl["VisibilityConfig"]}]:
        visibility = rule["VisibilityConfig"]
        assert visibility["CloudWatchMetricsEnabled"] is True and visibility["SampledRequestsEnabled"] is True, rule
        assert re.fullmatch(r"[\w-]{1,128}", visibility["MetricName"]), rule["Name"]


def test_count_mode_evaluates_and_logs_but_refuses_nothing():
    values = {"waf_mode": "count", "log_retention_days": 7, "retain_data": False}
    template = json.loads(EdgeBlueprint.from_mapping(values, Context("shop", "qa")).render())
    acl = _one(template, "AWS::WAFv2::WebACL")["Properties"]
    assert "Block" not in json.dumps(acl["Rules"])
    actions = [rule.get("Action") or rule.get("OverrideAction") for rule in acl["Rules"]]
    assert actions and all(action == {"Count": {}} for action in actions)
    assert _resources(template, "AWS::WAFv2::LoggingConfiguration")  # still logged


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_edge_web_acl_logs_to_its_group_with_the_environment_retention_and_no_authorization(rendered, project, env):
    template = _template(rendered, env, "edge")
    groups = _resources(template, "AWS::Logs::LogGroup")
    assert len(groups) == 1
    ((group_id, group),) = groups.items()
    assert group["Properties"]["LogGroupName"] == f"aws-waf-logs-payments-{env}"
    assert group["Properties"]["RetentionInDays"] == project.environments[env].settings.log_retention_days
    logging = _one(template, "AWS::WAFv2::LoggingConfiguration")["Properties"]
    acl_id = next(iter(_resources(template, "AWS::WAFv2::WebACL")))
    assert logging["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (destination,) = logging["LogDestinationConfigs"]
    text, variables = destination["Fn::Sub"]
    assert text.endswith(":log-group:${Group}") and not text.endswith(":*")  # the ARN without ":*"
    assert variables == {"Group": {"Ref": group_id}}
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_edge_lives_in_us_east_1_at_level_one_and_the_graph_stays_four_deep(rendered, env):
    assert rendered[env]["edge"].region == "us-east-1"
    assert rendered[env]["edge"].dependencies == ()
    assert "EdgeRegion" in _template(rendered, env, "edge")["Rules"]
    depth = dependency_depth(rendered[env])
    assert depth["edge"] == 1 and max(depth.values()) <= 4
    assert f"{env}/edge" in rendered[env]["api"].dependencies
    assert f"{env}/edge" in rendered[env]["cdn"].dependencies


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_origin_secret_is_generated_json_under_its_fixed_name(rendered, env):
    secret = _resources(_template(rendered, env, "edge"), "AWS::SecretsManager::Secret")["OriginVerifySecret"]
    props = secret["Properties"]
    assert props["Name"] == f"payments-{env}-origin-verify"
    generate = props["GenerateSecretString"]
    assert generate["GenerateStringKey"] == "current" and generate["ExcludePunctuation"] is True
    assert generate["PasswordLength"] >= 32 and json.loads(generate["SecretStringTemplate"]) == {}
    skipped = {s["id"]: s["comment"] for s in secret["Metadata"]["checkov"]["skip"]}
    assert "rotation would change the value without updating" in skipped["CKV2_AWS_57"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_distribution_uses_the_edge_web_acl_and_sends_the_origin_secret(rendered, env):
    template = _template(rendered, env, "cdn")
    config = _one(template, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {"Ref": "WebAclArn"}
    (origin,) = config["Origins"]
    assert origin["OriginCustomHeaders"] == [{"HeaderName": "X-Origin-Verify", "HeaderValue": {"Ref": "OriginVerify"}}]
    assert template["Parameters"]["OriginVerify"]["NoEcho"] is True
    assert {"WebAclArn", "OriginVerify"} <= set(rendered[env]["cdn"].parameters)
    stack_file = (PROJECT_DIR / "stacks" / "cdn.yaml").read_text()
    assert re.search(r"^  WebAclArn: !stack_output \{\{ stack_group_path \}\}/edge.yaml::WebAclArn$", stack_file, re.M)
    assert re.search(r"^  OriginVerify: !origin_verify current$", stack_file, re.M)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stage_web_acl_blocks_by_default_and_admits_only_the_two_secret_values(rendered, env):
    template = _template(rendered, env, "api")
    acl_id, acl = next(iter(_resources(template, "AWS::WAFv2::WebACL").items()))
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    assert props["DefaultAction"] == {
        "Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "Forbidden"}}
    }
    assert _error_body(acl, "Forbidden")["error"]["code"] == "Forbidden"
    (rule,) = props["Rules"]
    assert rule["Action"] == {"Allow": {}} and rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    matches = rule["Statement"]["OrStatement"]["Statements"]
    assert [m["ByteMatchStatement"]["SearchString"] for m in matches] == [
        {"Ref": "OriginVerifyCurrent"},
        {"Ref": "OriginVerifyPrevious"},
    ]
    for match in matches:
        byte_match = match["ByteMatchStatement"]
        assert byte_match["FieldToMatch"] == {"SingleHeader": {"Name": "x-origin-verify"}}
        assert byte_match["PositionalConstraint"] == "EXACTLY"
        assert byte_match["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    for name in ("OriginVerifyCurrent", "OriginVerifyPrevious"):
        assert template["Parameters"][name]["NoEcho"] is True
    association = _one(template, "AWS::WAFv2::WebACLAssociation")["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert association["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestApi}/stages/${Stage}"
    }
    stack_file = (PROJECT_DIR / "stacks" / "api.yaml").read_text()
    assert re.search(r"^  OriginVerifyCurrent: !origin_verify current$", stack_file, re.M)
    assert re.search(r"^  OriginVerifyPrevious: !origin_verify previous$", stack_file, re.M)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_stack_offers_the_execute_api_url_and_no_stack_accepts_a_missing_waf(rendered, env):
    for stack in BLUEPRINTS:
        template = _template(rendered, env, stack)
        assert "InvokeUrl" not in template.get("Outputs", {}), stack
        assert "CKV_AWS_68" not in json.dumps(template), stack


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("rate_limit", 9, "greater than or equal to 10"),
        ("rate_limit", 2_000_000_001, "less than or equal to 2000000000"),
        ("rate_window_seconds", 30, "60, 120, 300 or 600"),
        ("waf_mode", "off", "'block' or 'count'"),
    ],
)
def test_bad_edge_settings_are_named(project_copy, setting, value, words):
    def change(data: dict[str, Any]) -> None:
        data["environment"]["stacks"].setdefault("edge", {})[setting] = value

    with pytest.raises(ConfigError) as caught:
        load_project(project_copy("staging", change))
    err = caught.value
    assert (err.environment, err.stack, err.field) == ("staging", "edge", setting)
    assert words in str(err)


# --- the !origin_verify resolver -------------------------------------------------------------


class _Connection:
    def __init__(self, secret: dict[str, str]) -> None:
        self.secret = secret
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []

    def call(self, service: str, command: str, kwargs: dict[str, Any], region: str) -> dict[str, Any]:
        self.calls.append((service, command, kwargs, region))
        return {"SecretString": json.dumps(self.secret)}


def _resolve(argument: object, secret: dict[str, str]) -> tuple[str, _Connection]:
    connection = _Connection(secret)
    resolver = OriginVerifyResolver(argument)
    resolver.stack = SimpleNamespace(
        name="prod/api",
        project_code="payments",
        connection_manager=connection,
        stack_group_config={"project_path": str(PROJECT_DIR)},
    )
    return resolver.resolve(), connection


def test_origin_verify_resolver_reads_the_environment_secret_in_us_east_1():
    value, connection = _resolve("current", {"current": "a" * 64, "previous": "b" * 64})
    assert value == "a" * 64
    assert connection.calls == [
        ("secretsmanager", "get_secret_value", {"SecretId": "payments-prod-origin-verify"}, "us-east-1")
    ]
    assert _resolve("previous", {"current": "a" * 64, "previous": "b" * 64})[0] == "b" * 64


def test_origin_verify_previous_is_the_current_value_before_the_first_rotation():
    assert _resolve("previous", {"current": "a" * 64})[0] == "a" * 64


def test_origin_verify_resolver_refuses_an_unknown_argument():
    with pytest.raises(BlueprintConfigError, match="environment 'prod', stack 'api', field 'parameters'.*current"):
        _resolve("next", {"current": "a" * 64})
