"""docs/recipes.md, done: each recipe's steps, and what they are said to produce."""

from __future__ import annotations

import importlib
import json
import re
import sys
from typing import Any

import pytest
from pydantic import Field
from troposphere import Template

from blueprints import contract
from blueprints.core import ConfigError, per_environment
from blueprints.deploy.rendering import render_environment
from blueprints.project import BLUEPRINTS, load_project
from blueprints.reports.consistency import check, format_report
from blueprints.reports.environments import settings_table
from blueprints.reports.openapi import Server, backoffice_scheme, document
from blueprints.reports.reference import INVARIANT, PER_ENVIRONMENT, build, stack_settings
from blueprints.stacks.network import NetworkBlueprint, NetworkConfig
from local_aws.client.handlers import api_event
from scripts.new_environment import main as new_environment
from tests.conftest import ROOT

RECIPES = (ROOT / "docs" / "recipes.md").read_text()


def _recipe(title: str) -> str:
    return RECIPES.partition(f"## {title}\n")[2].partition("\n## ")[0]


# --- add an environment -------------------------------------------------------------------


def test_add_an_environment(project_copy, capsys):
    """The recipe's command, on a copy of the project: the new environment loads, renders
    through Sceptre and is consistent with the others."""
    recipe = _recipe("Add an environment")
    name, source, account = re.search(r"make environment NAME=(\w+) FROM=(\w+) ACCOUNT=(\d+)", recipe).groups()
    root = project_copy()
    assert new_environment(["--name", name, "--from", source, "--account", account, "--project", str(root)]) == 0
    out = capsys.readouterr().out
    assert "domain:" in out and ".cidr:" in out  # the differences made unique, printed for review
    project = load_project(root)
    assert list(project.environments).index(name) == list(project.environments).index(source) + 1
    assert set(render_environment(root, name)) == set(project.environments[source].stacks)
    report = check(project, root)
    assert report.ok, format_report(report)


# --- add a setting ------------------------------------------------------------------------

SETTING = "flow_log_aggregation_seconds"


class _PerEnvironmentConfig(NetworkConfig):
    """The recipe's example: a per-environment setting."""

    flow_log_aggregation_seconds: int = per_environment(
        600, ge=60, le=600, description="Longest interval a flow log aggregates (default 600)."
    )


class _InvariantConfig(NetworkConfig):
    """The same setting, invariant."""

    flow_log_aggregation_seconds: int = Field(
        600, ge=60, le=600, description="Longest interval a flow log aggregates (default 600)."
    )


def _using_the_setting(config_model: type[NetworkConfig]) -> type[NetworkBlueprint]:
    class Blueprint(NetworkBlueprint):
        def define(self, template: Template) -> None:
            super().define(template)
            flow_logs = [r for r in template.resources.values() if r.resource_type == "AWS::EC2::FlowLog"]
            assert flow_logs, "the network stack has a flow log"
            for flow_log in flow_logs:
                flow_log.MaxAggregationInterval = getattr(self.config, SETTING)

    Blueprint.config_model = config_model
    return Blueprint


def _set(value: int) -> Any:
    return lambda data: data["environment"]["stacks"]["network"].update({SETTING: value})


def test_add_a_per_environment_setting(project_copy, monkeypatch):
    blueprint = _using_the_setting(_PerEnvironmentConfig)
    monkeypatch.setitem(BLUEPRINTS, "network", blueprint)

    # the reference documents it
    (row,) = [s for s in stack_settings("network") if s.name == f"network.{SETTING}"]
    assert (row.type, row.default, row.scope) == ("integer 60-600", "600", PER_ENVIRONMENT)
    assert row.meaning == "Longest interval a flow log aggregates (default 600)."
    assert f"| `network.{SETTING}` | integer 60-600 | 600 | per environment |" in build()

    # environments may differ in it, and the consistency contract explains the difference by it
    project_copy("dev", _set(60))
    root = project_copy("prod", _set(600))
    project = load_project(root)
    assert f"| `network.{SETTING}` | 60 | 600 | 600 |" in settings_table(project)
    report = check(project, root)
    assert report.ok, format_report(report)
    caused = [d for d in report.differences if d.path.endswith(".MaxAggregationInterval")]
    assert caused and all(d.causes == [f"network.{SETTING}"] for d in caused)
    assert {d.values["dev"] for d in caused} == {60}


