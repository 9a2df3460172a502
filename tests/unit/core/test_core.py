"""The core: blueprint contract, tags, policies, IAM guard rails and the test helpers."""

from __future__ import annotations

import pytest
from awacs import s3 as awss3
from awacs.aws import Action
from troposphere import Tags, Template, ec2, encode_to_dict, s3, ssm

from blueprints.core import (
    Blueprint,
    BlueprintError,
    Context,
    StackConfig,
    accept_finding,
    set_removal_policy,
    tag_resources,
)
from blueprints.core.iam import allow, trust_policy
from blueprints.deploy.guard import RETAINING_DELETION_POLICIES
from blueprints.project import BLUEPRINTS, EnvironmentSettings
from blueprints.stacks.certificate import CertificateBlueprint, CertificateConfig
from blueprints.stacks.data import DataBlueprint, DataConfig
from blueprints.stacks.network import NetworkConfig
from blueprints.testing import Match, TemplateAssertions

CONTEXT = Context("payments", "test")


class _Broken(Blueprint[StackConfig]):
    """A blueprint whose template misses a required property."""

    name = "broken"
    description = "broken on purpose"
    config_model = StackConfig

    def define(self, template: Template) -> None:
        template.add_resource(ec2.Subnet("Subnet", CidrBlock="10.0.0.0/24"))  # no VpcId


def _data(**overrides) -> DataBlueprint:
    values = {
        "capacity": {
            "mode": "provisioned",
            "min_read_capacity": 1,
            "max_read_capacity": 5,
            "min_write_capacity": 1,
            "max_write_capacity": 5,
        },
        "point_in_time_recovery": True,
        "deletion_protection": True,
        "retain_data": True,
    }
    return DataBlueprint(DataConfig(**(values | overrides)), CONTEXT)


def test_build_surfaces_template_errors_with_the_blueprint_name():
    with pytest.raises(BlueprintError, match=r"blueprint 'broken' \(test\): .*VpcId"):
        _Broken(StackConfig(), CONTEXT).build()


def test_blueprint_refuses_another_blueprints_config():
    with pytest.raises(TypeError, match="DataBlueprint needs a DataConfig, got NetworkConfig"):
        DataBlueprint(
            NetworkConfig(cidr="10.0.0.0/16", nat_gateways=0, log_retention_days=7, retain_data=False), CONTEXT
        )


def test_config_is_frozen():
    blueprint = _data()
    with pytest.raises(ValueError, match="frozen"):
        blueprint.config.alarm_throttle_events = 5  # type: ignore[misc]


def test_every_config_field_is_described():
    for blueprint in BLUEPRINTS.values():
        for name, field in blueprint.config_model.model_fields.items():
            assert field.description and len(field.description) > 15, f"{blueprint.name}.{name}"
    for name, field in EnvironmentSettings.model_fields.items():
        assert field.description, name


def test_context_names_and_tags():
    assert CONTEXT.name("sessions") == "payments-test-sessions"
    assert CONTEXT.tags("data") == {
        "Project": "payments",
        "Environment": "test",
        "Stack": "data",
        "ManagedBy": "sceptre-blueprints",
    }


def test_tags_merge_with_a_resources_own_and_fit_dict_typed_tags():
    t = Template()
    t.add_resource(ec2.VPC("Vpc", CidrBlock="10.0.0.0/16", Tags=[{"Key": "Name", "Value": "own"}]))
    t.add_resource(s3.Bucket("Bucket"))
    t.add_resource(ssm.Parameter("Param", Type="String", Value="x"))  # Tags is a plain dict here
    t.add_resource(ec2.SubnetRouteTableAssociation("Assoc", SubnetId="s", RouteTableId="r"))  # untaggable
    tag_resources(t, {"Stack": "x"})
    out = TemplateAssertions(t)
    assert out.properties("Param")["Tags"] == {"Stack": "x"}
    assert out.properties("Bucket")["Tags"] == [{"Key": "Stack", "Value": "x"}]
    assert "Tags" not in out.properties("Assoc")


def test_own_tags_win_over_standard_ones():
    t = Template()
    t.add_resource(ec2.VPC("Vpc", CidrBlock="10.0.0.0/16", Tags=Tags(Stack="mine", Name="n")))
    tag_resources(t, {"Stack": "std", "Project": "p"})
    tags = {x["Key"]: x["Value"] for x in TemplateAssertions(t).properties("Vpc")["Tags"]}
    assert tags == {"Stack": "mine", "Name": "n", "Project": "p"}


@pytest.mark.parametrize(
    ("retain", "policies"), [(True, ("RetainExceptOnCreate", "Retain")), (False, ("Delete", "Delete"))]
)
def test_removal_policy_sets_both_policies(retain, policies):
    """Retained data is deleted only when the operation that created it rolls back (no data
    can exist yet, and a fixed name left behind would fail every retry)."""
    bucket = set_removal_policy(s3.Bucket("B"), retain=retain)
    assert (bucket.DeletionPolicy, bucket.UpdateReplacePolicy) == policies
    assert retain is (bucket.DeletionPolicy in RETAINING_DELETION_POLICIES)


