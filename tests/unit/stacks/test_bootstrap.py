"""The bootstrap of each environment's account: a deploy role only the configured deployers
may assume, a CloudFormation role allowed exactly what the environment's templates use (no
`*` action, no administrator access), and the account-wide API Gateway settings; and Sceptre
launches each environment through its own account's roles."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cfnlint.api import lint_by_config
from cfnlint.config import ManualArgs
from sceptre.context import SceptreContext
from sceptre.plan.plan import SceptrePlan

from blueprints.core import Context, permissions
from blueprints.core.permissions import LEFT_OUT, SERVICES, UnknownPermission, grouped, handler_permissions
from blueprints.project import load_project
from blueprints.sceptre.hooks.check_account import CheckAccountHook, WrongAccount
from blueprints.stacks.bootstrap import (
    MANAGED_POLICY_LIMIT,
    BootstrapBlueprint,
    BootstrapConfig,
    cloudformation_role_name,
    deploy_role_name,
)
from scripts.bootstrap import main as bootstrap_command
from tests.conftest import ENVIRONMENTS, PROJECT_DIR, ROOT

PROJECT = load_project(PROJECT_DIR)


def _bootstrap(env: str) -> dict[str, Any]:
    return json.loads(PROJECT.environment(env).bootstrap().render())


def _resource_types(env: str) -> set[str]:
    environment = PROJECT.environment(env)
    return {r["Type"] for s in environment.stacks for r in json.loads(environment.render(s))["Resources"].values()}


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Statement"])


def _cloudformation_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert policies and all(p["Properties"]["Roles"] == [{"Ref": "CloudFormationRole"}] for p in policies)
    return [s for p in policies for s in _statements(p["Properties"]["PolicyDocument"])]


def _allows(statements: list[dict[str, Any]], action: str) -> bool:
    return any(action in s["Action"] for s in statements if s["Effect"] == "Allow")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_cloudformation_role_allows_what_every_resource_type_of_the_environment_needs(env):
    """Every create/read/update/delete permission of every resource type the environment's
    templates use is allowed, except those of integrations it does not use (LEFT_OUT) and
    names that are no IAM action: a new resource type is covered by construction, or its
    unknown service fails the bootstrap (next test)."""
    statements = _cloudformation_statements(_bootstrap(env))
    known = permissions.iam_actions()
    needed = handler_permissions(_resource_types(env))
    assert set(needed) == _resource_types(env)
    for resource_type, actions in needed.items():
        for action in actions:
            service, _, name = action.partition(":")
            if permissions.left_out(action) or name.lower() not in known.get(service, set()):
                continue
            assert _allows(statements, action), f"{env}: {resource_type} needs {action}"


def test_a_resource_type_of_a_service_nothing_accounts_for_is_refused():
    with pytest.raises(UnknownPermission, match=r"AWS::SQS::Queue needs sqs:\w+: add 'sqs' to"):
        grouped(handler_permissions(["AWS::SQS::Queue"]))
    with pytest.raises(UnknownPermission, match="AWS::Nope::Thing: no CloudFormation registry schema"):
        handler_permissions(["AWS::Nope::Thing"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_policy_of_the_bootstrap_has_a_wildcard_action_or_administrator_access(env):
    template = _bootstrap(env)
    documents = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if "PolicyDocument" in r.get("Properties", {})
    ]
    documents += [
        p["PolicyDocument"] for r in template["Resources"].values() for p in r.get("Properties", {}).get("Policies", [])
    ]
    assert len(documents) >= 4
    for document in documents:
        for statement in _statements(document):
            for action in statement["Action"]:
                assert "*" not in action, (env, statement.get("Sid"), action)
    for resource in template["Resources"].values():
        # no AWS managed policy (AdministratorAccess, PowerUserAccess, ...) on any role
        assert "ManagedPolicyArns" not in resource["Properties"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_resource_wildcard_is_a_listed_service_limited_to_the_environments_regions(env):
    regions = sorted({PROJECT.environment(env).region, "us-east-1"})
    for statement in _cloudformation_statements(_bootstrap(env)):
        services = {a.partition(":")[0] for a in statement["Action"]}
        if statement["Resource"] == ["*"]:
            assert len(services) == 1 and services <= SERVICES.keys(), statement["Sid"]
            assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": regions}}
        else:
            assert services == {"iam"}, statement["Sid"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_iam_reaches_only_the_environments_roles_and_service_linked_roles(env):
    prefix = f"payments-{env}-"
    for statement in _cloudformation_statements(_bootstrap(env)):
        if statement["Sid"] == "IamRoles":
            assert statement["Resource"] == [
                {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{prefix}*"}
            ]
            assert "iam:PassRole" in statement["Action"] and "iam:CreateRole" in statement["Action"]
        elif statement["Sid"] == "IamServiceLinkedRoles":
            assert statement["Action"] == ["iam:CreateServiceLinkedRole"]
            assert statement["Resource"] == [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*"}
            ]
        else:
            assert not any(a.startswith("iam:") for a in statement["Action"]), statement["Sid"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_managed_policy_fits_iams_size_limit(env):
    template = _bootstrap(env)
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            body = json.dumps(resource["Properties"]["PolicyDocument"], separators=(",", ":"))
            assert len("".join(body.split())) <= MANAGED_POLICY_LIMIT, name


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_only_the_configured_deployers_may_assume_the_deploy_role(env):
    role = _bootstrap(env)["Resources"]["DeployRole"]["Properties"]
    assert role["RoleName"] == f"payments-{env}-deploy"
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": list(PROJECT.environment(env).settings.deployers)},
            "Action": ["sts:AssumeRole"],
        }
    ]
    other = BootstrapBlueprint(
        BootstrapConfig(
            deployers=("arn:aws:iam::999999999999:role/ci",),
            regions=("eu-west-1",),
            resource_types=("AWS::S3::Bucket",),
            api_gateway_account=False,
        ),
        Context("payments", env),
    ).body()
    principal = other["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"AWS": ["arn:aws:iam::999999999999:role/ci"]}
    assert "ApiGatewayAccount" not in other["Resources"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_deploy_role_passes_only_the_cloudformation_role_and_manages_only_its_stacks(env):
    template = _bootstrap(env)
    statements = _statements(template["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"])
    by_sid = {s["Sid"]: s for s in statements}
    passing = [s for s in statements if "iam:PassRole" in s["Action"]]
    assert passing == [by_sid["PassTheCloudFormationRole"]]
    assert by_sid["PassTheCloudFormationRole"]["Resource"] == [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/payments-{env}-cloudformation"}
    ]
    assert by_sid["PassTheCloudFormationRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    stacks = by_sid["ManageTheEnvironmentsStacks"]["Resource"]
    regions = {re.search(r":cloudformation:([a-z0-9-]+):", s["Fn::Sub"]).group(1) for s in stacks}
    assert regions == {PROJECT.environment(env).region, "us-east-1"}
    assert all(s["Fn::Sub"].endswith(f":stack/payments-{env}-*/*") for s in stacks)
    # "*" only where the action takes no resource.
    teardown = not PROJECT.environment(env).data_keeping_settings()
    assert sorted(s["Sid"] for s in statements if s["Resource"] == ["*"]) == [
        "FindManagedPrefixLists",
        "ReadAccountQuotasAndDomainPrefixes",
        "ValidateTemplatesAndReadDrift",
        *(["WaitForLambdaNetworkInterfaces"] if teardown else []),
    ]
    assert not any(a.startswith(("iam:Create", "iam:Put", "iam:Attach")) for s in statements for a in s["Action"])


TEARDOWN_STATEMENTS = {
    "ListEveryObjectVersion",
    "EmptyTheBuckets",
    "FindCertificateValidationRecords",
    "ReadZoneRecords",
    "RemoveCertificateValidationRecords",
    "WaitForLambdaNetworkInterfaces",
}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_only_an_environment_that_keeps_no_data_may_be_emptied_by_its_deploy_role(env):
    """The teardown's permissions exist where a teardown is allowed (dev); in staging and prod,
    whose settings keep data, the deploy role may not delete an object version or a record."""
    statements = _bootstrap(env)["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    sids = {s["Sid"] for s in statements}
    actions = {a for s in statements for a in s["Action"]}
    if PROJECT.environment(env).data_keeping_settings():
        assert not sids & TEARDOWN_STATEMENTS
        assert not {"s3:DeleteObjectVersion", "route53:ChangeResourceRecordSets"} & actions
    else:
        assert sids >= TEARDOWN_STATEMENTS


@pytest.mark.parametrize("env", [e for e in ENVIRONMENTS if not PROJECT.environment(e).data_keeping_settings()])
def test_the_deploy_role_may_empty_only_the_environments_buckets_and_delete_only_validation_records(env):
    template = _bootstrap(env)
    by_sid = {
        s["Sid"]: s
        for s in template["Resources"]["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    }
    assert by_sid["EmptyTheBuckets"]["Action"] == ["s3:DeleteObjectVersion"]
    assert [r["Fn::Sub"] for r in by_sid["EmptyTheBuckets"]["Resource"]] == [
        f"arn:${{AWS::Partition}}:s3:::payments-{env}-*-${{AWS::AccountId}}-${{AWS::Region}}/*",
        f"arn:${{AWS::Partition}}:s3:::*-{env}-${{AWS::AccountId}}-${{AWS::Region}}/*",  # the logs bucket
    ]
    assert by_sid["ListEveryObjectVersion"]["Action"] == ["s3:ListBucketVersions"]
    assert by_sid["RemoveCertificateValidationRecords"]["Condition"] == {
        "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsActions": ["DELETE"],
            "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
        }
    }
    assert by_sid["WaitForLambdaNetworkInterfaces"]["Action"] == ["ec2:DescribeNetworkInterfaces"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_account_settings_live_in_the_bootstrap_not_in_the_api_stack(env):
    assert _bootstrap(env)["Resources"]["ApiGatewayAccount"]["Type"] == "AWS::ApiGateway::Account"
    api = json.loads(PROJECT.environment(env).render("api"))
    assert not [k for k, r in api["Resources"].items() if r["Type"] == "AWS::ApiGateway::Account"]


def test_every_bootstrap_lints_clean(tmp_path: Path):
    paths = []
    for env in ENVIRONMENTS:
        path = tmp_path / f"{env}.json"
        path.write_text(PROJECT.environment(env).bootstrap().render())
        paths.append(str(path))
    matches = lint_by_config(ManualArgs(templates=paths, regions=["eu-west-1"], include_checks=["I"]))
    assert not matches, [f"{m.filename}: {m.rule.id} {m.message}" for m in matches]


def test_left_out_and_scoped_services_each_say_why():
    for reason in [*SERVICES.values(), *LEFT_OUT.values()]:
        assert len(reason.split()) >= 4
    assert not SERVICES.keys() & LEFT_OUT.keys()


def test_sceptre_launches_each_environment_through_its_own_accounts_roles():
    for env in ENVIRONMENTS:
        account = PROJECT.environment(env).settings.account_id
        plan = SceptrePlan(SceptreContext(project_path=str(PROJECT_DIR), command_path=env))
        for stack in plan.graph:
            context = Context("payments", env)
            assert stack.sceptre_role == f"arn:aws:iam::{account}:role/{deploy_role_name(context)}", stack.name
            assert stack.cloudformation_service_role == (
                f"arn:aws:iam::{account}:role/{cloudformation_role_name(context)}"
            ), stack.name


class _Stack:
    """The parts of a Sceptre stack the account check reads."""

    def __init__(self, account: str) -> None:
        self.name = "prod/data"
        self.external_name = "payments-prod-data"
        self.region = "eu-west-1"
        self.stack_group_config = {"project_path": str(PROJECT_DIR)}
        self.calls: list[tuple[str, str]] = []
        arn = f"arn:aws:sts::{account}:assumed-role/someone/session"

        def call(service: str, command: str, kwargs: dict[str, Any], region: str) -> dict[str, str]:
            self.calls.append((service, command))
            return {"Account": account, "Arn": arn}

        self.connection_manager = SimpleNamespace(call=call)


def test_the_account_check_refuses_credentials_of_another_account_naming_both():
    stack = _Stack("111111111111")
    hook = CheckAccountHook(stack=stack)
    with pytest.raises(WrongAccount) as refused:
        hook.run()
    message = str(refused.value)
    assert re.search(r"act in account 111111111111, but environment 'prod' lives in account 333333333333", message)
    assert "Nothing was changed" in message and "payments-prod-data" in message
    assert stack.calls == [("sts", "get_caller_identity")]


def test_the_account_check_lets_the_environments_own_account_through():
    stack = _Stack("333333333333")
    CheckAccountHook(stack=stack).run()
    assert stack.calls == [("sts", "get_caller_identity")]


def test_the_command_refuses_an_unknown_environment_before_any_aws_call(capsys):
    assert bootstrap_command(["--env", "nope"]) == 1
    assert "bootstrap of nope failed: environment 'nope'" in capsys.readouterr().err


def test_make_bootstrap_runs_the_command_with_an_optional_role():
    def shown(*args: str) -> list[str]:
        make = ["make", "-n", "bootstrap", *args]
        out = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        (line,) = [line for line in out.splitlines() if "scripts.bootstrap" in line]
        return line.split()[line.split().index("scripts.bootstrap") + 1 :]

    assert shown("ENV=prod") == ["--env", "prod"]
    role = "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
    assert shown("ENV=prod", f"ROLE={role}") == ["--env", "prod", "--role-arn", role]
