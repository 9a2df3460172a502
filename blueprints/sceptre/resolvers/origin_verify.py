"""`!origin_verify current|previous`: a value of the environment's origin secret, read at launch."""

from __future__ import annotations

import json

from sceptre.resolvers import Resolver

from blueprints.sceptre.errors import argument_error


class OriginVerifyResolver(Resolver):  # type: ignore[misc]
    """`!origin_verify current` or `!origin_verify previous`: a value of the environment's
    origin secret (`<project>-<env>-origin-verify`, made by the edge stack in us-east-1),
    read at launch with the stack's own credentials; `previous` is the current value when
    the secret has no previous one yet (before its first rotation).

    Read at every launch rather than through a CloudFormation dynamic reference, which
    CloudFormation re-resolves only when the resource holding it changes for another reason:
    a rotated value would never reach the web ACL or CloudFront (see blueprints/stacks/edge/__init__.py)."""

    def resolve(self) -> str:
        from blueprints.stacks.edge.settings import EDGE_REGION, ORIGIN_SECRET_KEYS, origin_secret_name  # noqa: PLC0415

        if self.argument not in ORIGIN_SECRET_KEYS:
            keys = ", ".join(ORIGIN_SECRET_KEYS)
            raise argument_error(self.stack, f"!origin_verify takes one of {keys}, got {self.argument!r}")
        name = origin_secret_name(self.stack.project_code, str(self.stack.name).partition("/")[0])
        described = self.stack.connection_manager.call(
            "secretsmanager", "get_secret_value", {"SecretId": name}, region=EDGE_REGION
        )
        values = json.loads(described["SecretString"])
        return str(values.get(self.argument) or values["current"])
