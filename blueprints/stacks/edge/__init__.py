"""Edge: what sits in front of the API at CloudFront, in us-east-1 (CloudFront reads web
ACLs of scope CLOUDFRONT from there only): the edge web ACL with its logs, and the origin
secret CloudFront sends to the API stage so the stage can refuse every other caller.

The secret is `{"current": ..., "previous": ...}` under the fixed name
`<project>-<env>-origin-verify`. CloudFormation generates `current` once; afterwards only
`python -m scripts.rotate_origin_secret --env <env>` changes it (see docs/deploying.md, "Rotating the
origin secret"). The api and cdn stacks receive its values as NoEcho parameters from the
`!origin_verify` resolver at launch, not through CloudFormation dynamic references
(`{{resolve:secretsmanager:...}}`): CloudFormation resolves those only when the resource
that holds them is updated for another reason, so a rotated value would never reach WAF or
CloudFront without a template change
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html),
and the local emulator (moto) does not resolve them at all.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.edge.settings import EDGE_REGION, ORIGIN_SECRET_KEYS, EdgeConfig, origin_secret_name
    from blueprints.stacks.edge.template import EdgeBlueprint

_EXPORTS = {
    "EDGE_REGION": "blueprints.stacks.edge.settings",
    "ORIGIN_SECRET_KEYS": "blueprints.stacks.edge.settings",
    "EdgeConfig": "blueprints.stacks.edge.settings",
    "origin_secret_name": "blueprints.stacks.edge.settings",
    "EdgeBlueprint": "blueprints.stacks.edge.template",
}

__all__ = ["EDGE_REGION", "ORIGIN_SECRET_KEYS", "EdgeBlueprint", "EdgeConfig", "origin_secret_name"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
