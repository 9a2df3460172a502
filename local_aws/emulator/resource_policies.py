"""Resource policies (key, topic and bucket policies) evaluated as AWS evaluates them, for
the statements and condition operators this project writes: a matching Deny wins, else a
matching Allow grants; a condition key the request does not carry never matches (without
...IfExists), which is how a condition a service does not send denies it.

moto evaluates resource policies only with IAM enforcement on, and its conditions know
StringEquals alone; the emulator's models use this instead.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

ANYONE = "*"
# The request context resource policies are evaluated with: the emulator's loopback link
# stands in for TLS, so aws:SecureTransport is true.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}

_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringLike": fnmatch.fnmatchcase,
    "ArnEquals": lambda value, wanted: value == wanted,
    "ArnLike": fnmatch.fnmatchcase,
    "Bool": lambda value, wanted: value.lower() == str(wanted).lower(),
}


def decision(
    policy: str | bytes | dict[str, Any] | None,
    principal: str | None,
    action: str,
    resource: str,
    context: dict[str, str],
) -> str | None:
    """ "Deny", "Allow" or None (the policy says nothing) for `principal` (a service principal,
    or ANYONE for a caller the policy can only name as "*") doing `action` on `resource`."""
    if not policy:
        return None
    document = json.loads(policy) if isinstance(policy, (str, bytes)) else policy
    statements = document.get("Statement", [])
    found = None
    for raw in statements if isinstance(statements, list) else [statements]:
        if not (
            _names(raw.get("Principal"), principal)
            and _matches(raw.get("Action", []), action, case=False)
            and _matches(raw.get("Resource", []), resource, case=True)
            and all(_holds(operator, values, context) for operator, values in (raw.get("Condition") or {}).items())
        ):
            continue
        if raw.get("Effect") == "Deny":
            return "Deny"
        found = "Allow"
    return found


def allows(
    policy: str | bytes | dict[str, Any] | None,
    principal: str | None,
    action: str,
    resource: str,
    context: dict[str, str],
) -> bool:
    return decision(policy, principal, action, resource, context) == "Allow"


def _names(given: Any, principal: str | None) -> bool:
    if principal is None:
        return given is None
    if given in (ANYONE, {"AWS": ANYONE}):
        return True
    services = given.get("Service", []) if isinstance(given, dict) else []
    return principal in ([services] if isinstance(services, str) else services)


def _matches(patterns: Any, value: str, *, case: bool) -> bool:
    listed = [patterns] if isinstance(patterns, str) else patterns
    if case:
        return any(fnmatch.fnmatchcase(value, p) for p in listed)
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in listed)


def _holds(operator: str, values: dict[str, Any], context: dict[str, str]) -> bool:
    test = _OPERATORS.get(operator)
    if test is None:
        return False  # an operator not modelled here matches nothing
    for key, wanted in values.items():
        given = next((v for k, v in context.items() if k.lower() == key.lower()), None)
        listed = wanted if isinstance(wanted, list) else [wanted]
        if given is None or not any(test(given, str(w)) for w in listed):
            return False
    return True
