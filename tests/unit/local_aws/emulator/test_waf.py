"""The front door's WAF: the stage's web ACL evaluated as AWS WAF does (rules by priority, the
first terminating action wins, then the default), and a refusal to serve whatever it does not
evaluate, named, rather than a guess that might admit what WAF refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local_aws.emulator.frontdoor.messages import Request
from local_aws.emulator.frontdoor.waf import UnsupportedWebAcl, WebAcl, evaluate

SECRET = b"s3cret-origin-value-0123456789abcdef"
FORBIDDEN = {"Forbidden": {"ContentType": "APPLICATION_JSON", "Content": '{"error": "refused"}'}}


def _header_is(value: bytes, **overrides: Any) -> dict[str, Any]:
    match = {
        "FieldToMatch": {"SingleHeader": {"Name": "x-origin-verify"}},
        "PositionalConstraint": "EXACTLY",
        "SearchString": value,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        **overrides,
    }
    return {"ByteMatchStatement": match}


def _acl(*rules: dict[str, Any], default: dict[str, Any] | None = None) -> WebAcl:
    block = {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "Forbidden"}}}
    return WebAcl.from_api(
        {
            "Name": "payments-dev-origin",
            "ARN": "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/payments-dev-origin/1",
            "DefaultAction": default or block,
            "Rules": list(rules),
            "CustomResponseBodies": FORBIDDEN,
        }
    )


def _request(*headers: tuple[str, str]) -> Request:
    return Request("POST", "/restapis/a1/live/payments", "", list(headers))


ALLOW_THROUGH_DISTRIBUTION = {
    "Name": "AllowThroughDistribution",
    "Priority": 0,
    "Statement": {"OrStatement": {"Statements": [_header_is(b"previous-secret"), _header_is(SECRET)]}},
    "Action": {"Allow": {}},
}


def test_the_origin_secret_is_admitted_and_anything_else_gets_the_custom_refusal() -> None:
    acl = _acl(ALLOW_THROUGH_DISTRIBUTION)
    assert evaluate(acl, _request(("X-Origin-Verify", SECRET.decode()))) is None
    assert evaluate(acl, _request(("x-origin-verify", "previous-secret"))) is None  # names ignore case
    for request in (_request(), _request(("X-Origin-Verify", SECRET.decode().upper()))):  # EXACTLY, no transformation
        refused = evaluate(acl, request)
        assert refused is not None and refused.rule == "(default action)"
        assert refused.custom is not None
        assert (refused.custom.status, refused.custom.body) == (403, b'{"error": "refused"}')
        assert ("Content-Type", "application/json") in refused.custom.headers


def test_rules_run_by_priority_and_count_does_not_terminate() -> None:
    counted = {"Name": "CountFirst", "Priority": 0, "Statement": _header_is(SECRET), "Action": {"Count": {}}}
    blocked = {"Name": "BlockSecond", "Priority": 1, "Statement": _header_is(SECRET), "Action": {"Block": {}}}
    allowed = {**ALLOW_THROUGH_DISTRIBUTION, "Priority": 2}
    acl = _acl(allowed, blocked, counted)  # given out of order, as the API may list them
    refused = evaluate(acl, _request(("X-Origin-Verify", SECRET.decode())))
    assert refused is not None and refused.rule == "BlockSecond"
    assert refused.custom is None  # no custom response: API Gateway's WAF_FILTERED answer


def test_a_default_allow_admits_what_no_rule_matches() -> None:
    assert evaluate(_acl(default={"Allow": {}}), _request()) is None


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"OverrideAction": {"Count": {}}, "Statement": _header_is(SECRET)}, "uses a rule group (OverrideAction)"),
        ({"Statement": {}, "Action": {"Block": {}}}, "has a statement of 0 types"),
        ({"Statement": {"GeoMatchStatement": {}}, "Action": {"Block": {}}}, "statement type GeoMatchStatement"),
        (
            {"Statement": _header_is(SECRET, FieldToMatch={"UriPath": {}}), "Action": {"Block": {}}},
            "ByteMatchStatement on UriPath is not emulated",
        ),
        (
            {"Statement": _header_is(SECRET, PositionalConstraint="CONTAINS"), "Action": {"Block": {}}},
            "with PositionalConstraint CONTAINS is not emulated",
        ),
        (
            {
                "Statement": _header_is(SECRET, TextTransformations=[{"Priority": 0, "Type": "LOWERCASE"}]),
                "Action": {"Block": {}},
            },
            "with text transformation LOWERCASE is not emulated",
        ),
        ({"Statement": _header_is(SECRET), "Action": {"Captcha": {}}}, "has action Captcha"),
        (
            {
                "Statement": _header_is(SECRET),
                "Action": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "Absent"}}},
            },
            "no custom response body 'Absent'",
        ),
    ],
)
def test_what_the_front_door_does_not_evaluate_is_refused_by_name(rule: dict[str, Any], words: str) -> None:
    acl = _acl({"Name": "Odd", "Priority": 0, **rule})
    with pytest.raises(UnsupportedWebAcl, match=f"^web ACL payments-dev-origin: .*{re.escape(words)}"):
        evaluate(acl, _request(("X-Origin-Verify", SECRET.decode())))
