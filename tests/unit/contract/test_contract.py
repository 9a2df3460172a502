"""The API contract is the one declaration of the API: the API Gateway methods, the
handlers and the OpenAPI document all come from it, and agree."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import jsonschema
import pytest

from blueprints import contract
from blueprints.blocks.rest_api import response_parameters
from blueprints.reports.openapi import backoffice_scheme
from blueprints.stacks.api import GATEWAY_RESPONSE_HEADERS, GATEWAY_RESPONSES
from blueprints.stacks.functions import FUNCTIONS
from local_aws.client import control
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
        for env in ENVIRONMENTS:  # a reader of any environment, with its own token URL
            assert ({backoffice_scheme(env): [contract.BACKOFFICE_READ]} in operation["security"]) == (
                contract.BACKOFFICE_READ in route.scopes
            )
        assert {(p["name"], p["in"], p["required"]) for p in operation["parameters"]} == {
            (p.name, p.location, p.required) for p in route.parameters
        }
        assert ("requestBody" in operation) == (route.body is not None)
        assert {str(s) for s in route.responses} <= set(operation["responses"])
        assert {str(s) for s in route.statuses} | {"401", "403", "429"} <= set(operation["responses"])
        # Every handler's DynamoDB calls may end in a retryable 503 (common.retries).
        assert set(operation["responses"]["503"]["headers"]) == {"Retry-After"}
        assert set(operation["responses"]["429"]["headers"]) == {"Retry-After"}
        for status, response in operation["responses"].items():
            if int(status) >= 400:  # every error status lists its codes, each with an example
                examples = response["content"]["application/json"]["examples"]
                assert set(examples) == set(contract.ERROR_CODES[int(status)])
                assert all(f"`{code}`" in response["description"] for code in examples)
    assert [s["description"] for s in document["servers"]] == list(ENVIRONMENTS)


def test_the_openapi_document_is_made_for_client_generators():
    """One component per shared schema, typed parameters, OAuth2 flows with a token URL per
    environment on its user pool's domain."""
    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    # A page's items and an error's detail are references, never second copies.
    assert schemas["PaymentPage"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Payment"}
    assert schemas["Error"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert text.count('"title": "Payment"') == 1 and text.count('"title": "ErrorDetail"') == 1
    (limit,) = [p for op in _operations(document).values() for p in op["parameters"] if p["name"] == "limit"]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": contract.PAGE_MAX,
                               "default": contract.PAGE_DEFAULT}  # fmt: skip
    schemes = document["components"]["securitySchemes"]
    assert schemes["customer"]["scheme"] == "bearer" and "USER_SRP_AUTH" in schemes["customer"]["description"]
    for server in document["servers"]:
        env = server["description"]
        flow = schemes[backoffice_scheme(env)]["flows"]["clientCredentials"]
        assert re.fullmatch(rf"https://payments-{env}-auth-\d{{12}}\.auth\.[a-z0-9-]+\.amazoncognito\.com/oauth2/token",
                            flow["tokenUrl"])  # fmt: skip
        assert flow["scopes"].keys() == {contract.BACKOFFICE_READ}
        assert server["url"].startswith("https://") and "execute-api" not in server["url"]


def test_every_example_in_the_openapi_document_matches_its_schema():
    document = json.loads(DOCUMENT.read_text())
    resolver = jsonschema.RefResolver("", document)
    checked = 0
    for operation in _operations(document).values():
        for parameter in operation["parameters"]:
            jsonschema.validate(parameter["example"], parameter["schema"])
            if parameter["schema"]["type"] == "string":
                assert re.search(parameter["schema"]["pattern"], parameter["example"])
            checked += 1
        bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
        for media in (body["content"]["application/json"] for body in bodies if "content" in body):
            examples = [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
            assert examples, media
            for example in examples:
                jsonschema.Draft4Validator(media["schema"], resolver=resolver).validate(example)
                checked += 1
    assert checked > len(contract.ROUTES) * 5


def test_the_error_codes_are_those_the_handlers_and_the_gateway_answer():
    """Every (status, code) a handler raises or a gateway response renders is declared in
    contract.ERROR_CODES, so the document lists what clients meet."""
    answered: set[tuple[int, str]] = set()
    for path in (ROOT / "lambda_code").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ApiError":
                status, code = node.args[:2]
                if isinstance(code, ast.Constant):  # else bad_request's own call, below
                    answered.add((status.value, code.value))
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "bad_request":
                answered.add((400, "ValidationError"))
    assert {(422, "IdempotencyKeyReused"), (503, "ServiceUnavailable")} <= answered  # the scan works
    answered.discard((405, "MethodNotAllowed"))  # only when a handler lacks a method API Gateway routes to it
    statuses = {"BAD_REQUEST_BODY": 400, "BAD_REQUEST_PARAMETERS": 400, "UNAUTHORIZED": 401, "THROTTLED": 429}
    for response_type, template in GATEWAY_RESPONSES.values():
        code = json.loads(template.replace("$context.error.messageString", '""'))["error"]["code"]
        if response_type in statuses:
            answered.add((statuses[response_type], code))
    declared = {(status, code) for status, codes in contract.ERROR_CODES.items() for code in codes}
    assert answered <= declared, answered - declared
    assert set(contract.ERROR_CODES) == set(contract.COMMON_RESPONSES)


def test_the_throttled_answer_carries_the_retry_after_the_document_promises(template):
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in template("dev", "api").resources("AWS::ApiGateway::GatewayResponse").values()
    }
    assert responses["THROTTLED"]["ResponseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}
    assert responses["UNAUTHORIZED"]["ResponseParameters"] == {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
    assert set(GATEWAY_RESPONSE_HEADERS["THROTTLED"]) == set(contract.COMMON_RESPONSE_HEADERS[429])
    assert response_parameters({}) == {}


def _operations(document):
    return {(m.upper(), path): op for path, item in document["paths"].items() for m, op in item.items()}


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
