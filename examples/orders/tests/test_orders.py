"""The orders stack's own tests, written with the library's template assertions."""

from __future__ import annotations

from pathlib import Path

import pytest
from orders_blueprints import OrdersBlueprint

from blueprints.core import ConfigError, Context
from blueprints.project import load_project
from blueprints.testing import Match, TemplateAssertions

PROJECT = Path(__file__).resolve().parents[1] / "sceptre"


def _orders(**settings: object) -> TemplateAssertions:
    values = {"log_retention_days": 30, "retain_data": True, "export_expiration_days": 30, **settings}
    return TemplateAssertions.of(OrdersBlueprint.from_mapping(values, Context(project="orders", environment="qa")))


def test_the_table_is_on_demand_protected_and_retained():
    _orders().has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": True},
        },
    )


def test_the_reader_may_only_read_the_table_and_its_index():
    statements = _orders().properties("OrderReaderRole")["Policies"][0]["PolicyDocument"]["Statement"]
    (read,) = [s for s in statements if s["Sid"] == "ReadOrders"]
    assert all(action.startswith("dynamodb:") and "Write" not in action for action in read["Action"])
    assert read["Resource"][1] == {
        "Fn::Sub": ["${Arn}/index/ByCustomer", {"Arn": {"Fn::GetAtt": ["OrdersTable", "Arn"]}}]
    }


def test_exports_expire_as_configured():
    _orders(export_expiration_days=7).has_resource_properties(
        "AWS::S3::Bucket",
        {"LifecycleConfiguration": {"Rules": [{"ExpirationInDays": 7}]}, "BucketName": Match.any_value()},
    )


def test_every_environment_of_the_project_is_valid_and_differs_only_by_settings():
    project = load_project(PROJECT)
    assert sorted(project.environments) == ["dev", "prod"]
    for env in project.environments.values():
        assert set(env.stacks) == {"network", "storage", "orders"}  # a subset of the library's stacks, and its own


def test_a_bad_setting_is_named():
    with pytest.raises(ConfigError, match="stack 'orders', field 'export_expiration_days'"):
        OrdersBlueprint.from_mapping(
            {"log_retention_days": 30, "retain_data": True, "export_expiration_days": 0},
            Context(project="orders", environment="qa"),
        )
