"""`!digest [...]`: a short SHA-256 of its (resolved) argument, where CloudFormation compares."""

from __future__ import annotations

import hashlib
import json

from sceptre.resolvers import Resolver


class DigestResolver(Resolver):  # type: ignore[misc]
    """`!digest [<value>, ...]`: 16 hex digits of the SHA-256 of its argument, after Sceptre has
    resolved the resolvers inside it (e.g. `!stack_output`s, or YAML aliases of other
    parameters). A template that writes the digest where CloudFormation compares (a Lambda
    version's description) sees a change of those values, which it otherwise cannot: a
    version is published only when its own properties change, not when a parameter it reads
    through its function does."""

    def resolve(self) -> str:
        text = json.dumps(self.argument, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
