"""A Cognito user pool for an API's callers, with secure defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from troposphere import GetAtt, Ref, Sub, cognito

from blueprints.blocks.base import Block, Options
from blueprints.core import set_removal_policy


class UserPoolOptions(Options):
    name: str = Field(description="The pool's name.")
    self_sign_up: bool = Field(default=False, description="Anyone may create an account (default off).")
    mfa: Literal["OFF", "OPTIONAL", "ON"] = Field(default="OPTIONAL", description="Authenticator-app MFA.")
    password_minimum_length: int = Field(default=12, ge=8, le=99, description="Shortest password (default 12).")
    temporary_password_days: int = Field(default=3, ge=1, le=365, description="Validity of temporary passwords.")
    deletion_protection: bool = Field(default=True, description="Cognito deletion protection (default on).")
    retain: bool = Field(
        default=True,
        description=(
            "Kept when deleted or replaced (default on): DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy "
            "Retain."
        ),
    )


class UserPool(Block):
    """A user pool: accounts made by the service unless self sign-up is on, a password policy
    of four character classes, case-insensitive user names, account recovery by an
    administrator only, MFA as given, deletion protection and both removal policies (the
    pool holds the accounts: losing it loses them). `app_client()`, `resource_server()` and
    `domain()` add what callers need."""

    Options = UserPoolOptions
    options: UserPoolOptions

    def build(self) -> None:
        o = self.options
        pool = cognito.UserPool(
            self.logical_id,
            UserPoolName=o.name,
            AdminCreateUserConfig=cognito.AdminCreateUserConfig(AllowAdminCreateUserOnly=not o.self_sign_up),
            Policies=cognito.Policies(
                PasswordPolicy=cognito.PasswordPolicy(
                    MinimumLength=o.password_minimum_length,
                    RequireLowercase=True,
                    RequireUppercase=True,
                    RequireNumbers=True,
                    RequireSymbols=True,
                    TemporaryPasswordValidityDays=o.temporary_password_days,
                )
            ),
            MfaConfiguration=o.mfa,
            UsernameConfiguration=cognito.UsernameConfiguration(CaseSensitive=False),
            AccountRecoverySetting=cognito.AccountRecoverySetting(
                RecoveryMechanisms=[cognito.RecoveryOption(Name="admin_only", Priority=1)]
            ),
            DeletionProtection="ACTIVE" if o.deletion_protection else "INACTIVE",
        )
        if o.mfa != "OFF":
            pool.EnabledMfas = ["SOFTWARE_TOKEN_MFA"]
        set_removal_policy(pool, retain=o.retain)
        self.pool = self.template.add_resource(pool)

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.pool, "Arn")

    def app_client(
        self,
        logical_id: str,
        *,
        name: str,
        access_token_minutes: int = 60,
        refresh_token_days: int = 30,
    ) -> cognito.UserPoolClient:
        """A public client users sign in with: no secret, SRP and refresh only, no user
        enumeration, revocable tokens, access and ID tokens of the given lifetime."""
        return self.template.add_resource(
            cognito.UserPoolClient(
                logical_id,
                UserPoolId=Ref(self.pool),
                ClientName=name,
                GenerateSecret=False,  # a public client: apps cannot keep a secret
                # Secure Remote Password: the password never leaves the device.
                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                PreventUserExistenceErrors="ENABLED",
                EnableTokenRevocation=True,
                AccessTokenValidity=access_token_minutes,
                IdTokenValidity=access_token_minutes,
                RefreshTokenValidity=refresh_token_days,
                TokenValidityUnits=cognito.TokenValidityUnits(
                    AccessToken="minutes", IdToken="minutes", RefreshToken="days"
                ),
            )
        )

    def resource_server(
        self, logical_id: str, *, identifier: str, name: str, scopes: dict[str, str]
    ) -> cognito.UserPoolResourceServer:
        """The scopes (`<identifier>/<scope>`) machine clients may be granted."""
        return self.template.add_resource(
            cognito.UserPoolResourceServer(
                logical_id,
                UserPoolId=Ref(self.pool),
                Identifier=identifier,
                Name=name,
                Scopes=[
                    cognito.ResourceServerScopeType(ScopeName=scope, ScopeDescription=text[:256])
                    for scope, text in sorted(scopes.items())
                ],
            )
        )

    def domain(self, logical_id: str, *, prefix: str) -> cognito.UserPoolDomain:
        """The pool's Cognito domain `<prefix>-<account id>` (its OAuth2 token endpoint);
        the account id keeps the prefix unique."""
        return self.template.add_resource(
            cognito.UserPoolDomain(logical_id, UserPoolId=Ref(self.pool), Domain=Sub(f"{prefix}-${{AWS::AccountId}}"))
        )


__all__ = [
    "UserPool",
    "UserPoolOptions",
]
