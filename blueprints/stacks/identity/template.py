"""The identity stack's blueprint."""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template

from blueprints import contract
from blueprints.blocks.user_pool import UserPool
from blueprints.core import Blueprint, add_output
from blueprints.stacks.identity.settings import TOKEN_URL, IdentityConfig, auth_domain_prefix


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
            Sub(TOKEN_URL.format(domain=f"${{{domain.title}}}", region="${AWS::Region}")),
            "OAuth2 token endpoint (client credentials) of back-office clients",
        )
