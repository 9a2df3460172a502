"""The emulator's DynamoDB Query (local_aws/emulator/patches/dynamodb.py), on moto in-process: the same
pages in the same order as moto's own, without sorting the whole table on every query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from local_aws.emulator.patches import dynamodb as dynamodb_queries

TABLE = "transactions"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("id", "customer", "createdAt")
            ],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-customer",
                    "KeySchema": [
                        {"AttributeName": "customer", "KeyType": "HASH"},
                        {"AttributeName": "createdAt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(300):  # ten customers; equal createdAt values, ordered then by id
            item = {"id": {"S": f"t-{(i * 37) % 300:03}"}, "customer": {"S": f"c{i % 10}"}}
            client.put_item(TableName=TABLE, Item={**item, "createdAt": {"S": f"2026-12-0{i % 3 + 1}"}})
        yield client


def _pages(client: Any, forward: bool) -> list[list[str]]:
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.query(
            TableName=TABLE,
            IndexName="by-customer",
            KeyConditionExpression="customer = :c",
            ExpressionAttributeValues={":c": {"S": "c3"}},
            ScanIndexForward=forward,
            Limit=7,
            **extra,
        )
        pages.append([item["id"]["S"] for item in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("forward", [True, False])
def test_a_query_gives_moto_s_pages_in_moto_s_order(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch, forward: bool
) -> None:
    expected = _pages(dynamodb, forward)
    monkeypatch.setattr(Table, "query", dynamodb_queries.query)
    assert _pages(dynamodb, forward) == expected
    assert sum(len(page) for page in expected) == 30


def test_a_query_sorts_its_own_items_not_the_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    compared = []
    less_than = DynamoType.__lt__
    monkeypatch.setattr(DynamoType, "__lt__", lambda self, other: compared.append(1) or less_than(self, other))
    monkeypatch.setattr(Table, "query", dynamodb_queries.query)
    found = dynamodb.query(
        TableName=TABLE,
        IndexName="by-customer",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "c3"}},
    )["Items"]
    assert len(found) == 30
    assert 0 < len(compared) < 300  # sorting 30 items; sorting the table's 300 takes thousands
