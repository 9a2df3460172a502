"""Least egress, on the templates Sceptre renders for every environment: no security group
reaches the internet, the functions' group reaches the VPC endpoints only, every endpoint's
policy names only its own environment's resources, no environment has a NAT gateway; and
the `!managed_prefix_list` resolver that feeds the gateway endpoints' prefix list ids."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml

from blueprints.sceptre.errors import BlueprintConfigError
from blueprints.sceptre.resolvers.managed_prefix_list import ManagedPrefixListNotFound, ManagedPrefixListResolver
from blueprints.stacks.network import GATEWAY_SERVICES, PREFIX_LIST_ID_PATTERN, PREFIX_LIST_PARAMETERS
from tests.conftest import ENVIRONMENTS, PROJECT_DIR

ACCOUNT = "123456789012"
WORLD = {"0.0.0.0/0", "::/0"}
HTTPS = 443
# Actions AWS defines on no resource type, which only a "*" resource can name.
NO_RESOURCE_ACTIONS = {"secretsmanager:GetRandomPassword"}
# Services the functions reach through an endpoint (logs, traces and KMS are not among them:
# Lambda delivers logs outside the VPC, and DynamoDB and Secrets Manager call KMS).
ENDPOINT_SERVICES = {"s3", "dynamodb", "secretsmanager"}


def _resources(rendered: dict[str, Any], env: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for stack, item in rendered[env].items():
        for logical_id, resource in json.loads(item.template)["Resources"].items():
            yield stack, logical_id, resource


def _egress_rules(rendered: dict[str, Any], env: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for stack, logical_id, resource in _resources(rendered, env):
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            for rule in resource["Properties"].get("SecurityGroupEgress", []):
                yield f"{stack}/{logical_id}", rule
        elif resource["Type"] == "AWS::EC2::SecurityGroupEgress":
            yield f"{stack}/{logical_id}", resource["Properties"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_security_group_of_any_stack_reaches_the_internet(rendered, env):
    rules = list(_egress_rules(rendered, env))
    assert rules, "no egress rule found: the test would check nothing"
    to_world = [(where, rule) for where, rule in rules if {rule.get("CidrIp"), rule.get("CidrIpv6")} & WORLD]
    assert to_world == []
    # A group without egress rules keeps AWS's default allow-all egress rule.
    open_by_default = [
        f"{stack}/{logical_id}"
        for stack, logical_id, resource in _resources(rendered, env)
        if resource["Type"] == "AWS::EC2::SecurityGroup" and not resource["Properties"].get("SecurityGroupEgress")
    ]
    assert open_by_default == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_functions_group_reaches_the_endpoints_on_https_and_nothing_else(template, env):
    t = template(env, "network")
    group = t.properties("LambdaSecurityGroup")
    assert "SecurityGroupIngress" not in group
    egress = {
        (
            rule["IpProtocol"],
            rule["FromPort"],
            rule["ToPort"],
            json.dumps(rule.get("DestinationPrefixListId") or rule.get("DestinationSecurityGroupId")),
        )
        for rule in group["SecurityGroupEgress"]
    }
    destinations = [{"Ref": PREFIX_LIST_PARAMETERS[service]} for service in GATEWAY_SERVICES]
    destinations.append({"Ref": "EndpointSecurityGroup"})
    assert egress == {("tcp", HTTPS, HTTPS, json.dumps(d)) for d in destinations}
    assert len(group["SecurityGroupEgress"]) == len(destinations)
    assert all(set(rule) <= {"IpProtocol", "FromPort", "ToPort", "Description", "DestinationPrefixListId",
                             "DestinationSecurityGroupId"} for rule in group["SecurityGroupEgress"])  # fmt: skip
    # The endpoints' group admits HTTPS from the functions' group only, and sends nothing.
    endpoints = t.properties("EndpointSecurityGroup")
    assert "SecurityGroupIngress" not in endpoints
    assert [r["CidrIp"] for r in endpoints["SecurityGroupEgress"]] == ["255.255.255.255/32"]
    ingress = t.resources("AWS::EC2::SecurityGroupIngress")
    assert [r["Properties"] for r in ingress.values()] == [
        {
            "GroupId": {"Ref": "EndpointSecurityGroup"},
            "IpProtocol": "tcp",
            "FromPort": HTTPS,
            "ToPort": HTTPS,
            "SourceSecurityGroupId": {"Ref": "LambdaSecurityGroup"},
            "Description": f"HTTPS from payments-{env}-lambda",
        }
    ]
    # The prefix list ids come in as parameters, checked before anything is created.
    for service in GATEWAY_SERVICES:
        assert t.template["Parameters"][PREFIX_LIST_PARAMETERS[service]]["AllowedPattern"] == PREFIX_LIST_ID_PATTERN
    assert re.fullmatch(PREFIX_LIST_ID_PATTERN, "pl-6da54004")
    assert re.fullmatch(PREFIX_LIST_ID_PATTERN, "pl-0123456789abcdef0")
    assert not re.fullmatch(PREFIX_LIST_ID_PATTERN, "sg-6da54004")


def _iam_match(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _text(value: object, region: str) -> str:
    """A resource or name as AWS would see it in `region` of account ACCOUNT."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    assert isinstance(text, str), value
    substitutions = {"${AWS::Partition}": "aws", "${AWS::Region}": region, "${AWS::AccountId}": ACCOUNT}
    for variable, replacement in substitutions.items():
        text = text.replace(variable, replacement)
    assert "${" not in text, text
    return text


