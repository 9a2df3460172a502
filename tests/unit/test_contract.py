"""The API contract is the one declaration of the API: the API Gateway methods, the
handlers and the OpenAPI document all come from it, and agree."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from blueprints import contract
from blueprints.functions import FUNCTIONS
from local_aws import control
from scripts.openapi import DOCUMENT, build
from tests.conftest import ENVIRONMENTS, ROOT


def test_the_openapi_document_is_current():
    assert DOCUMENT.read_text() == build(), "run: make report"


def test_the_openapi_document_is_valid_openapi():
    """openapi-spec-validator (it needs jsonschema 4, so it runs in the emulator's environment)."""
    if not control.PYTHON.exists():
        pytest.fail(f"the emulator environment is missing ({control.PYTHON}): run the tests through `make test`")
    checked = subprocess.run(
        [str(control.PYTHON), "-m", "openapi_spec_validator", str(DOCUMENT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_openapi_document_says_what_the_contract_says():
    document = json.loads(DOCUMENT.read_text())
    operations = {(m.upper(), path): op for path, item in document["paths"].items() for m, op in item.items()}
    assert set(operations) == {(r.method, r.path) for r in contract.ROUTES}
    for route in contract.ROUTES:
        operation = operations[(route.method, route.path)]
        assert operation["operationId"] == route.operation_id
        granted = {
            scope for requirement in operation["security"] for scopes in requirement.values() for scope in scopes
        }
        assert granted == set(route.scopes) - {contract.CUSTOMER_SCOPE}
        assert {"customer": []} in operation["security"]  # every route is a customer's or a reader's
        assert {(p["name"], p["in"], p["required"]) for p in operation["parameters"]} == {
            (p.name, p.location, p.required) for p in route.parameters
        }
        assert ("requestBody" in operation) == (route.body is not None)
        assert {str(s) for s in route.responses} <= set(operation["responses"])
        assert {str(s) for s in route.statuses} | {"401", "403", "429"} <= set(operation["responses"])
        # Every handler's DynamoDB calls may end in a retryable 503 (common.retries).
        assert set(operation["responses"]["503"]["headers"]) == {"Retry-After"}
    assert [s["description"] for s in document["servers"]] == list(ENVIRONMENTS)


def test_routes_are_complete_and_consistent():
    functions = {spec.name for spec in FUNCTIONS}
    assert len({(r.method, r.path) for r in contract.ROUTES}) == len(contract.ROUTES)
    assert len({r.operation_id for r in contract.ROUTES}) == len(contract.ROUTES)
    for route in contract.ROUTES:
        assert route.function in functions
        assert sorted(p.name for p in route.parameters if p.location == "path") == sorted(route.path_parameters)
        assert all(p.name in contract.PATTERNS for p in route.parameters)
        assert route.body is None or route.body in contract.SCHEMAS
        assert all(schema is None or schema in contract.SCHEMAS for _, schema in route.responses.values())
        assert all(status in contract.COMMON_RESPONSES for status in route.statuses)
        assert route.scopes and all(
            s == contract.CUSTOMER_SCOPE or s.startswith(f"{contract.RESOURCE_SERVER}/") for s in route.scopes
        )
    # Every function serves some route; no back-office scope may write.
    assert {r.function for r in contract.ROUTES} == functions
    assert all(r.customers_only for r in contract.ROUTES if r.method != "GET")


def test_the_contract_runs_in_lambda_with_the_standard_library_only():
    tree = ast.parse((ROOT / "blueprints" / "contract" / "__init__.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).partition(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_the_handlers_keep_no_second_copy_of_a_pattern_or_a_route_table():
    for path in (ROOT / "lambda_code").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "compile":
                assert not any(isinstance(a, ast.Constant) for a in node.args), f"{path}: a pattern literal"
            if isinstance(node, ast.Tuple) and len(node.elts) == 2:
                values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                assert not (values and values[0] in {"GET", "POST", "PUT", "DELETE"}), f"{path}: a route literal"


def test_the_api_checks_what_the_contract_declares(template):
    t = template("dev", "api")
    methods = {
        m["Properties"]["OperationName"]: m["Properties"] for m in t.resources("AWS::ApiGateway::Method").values()
    }
    locations = {"path": "path", "query": "querystring", "header": "header"}
    for route in contract.ROUTES:
        method = methods[route.operation_id]
        assert method["RequestParameters"] == {
            f"method.request.{locations[p.location]}.{p.name}": p.required for p in route.parameters
        }
        if route.body:
            assert method["RequestModels"] == {"application/json": {"Ref": f"{route.body}Model"}}
            assert json.loads(t.properties(f"{route.body}Model")["Schema"]) == contract.SCHEMAS[route.body]
