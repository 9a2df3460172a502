"""Safe deployments and function alarms, on the rendered templates of every environment:
every function runs behind a `live` alias on a published version, moved at once or by
CodeDeploy as `functions.deployment` says, and has four alarms telling the alarm topic."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import yaml
from troposphere import Template, cloudwatch

from blueprints.blocks import VpcFunction
from blueprints.blocks.base import BlockError
from blueprints.blocks.function import VERSIONED_PROPERTIES, LambdaDeploymentGroup, LiveAlias
from blueprints.core import ConfigError, Context
from blueprints.deploy.guard import destructive_changes, is_stateful, stack_policy
from blueprints.project import Project, load_project
from blueprints.reports import consistency
from blueprints.sceptre.resolvers.digest import DigestResolver
from blueprints.stacks.functions import (
    ALARM_SIGNALS,
    DEPLOYED,
    FUNCTIONS,
    LIVE_ALIAS,
    SECRET_ROTATOR,
    VERSIONED_INPUTS,
    FunctionsBlueprint,
    function_alarm_names,
)
from local_aws.emulator.frontdoor.workers import FunctionConfig, WorkerPool
from tests.conftest import ENVIRONMENTS, PROJECT_DIR
from tests.unit.local_aws.emulator import test_frontdoor as frontdoor
from tests.unit.sceptre.test_render import _TaggedLoader

TOPIC = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:payments-%s-alarms"}


def _settings(project, env: str) -> dict:
    return dict(project.environments[env].settings.stacks["functions"])


def _config(project, env: str):
    return project.environments[env].blueprint("functions").config


def _functions(project, env: str) -> dict:
    return json.loads(project.environments[env].render("functions"))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_runs_behind_a_live_alias_on_its_published_version(template, env):
    t = template(env, "functions")
    assert t.resource_count_is("AWS::Lambda::Version", len(DEPLOYED))
    assert t.resource_count_is("AWS::Lambda::Alias", len(DEPLOYED))
    for spec in DEPLOYED:
        version = t.resources()[f"{spec.title}Version"]
        # A new package (its content-addressed key) or new settings: a new description, so a new version.
        assert version["Properties"]["FunctionName"] == {"Ref": f"{spec.title}Function"}
        text, variables = version["Properties"]["Description"]["Fn::Sub"]
        assert text.startswith("package ${Package}; configuration ") and text.endswith("; inputs ${Inputs}")
        assert variables == {"Package": {"Ref": spec.code_key_parameter}, "Inputs": {"Ref": VERSIONED_INPUTS}}
        # Not retained: CloudFormation deletes a replaced version only after the alias moved.
        assert (version["DeletionPolicy"], version["UpdateReplacePolicy"]) == ("Delete", "Delete")
        alias = t.properties(f"{spec.title}Alias")
        assert alias["Name"] == LIVE_ALIAS
        assert alias["FunctionName"] == {"Ref": f"{spec.title}Function"}
        assert alias["FunctionVersion"] == {"Fn::GetAtt": [f"{spec.title}Version", "Version"]}
        t.has_output(f"{spec.title}AliasArn", {"Value": {"Ref": f"{spec.title}Alias"}})


def _parameters_in(node, parameters) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            return {node["Ref"]} & parameters
        return set().union(*(_parameters_in(v, parameters) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_parameters_in(v, parameters) for v in node))
    return set()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_a_new_parameter_value_a_version_is_made_of_publishes_a_new_version(template, env):
    """A version is published only when its own properties change. Every parameter value a
    function's version is made of (its versioned configuration and code bucket; the code key
    is the description's package) reaches the version's description through the stack file's
    digest, so a new VPC's subnets, say, publish new versions and move the live aliases."""
    t = template(env, "functions")
    parameters = set(t.template["Parameters"])
    versioned = set()
    for spec in DEPLOYED:
        function = t.properties(f"{spec.title}Function")
        made_of = {k: v for k, v in function.items() if k in VERSIONED_PROPERTIES}
        versioned |= _parameters_in([made_of, function["Code"]["S3Bucket"]], parameters)
    text = jinja2.Template((PROJECT_DIR / "stacks" / "functions.yaml").read_text()).render(stack_group_path=env)
    stack_parameters = yaml.load(text, Loader=_TaggedLoader)["parameters"]
    tag, digested = stack_parameters[VERSIONED_INPUTS]
    assert tag == "!digest"
    digested_parameters = {name for name, value in stack_parameters.items() if value in digested}
    assert digested_parameters == versioned
    assert {"PrivateSubnetIds", "LambdaSecurityGroupId"} <= versioned


