"""Handlers against moto in-process, with tables made from the data stack's own template."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from blueprints.contract import CUSTOMER_SCOPE
from blueprints.project import load_project
from blueprints.testing import TemplateAssertions
from local_aws.client.handlers import api_event, load_handler
from tests.conftest import PROJECT_DIR

TABLES = ("TransactionsTable", "SessionsTable", "IdempotencyTable")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto in-process with the three tables and the cursor secret; returns their names."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    for key, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    data = TemplateAssertions(load_project(PROJECT_DIR).environments["dev"].render("data"))
    with mock_aws():
        client = boto3.client("dynamodb")
        names = {}
        for logical_id in TABLES:
            props = data.properties(logical_id)
            keys = ("TableName", "AttributeDefinitions", "KeySchema", "ProvisionedThroughput", "GlobalSecondaryIndexes")
            client.create_table(**{k: props[k] for k in keys if k in props})
            names[logical_id] = props["TableName"]
        secret = boto3.client("secretsmanager").create_secret(Name="cursor", SecretString="k" * 64)["ARN"]
        environment = {
            "TRANSACTIONS_TABLE": names["TransactionsTable"],
            "SESSIONS_TABLE": names["SessionsTable"],
            "IDEMPOTENCY_TABLE": names["IdempotencyTable"],
            "CURSOR_SECRET_ARN": secret,
            "MAX_PAYMENT_AMOUNT": "10000.00",
            "ALLOWED_CURRENCIES": "EUR,USD,GBP,JPY",
            "IDEMPOTENCY_TTL_SECONDS": "86400",
            "SESSION_TTL_SECONDS": "600",
            "POWERTOOLS_METRICS_NAMESPACE": "payments/dev",  # as the functions stack sets it
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        # The service dimension defaults to the function's name; metrics are on; no Lambda context.
        for key in (
            "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_DISABLED",
            "POWERTOOLS_DEV",
            "POWERTOOLS_METRICS_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_INITIALIZATION_TYPE",
        ):
            monkeypatch.delenv(key, raising=False)
        yield environment


@pytest.fixture
def load() -> Callable[[str], ModuleType]:
    """Import a handler afresh, as a new Lambda container would."""
    return load_handler


def customer(customer_id: str) -> dict[str, str]:
    """The claims API Gateway passes for a customer's access token (as strings)."""
    return {
        "sub": customer_id,
        "username": f"user-{customer_id}",
        "token_use": "access",
        "scope": CUSTOMER_SCOPE,
        "client_id": "customer-app",
    }


def backoffice(*scopes: str) -> dict[str, str]:
    """The claims of a back-office client's token (client credentials)."""
    return {
        "sub": "backoffice-client",
        "client_id": "backoffice-client",
        "token_use": "access",
        "scope": " ".join(scopes),
    }


CUSTOMER = customer("cust-1")


def event(
    method: str,
    resource: str,
    body: Any = None,
    *,
    raw_body: str | None = None,
    claims: dict[str, str] | None = CUSTOMER,
    **kwargs: Any,
) -> dict[str, Any]:
    """An API Gateway proxy event with a fixed request id (or a raw, unencoded body), from
    customer cust-1 unless other `claims` (or None: no verified token) are given."""
    built = api_event(method, resource, body, claims=claims, **kwargs)
    built["requestContext"]["requestId"] = "req-123"
    if raw_body is not None:
        built["body"] = raw_body
    return built


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response["body"] else None


def items(table: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=table)["Items"]


def clients_made() -> list[str]:
    """The services the freshly loaded handler's container holds clients of (common.clients)."""
    return sorted(sys.modules["common.clients"]._clients)


def watch_client_creation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every client the freshly loaded handler's container creates from now on, by service,
    in order (its botocore session's create_client, watched)."""
    session = sys.modules["common.clients"]._session()
    create = session.create_client
    created: list[str] = []

    def watched(service: str, *args: Any, **kwargs: Any) -> Any:
        created.append(service)
        return create(service, *args, **kwargs)

    monkeypatch.setattr(session, "create_client", watched)
    return created
