"""moto's IAM condition operators, with Bool compared as IAM compares it (case-insensitive,
any of a list)."""

from __future__ import annotations

from typing import Any

from moto.iam import policy_conditions


def _bool_operation(expected: Any, actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return any(str(v).lower() == str(actual).lower() for v in values)


def register() -> None:
    policy_conditions.CONDITION_OPERATIONS["Bool"] = _bool_operation