def test_the_digest_resolver_changes_with_any_value_and_only_then():
    def digest(argument):
        resolver = DigestResolver(argument=argument)
        return resolver.resolve()

    subnets = ["subnet-0a", "subnet-0b"]
    assert digest([subnets, "sg-1"]) == digest([list(subnets), "sg-1"])
    assert (
        len({digest([subnets, "sg-1"]), digest([["subnet-0a", "subnet-0c"], "sg-1"]), digest([subnets, "sg-2"])}) == 3
    )
    assert len(digest([subnets, "sg-1"])) == 16


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_api_and_secrets_manager_invoke_the_live_aliases(template, env):
    stack = (PROJECT_DIR / "stacks" / "api.yaml").read_text()
    for spec in FUNCTIONS:  # the api blueprint's parameters keep their names; they carry the alias
        output = f"!stack_output {{{{ stack_group_path }}}}/functions.yaml::{spec.title}AliasArn"
        assert f"  {spec.title}FunctionArn: {output}\n" in stack
    api = template(env, "api")
    for logical_id, permission in api.find_resources("AWS::Lambda::Permission").items():
        # Each route's permission and integration take the parameter as it is: the alias's ARN.
        parameter = permission["Properties"]["FunctionName"]["Ref"]
        assert parameter in {f"{spec.title}FunctionArn" for spec in FUNCTIONS}, logical_id
    uris = json.dumps(
        [m["Properties"]["Integration"]["Uri"] for m in api.find_resources("AWS::ApiGateway::Method").values()]
    )
    assert all(f"${{{spec.title}FunctionArn}}" in uris for spec in FUNCTIONS)
    functions = template(env, "functions")
    rotator = {"Ref": f"{SECRET_ROTATOR.title}Alias"}
    functions.has_resource_properties("AWS::Lambda::Permission", {"FunctionName": rotator})
    functions.has_resource_properties("AWS::SecretsManager::RotationSchedule", {"RotationLambdaARN": rotator})


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_has_four_alarms_telling_the_alarm_topic(project, template, env):
    cfg = _config(project, env)
    t = template(env, "functions")
    assert t.resource_count_is("AWS::CloudWatch::Alarm", len(DEPLOYED) * len(ALARM_SIGNALS))
    topic = {"Fn::Sub": TOPIC["Fn::Sub"] % env}
    for spec in DEPLOYED:
        function = t.properties(f"{spec.title}Function")
        timeout, reserved = function["Timeout"], function["ReservedConcurrentExecutions"]
        expected = {
            "errors": ("Errors", {"Statistic": "Sum"}, cfg.alarm_errors),
            "throttles": ("Throttles", {"Statistic": "Sum"}, cfg.alarm_throttles),
            "duration": ("Duration", {"ExtendedStatistic": "p99"}, timeout * 1000 * cfg.alarm_duration_percent / 100),
            "concurrency": (
                "ConcurrentExecutions",
                {"Statistic": "Maximum"},
                math.ceil(reserved * cfg.alarm_concurrency_percent / 100),
            ),
        }
        for signal, (metric, statistic, threshold) in expected.items():
            alarm = t.properties(f"{spec.title}{signal.capitalize()}Alarm")
            assert alarm["AlarmName"] == f"payments-{env}-{spec.name}-{signal}"
            assert alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == metric
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": f"payments-{env}-{spec.name}"}]
            assert alarm["Threshold"] == threshold and alarm.items() >= statistic.items()
            assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    names = sorted(a["Properties"]["AlarmName"] for a in t.find_resources("AWS::CloudWatch::Alarm").values())
    assert sorted(function_alarm_names(Context(project="payments", environment=env))) == names