def _policies(template, env) -> dict[str, list[dict[str, Any]]]:
    """Service -> the statements of its endpoint's policy, in `env`'s network template."""
    policies = {}
    for endpoint in template(env, "network").resources("AWS::EC2::VPCEndpoint").values():
        service = endpoint["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]
        assert "PolicyDocument" in endpoint["Properties"], f"{service}: no endpoint policy (full access by default)"
        policies[service] = endpoint["Properties"]["PolicyDocument"]["Statement"]
    return policies


def _names(rendered: dict[str, Any], env: str, region: str) -> dict[str, list[str]]:
    """ARNs of `env`'s buckets (an object in each), tables (and an index), and secrets."""
    arns: dict[str, list[str]] = {"s3": [], "dynamodb": [], "secretsmanager": []}
    for _, _, resource in _resources(rendered, env):
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::S3::Bucket":
            arns["s3"].append(f"arn:aws:s3:::{_text(props['BucketName'], region)}/some/key")
        elif resource["Type"] == "AWS::DynamoDB::Table":
            table = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{props['TableName']}"
            arns["dynamodb"] += [table, f"{table}/index/ByAnything"]
        elif resource["Type"] == "AWS::SecretsManager::Secret" and resource.get("Properties", {}).get("Name"):
            arns["secretsmanager"].append(f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{props['Name']}-AbCdEf")
    return arns


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_endpoint_policy_lets_this_account_reach_only_this_environments_resources(
    project, rendered, template, env
):
    region = project.environments[env].region
    policies = _policies(template, env)
    assert set(policies) == ENDPOINT_SERVICES
    for service, statements in policies.items():
        for statement in statements:
            assert statement["Effect"] == "Allow" and statement["Principal"] == "*", service
            assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}
            assert all(a.startswith(f"{service}:") and "*" not in a for a in statement["Action"]), statement
            if statement["Resource"] == ["*"]:
                assert set(statement["Action"]) <= NO_RESOURCE_ACTIONS, statement
        if service == "s3":  # bucket names are global: the account condition keeps others' out
            assert all(s["Condition"]["StringEquals"]["aws:ResourceAccount"] == {"Ref": "AWS::AccountId"}
                       for s in statements)  # fmt: skip

    def allowed(service: str, arn: str) -> bool:
        patterns = [_text(r, region) for s in policies[service] if s["Resource"] != ["*"] for r in s["Resource"]]
        return any(_iam_match(p, arn) for p in patterns)

    own = _names(rendered, env, region)
    assert all(own.values()), own  # every kind of resource exists, so the test checks something
    for service, arns in own.items():
        assert [arn for arn in arns if not allowed(service, arn)] == [], service
    for other in ENVIRONMENTS:  # even if two environments shared an account and a region
        if other != env:
            for service, arns in _names(rendered, other, region).items():
                assert [arn for arn in arns if allowed(service, arn)] == [], (other, service)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_action_a_function_may_take_through_an_endpoint_is_in_its_policy(template, env):
    policies = _policies(template, env)
    allowed = {service: {a for s in statements for a in s["Action"]} for service, statements in policies.items()}
    checked = 0
    for role in template(env, "functions").resources("AWS::IAM::Role").values():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in statement["Action"]:
                    service = action.split(":")[0]
                    if service in ENDPOINT_SERVICES:
                        assert action in allowed[service], (statement.get("Sid"), action)
                        checked += 1
    assert checked, "no function action goes through an endpoint: the test would check nothing"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_environment_has_a_nat_gateway_or_a_way_to_the_internet(project, template, env):
    assert project.environments[env].blueprint("network").config.nat_gateways == 0
    t = template(env, "network")
    for kind in ("NatGateway", "EIP", "InternetGateway", "VPCGatewayAttachment", "Route"):
        t.resource_count_is(f"AWS::EC2::{kind}", 0)
    assert not [title for title in t.resources("AWS::EC2::Subnet") if title.startswith("Public")]
    assert "PublicSubnetIds" not in t.template["Outputs"]


def test_the_stack_file_feeds_each_prefix_list_from_the_resolver():
    text = jinja2.Template((PROJECT_DIR / "stacks" / "network.yaml").read_text()).render(stack_group_path="dev")
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_constructor("!managed_prefix_list", lambda loader, node: ("managed_prefix_list", node.value))
    for tag in ("!validate_environment", "!guard_stateful_resources", "!protect_stack"):
        loader.add_constructor(tag, lambda loader, node: None)
    parameters = yaml.load(text, Loader=loader)["parameters"]
    assert parameters == {PREFIX_LIST_PARAMETERS[s]: ("managed_prefix_list", s) for s in GATEWAY_SERVICES}


class _Connection:
    def __init__(self, prefix_lists: list[dict[str, str]]) -> None:
        self.prefix_lists = prefix_lists
        self.calls: list[tuple[str, str, dict[str, Any], str]] = []

    def call(self, service: str, command: str, kwargs: dict[str, Any], region: str) -> dict[str, Any]:
        self.calls.append((service, command, kwargs, region))
        (wanted,) = kwargs["Filters"][0]["Values"]
        return {"PrefixLists": [p for p in self.prefix_lists if p["PrefixListName"] == wanted]}


def _resolver(argument: object, prefix_lists: list[dict[str, str]]) -> tuple[ManagedPrefixListResolver, _Connection]:
    connection = _Connection(prefix_lists)
    stack = SimpleNamespace(
        name="prod/network",
        region="eu-west-1",
        connection_manager=connection,
        stack_group_config={"project_path": str(PROJECT_DIR)},
    )
    return ManagedPrefixListResolver(argument, stack), connection


AWS_LISTS = [
    {"PrefixListName": "com.amazonaws.eu-west-1.dynamodb", "PrefixListId": "pl-6fa54006", "OwnerId": "AWS"},
    {"PrefixListName": "com.amazonaws.eu-west-1.s3", "PrefixListId": "pl-6da54004", "OwnerId": "AWS"},
    # A customer-managed list with the same name is not the service's.
    {"PrefixListName": "com.amazonaws.eu-west-1.s3", "PrefixListId": "pl-00000000", "OwnerId": ACCOUNT},
]


def test_the_resolver_finds_the_aws_managed_list_in_the_stacks_region():
    resolver, connection = _resolver("s3", AWS_LISTS)
    assert resolver.resolve() == "pl-6da54004"
    assert connection.calls == [
        (
            "ec2",
            "describe_managed_prefix_lists",
            {"Filters": [{"Name": "prefix-list-name", "Values": ["com.amazonaws.eu-west-1.s3"]}]},
            "eu-west-1",
        )
    ]


def test_the_resolver_names_environment_stack_and_service_when_there_is_no_such_list():
    resolver, _ = _resolver("sqs", AWS_LISTS)
    expected = "environment 'prod', stack 'network': !managed_prefix_list sqs: no AWS-managed prefix list "
    with pytest.raises(ManagedPrefixListNotFound, match=re.escape(expected + "'com.amazonaws.eu-west-1.sqs'")):
        resolver.resolve()


@pytest.mark.parametrize("argument", [None, "", "S3", ["s3"], "s3 dynamodb"])
def test_the_resolver_refuses_an_argument_that_is_no_service_name(argument):
    resolver, connection = _resolver(argument, AWS_LISTS)
    with pytest.raises(BlueprintConfigError, match=r"environment 'prod', stack 'network', field 'parameters'"):
        resolver.resolve()
    assert connection.calls == []
