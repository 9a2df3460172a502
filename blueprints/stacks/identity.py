"""Identity: the user pool every caller of the API authenticates with.

Customers are users of the pool; they sign in through the customer app client and call
the API with its access tokens. Back-office services are machine clients of the same
pool (OAuth2 client credentials, through the pool's token endpoint) with scopes of the
pool's resource server, which the API contract declares. The pool holds the customers'
accounts: it is stateful (frozen logical ID, retained and protected where the
environment retains data, covered by the stateful-change guard).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from troposphere import GetAtt, Ref, Sub, Template

from blueprints import contract
from blueprints.blocks import UserPool
from blueprints.core import (
    Blueprint,
    Context,
    DeletionProtection,
    RetainData,
    StackConfig,
    add_output,
)

# The pool's OAuth2 token endpoint on its Cognito domain `<prefix>-<account id>`.
_TOKEN_URL = "https://{domain}.auth.{region}.amazoncognito.com/oauth2/token"  # noqa: S105 - a URL, no secret


def auth_domain_prefix(context: Context) -> str:
    return context.name("auth")


def token_url(context: Context, account_id: str, region: str) -> str:
    """The `TokenUrl` an environment's identity stack outputs, known before it is launched
    (the OpenAPI document names it)."""
    return _TOKEN_URL.format(domain=f"{auth_domain_prefix(context)}-{account_id}", region=region)


class IdentityConfig(StackConfig):
    """Inputs of the identity stack."""

    retain_data: RetainData
    deletion_protection: DeletionProtection
    self_sign_up: bool = Field(
        False, description="Let anyone create a customer account (default false: accounts are created by the service)."
    )
    mfa: Literal["OFF", "OPTIONAL", "ON"] = Field(
        "OPTIONAL", description="Multi-factor authentication with an authenticator app (default OPTIONAL)."
    )
    password_minimum_length: int = Field(12, ge=8, le=99, description="Shortest password accepted (default 12).")
    temporary_password_days: int = Field(
        3, ge=1, le=365, description="Days an administrator-set temporary password stays valid (default 3)."
    )
    access_token_minutes: int = Field(
        60, ge=5, le=1440, description="Lifetime of access and ID tokens in minutes (default 60)."
    )
    refresh_token_days: int = Field(
        30, ge=1, le=3650, description="Lifetime of customers' refresh tokens in days (default 30)."
    )


class IdentityBlueprint(Blueprint[IdentityConfig]):
    name = "identity"
    description = "Cognito user pool for customers and back-office clients"
    config_model = IdentityConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        pool = UserPool(
            t,
            "UserPool",
            name=self.context.name("users"),
            self_sign_up=cfg.self_sign_up,
            mfa=cfg.mfa,
            password_minimum_length=cfg.password_minimum_length,
            temporary_password_days=cfg.temporary_password_days,
            deletion_protection=cfg.deletion_protection,
            retain=cfg.retain_data,
        )
        resource_server = pool.resource_server(
            "ApiResourceServer",
            identifier=contract.RESOURCE_SERVER,
            name=self.context.name("api"),
            scopes=contract.BACKOFFICE_SCOPES,
        )
        customers = pool.app_client(
            "CustomerClient",
            name=self.context.name("customers"),
            access_token_minutes=cfg.access_token_minutes,
            refresh_token_days=cfg.refresh_token_days,
        )
        # The token endpoint of back-office clients (client credentials) lives on this domain.
        domain = pool.domain("AuthDomain", prefix=auth_domain_prefix(self.context))

        add_output(t, "UserPoolId", Ref(pool.pool), "User pool of customers and back-office clients")
        add_output(t, "UserPoolArn", pool.arn, "User pool ARN (the API's authorizer)")
        add_output(t, "IssuerUrl", GetAtt(pool.pool, "ProviderURL"), "Issuer of the pool's tokens")
        add_output(t, "CustomerClientId", Ref(customers), "App client customers sign in with")
        add_output(t, "ResourceServer", Ref(resource_server), "Prefix of the back-office scopes")
        add_output(
            t,
            "TokenUrl",
            Sub(_TOKEN_URL.format(domain=f"${{{domain.title}}}", region="${AWS::Region}")),
            "OAuth2 token endpoint (client credentials) of back-office clients",
        )
