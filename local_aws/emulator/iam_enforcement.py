"""Identity policies enforced on the calls of the roles the stacks create, as IAM does, where
the request's resource ARN can be derived: a permission missing from a function's execution
role, or scoped to another resource, fails here as on AWS (AccessDeniedException).

A request is checked when it is signed with the credentials of an assumed role that exists in
its account's IAM (the roles the stacks and the bootstrap create; the administrator and CI
roles moto lets anyone assume exist in no template and are not checked), and when its
service is one `ACTIONS` can map to IAM actions and resource ARNs:

- DynamoDB: each operation's table (and index), transactions by the action of each item
  (IAM has no TransactWriteItems action: a Put needs dynamodb:PutItem on its table, and so on);
- Secrets Manager: the secret's ARN;
- CloudFormation: the stack (the deploy role's launches), or none for actions that take none;
- S3 (path-style requests): the bucket or object, for reads, writes, deletes (a version's are
  their own actions), copies (which also read their source) and listings.

Every other request passes unchecked (moto checks only S3 requests against resources), which
docs/emulator.md lists. The role's inline and managed policies are evaluated: an explicit Deny
wins, else an Allow must match the action, the resource and its conditions.
"""

from __future__ import annotations

import html
import io
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sts.models import sts_backends

from local_aws.emulator.resource_policies import REQUEST_CONTEXT, decision

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


def _cloudformation(operation: str, body: dict[str, Any], region: str, account: str) -> list[Request]:
    """A stack action names its stack (by name or ARN; a new stack's id is not known yet, and
    IAM policies name stacks as `stack/<name>/*`); the others take no resource."""
    stack = body.get("StackName")
    action = f"cloudformation:{operation}"
    if not stack:
        return [(action, "*")]
    if not str(stack).startswith("arn:"):
        stack = f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/00000000-0000-0000-0000-000000000000"
    return [(action, str(stack))]


# service (as signed) -> the (action, resource) pairs an operation makes (JSON services: from
# X-Amz-Target and the body; query services: from the form's Action and parameters)
ACTIONS: dict[str, Callable[[str, dict[str, Any], str, str], list[Request]]] = {
    "dynamodb": _dynamodb,
    "secretsmanager": _secretsmanager,
    "cloudformation": _cloudformation,
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
    # A managed policy's document is its default version's (the policy itself has none).
    managed = [v.document for p in roles[0].managed_policies.values() for v in p.versions if v.is_default]
    documents = [*roles[0].policies.values(), *managed]
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def denied(documents: Iterable[Any], action: str, resource: str) -> bool:
    """Whether IAM refuses `action` on `resource` to a principal with these identity policies."""
    found = [decision(d, None, action, resource, REQUEST_CONTEXT) for d in documents]
    return "Deny" in found or "Allow" not in found


# S3 REST requests: (method, subresource) -> action, for an object and for a bucket; None: not checked.
_S3_OBJECT = {("GET", ""): "s3:GetObject", ("HEAD", ""): "s3:GetObject", ("PUT", ""): "s3:PutObject",
              ("DELETE", ""): "s3:DeleteObject", ("GET", "tagging"): "s3:GetObjectTagging",
              ("PUT", "tagging"): "s3:PutObjectTagging", ("GET", "acl"): "s3:GetObjectAcl",
              ("PUT", "acl"): "s3:PutObjectAcl"}  # fmt: skip
_S3_BUCKET = {("GET", ""): "s3:ListBucket", ("HEAD", ""): "s3:ListBucket", ("GET", "versions"): "s3:ListBucketVersions",
              ("GET", "location"): "s3:GetBucketLocation", ("GET", "versioning"): "s3:GetBucketVersioning"}  # fmt: skip


# Query parameters that select no subresource (listing options, an object's version).
_S3_PLAIN_PARAMETERS = {
    "versionId",
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "key-marker",
    "version-id-marker",
    "marker",
}


def _s3(environ: dict[str, Any]) -> list[Request]:
    """The S3 actions a path-style request makes, as IAM authorizes them (a version's read and
    delete are their own actions; a copy also reads its source)."""
    bucket, _, key = urllib.parse.unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD", "GET")
    subresource = next((name for name in ("tagging", "acl", "versions", "location", "versioning") if name in query), "")
    if not bucket or (set(query) - _S3_PLAIN_PARAMETERS - {subresource}):
        return []  # another subresource: not checked
    if not key:
        action = _S3_BUCKET.get((method, subresource))
        return [(action, f"arn:aws:s3:::{bucket}")] if action else []
    action = _S3_OBJECT.get((method, subresource))
    if action is None:
        return []
    if "versionId" in query and action in ("s3:GetObject", "s3:DeleteObject"):
        action += "Version"
    requests = [(action, f"arn:aws:s3:::{bucket}/{key}")]
    source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
    if method == "PUT" and source:
        path, _, version = urllib.parse.unquote(source).lstrip("/").partition("?versionId=")
        requests.append(("s3:GetObjectVersion" if version else "s3:GetObject", f"arn:aws:s3:::{path}"))
    return requests


def _operation(environ: dict[str, Any], raw: bytes) -> tuple[str | None, dict[str, Any]]:
    """The operation and its parameters: X-Amz-Target and a JSON body, or a query form."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    try:
        if "." in target:
            return target.rsplit(".", 1)[1], json.loads(raw or b"{}")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(), keep_blank_values=True).items()}
    except ValueError:
        return None, {}
    return form.get("Action"), form


class Enforcer:
    """WSGI middleware in front of moto: checks each request of an enforced role."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        refusal = self._refusal(environ)
        if refusal is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        if "." in environ.get("HTTP_X_AMZ_TARGET", ""):  # a JSON protocol's error
            body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": refusal})
            headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", "AccessDeniedException")]
            start_response("400 Bad Request", headers)
        elif "Credential=" in environ.get("HTTP_AUTHORIZATION", "") and "/s3/" in environ["HTTP_AUTHORIZATION"]:
            body = f"<Error><Code>AccessDenied</Code><Message>{html.escape(refusal)}</Message></Error>"
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            if environ.get("REQUEST_METHOD") == "HEAD":
                return [b""]
        else:  # the query protocol's
            body = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{html.escape(refusal)}</Message></Error><RequestId>enforced</RequestId></ErrorResponse>"
            )
            start_response("403 Forbidden", [("Content-Type", "text/xml")])
        return [body.encode()]

    def _refusal(self, environ: dict[str, Any]) -> str | None:
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None or match.group(3) not in (*ACTIONS, "s3"):
            return None
        role = _role_of(match.group(1))
        if role is None:
            return None
        account, role_name, caller = role
        documents = _policies(account, role_name)
        if documents is None:
            return None  # a role no template made: the emulator's administrators, CI
        if match.group(3) == "s3":
            requests = _s3(environ)  # the body (a package) is not read
        else:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)  # moto reads it again
            operation, body = _operation(environ, raw)
            if operation is None:
                return None
            requests = ACTIONS[match.group(3)](operation, body, match.group(2), account)
        for action, resource in requests:
            if denied(documents, action, resource):
                print(f"identity policy refused {caller}: {action} on {resource}", flush=True)
                return (
                    f"User: {caller} is not authorized to perform: {action} on resource: {resource} because no "
                    "identity-based policy allows the action"
                )
        return None
