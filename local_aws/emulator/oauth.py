"""The OAuth2 token endpoint of Cognito user pools, for the client credentials grant.

moto serves Cognito's API (cognito-idp) and each pool's JWKS, but not the OAuth2
endpoints of a pool's domain: real Cognito answers machine clients at
`POST https://<domain>.auth.<region>.amazoncognito.com/oauth2/token`. The emulator answers
`POST /oauth2/token` on any host (see `TokenEndpoint`, wrapped around moto's app in
server.py), with the same form parameters, client authentication and RFC 6749 errors.

Tokens are RS256 JWTs signed with the pool's own key, with the header moto's
`CognitoIdpUserPool.create_jwt` writes, so they verify against the JWKS moto serves at
`/<pool_id>/.well-known/jwks.json`. Imported by the emulator process only.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote_plus

from joserfc import jwt
from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, cognitoidp_backends
from werkzeug.wrappers import Request, Response

ENDPOINT_PATH = "/oauth2/token"
LOG = logging.getLogger(__name__)
GRANT_TYPE = "client_credentials"
# Cognito's default access token lifetime, and the unit AccessTokenValidity is counted in
# when TokenValidityUnits does not say.
DEFAULT_LIFETIME = 60 * 60
DEFAULT_UNIT = "hours"
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 60 * 60, "days": 24 * 60 * 60}


class OAuthError(Exception):
    """An RFC 6749 error response: 401 for invalid_client, 400 otherwise."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    @property
    def status(self) -> int:
        return 401 if self.error == "invalid_client" else 400


class TokenEndpoint:
    """WSGI middleware: `/oauth2/token` is answered here, every other path by moto."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != ENDPOINT_PATH:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        return token_response(Request(environ))(environ, start_response)


def token_response(request: Request) -> Response:
    """The token endpoint's answer to `request`."""
    if request.method != "POST":
        response = _json(405, {"error": "invalid_request"})
        response.headers["Allow"] = "POST"
        return response
    try:
        token, expires_in = grant(request)
    except OAuthError as err:
        # Cognito's body holds the error code only; the reason goes to the emulator's log.
        LOG.warning("%s refused: %s (%s)", ENDPOINT_PATH, err.error, err.description)
        response = _json(err.status, {"error": err.error})
        if err.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="cognito"'
        return response
    return _json(200, {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})


def grant(request: Request) -> tuple[str, int]:
    """An access token and its lifetime for a client credentials request, or OAuthError."""
    form = _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    pool, client = authenticate(*_client_credentials(request, form))
    if grant_type != GRANT_TYPE:
        # authorization_code and refresh_token are real Cognito grants the emulator lacks.
        raise OAuthError("unsupported_grant_type", f"only {GRANT_TYPE} is supported")
    config = client.extended_config
    if not (
        client.generate_secret
        and GRANT_TYPE in (config.get("AllowedOAuthFlows") or [])
        and config.get("AllowedOAuthFlowsUserPoolClient") is True
    ):
        raise OAuthError("unauthorized_client", f"the client is not allowed the {GRANT_TYPE} flow")
    scopes = granted_scopes(pool, client, form.get("scope", ""))
    lifetime = access_token_lifetime(client)
    return issue_access_token(pool, client, scopes, lifetime), lifetime


def _form(request: Request) -> dict[str, str]:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = request.form
    if any(len(form.getlist(key)) > 1 for key in form):
        raise OAuthError("invalid_request", "a parameter is repeated")  # RFC 6749 section 3.2
    return dict(form.items())


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """(client_id, client_secret) from HTTP Basic authentication or the form, not both."""
    if "Authorization" not in request.headers:
        if not form.get("client_id"):
            raise OAuthError("invalid_client", "no client authentication")
        return form["client_id"], form.get("client_secret")
    auth = request.authorization
    if auth is None:
        raise OAuthError("invalid_request", "malformed Authorization header")
    if auth.type != "basic" or not auth.username:
        raise OAuthError("invalid_client", "unsupported client authentication")
    # RFC 6749 section 2.3.1: both are form-encoded before Basic encoding.
    client_id, secret = unquote_plus(auth.username), unquote_plus(auth.password or "")
    if "client_secret" in form or form.get("client_id", client_id) != client_id:
        raise OAuthError("invalid_request", "more than one client authentication")
    return client_id, secret


def authenticate(client_id: str, secret: str | None) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
    """The client and its pool: a client with a secret must present it, one without must not."""
    for pool in _user_pools():
        client = pool.clients.get(client_id)
        if client is None:
            continue
        expected = client.secret if client.generate_secret else None
        if expected is None and secret is None:
            return pool, client
        if expected is not None and secret is not None and hmac.compare_digest(secret.encode(), expected.encode()):
            return pool, client
        break
    raise OAuthError("invalid_client", "unknown client or wrong secret")


def _user_pools() -> Iterator[CognitoIdpUserPool]:
    """Every user pool of every account and region (copies: other threads create pools)."""
    for account in list(cognitoidp_backends.values()):
        for backend in list(account.values()):
            yield from list(backend.user_pools.values())


def granted_scopes(pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, requested: str) -> list[str]:
    """The requested scopes (all the client's, when none are): each must be allowed to the
    client and defined by a resource server of the pool, as Cognito requires."""
    allowed = client.extended_config.get("AllowedOAuthScopes") or []
    defined = {
        f"{server.identifier}/{scope['ScopeName']}"
        for server in pool.resource_servers.values()
        for scope in server.scopes or []
    }
    scopes = list(dict.fromkeys(requested.split() or allowed))
    refused = [s for s in scopes if s not in allowed or s not in defined]
    if refused or not scopes:
        raise OAuthError("invalid_scope", f"scopes not allowed: {' '.join(refused) or '(none)'}")
    return scopes


def access_token_lifetime(client: CognitoIdpUserPoolClient) -> int:
    """The client's AccessTokenValidity in seconds, in its TokenValidityUnits."""
    config = client.extended_config
    if config.get("AccessTokenValidity") is None:
        return DEFAULT_LIFETIME
    unit = (config.get("TokenValidityUnits") or {}).get("AccessToken") or DEFAULT_UNIT
    return int(config["AccessTokenValidity"]) * UNIT_SECONDS[unit]


def issue_access_token(
    pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, scopes: list[str], lifetime: int
) -> str:
    """A machine access token as Cognito issues it: subject the client, no username."""
    now = int(time.time())
    claims = {
        "sub": client.id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}",
        "exp": now + lifetime,
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.id,
    }
    # The header moto's create_jwt writes: the kid is the one its JWKS publishes.
    header = {"kid": pool.json_web_key.kid, "alg": "RS256"}
    return str(jwt.encode(header, claims, pool.json_web_key))


def _json(status: int, body: dict[str, Any]) -> Response:
    # RFC 6749 section 5.1: token responses must not be cached.
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json;charset=UTF-8",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