def test_add_an_invariant_setting(project_copy, monkeypatch):
    monkeypatch.setitem(BLUEPRINTS, "network", _using_the_setting(_InvariantConfig))
    (row,) = [s for s in stack_settings("network") if s.name == f"network.{SETTING}"]
    assert row.scope == INVARIANT

    root = project_copy("dev", _set(60))
    with pytest.raises(ConfigError, match="not per_environment") as refused:
        load_project(root)
    assert (refused.value.stack, refused.value.field) == ("network", SETTING)

    project_copy("dev", _set(60))
    project_copy("staging", _set(60))
    root = project_copy("prod", _set(60))
    report = check(load_project(root), root)
    assert report.ok, format_report(report)
    assert not [d for d in report.differences if d.path.endswith(".MaxAggregationInterval")]


# --- add a route --------------------------------------------------------------------------

ROUTE = contract.Route(
    "GET",
    "/payments/{transactionId}/receipt",
    "payment-processor",
    "getPaymentReceipt",
    "A payment's receipt.",
    scopes=(contract.CUSTOMER_SCOPE, contract.BACKOFFICE_READ),
    parameters=(contract.Parameter("transactionId", "path", True, "The payment's id (a UUID)."),),
    responses={200: ("The receipt.", "Payment")},
    refusals=(400, 401, 403, 404),
)


@pytest.fixture
def add_route(monkeypatch):
    """Adds ROUTE to a copy of the contract's ROUTES, wherever a module holds them."""

    def add() -> tuple[contract.Route, ...]:
        original = contract.ROUTES
        routes = (*original, ROUTE)
        for name, module in list(sys.modules.items()):
            holds = getattr(module, "ROUTES", None) is original
            if holds and (name == "contract" or name.startswith("blueprints")):
                monkeypatch.setattr(module, "ROUTES", routes)
        return routes

    return add


@pytest.fixture
def with_route(add_route):
    return add_route()


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _methods(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = template["Resources"]
    return {r["Properties"]["OperationName"]: r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Method"}


def test_add_a_route_to_the_api_stack(project, add_route):
    before = json.loads(project.environments["dev"].render("api"))
    assert "getPaymentReceipt" not in _methods(before)
    routes = add_route()
    after = json.loads(project.environments["dev"].render("api"))
    methods = _methods(after)
    assert set(methods) == {r.operation_id for r in routes}
    method = methods["getPaymentReceipt"]["Properties"]
    assert method["HttpMethod"] == "GET"
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert method["AuthorizationScopes"] == [contract.CUSTOMER_SCOPE, contract.BACKOFFICE_READ]
    assert method["RequestParameters"] == {"method.request.path.transactionId": True}
    validator = after["Resources"][method["RequestValidatorId"]["Ref"]]
    assert validator["Type"] == "AWS::ApiGateway::RequestValidator"
    assert validator["Properties"]["ValidateRequestParameters"] is True
    permissions = [r for r in after["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]
    assert (
        len(permissions) == len([r for r in before["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"]) + 1
    )
    assert any("/receipt" in json.dumps(p["Properties"]["SourceArn"]) for p in permissions)
    deployments = {k for k, r in after["Resources"].items() if r["Type"] == "AWS::ApiGateway::Deployment"}
    assert deployments.isdisjoint(
        k for k, r in before["Resources"].items() if r["Type"] == "AWS::ApiGateway::Deployment"
    )


def test_add_a_route_to_the_openapi_document(with_route):
    dev = Server("https://api.dev.example.com", "eu-west-1", "https://auth.example.com/oauth2/token")
    operation = document({"dev": dev}, "0")["paths"][ROUTE.path]["get"]
    assert operation["operationId"] == "getPaymentReceipt"
    assert {backoffice_scheme("dev"): [contract.BACKOFFICE_READ]} in operation["security"]
    assert [p["name"] for p in operation["parameters"]] == ["transactionId"]
    assert "200" in operation["responses"]


def test_add_a_route_needs_its_handler_operation(with_route, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "lambda_code"))
    monkeypatch.setitem(sys.modules, "contract", contract)
    for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
        monkeypatch.delitem(sys.modules, name)
    api = importlib.import_module("common.api")
    operations = {r.operation_id: None for r in contract.routes_of("payment-processor") if r is not ROUTE}
    with pytest.raises(api.ConfigurationError, match="getPaymentReceipt"):
        api.Api("payment-processor", operations)

    def receipt(event, caller):
        return api.json_response(200, {"for": caller.id})

    handler = api.Api("payment-processor", {**operations, "getPaymentReceipt": receipt})
    claims = {"sub": "cust-1", "token_use": "access", "scope": contract.CUSTOMER_SCOPE, "client_id": "app"}
    event = api_event("GET", ROUTE.path, claims=claims, transactionId="0" * 8)
    response = handler(event, None)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"for": "cust-1"}
