"""The Lambda handlers run in this process, for their tests and benchmarks: a handler imported
afresh as in a new container, and the API Gateway proxy events the front door sends them."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from types import ModuleType
from typing import Any

from blueprints import contract
from local_aws.client.paths import LAMBDA_CODE


def load_handler(source_dir: str) -> ModuleType:
    """A fresh import of lambda_code/<source_dir>/handler.py, as in a new container: its
    settings and clients (common.clients, made on first use) read the environment. The
    shared `common` package, imported afresh too, sits beside the handler, and the API
    contract is the top-level `contract`, as in the deployed package."""
    if str(LAMBDA_CODE) not in sys.path:
        sys.path.insert(0, str(LAMBDA_CODE))
    for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
        del sys.modules[name]
    sys.modules["contract"] = contract
    path = LAMBDA_CODE / source_dir / "handler.py"
    module_spec = importlib.util.spec_from_file_location(f"handler_{source_dir}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def api_event(
    method: str,
    resource: str,
    body: object = None,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    **path: str,
) -> dict[str, Any]:
    """An API Gateway proxy event for `resource` (path parameters filled in), with the
    `claims` of the token the authorizer verified, if any."""
    concrete = resource
    for key, value in path.items():
        concrete = concrete.replace("{" + key + "}", value)
    return {
        "httpMethod": method,
        "resource": resource,
        "path": concrete,
        "pathParameters": path or None,
        "queryStringParameters": query,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "requestContext": {
            "requestId": f"local-{uuid.uuid4()}",
            "stage": "v1",
            **({"authorizer": {"claims": claims}} if claims is not None else {}),
        },
        "body": None if body is None else json.dumps(body),
    }