def test_accept_finding_needs_a_checkov_id_and_a_reason():
    bucket = s3.Bucket("B")
    with pytest.raises(ValueError, match="needs a real reason"):
        accept_finding(bucket, "CKV_AWS_18", "because")
    with pytest.raises(ValueError, match="unknown scanner rule"):
        accept_finding(bucket, "W3011", "a perfectly good reason")
    accept_finding(bucket, "CKV_AWS_21", "first reason for this")
    accept_finding(bucket, "CKV_AWS_18", "second reason for this")
    accept_finding(bucket, "CKV_AWS_21", "replaced reason for this")
    assert bucket.Metadata == {
        "checkov": {
            "skip": [
                {"id": "CKV_AWS_18", "comment": "second reason for this"},
                {"id": "CKV_AWS_21", "comment": "replaced reason for this"},
            ]
        }
    }


@pytest.mark.parametrize("action", [awss3.Action("*"), awss3.Action("Get*"), Action("*")])
def test_allow_refuses_wildcard_actions(action):
    with pytest.raises(ValueError, match="wildcard action"):
        allow([action], ["arn:aws:s3:::bucket"], sid="Nope")


def test_trust_policy_names_one_service_and_optionally_the_account():
    statement = encode_to_dict(trust_policy("vpc-flow-logs"))["Statement"][0]
    assert statement["Principal"] == {"Service": ["vpc-flow-logs.amazonaws.com"]}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "Condition" not in encode_to_dict(trust_policy("lambda", source_account=False))["Statement"][0]


# -- blueprints.testing ----------------------------------------------------------------------


@pytest.fixture
def data() -> TemplateAssertions:
    return TemplateAssertions.of(_data())


@pytest.fixture
def tables(data) -> list[str]:
    """The data blueprint's tables, as its outputs name them (`<Name>TableName` for each)."""
    names = sorted(name.removesuffix("Name") for name in data.find_outputs() if name.endswith("TableName"))
    assert names, "the data blueprint exports no table"
    return names


def test_partial_match_and_closest_differences(data, tables):
    assert data.has_resource_properties("AWS::DynamoDB::Table", {"BillingMode": "PROVISIONED"}) == tables
    with pytest.raises(AssertionError) as caught:
        data.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "payments-test-session", "BillingMode": "X"})
    message = str(caught.value)
    assert "closest:" in message
    assert (
        'SessionsTable.Properties.TableName: expected "payments-test-session", got "payments-test-sessions"' in message
    )
    assert 'Properties.BillingMode: expected "X", got "PROVISIONED"' in message


def test_matchers(data):
    data.has_resource_properties("AWS::DynamoDB::Table", {"GlobalSecondaryIndexes": Match.absent()})
    data.has_resource_properties("AWS::DynamoDB::Table", {"TimeToLiveSpecification": Match.any_value()})
    data.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "AttributeDefinitions": Match.array_with(
                [{"AttributeName": "transactionId"}, {"AttributeName": "customerId"}]
            )
        },
    )
    data.has_resource_properties("AWS::DynamoDB::Table", {"BillingMode": Match.exact("PROVISIONED")})
    failures = [
        {"Nope": Match.any_value()},
        {"TableName": Match.absent()},
        {
            "AttributeDefinitions": Match.array_with(
                [{"AttributeName": "customerId"}, {"AttributeName": "transactionId"}]
            )
        },
        {"TableName": Match.array_with(["x"])},
        {"SSESpecification": Match.exact({})},
        {"SSESpecification": "not an object"},
        {"TableName": {"nested": 1}},
        {"KeySchema": [{"AttributeName": "sessionId"}, {"AttributeName": "extra"}]},
    ]
    for pattern in failures:
        with pytest.raises(AssertionError):
            data.has_resource_properties("AWS::DynamoDB::Table", pattern)
    assert repr(Match.absent()) == "absent"


def test_queries_and_other_assertions(data, tables):
    assert data.resource_count_is("AWS::DynamoDB::Table", len(tables)) == tables
    with pytest.raises(AssertionError, match=f"expected {len(tables) - 1} AWS::DynamoDB::Table, found {len(tables)}"):
        data.resource_count_is("AWS::DynamoDB::Table", len(tables) - 1)
    with pytest.raises(AssertionError, match="has no AWS::S3::Bucket"):
        data.has_resource("AWS::S3::Bucket", {})
    with pytest.raises(AssertionError, match="no resource 'Nope'"):
        data.properties("Nope")
    assert data.has_output("SessionsTableName", {"Value": {"Ref": "SessionsTable"}})["Description"]
    with pytest.raises(AssertionError, match="no output 'Nope'"):
        data.has_output("Nope")
    with pytest.raises(AssertionError, match="Outputs.SessionsTableName.Value"):
        data.has_output("SessionsTableName", {"Value": "x"})
    assert sorted(data.find_resources("AWS::DynamoDB::Table", {"DeletionPolicy": "RetainExceptOnCreate"})) == tables


def test_parameters_and_other_inputs():
    cert = CertificateBlueprint(CertificateConfig(domain="api.example.com"), CONTEXT)
    t = TemplateAssertions(cert.render())
    t.has_parameter("HostedZoneId", "AWS::Route53::HostedZone::Id")
    with pytest.raises(AssertionError, match="is AWS::Route53::HostedZone::Id, expected String"):
        t.has_parameter("HostedZoneId", "String")
    with pytest.raises(AssertionError, match="no parameter 'Nope'"):
        t.has_parameter("Nope")
    assert TemplateAssertions(t.template).template == t.template
