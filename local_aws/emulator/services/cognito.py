"""Cognito's CloudFormation types through moto's Cognito backend (moto has no CloudFormation
model for any of them): user pools, their clients, resource servers (custom OAuth scopes) and
domains. Properties get the types the Cognito API takes."""

from __future__ import annotations

import contextlib
from typing import Any, Self

from moto.cognitoidp.exceptions import ResourceNotFoundError as CognitoNotFound
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource, ref_id, template_bool

# Cognito properties CloudFormation converts to numbers or booleans by its resource
# schema, whatever the template wrote ("8" or 8); moto compares them as they arrive.
_INTEGER_KEYS = frozenset(
    {
        "MinimumLength",
        "PasswordHistorySize",
        "TemporaryPasswordValidityDays",
        "UnusedAccountValidityDays",
        "Priority",
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
        "AuthSessionValidity",
        "RetryGracePeriodSeconds",
    }
)
_BOOLEAN_KEYS = frozenset(
    {
        "RequireLowercase",
        "RequireNumbers",
        "RequireSymbols",
        "RequireUppercase",
        "AllowAdminCreateUserOnly",
        "CaseSensitive",
        "ChallengeRequiredOnNewDevice",
        "DeviceOnlyRememberedOnUserPrompt",
        "DeveloperOnlyAttribute",
        "Mutable",
        "Required",
        "AllowedOAuthFlowsUserPoolClient",
        "EnablePropagateAdditionalUserContextData",
        "EnableTokenRevocation",
        "GenerateSecret",
    }
)


def _typed(value: Any, key: str = "") -> Any:
    """Cognito properties with the types the Cognito API takes (see _INTEGER_KEYS)."""
    if key == "UserPoolTags":
        return value  # tag keys are the user's own: a tag named Priority stays a string
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if key in _INTEGER_KEYS:
        return int(value)
    if key in _BOOLEAN_KEYS:
        return template_bool(value)
    return value


# AWS::Cognito::UserPool properties that are CreateUserPool parameters of the same name,
# which moto keeps and returns from DescribeUserPool (UserPoolName is the pool's name).
# The others set the MFA configuration (EnabledMfas, SmsAuthenticationMessage) or are
# ignored: moto has no e-mail MFA or WebAuthn (EmailAuthenticationMessage/Subject,
# WebAuthnRelyingPartyID, WebAuthnUserVerification).
_USER_POOL_API_PROPERTIES = (
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
    "AliasAttributes",
    "AutoVerifiedAttributes",
    "DeletionProtection",
    "DeviceConfiguration",
    "EmailConfiguration",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "LambdaConfig",
    "MfaConfiguration",
    "Policies",
    "Schema",
    "SmsAuthenticationMessage",
    "SmsConfiguration",
    "SmsVerificationMessage",
    "UserAttributeUpdateSettings",
    "UsernameAttributes",
    "UsernameConfiguration",
    "UserPoolAddOns",
    "UserPoolTags",
    "UserPoolTier",
    "VerificationMessageTemplate",
)


class UserPool(EmulatedResource, CloudFormationModel):
    """AWS::Cognito::UserPool through moto's Cognito backend (moto has no CloudFormation
    model for any Cognito type). Ref is the pool id."""

    ATTRIBUTES = ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

    def __init__(self, pool: Any) -> None:
        self.physical_resource_id = self.user_pool_id = pool.id
        self.arn = pool.arn
        self.provider_name = f"cognito-idp.{pool.region}.amazonaws.com/{pool.id}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "ProviderURL":
            return f"https://{self.provider_name}"
        return super().get_cfn_attribute(attribute_name)

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = _typed(cloudformation_json["Properties"])
        backend = cognitoidp_backends[account_id][region_name]
        config = {k: props[k] for k in _USER_POOL_API_PROPERTIES if k in props}
        pool = backend.create_user_pool(props.get("UserPoolName", resource_name), config)
        if "EnabledMfas" in props:
            # CloudFormation applies EnabledMfas with SetUserPoolMfaConfig.
            enabled = props["EnabledMfas"]
            sms = None
            if "SMS_MFA" in enabled:
                sms = {k: props[k] for k in ("SmsAuthenticationMessage", "SmsConfiguration") if k in props}
            token = {"Enabled": "SOFTWARE_TOKEN_MFA" in enabled}
            # moto keeps None (no SMS configuration) as GetUserPoolMfaConfig answers it; its annotation says dict.
            backend.set_user_pool_mfa_config(pool.id, sms, token, props.get("MfaConfiguration", "OFF"))  # type: ignore[arg-type]
        return cls(pool)

    def delete(self, account_id: str, region_name: str) -> None:
        # moto's DeleteUserPool ignores DeletionProtection; so does this.
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool(self.user_pool_id)


