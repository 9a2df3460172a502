"""Preflight's checks against an account's answers, offline: each finding it exists for,
named with what to do, and nothing when the account is ready (the same answers AWS gives;
tests/integration/test_preflight.py runs them against the emulator)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from blueprints.deploy.preflight import CallFailed, preflight
from tests.conftest import PROJECT_DIR

Answer = Callable[[Mapping[str, Any], str], Mapping[str, Any]]


class Account:
    """An account ready for prod's launch; a test changes one answer."""

    def __init__(self, project, env: str = "prod") -> None:
        self.env = project.environments[env]
        self.answers: dict[tuple[str, str], Answer] = {
            ("cloudformation", "describe_stacks"): self._stacks,
            ("cloudformation", "get_template"): lambda p, r: {"TemplateBody": json.dumps(self.env.bootstrap().body())},
            ("lambda", "get_account_settings"): lambda p, r: {
                "AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}
            },
            ("lambda", "get_function_concurrency"): lambda p, r: {},
            ("route53", "get_hosted_zone"): lambda p, r: {"DelegationSet": {"NameServers": ["ns-1.example.net"]}},
            ("apigateway", "get_account"): lambda p, r: {"cloudwatchRoleArn": "arn:aws:iam::333333333333:role/x"},
            ("iam", "get_role"): lambda p, r: {"Role": {}},
            ("cognito-idp", "describe_user_pool_domain"): lambda p, r: {"DomainDescription": {}},
            ("sns", "list_subscriptions_by_topic"): lambda p, r: {"Subscriptions": []},
        }
        self.calls: list[tuple[str, str, str]] = []

    def _stacks(self, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        outputs = {f"payments-{self.env.name}-zone": [{"OutputKey": "HostedZoneId", "OutputValue": "/hostedzone/Z1"}]}
        return {"Stacks": [{"StackStatus": "CREATE_COMPLETE", "Outputs": outputs.get(params["StackName"], [])}]}

    def call(self, service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        self.calls.append((service, operation, region))
        return self.answers[(service, operation)](params, region)


@pytest.fixture
def account(project, monkeypatch) -> Account:
    monkeypatch.setattr("blueprints.deploy.preflight.public_name_servers", lambda domain: ["ns-1.example.net."])
    return Account(project)


def _found(account: Account) -> list[str]:
    return [str(p) for p in preflight(account.env, account.call, PROJECT_DIR)]


def test_a_ready_account_has_nothing_to_say_and_is_only_read(account):
    assert _found(account) == []
    assert all(operation.startswith(("describe_", "get_", "list_")) for _, operation, _ in account.calls)


def test_an_out_of_date_bootstrap_is_named_with_its_command(account):
    account.answers[("cloudformation", "get_template")] = lambda p, r: {"TemplateBody": "{}"}
    assert _found(account) == [
        "problem [bootstrap]: payments-prod-bootstrap is not the bootstrap these templates need (a resource type or "
        "permission changed): run `make bootstrap ENV=prod` as the administrator of account 333333333333"
    ]


def test_reservations_of_other_functions_count_against_the_quota(account):
    account.answers[("lambda", "get_account_settings")] = lambda p, r: {
        "AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 150}
    }
    (found,) = _found(account)
    assert "the functions reserve 201 and other functions 850" in found and "at least 1151" in found


def test_a_stale_delegation_prints_the_record_to_add(account, monkeypatch):
    monkeypatch.setattr("blueprints.deploy.preflight.public_name_servers", lambda domain: ["ns-9.old.example.net."])
    assert _found(account) == [
        "problem [delegation]: api.example.com does not delegate to its hosted zone (the public DNS gives "
        "ns-9.old.example.net.): in the parent zone of api.example.com, add the NS record api.example.com. NS "
        "ns-1.example.net.; ACM validates the certificate only then"
    ]


def test_a_missing_api_gateway_role_is_named(account):
    account.answers[("apigateway", "get_account")] = lambda p, r: {}
    (found,) = _found(account)
    assert found.startswith("problem [api-gateway-account]: API Gateway in eu-west-1 has no CloudWatch role")


def test_a_cognito_prefix_of_another_pool_is_named(account):
    account.answers[("cognito-idp", "describe_user_pool_domain")] = lambda p, r: {
        "DomainDescription": {"UserPoolId": "eu-west-1_Other", "Domain": p["Domain"]}
    }
    (found,) = _found(account)
    assert "'payments-prod-auth-333333333333' belongs to user pool eu-west-1_Other" in found


def test_an_unconfirmed_subscription_is_a_warning(account):
    pending = {"Endpoint": "oncall@example.com", "Protocol": "email", "SubscriptionArn": "PendingConfirmation"}
    account.answers[("sns", "list_subscriptions_by_topic")] = lambda p, r: {"Subscriptions": [pending]}
    found = _found(account)
    assert found and all(
        f.startswith("warning [subscriptions]: oncall@example.com (email) has not confirmed") for f in found
    )
    assert {f.split(" to ")[1].split(" in ")[0] for f in found} == {"payments-prod-alarms", "payments-prod-pages"}


def test_a_call_the_deploy_role_may_not_make_is_reported_not_raised(account):
    def refused(params, region):
        raise CallFailed("AccessDenied", "not authorized")

    account.answers[("iam", "get_role")] = refused
    account.answers[("apigateway", "get_account")] = refused
    found = _found(account)
    assert "problem [api-gateway-account]: could not check: AccessDenied: not authorized" in found[0]


def test_a_first_launch_is_told_how_the_delegation_goes(account):
    def no_zone(params, region):
        if params["StackName"].endswith("-zone"):
            raise CallFailed("ValidationError", f"Stack with id {params['StackName']} does not exist")
        return account._stacks(params, region)

    account.answers[("cloudformation", "describe_stacks")] = no_zone
    (found,) = _found(account)
    assert found.startswith("warning [delegation]: first launch: ACM validates api.example.com's certificate only once")


def test_a_service_linked_role_not_made_yet_is_a_warning_where_cloudformation_may_make_it(project, monkeypatch):
    """dev's tables scale by Application Auto Scaling, whose service-linked role AWS makes at
    first use (the CloudFormation role may iam:CreateServiceLinkedRole)."""
    monkeypatch.setattr("blueprints.deploy.preflight.public_name_servers", lambda domain: ["ns-1.example.net."])
    dev = Account(project, "dev")

    def missing(params, region):
        raise CallFailed("NoSuchEntity", f"The role with name {params['RoleName']} cannot be found.")

    dev.answers[("iam", "get_role")] = missing
    assert _found(dev) == [
        "warning [service-linked-roles]: AWSServiceRoleForApplicationAutoScaling_DynamoDBTable does not exist yet: "
        "AWS creates it at first use"
    ]
