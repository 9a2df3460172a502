"""Options a blueprint offers beyond what the three environments use."""

from __future__ import annotations

import botocore.endpoint
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sceptre.cli import cli
from sceptre.connection_manager import ConnectionManager

from blueprints.core import Context
from blueprints.stacks.api import ApiBlueprint, ApiConfig
from blueprints.stacks.network import NetworkBlueprint, NetworkConfig
from blueprints.stacks.zone import ZoneBlueprint, ZoneConfig
from blueprints.testing import Match, TemplateAssertions
from tests.conftest import PROJECT_DIR

CONTEXT = Context("payments", "test")


def test_interface_endpoints_sit_in_private_subnets_behind_the_endpoint_group():
    config = NetworkConfig(
        cidr="10.0.0.0/20",
        nat_gateways=0,
        log_retention_days=7,
        retain_data=False,
        interface_endpoints=("secretsmanager", "ecr.api"),
    )
    t = TemplateAssertions.of(NetworkBlueprint(config, CONTEXT))
    gateways = ("s3", "dynamodb")  # always there, whatever the interface endpoints
    for service in gateways:
        t.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            {"ServiceName": {"Fn::Sub": f"com.amazonaws.${{AWS::Region}}.{service}"}, "VpcEndpointType": "Gateway"},
        )
    t.resource_count_is("AWS::EC2::VPCEndpoint", len(gateways) + len(config.interface_endpoints))
    private_subnets = [{"Ref": f"PrivateSubnet{az}"} for az in range(config.availability_zones)]
    interface = t.resource_properties_count_is(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Interface",
            "SecurityGroupIds": [{"Ref": "EndpointSecurityGroup"}],
            "SubnetIds": Match.exact(private_subnets),
        },
        len(config.interface_endpoints),
    )
    assert interface == ["EcrApiInterfaceEndpoint", "SecretsmanagerInterfaceEndpoint"]
    assert t.properties("PrivateSubnet1")["CidrBlock"] == "10.0.6.0/23"


def test_three_zones_share_nat_gateways_round_robin():
    config = NetworkConfig(
        cidr="10.0.0.0/16", availability_zones=3, nat_gateways=2, log_retention_days=7, retain_data=False
    )
    t = TemplateAssertions.of(NetworkBlueprint(config, CONTEXT))
    routes = {
        k: v["Properties"]["NatGatewayId"]
        for k, v in t.find_resources("AWS::EC2::Route", {"Properties": {"NatGatewayId": Match.any_value()}}).items()
    }
    assert routes == {
        "PrivateDefaultRoute0": {"Ref": "NatGateway0"},
        "PrivateDefaultRoute1": {"Ref": "NatGateway1"},
        "PrivateDefaultRoute2": {"Ref": "NatGateway0"},
    }


def test_existing_hosted_zone_is_used_not_created():
    config = ZoneConfig(domain="api.example.com", existing_hosted_zone_id="Z0123456789ABC", retain_data=True)
    t = TemplateAssertions.of(ZoneBlueprint(config, CONTEXT))
    t.resource_count_is("AWS::Route53::HostedZone", 0)
    t.has_resource_properties("AWS::Route53::RecordSet", {"HostedZoneId": "Z0123456789ABC", "Type": "CAA"})
    assert t.has_output("HostedZoneId")["Value"] == "Z0123456789ABC"
    with pytest.raises(AssertionError):
        t.has_output("NameServers")


def test_created_hosted_zone_reports_its_name_servers():
    config = ZoneConfig(domain="api.example.com", retain_data=True)
    t = TemplateAssertions.of(ZoneBlueprint(config, CONTEXT))
    t.has_resource(
        "AWS::Route53::HostedZone",
        {"DeletionPolicy": "RetainExceptOnCreate", "Properties": {"Name": "api.example.com"}},
    )
    t.has_output("NameServers")


def test_the_api_leaves_the_account_settings_to_the_accounts_bootstrap():
    config = ApiConfig(throttling_rate_limit=1, throttling_burst_limit=1, log_retention_days=7, retain_data=False)
    t = TemplateAssertions.of(ApiBlueprint(config, CONTEXT))
    t.resource_count_is("AWS::ApiGateway::Account", 0)
    t.resource_count_is("AWS::IAM::Role", 0)
    t.has_resource("AWS::ApiGateway::Stage", {"DependsOn": ["ExecutionLogGroup"]})


@pytest.mark.parametrize(
    ("cidr", "words"),
    [("10.0.0.0/8", "between /16 and /24"), ("10.0.0.0/25", "between /16 and /24"), ("not-a-cidr", "CIDR")],
)
def test_vpc_cidr_rules(cidr, words):
    with pytest.raises(ValidationError, match=words):
        NetworkConfig(cidr=cidr, nat_gateways=0, log_retention_days=7, retain_data=False)


@pytest.mark.parametrize(
    ("domain", "words"),
    [("api.example.123", "numeric"), ("localhost", "valid DNS name"), ("-api.example.com", "valid DNS name")],
)
def test_domain_rules(domain, words):
    with pytest.raises(ValidationError, match=words):
        ZoneConfig(domain=domain, retain_data=False)


def test_a_valid_environment_passes_the_hook_and_goes_on_to_aws(monkeypatch):
    """The validate hook lets a good environment through: the next thing is an AWS call."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    attempted = []

    def record(self, operation_model, request_dict):
        attempted.append(operation_model.name)
        raise ConnectionAbortedError("no AWS in unit tests")

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", record)
    # Sceptre keeps sessions and clients per process: start without those of earlier tests.
    for cache in ("_boto_sessions", "_boto_session_expirations", "_clients", "_stack_keys"):
        monkeypatch.setattr(ConnectionManager, cache, {})

    result = CliRunner().invoke(cli, ["--dir", str(PROJECT_DIR), "launch", "--yes", "dev/data.yaml"])
    assert result.exit_code != 0
    # First Sceptre assumes the account's deploy role: the account check and the guard ask
    # AWS with its credentials.
    assert attempted and attempted[0] == "AssumeRole"