class UserPoolClient(EmulatedResource, CloudFormationModel):
    """AWS::Cognito::UserPoolClient through moto's Cognito backend: every property is a
    CreateUserPoolClient parameter of the same name. Ref is the client id."""

    ATTRIBUTES = ("ClientId", "ClientSecret", "Name")

    def __init__(self, client: Any) -> None:
        self.user_pool_id = client.user_pool_id
        self.physical_resource_id = self.client_id = client.id
        self.name = client.extended_config.get("ClientName")
        # moto draws a secret for every client; only one created with GenerateSecret has one.
        # Without one the attribute is empty: failing the GetAtt instead would fail moto's
        # DescribeStacks (it resolves Outputs lazily) rather than the stack.
        self.client_secret = client.secret if client.generate_secret else ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = _typed(cloudformation_json["Properties"])
        config = {k: v for k, v in props.items() if k not in ("UserPoolId", "GenerateSecret")}
        config.setdefault("ClientName", resource_name)
        client = cognitoidp_backends[account_id][region_name].create_user_pool_client(
            ref_id(props["UserPoolId"]), props.get("GenerateSecret", False), config
        )
        return cls(client)

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool_client(self.user_pool_id, self.client_id)


class UserPoolResourceServer(EmulatedResource, CloudFormationModel):
    """AWS::Cognito::UserPoolResourceServer (the custom OAuth scopes, `<Identifier>/<ScopeName>`)
    through moto's Cognito backend. Ref is the identifier."""

    def __init__(self, user_pool_id: str, identifier: str) -> None:
        self.user_pool_id = user_pool_id
        self.physical_resource_id = self.identifier = identifier

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolResourceServer"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        server = cognitoidp_backends[account_id][region_name].create_resource_server(
            ref_id(props["UserPoolId"]), props["Identifier"], props["Name"], props.get("Scopes") or []
        )
        return cls(server.user_pool_id, server.identifier)

    def delete(self, account_id: str, region_name: str) -> None:
        # moto has no DeleteResourceServer.
        pool = cognitoidp_backends[account_id][region_name].user_pools.get(self.user_pool_id)
        if pool is not None:
            pool.resource_servers.pop(self.identifier, None)


class UserPoolDomain(EmulatedResource, CloudFormationModel):
    """AWS::Cognito::UserPoolDomain (a prefix domain, or a custom one with its certificate)
    through moto's Cognito backend. Ref is the domain."""

    ATTRIBUTES = ("CloudFrontDistribution",)

    def __init__(self, domain: Any) -> None:
        self.physical_resource_id = self.domain = domain.domain
        self.cloud_front_distribution = domain.to_json()["CloudFrontDistribution"]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolDomain"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        domain = cognitoidp_backends[account_id][region_name].create_user_pool_domain(
            ref_id(props["UserPoolId"]), props["Domain"], props.get("CustomDomainConfig")
        )
        return cls(domain)

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool_domain(self.domain)


MODELS = (
    UserPool,
    UserPoolClient,
    UserPoolResourceServer,
    UserPoolDomain,
)
