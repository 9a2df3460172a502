"""A DynamoDB Query costs what the items it reads cost, not the table's size, as in DynamoDB.

moto's Query goes through `Table.all_items()`, which sorts every item of the table by key on
each call, then keeps the query's own items and sorts those again by the (index's) key: on a
table of a few thousand items most of a Query's time is the first sort, repeated by every
request, and the emulator serves DynamoDB one request at a time. The second sort is a total
order (the index's keys, then the table's), so the first changes nothing: while a query runs,
its table's items are read in storage order instead. Scan keeps moto's sorted order (its
pages follow it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

_query = Table.query


def _items_unsorted(table: Table) -> Iterator[Item]:
    for stored in table.items.values():
        if table.range_key_attr:
            yield from stored.values()
        else:
            yield cast(Item, stored)  # the item itself (moto's annotation says a dict of them)


def query(self: Table, *args: Any, **kwargs: Any) -> Any:
    def unsorted() -> Any:  # moto's Query iterates what all_items() returns, once
        return _items_unsorted(self)

    self.all_items = unsorted  # type: ignore[method-assign]
    try:
        return _query(self, *args, **kwargs)
    finally:
        del self.all_items


def register() -> None:
    Table.query = query  # type: ignore[method-assign]
