"""API Gateway's basic request validation: required request parameters present and not
blank, and the JSON body valid against the method's model (JSON Schema draft 4).

Only jsonschema API present in both 3.2 and 4.x is used (Draft4Validator.iter_errors)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft4Validator

_LOCATIONS = {
    "header": "header",
    "multivalueheader": "header",
    "querystring": "querystring",
    "multivaluequerystring": "querystring",
    "path": "path",
}


def missing_parameters(
    required: Mapping[str, bool],
    headers: Mapping[str, str],
    query: Mapping[str, Sequence[str]],
    path: Mapping[str, str],
) -> list[str]:
    """Names of the required `method.request.<location>.<name>` parameters the request
    lacks or leaves blank, in the method's order. `headers` keys are lower case."""
    missing = []
    for key, is_required in required.items():
        parts = key.split(".", 3)
        if not is_required or len(parts) != 4 or parts[:2] != ["method", "request"]:
            continue
        location, name = _LOCATIONS.get(parts[2]), parts[3]
        if location == "header":
            present = bool(headers.get(name.lower(), "").strip())
        elif location == "querystring":
            present = any(v.strip() for v in query.get(name, ()))
        elif location == "path":
            present = bool(path.get(name, "").strip())
        else:
            continue
        if not present:
            missing.append(name)
    return missing


def missing_parameters_message(names: Sequence[str]) -> str:
    return f"Missing required request parameters: [{', '.join(names)}]"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes | None) -> Any:
    """The body as JSON; an empty body is validated as an empty object. ValueError when
    it is not UTF-8 JSON."""
    if not body or not body.strip():
        return {}
    return json.loads(body.decode("utf-8"), parse_constant=_no_constants)


def body_errors(schema: Mapping[str, Any], body: bytes | None) -> list[str]:
    """Why the body does not match the model (empty when it does)."""
    try:
        instance = parse_json(body)
    except ValueError as error:  # includes UnicodeDecodeError and JSONDecodeError
        return [f"not JSON: {error}"]
    try:
        return [error.message for error in Draft4Validator(schema).iter_errors(instance)]
    except Exception as error:  # a model jsonschema cannot apply
        return [f"model not applicable: {error}"]
