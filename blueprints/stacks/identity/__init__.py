"""Identity: the user pool every caller of the API authenticates with.

Customers are users of the pool; they sign in through the customer app client and call
the API with its access tokens. Back-office services are machine clients of the same
pool (OAuth2 client credentials, through the pool's token endpoint) with scopes of the
pool's resource server, which the API contract declares. The pool holds the customers'
accounts: it is stateful (frozen logical ID, retained and protected where the
environment retains data, covered by the stateful-change guard).

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.identity.settings import TOKEN_URL, IdentityConfig, auth_domain_prefix, token_url
    from blueprints.stacks.identity.template import IdentityBlueprint

_EXPORTS = {
    "TOKEN_URL": "blueprints.stacks.identity.settings",
    "IdentityConfig": "blueprints.stacks.identity.settings",
    "auth_domain_prefix": "blueprints.stacks.identity.settings",
    "token_url": "blueprints.stacks.identity.settings",
    "IdentityBlueprint": "blueprints.stacks.identity.template",
}

__all__ = ["TOKEN_URL", "IdentityBlueprint", "IdentityConfig", "auth_domain_prefix", "token_url"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
