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
from troposphere import GetAtt, Ref, Sub, Template, cognito

from blueprints import contract
from blueprints.core import (
    Blueprint,
    DeletionProtection,
    RetainData,
    StackConfig,
    add_output,
    set_removal_policy,
)


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
        pool = t.add_resource(
            cognito.UserPool(
                "UserPool",
                UserPoolName=self.context.name("users"),
                AdminCreateUserConfig=cognito.AdminCreateUserConfig(AllowAdminCreateUserOnly=not cfg.self_sign_up),
                Policies=cognito.Policies(
                    PasswordPolicy=cognito.PasswordPolicy(
                        MinimumLength=cfg.password_minimum_length,
                        RequireLowercase=True,
                        RequireUppercase=True,
                        RequireNumbers=True,
                        RequireSymbols=True,
                        TemporaryPasswordValidityDays=cfg.temporary_password_days,
                    )
                ),
                MfaConfiguration=cfg.mfa,
                **({"EnabledMfas": ["SOFTWARE_TOKEN_MFA"]} if cfg.mfa != "OFF" else {}),
                UsernameConfiguration=cognito.UsernameConfiguration(CaseSensitive=False),
                AccountRecoverySetting=cognito.AccountRecoverySetting(
                    RecoveryMechanisms=[cognito.RecoveryOption(Name="admin_only", Priority=1)]
                ),
                DeletionProtection="ACTIVE" if cfg.deletion_protection else "INACTIVE",
            )
        )
        set_removal_policy(pool, retain=cfg.retain_data)
        resource_server = t.add_resource(
            cognito.UserPoolResourceServer(
                "ApiResourceServer",
                UserPoolId=Ref(pool),
                Identifier=contract.RESOURCE_SERVER,
                Name=self.context.name("api"),
                Scopes=[
                    cognito.ResourceServerScopeType(ScopeName=name, ScopeDescription=description[:256])
                    for name, description in sorted(contract.BACKOFFICE_SCOPES.items())
                ],
            )
        )
        customers = t.add_resource(
            cognito.UserPoolClient(
                "CustomerClient",
                UserPoolId=Ref(pool),
                ClientName=self.context.name("customers"),
                GenerateSecret=False,  # a public client: apps cannot keep a secret
                # Secure Remote Password: the password never leaves the device.
                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                PreventUserExistenceErrors="ENABLED",
                EnableTokenRevocation=True,
                AccessTokenValidity=cfg.access_token_minutes,
                IdTokenValidity=cfg.access_token_minutes,
                RefreshTokenValidity=cfg.refresh_token_days,
                TokenValidityUnits=cognito.TokenValidityUnits(
                    AccessToken="minutes", IdToken="minutes", RefreshToken="days"
                ),
            )
        )
        # The token endpoint of back-office clients (client credentials) lives on this domain.
        domain = t.add_resource(
            cognito.UserPoolDomain(
                "AuthDomain",
                UserPoolId=Ref(pool),
                Domain=Sub(f"{self.context.name('auth')}-${{AWS::AccountId}}"),
            )
        )

        add_output(t, "UserPoolId", Ref(pool), "User pool of customers and back-office clients")
        add_output(t, "UserPoolArn", GetAtt(pool, "Arn"), "User pool ARN (the API's authorizer)")
        add_output(t, "IssuerUrl", GetAtt(pool, "ProviderURL"), "Issuer of the pool's tokens")
        add_output(t, "CustomerClientId", Ref(customers), "App client customers sign in with")
        add_output(t, "ResourceServer", Ref(resource_server), "Prefix of the back-office scopes")
        add_output(
            t,
            "TokenUrl",
            Sub(f"https://${{{domain.title}}}.auth.${{AWS::Region}}.amazoncognito.com/oauth2/token"),
            "OAuth2 token endpoint (client credentials) of back-office clients",
        )
