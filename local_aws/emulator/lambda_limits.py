"""Lambda's account concurrency as AWS enforces it, which moto does not by default:
`GetAccountSettings` (moto lacks it) reports the account's concurrency quota and what is left
unreserved, and a function created or reserved so that fewer than 100 executions stay
unreserved is refused with Lambda's own error
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).

The quota is MOTO_LAMBDA_CONCURRENCY_QUOTA (moto's own variable) when set, else 1,000,
AWS's default; new accounts may start lower, which is what a test plants.
"""

from __future__ import annotations

import json
import os
from typing import Any

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse

DEFAULT_QUOTA = 1000
UNRESERVED_MINIMUM = 100
_ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
REFUSED = (
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
    f"below its minimum value of [{UNRESERVED_MINIMUM}]."
)


def quota() -> int:
    return int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA") or DEFAULT_QUOTA)


def reserved(backend: LambdaBackend, *, besides: str | None = None) -> int:
    """Executions the account's functions in this region reserve (all but `besides`)."""
    return sum(
        int(fn.reserved_concurrency)
        for fn in backend.list_functions()
        if fn.reserved_concurrency and fn.function_name != besides
    )


def _check(backend: LambdaBackend, function_name: str, requested: Any) -> None:
    if requested is None:
        return
    if quota() - reserved(backend, besides=function_name) - int(requested) < UNRESERVED_MINIMUM:
        raise InvalidParameterValueException(REFUSED)


_create_function = LambdaBackend.create_function
_put_function_concurrency = LambdaBackend.put_function_concurrency


def _create_within_quota(self: LambdaBackend, spec: dict[str, Any]) -> Any:
    _check(self, str(spec.get("FunctionName")), spec.get("ReservedConcurrentExecutions"))
    return _create_function(self, spec)


def _reserve_within_quota(self: LambdaBackend, function_name: str, reserved_concurrency: str) -> str:
    _check(self, function_name, reserved_concurrency)
    return _put_function_concurrency(self, function_name, reserved_concurrency)


def _get_account_settings(self: LambdaResponse) -> Any:
    limit = quota()
    functions = list(self.backend.list_functions())
    body = {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved(self.backend),
        },
        "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
    }
    return 200, {}, json.dumps(body)


def register() -> None:
    LambdaBackend.create_function = _create_within_quota  # type: ignore[method-assign]
    LambdaBackend.put_function_concurrency = _reserve_within_quota  # type: ignore[method-assign]
    lambda_urls.url_paths[_ACCOUNT_SETTINGS_PATH] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _get_account_settings  # type: ignore[attr-defined]
