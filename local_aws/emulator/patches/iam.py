"""moto's IAM condition operators, with Bool compared as IAM compares it (case-insensitive,
any of a list)."""

from __future__ import annotations

from moto.iam import policy_conditions


def _bool_operation(expected_value: list[str] | str, actual_value: str) -> bool:
    values = expected_value if isinstance(expected_value, list) else [expected_value]
    return any(str(v).lower() == str(actual_value).lower() for v in values)


def register() -> None:
    policy_conditions.CONDITION_OPERATIONS["Bool"] = _bool_operation
