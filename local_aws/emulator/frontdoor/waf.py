"""AWS WAF as API Gateway applies it to a stage: the web ACL associated with the stage is
evaluated before anything else (routing, throttling, authorizers, integrations), rules in
priority order, the first terminating action wins, else the default action
(https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html).

Only the statements this project's ACLs use are evaluated: ByteMatchStatement on one
header (SingleHeader) with PositionalConstraint EXACTLY and no text transformation (NONE),
and OrStatement. Anything else makes the front door refuse to serve the stage, naming the
statement, rather than guess (a guess would silently admit what WAF refuses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from local_aws.emulator.frontdoor.messages import Request, Response

# WAF's ContentType values for custom response bodies, as HTTP content types.
CONTENT_TYPES = {"APPLICATION_JSON": "application/json", "TEXT_PLAIN": "text/plain", "TEXT_HTML": "text/html"}


class UnsupportedWebAcl(Exception):
    """The stage's web ACL uses something the front door does not evaluate."""


@dataclass(frozen=True)
class WebAcl:
    """A web ACL as GetWebACLForResource returns it (boto3's shapes: SearchString as bytes)."""

    name: str
    arn: str
    default_action: Mapping[str, Any]
    rules: Sequence[Mapping[str, Any]] = ()
    custom_response_bodies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_api(cls, acl: Mapping[str, Any]) -> WebAcl:
        return cls(
            name=acl.get("Name", ""),
            arn=acl.get("ARN", ""),
            default_action=dict(acl.get("DefaultAction") or {}),
            rules=tuple(sorted(acl.get("Rules") or (), key=lambda rule: int(rule.get("Priority", 0)))),
            custom_response_bodies=dict(acl.get("CustomResponseBodies") or {}),
        )


@dataclass(frozen=True)
class Blocked:
    """WAF refused the request: with a custom response, or (custom None) API Gateway's
    WAF_FILTERED gateway response."""

    rule: str
    custom: Response | None


def evaluate(acl: WebAcl, request: Request) -> Blocked | None:
    """None when the request is allowed; Blocked when WAF refuses it. Raises
    UnsupportedWebAcl when a rule or action is not evaluated here."""
    for rule in acl.rules:
        name = str(rule.get("Name", ""))
        if rule.get("OverrideAction"):
            raise UnsupportedWebAcl(f"web ACL {acl.name}: rule {name} uses a rule group (OverrideAction)")
        if not _matches(acl, name, rule.get("Statement") or {}, request):
            continue
        action = dict(rule.get("Action") or {})
        if "Count" in action:
            continue
        return _terminate(acl, name, action)
    return _terminate(acl, "(default action)", dict(acl.default_action))


def _terminate(acl: WebAcl, rule: str, action: dict[str, Any]) -> Blocked | None:
    if "Allow" in action:
        return None
    if "Block" in action:
        return Blocked(rule, _custom_response(acl, (action["Block"] or {}).get("CustomResponse")))
    raise UnsupportedWebAcl(f"web ACL {acl.name}: rule {rule} has action {', '.join(action) or 'none'}")


def _custom_response(acl: WebAcl, custom: Mapping[str, Any] | None) -> Response | None:
    if not custom:
        return None
    headers = [(h["Name"], h["Value"]) for h in custom.get("ResponseHeaders") or ()]
    body = b""
    key = custom.get("CustomResponseBodyKey")
    if key:
        if key not in acl.custom_response_bodies:
            raise UnsupportedWebAcl(f"web ACL {acl.name}: no custom response body {key!r}")
        found = acl.custom_response_bodies[key]
        headers.insert(0, ("Content-Type", CONTENT_TYPES.get(found.get("ContentType", ""), "text/plain")))
        body = str(found.get("Content", "")).encode()
    return Response(int(custom["ResponseCode"]), headers, body)


def _matches(acl: WebAcl, rule: str, statement: Mapping[str, Any], request: Request) -> bool:
    if len(statement) != 1:
        raise UnsupportedWebAcl(f"web ACL {acl.name}: rule {rule} has a statement of {len(statement)} types")
    kind, body = next(iter(statement.items()))
    if kind == "OrStatement":
        return any(_matches(acl, rule, inner, request) for inner in body.get("Statements") or ())
    if kind == "ByteMatchStatement":
        return _byte_match(acl, rule, body, request)
    raise UnsupportedWebAcl(f"web ACL {acl.name}: rule {rule}: statement type {kind} is not emulated")


def _byte_match(acl: WebAcl, rule: str, match: Mapping[str, Any], request: Request) -> bool:
    where = f"web ACL {acl.name}: rule {rule}: ByteMatchStatement"
    field_to_match = dict(match.get("FieldToMatch") or {})
    if set(field_to_match) != {"SingleHeader"}:
        raise UnsupportedWebAcl(f"{where} on {', '.join(field_to_match) or 'nothing'} is not emulated")
    if match.get("PositionalConstraint") != "EXACTLY":
        raise UnsupportedWebAcl(
            f"{where} with PositionalConstraint {match.get('PositionalConstraint')} is not emulated"
        )
    transformations = {t.get("Type") for t in match.get("TextTransformations") or ()}
    if transformations - {"NONE"}:
        raise UnsupportedWebAcl(
            f"{where} with text transformation {', '.join(sorted(transformations))} is not emulated"
        )
    value = request.header(str(field_to_match["SingleHeader"]["Name"]))
    if value is None:
        return False
    expected = match.get("SearchString", b"")
    expected = expected if isinstance(expected, bytes) else str(expected).encode()
    return value.encode() == expected
