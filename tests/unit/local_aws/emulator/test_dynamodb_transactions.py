"""The emulator's DynamoDB transaction conflicts (local_aws/emulator/dynamodb_transactions.py), on moto
in-process: while one TransactWriteItems is in flight, another touching one of its items is
cancelled with TransactionConflict, a single write of it fails with
TransactionConflictException, reads see the item as it was, and other items are free."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from local_aws.client import control
from local_aws.emulator import dynamodb_transactions
from local_aws.emulator.dynamodb_transactions import WINDOW_TAG, WINDOW_VARIABLE

TABLE = "payments"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in-process with the emulator's transactions, and a table whose window is long
    enough for the test's own calls to land inside it."""
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv(WINDOW_VARIABLE, raising=False)
    for name, method in dynamodb_transactions.PATCHES.items():
        monkeypatch.setattr(DynamoHandler, name, method)
    monkeypatch.setattr(DynamoHandler, "call_action", dynamodb_transactions._one_at_a_time)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        arn = client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]["TableArn"]
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": WINDOW_TAG, "Value": "1000"}])
        yield client


def _put(item_id: str, value: str = "v") -> dict[str, Any]:
    return {
        "Put": {
            "TableName": TABLE,
            "Item": {"id": {"S": item_id}, "value": {"S": value}},
            "ConditionExpression": "attribute_not_exists(id)",
        }
    }


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_a_transaction_in_flight_holds_its_items(dynamodb: Any) -> None:
    with ThreadPoolExecutor(1) as first:
        committed = first.submit(dynamodb.transact_write_items, TransactItems=[_put("a"), _put("b")])
        deadline = time.monotonic() + 10
        while len(dynamodb_transactions.in_flight()) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(dynamodb_transactions.in_flight()) == 2, "the first transaction never went in flight"

        with pytest.raises(ClientError) as cancelled:
            dynamodb.transact_write_items(TransactItems=[_put("c"), _put("b", "other")])
        assert _code(cancelled.value) == "TransactionCanceledException"
        assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]] == ["None", "TransactionConflict"]
        for write in (
            lambda: dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}}),
            lambda: dynamodb.delete_item(TableName=TABLE, Key={"id": {"S": "a"}}),
            lambda: dynamodb.update_item(
                TableName=TABLE,
                Key={"id": {"S": "b"}},
                UpdateExpression="SET #v = :v",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={":v": {"S": "w"}},
            ),
        ):
            with pytest.raises(ClientError) as refused:
                write()
            assert _code(refused.value) == "TransactionConflictException"
        assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "a"}}, ConsistentRead=True)
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "free"}})  # items it does not hold are free

        committed.result()
    assert dynamodb_transactions.in_flight() == set()
    found = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted(item["id"]["S"] for item in found) == ["a", "b", "free"]
    assert all(item.get("value", {"S": "v"}) == {"S": "v"} for item in found)


def test_a_committed_transaction_holds_nothing(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[_put("a")])
    with pytest.raises(ClientError) as cancelled:  # its condition fails now, as in moto
        dynamodb.transact_write_items(TransactItems=[_put("a")])
    assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]] == ["ConditionalCheckFailed"]
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}, "value": {"S": "replaced"}})


def test_the_window_is_the_tables_tag_else_the_emulators_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    class Table:
        def __init__(self, *tags: tuple[str, str]) -> None:
            self.tags = [{"Key": k, "Value": v} for k, v in tags]

    untagged, tagged = Table(("team", "payments")), Table((WINDOW_TAG, "250"))
    monkeypatch.delenv(WINDOW_VARIABLE, raising=False)
    assert dynamodb_transactions.window([untagged]) == 0  # moto's own: applied at once
    monkeypatch.setenv(WINDOW_VARIABLE, "40")
    assert dynamodb_transactions.window([untagged]) == 0.04
    assert dynamodb_transactions.window([untagged, tagged]) == 0.25
    assert control.TRANSACTION_WINDOW == WINDOW_VARIABLE  # `control start --transaction-window-ms` sets it


