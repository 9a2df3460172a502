"""CDN: CloudFront in front of the API stage, and the Route53 alias records that point the
domain at the distribution's real domain name.

The order the design requires holds by construction: the distribution takes the
certificate's ARN as a parameter (certificate stack first), and the alias records take
the distribution's `DomainName` attribute (distribution before records). The edge stack's
web ACL inspects every request, and the distribution adds the origin secret
(`X-Origin-Verify`) the API stage's web ACL requires.

The stack lives in us-east-1 (a template rule refuses any other region), where CloudFront's
metrics are: its 5xx-rate alarm can only be there, and it pages on its own (a composite alarm
cannot combine alarms of two regions).

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.cdn.settings import CdnConfig
    from blueprints.stacks.cdn.template import CdnBlueprint

_EXPORTS = {
    "CdnConfig": "blueprints.stacks.cdn.settings",
    "CdnBlueprint": "blueprints.stacks.cdn.template",
}

__all__ = ["CdnBlueprint", "CdnConfig"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
