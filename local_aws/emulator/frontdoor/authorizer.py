"""API Gateway's COGNITO_USER_POOLS authorizer: verify a Cognito JWT (pure; the JWKS and
the pool's app clients come through injected callables, so it needs no AWS to test).

Every refusal raises `Unauthorized`: API Gateway answers 401 "Unauthorized" for a missing,
malformed, forged, expired, foreign or under-scoped token alike. `reason` is for logs only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "RS256"  # the only algorithm Cognito signs with; anything else is refused


class Unauthorized(Exception):
    """The token does not authorize the request (the reason is never shown to the caller)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UserPool:
    region: str
    pool_id: str
    account: str = ""  # the account holding the pool (from its ARN)

    @classmethod
    def from_arn(cls, arn: str) -> UserPool:
        """arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>"""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cognito-idp" or not parts[4] or not parts[5].startswith("userpool/"):
            raise ValueError(f"not a Cognito user pool ARN: {arn!r}")
        return cls(region=parts[3], pool_id=parts[5].removeprefix("userpool/"), account=parts[4])

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


JwksSource = Callable[[UserPool], Mapping[str, Any]]
ClientCheck = Callable[[UserPool, str], bool]


def bearer_token(header_value: str | None) -> str:
    """The token in an Authorization header, with or without the "Bearer " scheme."""
    value = (header_value or "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


class CognitoAuthorizer:
    """Verifies a token against the user pools of one authorizer.

    `jwks(pool)` returns the pool's JSON Web Key Set; `has_client(pool, client_id)` says
    whether the pool has that app client; `clock()` is the current epoch time.
    """

    def __init__(self, jwks: JwksSource, has_client: ClientCheck, clock: Callable[[], float] = time.time) -> None:
        self._jwks = jwks
        self._has_client = has_client
        self._clock = clock

    def verify(self, token: str, pools: Sequence[UserPool], scopes: Collection[str] = ()) -> dict[str, Any]:
        """The token's claims if it authorizes a method with these `scopes` (none: an id
        token is required; some: an access token holding at least one of them)."""
        if not token:
            raise Unauthorized("no token")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise Unauthorized(f"not a JWT: {error}") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized(f"algorithm {header.get('alg')!r} refused")
        pool = next((p for p in pools if p.issuer == unverified.get("iss")), None)
        if pool is None:
            raise Unauthorized(f"issuer {unverified.get('iss')!r} is not a pool of this authorizer")
        claims = self._verified_claims(token, header, pool)
        client_id = self._check_use(claims, scopes)
        if not self._has_client(pool, client_id):
            raise Unauthorized(f"client {client_id!r} is not an app client of {pool.pool_id}")
        return claims

    def _verified_claims(self, token: str, header: Mapping[str, Any], pool: UserPool) -> dict[str, Any]:
        key = next(
            (
                k
                for k in self._jwks(pool).get("keys", [])
                if k.get("kid") == header.get("kid") and k.get("kty") == "RSA"
            ),
            None,
        )
        if key is None:
            raise Unauthorized(f"no key {header.get('kid')!r} in the JWKS of {pool.pool_id}")
        try:
            public_key = jwt.PyJWK.from_json(json.dumps(key), algorithm=ALGORITHM).key
            claims: dict[str, Any] = jwt.decode(
                token,
                public_key,
                algorithms=[ALGORITHM],
                issuer=pool.issuer,
                # exp and nbf are checked below against the injected clock
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"signature or issuer refused: {error}") from None
        now = self._clock()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
            raise Unauthorized("expired or without expiry")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int | float) or nbf > now):
            raise Unauthorized("not valid yet")
        return claims

    @staticmethod
    def _check_use(claims: Mapping[str, Any], scopes: Collection[str]) -> str:
        """The token's client id, once its use fits the method."""
        if scopes:
            if claims.get("token_use") != "access":
                raise Unauthorized("an access token is required")
            granted = claims.get("scope")
            if not isinstance(granted, str) or not set(granted.split()) & set(scopes):
                raise Unauthorized(f"scopes {granted!r} hold none of {sorted(scopes)}")
            client_id = claims.get("client_id")
        else:
            if claims.get("token_use") != "id":
                raise Unauthorized("an id token is required")
            client_id = claims.get("aud")
        if not isinstance(client_id, str) or not client_id:
            raise Unauthorized("no client id")
        return client_id
