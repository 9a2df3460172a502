"""Plain Python values to and from DynamoDB's typed JSON, for the low-level botocore client.

boto3's `TypeSerializer`/`TypeDeserializer` do this, but importing them imports boto3 (and
s3transfer) on every cold start. This converter covers the types the service stores and
converts them exactly as boto3 does: numbers go through the same decimal context (38
digits, DynamoDB's exponent range, any rounding refused) and come back as `Decimal`;
floats are refused, as boto3 refuses them, because they are not exact.

    str -> S    int, Decimal -> N    bool -> BOOL    None -> NULL    dict -> M    list -> L

Sets and binary values are not stored by this service and are refused both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Clamped, Context, Decimal, DecimalException, Inexact, Overflow, Rounded, Underflow
from typing import Any

# The context boto3.dynamodb.types uses: DynamoDB keeps 38 significant digits, and a
# number it could not keep exactly is refused rather than rounded.
DYNAMODB_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def to_attribute(value: Any) -> dict[str, Any]:
    """One value as a DynamoDB attribute value (`{"S": ...}`, `{"N": ...}`, ...)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, float):
        raise TypeError("float values are not exact: use Decimal (or int)")
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, Mapping):
        return {"M": to_item(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def to_item(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A mapping of names to plain values as a DynamoDB item (or key, or expression values)."""
    item = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise TypeError(f"attribute names are strings, not {type(name).__name__}")
        item[name] = to_attribute(value)
    return item


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as a plain value; numbers as exact `Decimal`s."""
    if len(attribute) != 1:
        raise TypeError(f"an attribute value has exactly one type, not {sorted(attribute)}")
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return _decimal(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return from_item(value)
    if kind == "L":
        return [from_attribute(v) for v in value]
    raise TypeError(f"DynamoDB type {kind} is not one this service stores")


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A DynamoDB item (or key) as a dict of plain values."""
    return {name: from_attribute(attribute) for name, attribute in item.items()}


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal) and not value.is_finite():
        raise TypeError(f"{value} is not a number DynamoDB stores")
    return str(_decimal(value))


def _decimal(value: int | Decimal | str) -> Decimal:
    try:
        return DYNAMODB_CONTEXT.create_decimal(value)
    except DecimalException as err:
        raise ValueError(f"{value!s:.50} is not a number DynamoDB keeps exactly ({type(err).__name__})") from None
