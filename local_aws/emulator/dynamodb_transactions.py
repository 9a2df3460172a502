"""DynamoDB's transaction conflicts, which moto lacks: moto applies a transaction at once, so
no two ever overlap. Here a TransactWriteItems is in flight from its arrival until it is
applied, and holds its items meanwhile, with the outcomes DynamoDB documents
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling):

- another TransactWriteItems touching one of them is cancelled with
  TransactionCanceledException, the reason for that item `TransactionConflict` (`None` for
  the others);
- a PutItem, UpdateItem or DeleteItem of one of them fails with TransactionConflictException;
- reads (GetItem, Query, Scan) see the items as they were before the transaction;
- a transaction whose condition fails is cancelled at once (DynamoDB checks conditions before
  it commits), holding nothing.

Each conflict is a line of the emulator's log.

How long a transaction stays in flight is its window: the largest `emulator:transaction-window-ms`
tag of its tables, else EMULATOR_TRANSACTION_WINDOW_MS in the emulator's environment
(`python -m local_aws.client.control start --transaction-window-ms N`), else 0: applied at once, as
in moto, while the items of other transactions' windows are still refused to it. A test
tags one table to race two requests on it deterministically, and slows nothing else.

Requests are served one at a time (reads too; a transaction waits out its window before its
turn): moto's DynamoDB is not thread-safe. It copies a transaction's tables before applying
it, to restore them if it is cancelled, and that copy fails ("dictionary changed size during
iteration", a 500 to the client) or undoes a write when another thread of the server touches
the table meanwhile. The copy shares the items the transaction does not write (see
`_backups_of_written_items`), so a transaction costs the same on a large table as on an
empty one. TransactGetItems is not checked against transactions in flight.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    ResourceNotFoundException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

WINDOW_VARIABLE = "EMULATOR_TRANSACTION_WINDOW_MS"
WINDOW_TAG = "emulator:transaction-window-ms"
ONGOING = "Transaction is ongoing for the item"

ItemId = tuple[str, str]  # (the table's ARN, the item's key as canonical JSON)

_held: set[ItemId] = set()  # the items of the transactions in flight
_holding = threading.Lock()  # guards _held
_applying = threading.Lock()  # one request served at a time


class TransactionConflictException(DynamodbException):
    def __init__(self) -> None:
        super().__init__(ERROR_TYPE_PREFIX + "TransactionConflictException", ONGOING)


@dataclass(frozen=True)
class _Write:
    """One item a request writes (or checks): its table, key and condition."""

    table: Table
    key: dict[str, Any]
    request: dict[str, Any]

    @property
    def id(self) -> ItemId:
        return self.table.table_arn, json.dumps(self.key, sort_keys=True)

    def condition_holds(self, backend: DynamoDBBackend) -> bool:
        condition = self.request.get("ConditionExpression")
        if condition is None:
            return True
        current = backend.get_item(self.table.name, self.key)
        expression = get_filter_expression(
            condition, self.request.get("ExpressionAttributeNames"), self.request.get("ExpressionAttributeValues")
        )
        return bool(expression.expr(current))


def _write(backend: DynamoDBBackend, operation: str, request: Any) -> _Write | None:
    """The item an operation (`Put`, `put_item`, ...) of a request writes; None where moto
    will refuse the request anyway (no such table, no key)."""
    if not isinstance(request, dict):
        return None
    try:
        table = backend.get_table(str(request.get("TableName")))
    except ResourceNotFoundException:
        return None
    attributes = request.get("Item") if operation in {"Put", "put_item"} else request.get("Key")
    if not isinstance(attributes, dict):
        return None
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return _Write(table, {n: attributes.get(n) for n in names}, request)


def window(tables: list[Table]) -> float:
    """Seconds a transaction on these tables stays in flight."""
    tagged = [int(t["Value"]) for table in tables for t in table.tags if t.get("Key") == WINDOW_TAG]
    milliseconds = max(tagged) if tagged else int(os.environ.get(WINDOW_VARIABLE) or 0)
    return max(0, milliseconds) / 1000


_originals: dict[str, Callable[[DynamoHandler], Any]] = {
    name: getattr(DynamoHandler, name) for name in ("transact_write_items", "put_item", "update_item", "delete_item")
}


def _transact_write_items(self: DynamoHandler) -> Any:
    backend = self.dynamodb_backend
    with _applying:  # reading a table is serving a request too (moto's items are a defaultdict)
        writes = [
            _write(backend, *next(iter(entry.items()))) if isinstance(entry, dict) and len(entry) == 1 else None
            for entry in self.body.get("TransactItems") or []
        ]
        # DynamoDB checks the conditions before it commits: a transaction that will be
        # cancelled for one is cancelled now, holding nothing.
        conditions_hold = _conditions_hold(writes, backend)
    mine = {w.id for w in writes if w is not None}
    with _holding:
        conflicts = [w is not None and w.id in _held for w in writes]
        if any(conflicts):
            for w, conflict in zip(writes, conflicts, strict=True):
                if w is not None and conflict:
                    _log("TransactionConflict", w)
            raise TransactionCanceledException(
                [("TransactionConflict", ONGOING, None) if c else (None, None, None) for c in conflicts]
            )
        if not conditions_hold:
            mine = set()
        _held.update(mine)
    try:
        if mine:  # in flight: reads see the items as they were
            time.sleep(window([w.table for w in writes if w is not None]))
        with _applying, _backups_of_written_items(backend, writes):
            return _originals["transact_write_items"](self)
    finally:
        with _holding:
            _held.difference_update(mine)


@contextlib.contextmanager
def _backups_of_written_items(backend: DynamoDBBackend, writes: list[_Write | None]) -> Iterator[None]:
    """moto backs up each table of a transaction with copy.deepcopy before applying it, to put
    the table back if the transaction is cancelled: every item copied, at a cost that grows
    with the table (tens of milliseconds at a few thousand items, spent while every other
    DynamoDB request waits). Only the items the transaction writes can change, so while it
    is applied a table's backup shares its other items and copies those (and the stream's
    records, a list). Served one at a time, nothing else copies a table meanwhile."""
    written = _written_keys(backend, writes)
    if written is None:  # moto refuses the transaction before writing anything
        yield
        return

    def backup(table: Table, memo: dict[int, Any]) -> Table:
        copied = copy.copy(table)
        keys = written.get(table.table_arn)
        if keys is None:  # not one of the transaction's tables: the whole copy, as moto makes it
            copied.items = copy.deepcopy(table.items, memo)
        else:
            copied.items = copy.copy(table.items)
            if table.has_range_key:
                for hash_key, _ in keys:
                    if hash_key in table.items:
                        copied.items[hash_key] = dict(table.items[hash_key])
            for hash_key, range_key in keys:
                item = table.get_item(hash_key, range_key)
                if item is not None:  # moto updates an item in place
                    if range_key is None:  # the item itself (moto's annotation says a dict of them)
                        copied.items[hash_key] = copy.deepcopy(item, memo)  # type: ignore[arg-type]
                    else:
                        copied.items[hash_key][range_key] = copy.deepcopy(item, memo)
        if table.stream_shard is not None:
            copied.stream_shard = copy.copy(table.stream_shard)
            copied.stream_shard.items = list(table.stream_shard.items)
        return copied

    Table.__deepcopy__ = backup  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


def _written_keys(
    backend: DynamoDBBackend, writes: list[_Write | None]
) -> dict[str, list[tuple[DynamoType, DynamoType | None]]] | None:
    """The keys each table (by ARN: a cancelled transaction replaces the table's object) of a
    transaction writes; None if one is not valid."""
    written: dict[str, list[tuple[DynamoType, DynamoType | None]]] = {}
    for w in writes:
        if w is None or None in w.key.values():
            return None
        try:
            written.setdefault(w.table.table_arn, []).append(backend.get_keys_value(w.table, w.key))
        except DynamodbException:
            return None
    return written


def _conditions_hold(writes: list[_Write | None], backend: DynamoDBBackend) -> bool:
    """Whether every condition of a transaction holds now (False where moto will refuse it)."""
    try:
        return all(w is not None and w.condition_holds(backend) for w in writes)
    except Exception:  # an invalid expression: moto's own answer follows
        return False


def _log(outcome: str, write: _Write) -> None:
    print(f"dynamodb: {outcome}: {write.table.name} {write.id[1]} is held by a transaction in flight", flush=True)


def _single_write(name: str) -> Callable[[DynamoHandler], Any]:
    def write(self: DynamoHandler) -> Any:
        with _applying:
            found = _write(self.dynamodb_backend, name, self.body)
            with _holding:
                if found is not None and found.id in _held:
                    _log("TransactionConflictException", found)
                    raise TransactionConflictException()
            return _originals[name](self)

    write.__name__ = name
    return write


PATCHES: dict[str, Callable[[DynamoHandler], Any]] = {
    "transact_write_items": _transact_write_items,
    **{name: _single_write(name) for name in ("put_item", "update_item", "delete_item")},
}


_call_action = DynamoHandler.call_action


def _one_at_a_time(self: DynamoHandler) -> Any:
    """Every other DynamoDB request (reads, table calls) served alone, as the writes above are."""
    if camelcase_to_underscores(self._get_action()) in PATCHES:
        return _call_action(self)  # they take their turn themselves, after their window
    with _applying:
        return _call_action(self)


def in_flight() -> set[ItemId]:
    """The items transactions hold now."""
    with _holding:
        return set(_held)


def register() -> None:
    for name, method in PATCHES.items():
        setattr(DynamoHandler, name, method)
    DynamoHandler.call_action = _one_at_a_time  # type: ignore[method-assign]
