"""API Gateway's own responses (gateway responses): a refusal of a given response type is
rendered through the API's gateway response of that type if it defines one, else through
DEFAULT_4XX / DEFAULT_5XX, else with API Gateway's default body {"message": "..."}.

Templates are VTL; only the substitutions these APIs use are implemented:
$context.error.messageString (the message as a JSON string), $context.error.message,
$context.error.responseType and $context.requestId (also in the ${...} and $!... forms)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from local_aws.emulator.frontdoor.messages import Response

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

# response type -> (API Gateway's default status code, its x-amzn-ErrorType header)
RESPONSE_TYPES: dict[str, tuple[int, str]] = {
    "ACCESS_DENIED": (403, "AccessDeniedException"),
    "API_CONFIGURATION_ERROR": (500, "InternalServerErrorException"),
    "BAD_REQUEST_BODY": (400, "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "BadRequestException"),
    "DEFAULT_4XX": (400, "BadRequestException"),
    "DEFAULT_5XX": (502, "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (504, "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLargeException"),
    "RESOURCE_NOT_FOUND": (404, "NotFoundException"),
    "THROTTLED": (429, "TooManyRequestsException"),
    "UNAUTHORIZED": (401, "UnauthorizedException"),
    "WAF_FILTERED": (403, "WAFFilteredException"),
}


@dataclass(frozen=True)
class GatewayResponse:
    """One gateway response as read back from the API (get_gateway_responses)."""

    response_type: str
    status_code: int | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, str] = field(default_factory=dict)


class Refusal(Exception):
    """API Gateway refuses the request itself, with a response type and message."""

    def __init__(self, response_type: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{response_type}: {message}")
        self.response_type = response_type
        self.message = message
        self.status = status if status is not None else RESPONSE_TYPES.get(response_type, (500, ""))[0]


_VARIABLE = re.compile(r"\$!?(?:\{(?P<braced>[A-Za-z][\w.]*)\}|(?P<bare>[A-Za-z]\w*(?:\.[A-Za-z]\w*)*))")


def render_template(template: str, variables: Mapping[str, str]) -> str:
    """Substitute `$name.path` references found in `variables`; others stay as written."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        return variables[name] if name in variables else match.group(0)

    return _VARIABLE.sub(substitute, template)


def _parameter_value(expression: str, request_headers: Mapping[str, str]) -> str | None:
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    if expression.startswith("method.request.header."):
        return request_headers.get(expression.removeprefix("method.request.header.").lower())
    return None


def render_refusal(
    refusal: Refusal,
    responses: Mapping[str, GatewayResponse],
    request_id: str,
    request_headers: Mapping[str, str] | None = None,
) -> Response:
    """The HTTP response API Gateway sends for `refusal` on an API with these gateway
    responses. `request_headers` (lower-case names) feed method.request.header values."""
    specific = responses.get(refusal.response_type)
    family = responses.get("DEFAULT_5XX" if refusal.status >= 500 else "DEFAULT_4XX")
    chosen = [r for r in (specific, family) if r is not None]
    status = next((r.status_code for r in chosen if r.status_code), refusal.status)
    templates = next((r.templates for r in chosen if r.templates), {"application/json": DEFAULT_TEMPLATE})
    template = templates.get("application/json", next(iter(templates.values())))
    variables = {
        "context.error.messageString": json.dumps(refusal.message),
        "context.error.message": refusal.message,
        "context.error.responseType": refusal.response_type,
        "context.requestId": request_id,
    }
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", RESPONSE_TYPES.get(refusal.response_type, (0, "InternalServerErrorException"))[1]),
    ]
    parameters = {**(family.parameters if family else {}), **(specific.parameters if specific else {})}
    for key, expression in parameters.items():
        if key.startswith("gatewayresponse.header."):
            value = _parameter_value(expression, request_headers or {})
            if value is not None:
                name = key.removeprefix("gatewayresponse.header.")
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
    return Response(status, headers, render_template(template, variables).encode())
