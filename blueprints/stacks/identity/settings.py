"""The identity stack's settings, and its pool's domain and token endpoint (known before the
stack is launched: the OpenAPI document names it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from blueprints.core.config import DeletionProtection, RetainData, StackConfig

if TYPE_CHECKING:
    from blueprints.core.context import Context

# The pool's OAuth2 token endpoint on its Cognito domain `<prefix>-<account id>`.
TOKEN_URL = "https://{domain}.auth.{region}.amazoncognito.com/oauth2/token"  # noqa: S105 - a URL, no secret


def auth_domain_prefix(context: Context) -> str:
    return context.name("auth")


def token_url(context: Context, account_id: str, region: str) -> str:
    """The `TokenUrl` an environment's identity stack outputs, known before it is launched
    (the OpenAPI document names it)."""
    return TOKEN_URL.format(domain=f"{auth_domain_prefix(context)}-{account_id}", region=region)


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