def test_requests_are_served_one_at_a_time_reads_too(dynamodb):
    """moto's DynamoDB is not thread-safe (a transaction copies its tables while another thread
    writes them: "dictionary changed size during iteration", a 500): every request waits its turn."""
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "a"}})
    with ThreadPoolExecutor(2) as pool:
        with dynamodb_transactions._applying:  # another request is being served
            read = pool.submit(dynamodb.get_item, TableName=TABLE, Key={"id": {"S": "a"}})
            write = pool.submit(dynamodb.put_item, TableName=TABLE, Item={"id": {"S": "b"}})
            time.sleep(0.2)
            assert not read.done() and not write.done()
        assert read.result(timeout=5)["Item"]["id"] == {"S": "a"}
        write.result(timeout=5)


def _without_window(dynamodb: Any) -> None:
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    dynamodb.untag_resource(ResourceArn=arn, TagKeys=[WINDOW_TAG])


def _set_value(table: str, key: dict[str, Any], value: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET #v = :v",
            "ExpressionAttributeNames": {"#v": "value"},
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
    }


def test_a_cancelled_transaction_leaves_its_tables_as_they_were(dynamodb: Any) -> None:
    """Writes applied before the failing condition are undone, an item updated in place
    included, on tables with and without a sort key; other items are untouched."""
    _without_window(dynamodb)
    dynamodb.create_table(
        TableName="ledger",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for item_id in ("a", "b", "other"):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": item_id}, "value": {"S": "v"}})
    dynamodb.put_item(TableName="ledger", Item={"pk": {"S": "p"}, "sk": {"S": "0"}, "value": {"S": "v"}})
    before = {t: dynamodb.scan(TableName=t)["Items"] for t in (TABLE, "ledger")}

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                _set_value(TABLE, {"id": {"S": "a"}}, "changed"),
                _put("new"),
                _set_value("ledger", {"pk": {"S": "p"}, "sk": {"S": "0"}}, "changed"),
                {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "p"}, "sk": {"S": "1"}}}},
                _put("b"),  # exists: its condition fails, after the writes above were applied
            ]
        )
    assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]][-1] == "ConditionalCheckFailed"
    assert {t: dynamodb.scan(TableName=t)["Items"] for t in (TABLE, "ledger")} == before


def test_a_transaction_copies_only_the_items_it_writes(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto backs up a transaction's tables by copying them; here only the written items are
    copied, so a transaction on a large table costs what it costs on an empty one."""
    from moto.dynamodb.models.dynamo_type import Item  # noqa: PLC0415 - moto's, as the emulator patches it

    _without_window(dynamodb)
    for i in range(200):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": f"item-{i}"}, "value": {"S": "v"}})
    copied: list[Any] = []
    deepcopy = Item.__deepcopy__

    def counted(self: Any, memo: dict[int, Any]) -> Any:
        copied.append(self)
        return deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    dynamodb.transact_write_items(TransactItems=[_set_value(TABLE, {"id": {"S": "item-7"}}, "w"), _put("fresh")])
    assert copied, "moto no longer backs up a transaction's items: the patch has nothing to do"
    assert {item.hash_key.value for item in copied} == {"item-7"}  # the one written item that existed
    assert dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "item-7"}})["Item"]["value"] == {"S": "w"}


def test_the_backup_knows_a_table_replaced_since_the_request_arrived(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancelled transaction puts back a copy of its tables: a transaction that arrived
    before (and waited out its window) holds the old table object, and still copies only
    its own items."""
    import copy  # noqa: PLC0415

    from moto.core import DEFAULT_ACCOUNT_ID  # noqa: PLC0415
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
    from moto.dynamodb.models.dynamo_type import Item  # noqa: PLC0415

    for i in range(50):
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": f"item-{i}"}})
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    arrived = dynamodb_transactions._write(backend, "Put", {"TableName": TABLE, "Item": {"id": {"S": "item-3"}}})
    backend.tables[TABLE] = copy.copy(backend.tables[TABLE])  # what a rollback meanwhile does
    copied: list[Any] = []
    deepcopy = Item.__deepcopy__
    monkeypatch.setattr(Item, "__deepcopy__", lambda self, memo: copied.append(self) or deepcopy(self, memo))
    with dynamodb_transactions._backups_of_written_items(backend, [arrived]):
        backup = copy.deepcopy(backend.tables[TABLE])
    assert [item.hash_key.value for item in copied] == ["item-3"]
    assert len(backup.items) == 50
