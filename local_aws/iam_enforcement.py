"""Identity policies enforced on the calls of the roles the stacks create, as IAM does, where
the request's resource ARN can be derived: a permission missing from a function's execution
role, or scoped to another resource, fails here as on AWS (AccessDeniedException).

A request is checked when it is signed with the credentials of an assumed role that exists in
its account's IAM (the roles the stacks and the bootstrap create; the administrator and CI
roles moto lets anyone assume exist in no template and are not checked), and when its
service is one `ACTIONS` can map to IAM actions and resource ARNs:

- DynamoDB: each operation's table (and index), transactions by the action of each item
  (IAM has no TransactWriteItems action: a Put needs dynamodb:PutItem on its table, and so on);
- Secrets Manager: the secret's ARN.

Every other request passes unchecked (moto checks only S3 requests against resources), which
the README lists. The role's inline and managed policies are evaluated: an explicit Deny
wins, else an Allow must match the action, the resource and its conditions.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sts.models import sts_backends

from local_aws.models import REQUEST_CONTEXT
from local_aws.resource_policies import decision

_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

Request = tuple[str, str]  # (IAM action, resource ARN)


def _table(region: str, account: str, body: dict[str, Any], name_key: str = "TableName") -> str:
    return f"arn:aws:dynamodb:{region}:{account}:table/{body[name_key]}"


def _dynamodb(operation: str, body: dict[str, Any], region: str, account: str) -> list[Request]:
    if operation == "TransactWriteItems":
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return [
            (f"dynamodb:{kinds[kind]}", _table(region, account, item[kind]))
            for item in body.get("TransactItems", [])
            for kind in item
        ]
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", _table(region, account, item["Get"])) for item in body.get("TransactItems", [])]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [
            (f"dynamodb:{operation}", _table(region, account, {"TableName": t})) for t in body.get("RequestItems", {})
        ]
    if "TableName" not in body:
        return []
    table = _table(region, account, body)
    if operation in ("Query", "Scan") and body.get("IndexName"):
        table += f"/index/{body['IndexName']}"
    return [(f"dynamodb:{operation}", table)]


def _secretsmanager(operation: str, body: dict[str, Any], region: str, account: str) -> list[Request]:
    secret = body.get("SecretId")
    if not secret:
        return []
    found = secretsmanager_backends[account][region].secrets.get(str(secret))
    if found is None:
        return []  # no such secret: Secrets Manager answers that itself
    return [(f"secretsmanager:{operation}", str(found.arn))]


# service (as signed) -> the (action, resource) pairs an operation of its X-Amz-Target makes
ACTIONS: dict[str, Callable[[str, dict[str, Any], str, str], list[Request]]] = {
    "dynamodb": _dynamodb,
    "secretsmanager": _secretsmanager,
}


def _role_of(access_key: str) -> tuple[str, str, str] | None:
    """(account, role name, assumed-role ARN) of a session's access key, if any."""
    for account, backends in list(sts_backends.items()):
        for backend in backends.values():
            assumed = backend.get_assumed_role_from_access_key(access_key)
            if assumed is not None:
                return account, assumed.role_arn.rsplit("/", 1)[-1], assumed.arn
    return None


def _policies(account: str, role_name: str) -> list[Any] | None:
    """The role's inline and managed policy documents, or None when no such role exists."""
    roles = [r for backend in iam_backends[account].values() for r in backend.roles.values() if r.name == role_name]
    if not roles:
        return None
    documents = [*roles[0].policies.values(), *(p.document for p in roles[0].managed_policies.values())]
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def denied(documents: Iterable[Any], action: str, resource: str) -> bool:
    """Whether IAM refuses `action` on `resource` to a principal with these identity policies."""
    found = [decision(d, None, action, resource, REQUEST_CONTEXT) for d in documents]
    return "Deny" in found or "Allow" not in found


class Enforcer:
    """WSGI middleware in front of moto: checks each request of an enforced role."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        refusal = self._refusal(environ)
        if refusal is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": refusal}).encode()
        start_response(
            "400 Bad Request",
            [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", "AccessDeniedException")],
        )
        return [body]

    def _refusal(self, environ: dict[str, Any]) -> str | None:
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if match is None or match.group(3) not in ACTIONS or "." not in target:
            return None
        role = _role_of(match.group(1))
        if role is None:
            return None
        account, role_name, caller = role
        documents = _policies(account, role_name)
        if documents is None:
            return None  # a role no template made: the emulator's administrators, CI
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)  # moto reads it again
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return None
        operation = target.rsplit(".", 1)[1]
        for action, resource in ACTIONS[match.group(3)](operation, body, match.group(2), account):
            if denied(documents, action, resource):
                return (
                    f"User: {caller} is not authorized to perform: {action} on resource: {resource} because no "
                    "identity-based policy allows the action"
                )
        return None
