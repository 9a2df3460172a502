"""moto's Lambda API, with GetProvisionedConcurrencyConfig (moto lacks it): what an alias's
template asked for, allocated at once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda import urls as lambda_urls
from moto.awslambda.responses import LambdaResponse

_PROVISIONED_CONCURRENCY_PATH = (
    r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"
)


def _get_provisioned_concurrency_config(self: LambdaResponse) -> Any:
    """GetProvisionedConcurrencyConfig, which moto lacks: what the alias's template asked
    for, allocated at once."""
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self._get_param("Qualifier", "")
    try:
        alias = self.backend.get_alias(qualifier, function_name)
    except Exception:  # an unknown function or alias has no configuration either
        alias = None
    requested = getattr(alias, "provisioned_concurrency", None)
    if not requested:
        body = {"Type": "User", "Message": "No Provisioned Concurrency Config found for this function"}
        # moto takes the status from the headers' "status", not from the tuple.
        headers = {"status": 404, "x-amzn-errortype": "ProvisionedConcurrencyConfigNotFoundException"}
        return 404, headers, json.dumps(body)
    return (
        200,
        {},
        json.dumps(
            {
                "RequestedProvisionedConcurrentExecutions": requested,
                "AvailableProvisionedConcurrentExecutions": requested,
                "AllocatedProvisionedConcurrentExecutions": requested,
                "Status": "READY",
                "LastModified": "2020-01-01T00:00:00.000+0000",
            }
        ),
    )


def register() -> None:
    lambda_urls.url_paths[_PROVISIONED_CONCURRENCY_PATH] = LambdaResponse.dispatch
    LambdaResponse.get_provisioned_concurrency_config = _get_provisioned_concurrency_config  # type: ignore[attr-defined]