def test_function_alarm_names_follow_the_naming_rule():
    names = function_alarm_names(Context(project="payments", environment="prod"))
    assert "payments-prod-payment-processor-errors" in names
    assert len(names) == len(set(names)) == len(DEPLOYED) * len(ALARM_SIGNALS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_codedeploy_shifts_traffic_only_where_the_setting_asks(project, template, env):
    deployment = _config(project, env).deployment
    t = template(env, "functions")
    groups = t.find_resources("AWS::CodeDeploy::DeploymentGroup")
    if deployment == "AllAtOnce":
        assert t.find_resources("AWS::CodeDeploy::Application") == {} and groups == {}
        assert all("UpdatePolicy" not in a for a in t.find_resources("AWS::Lambda::Alias").values())
        return
    t.has_resource_properties(
        "AWS::CodeDeploy::Application", {"ApplicationName": f"payments-{env}-functions", "ComputePlatform": "Lambda"}
    )
    assert sorted(groups) == sorted(f"{spec.title}DeploymentGroup" for spec in DEPLOYED)
    for spec in DEPLOYED:
        group = groups[f"{spec.title}DeploymentGroup"]["Properties"]
        assert group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{deployment}"
        assert group["DeploymentStyle"] == {"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"}
        assert group["AutoRollbackConfiguration"] == {
            "Enabled": True,
            "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
        }
        assert group["AlarmConfiguration"] == {
            "Enabled": True,
            "Alarms": [{"Name": {"Ref": f"{spec.title}{s.capitalize()}Alarm"}} for s in ALARM_SIGNALS],
        }
        alias = t.resources()[f"{spec.title}Alias"]
        assert alias["UpdatePolicy"] == {
            "CodeDeployLambdaAliasUpdate": {
                "ApplicationName": {"Ref": "DeploymentApplication"},
                "DeploymentGroupName": {"Ref": f"{spec.title}DeploymentGroup"},
            }
        }
        role = t.resources()[group["ServiceRoleArn"]["Fn::GetAtt"][0]]["Properties"]
        assert "ManagedPolicyArns" not in role
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        # The trust CodeDeploy documents: no condition key it is not documented to send.
        assert trust["Principal"] == {"Service": ["codedeploy.amazonaws.com"]}
        assert "Condition" not in trust
        (policy,) = role["Policies"]
        statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
        assert sorted(statements) == ["ReadAliasConcurrency", "ShiftAliasTraffic", "WatchDeploymentAlarms"]
        for statement in statements.values():  # named actions on named resources: never "*"
            assert not any("*" in action for action in statement["Action"])
            assert "*" not in statement["Resource"]
        # IAM authorizes GetAlias and UpdateAlias on the function, GetProvisionedConcurrencyConfig
        # on the alias.
        function_arn = f"function:payments-{env}-{spec.name}"
        assert statements["ShiftAliasTraffic"]["Resource"][0]["Fn::Sub"].endswith(function_arn)
        assert statements["ReadAliasConcurrency"]["Resource"][0]["Fn::Sub"].endswith(f"{function_arn}:{LIVE_ALIAS}")
        assert statements["WatchDeploymentAlarms"]["Resource"] == [
            {"Fn::GetAtt": [f"{spec.title}{s.capitalize()}Alarm", "Arn"]} for s in ALARM_SIGNALS
        ]


def test_prod_and_staging_deploy_gradually_and_dev_at_once(project):
    assert {env: _config(project, env).deployment for env in ENVIRONMENTS} == {
        "dev": "AllAtOnce",
        "staging": "Canary10Percent5Minutes",
        "prod": "Canary10Percent5Minutes",
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_provisioned_concurrency_only_on_the_payment_alias_and_only_where_set(project, template, env):
    provisioned = _config(project, env).provisioned_concurrency
    t = template(env, "functions")
    for spec in DEPLOYED:
        alias = t.properties(f"{spec.title}Alias")
        if spec.provisioned and provisioned:
            assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": provisioned}
        else:
            assert "ProvisionedConcurrencyConfig" not in alias, spec.name
    assert [spec.name for spec in DEPLOYED if spec.provisioned] == ["payment-processor"]


def test_prod_keeps_payment_environments_warm_and_dev_does_not(project):
    assert _config(project, "prod").provisioned_concurrency == 5
    assert _config(project, "dev").provisioned_concurrency == 0


def _description(blueprint) -> str:
    resources = json.loads(blueprint.render())["Resources"]
    return json.dumps({spec.title: resources[f"{spec.title}Version"]["Properties"] for spec in DEPLOYED})


def test_a_version_is_published_only_when_its_function_changes_as_lambda_counts_it(project):
    """A versioned setting (memory) replaces the version; a function-level one (reserved
    concurrency) or an alarm threshold does not: Lambda would refuse to publish an unchanged
    function, and an unchanged relaunch changes nothing."""
    blueprint = project.environments["prod"].blueprint("functions")
    context = Context(project="payments", environment="prod")

    def with_(**changes):
        return FunctionsBlueprint(blueprint.config.model_copy(update=changes), context)

    assert _description(with_()) == _description(blueprint)
    assert _description(with_(memory_mb=2048)) != _description(blueprint)
    assert _description(with_(reserved_concurrency=200, alarm_errors=5)) == _description(blueprint)
    assert _description(with_(deployment="AllAtOnce", provisioned_concurrency=0)) == _description(blueprint)


def test_the_guard_lets_a_new_version_through(project):
    old = _functions(project, "prod")
    new = copy.deepcopy(old)
    version = new["Resources"]["PaymentProcessorVersion"]
    version["Properties"]["Description"]["Fn::Sub"][0] = "package ${Package}; configuration 0000000000000000"
    assert destructive_changes("functions", old, new) == []
    # Even a retained version is no data: replaced, or gone with a renamed function, it passes.
    for resource in (old["Resources"]["PaymentProcessorVersion"], version):
        resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain"
        assert not is_stateful(resource)
    assert destructive_changes("functions", old, new) == []
    del new["Resources"]["PaymentProcessorVersion"]
    assert destructive_changes("functions", old, new) == []
    # The stack policy of protected environments never forbids replacing a version either.
    policy = stack_policy(old)
    assert policy is not None
    assert not any("Version" in r for r in policy["Statement"][0]["Resource"])


def test_the_guard_still_refuses_other_retained_resources(project):
    old = _functions(project, "prod")
    new = copy.deepcopy(old)
    del new["Resources"]["PaymentProcessorLogGroup"]
    assert [c.resource for c in destructive_changes("functions", old, new)] == ["PaymentProcessorLogGroup"]


def _set(**settings):
    def change(data: dict) -> None:
        data["environment"]["stacks"]["functions"].update(settings)

    return change


@pytest.mark.parametrize(
    ("env", "settings", "field", "words"),
    [
        ("prod", {"provisioned_concurrency": 101}, "provisioned_concurrency", "exceeds reserved_concurrency (100)"),
        ("dev", {"provisioned_concurrency": -1}, "provisioned_concurrency", "greater than or equal to 0"),
        ("dev", {"alarm_duration_percent": 0}, "alarm_duration_percent", "greater than or equal to 1"),
        ("staging", {"alarm_duration_percent": 120}, "alarm_duration_percent", "less than or equal to 100"),
        ("prod", {"alarm_concurrency_percent": 101}, "alarm_concurrency_percent", "less than or equal to 100"),
        ("dev", {"alarm_errors": 0}, "alarm_errors", "greater than 0"),
        ("prod", {"deployment": "Canary50Percent1Minute"}, "deployment", "'Canary10Percent5Minutes'"),
    ],
)
def test_bad_deployment_and_alarm_settings_are_refused_naming_the_field(project_copy, env, settings, field, words):
    with pytest.raises(ConfigError) as caught:
        load_project(project_copy(env, _set(**settings)))
    err = caught.value
    assert (err.environment, err.stack, err.field) == (env, "functions", field)
    assert words in str(err), str(err)


def _function(tmp_template, reserved: int | None = 5) -> VpcFunction:
    return VpcFunction(
        tmp_template,
        "Orders",
        name="shop-qa-orders",
        description="Orders",
        code_bucket="bucket",
        code_key="functions/orders/0123.zip",
        memory_mb=256,
        timeout_seconds=10,
        reserved_concurrency=reserved,
        subnet_ids=["subnet-1"],
        security_group_ids=("sg-1",),
        log_retention_days=30,
    )


def test_the_live_alias_block_refuses_more_warm_environments_than_the_reservation():
    t = Template()
    with pytest.raises(BlockError, match=r"LiveAlias 'Orders'.*provisioned_concurrency \(6\) exceeds .* \(5\)"):
        LiveAlias(t, "Orders", function=_function(t), provisioned_concurrency=6)
    alias = LiveAlias(t, "Orders", function=_function(Template(), reserved=None), provisioned_concurrency=6)
    assert alias.alias.ProvisionedConcurrencyConfig.to_dict() == {"ProvisionedConcurrentExecutions": 6}
    with pytest.raises(BlockError, match="LiveAlias 'Orders'.*name"):
        LiveAlias(Template(), "Orders", function=_function(Template()), name="42x!")


def test_a_deployment_group_takes_at_most_ten_alarms():
    alarms = tuple(cloudwatch.Alarm(f"A{i}") for i in range(11))
    with pytest.raises(BlockError, match="LambdaDeploymentGroup 'Group'.*alarms"):
        LambdaDeploymentGroup(
            Template(), "Group", application="app", name="orders", function_name="shop-qa-orders", config="AllAtOnce",
            alarms=alarms,
        )  # fmt: skip


def test_the_settings_are_per_environment_with_their_defaults():
    fields = FunctionsBlueprint.config_model.model_fields
    defaults = {
        "deployment": "AllAtOnce",
        "provisioned_concurrency": 0,
        "alarm_errors": 1,
        "alarm_throttles": 1,
        "alarm_duration_percent": 80,
        "alarm_concurrency_percent": 80,
    }
    for name, default in defaults.items():
        assert fields[name].default == default, name
        assert fields[name].description, name
    assert set(defaults) <= set(FunctionsBlueprint.config_model.per_environment_fields())


def test_every_difference_the_new_settings_make_is_explained(project, monkeypatch):
    """The consistency contract, on the functions stack alone (what this change touches)."""
    monkeypatch.setattr(Project, "stacks", property(lambda self: ["functions"]))
    report = consistency.check(project)
    assert report.unexplained == [], consistency.format_report(report)
    causes = {c for d in report.differences for c in d.causes}
    assert {"functions.deployment", "functions.provisioned_concurrency"} <= causes


# --- the front door invokes what the alias points at ------------------------------------------


def test_a_qualified_configuration_names_its_version_and_its_function():
    alias = "arn:aws:lambda:eu-west-1:123456789012:function:f:live"
    described = {
        "FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:f:3",  # what an alias resolves to
        "FunctionName": "f",
        "CodeSha256": "c2hh",
        "Version": "3",
    }
    config = FunctionConfig.from_api(described, invoked_arn=alias)
    assert config.function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:f"
    assert (config.function_version, config.invoked_arn) == ("3", alias)
    unqualified = FunctionConfig.from_api({**described, "FunctionArn": config.function_arn, "Version": "$LATEST"})
    assert unqualified.function_arn == config.function_arn and unqualified.function_version == "$LATEST"


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[WorkerPool]:
    workers = WorkerPool(tmp_path, "http://127.0.0.1:9999", python=sys.executable)
    yield workers
    workers.shutdown()


def test_a_moved_alias_replaces_the_functions_warm_worker(pool: WorkerPool) -> None:
    base = frontdoor._config(frontdoor._package())
    alias = f"{base.arn}:{LIVE_ALIAS}"
    one = dataclasses.replace(base, arn=f"{base.arn}:1", function_version="1", invoked_arn=alias)
    first = frontdoor._invoke(pool, one, {})
    assert first.kind == "result", first
    assert first.payload["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    assert first.payload["arn"] == alias  # the context's invoked ARN is the alias's, as in Lambda
    two = dataclasses.replace(one, arn=f"{base.arn}:2", function_version="2")
    moved = frontdoor._invoke(pool, two, {})
    assert moved.payload["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "2"
    assert moved.payload["pid"] != first.payload["pid"]
    assert len(pool.workers()) == 1  # one warm worker per function: the old version's is gone
