"""moto's S3 buckets, with bucket policies evaluated as S3 evaluates them for the statements
this project writes."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.s3.models import FakeBucket

from local_aws.emulator.resource_policies import REQUEST_CONTEXT


def _bucket_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """Bucket policy evaluation as S3 does it, for the statements this project writes.

    moto evaluates policy conditions without request context and treats a statement
    whose condition does not match as a Deny, so any conditional Deny (such as the
    TLS-only statement) would deny everything. Here a statement applies only when its
    action, resource and conditions match; a matching Deny wins; an Allow grants only
    when its principal is "*".
    """
    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy.decode())["Statement"]
    result = PermissionResult.NEUTRAL
    for raw in statements if isinstance(statements, list) else [statements]:
        statement = IAMPolicyStatement(raw)
        if not (
            statement._check_element_matches("Action", action)
            and statement._check_element_matches("Resource", resource)
            and statement._check_conditions(REQUEST_CONTEXT)
        ):
            continue
        if raw["Effect"] == "Deny":
            return PermissionResult.DENIED
        if raw.get("Principal") in ("*", {"AWS": "*"}):
            result = PermissionResult.PERMITTED
    return result


def register() -> None:
    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
