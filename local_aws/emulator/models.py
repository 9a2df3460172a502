"""CloudFormation models for the resource types moto's CloudFormation skips although its
service backends support them. Imported by the emulator process only (see server.py).

Each model creates the resource through moto's own service backend, so what a stack
creates is visible through the ordinary service APIs (ACM, CloudFront, API Gateway, S3,
Cognito, WAFv2, Lambda versions and aliases, CodeDeploy).

A stack's resource diff lists modifications in dependency order, with what refers to a
replaced Lambda version among them (local_aws/emulator/stack_lifecycle.py runs updates, replacements
and their cleanup as CloudFormation does). CodeDeploy deployments are not run:
an alias under a `CodeDeployLambdaAliasUpdate` policy moves to the new version at once.
Written against moto 5.2.5 (pinned in requirements-emulator.txt); the emulator's tests
fail if a new moto changes the backend calls these rely on.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import uuid
from graphlib import TopologicalSorter
from typing import Any, ClassVar
from urllib.parse import unquote

from moto.acm.models import acm_backends
from moto.apigateway.exceptions import RestAPINotFound
from moto.apigateway.models import Method, apigateway_backends
from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudfront.models import cloudfront_backends
from moto.codedeploy.models import codedeploy_backends
from moto.cognitoidp.exceptions import ResourceNotFoundError as CognitoNotFound
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.core.utils import camelcase_to_underscores
from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.models.vpcs import VPCEndPoint
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.route53.models import DelegationSet, FakeZone
from moto.s3.models import FakeBucket, s3_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.utilities.utils import get_partition
from moto.wafv2.exceptions import WAFNonexistentItemException
from moto.wafv2.models import GLOBAL_REGION, FakeRule, wafv2_backends

MOTO_VERSION = "5.2.5"


class _Emulated:
    """What every model here shares: no name property, attributes declared per class,
    replace-on-update, and deletion through the backend where it has one."""

    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    physical_resource_id: str

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return getattr(self, _snake(attribute_name))

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        """Nothing to do: `delete()` on the instance removes what the backend holds."""

    def delete(self, account_id: str, region_name: str) -> None:
        """Remove the resource from its backend (default: nothing is held)."""


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _ref(value: Any) -> str:
    """A Ref as a string id: moto resolves Ref to the model object itself when the model
    has no physical_resource_id (API Gateway deployments, for one)."""
    return value if isinstance(value, str) else str(value.id)


def _json_text(value: Any) -> str:
    """A JSON document as text: templates may carry it as an object or already as a string."""
    return value if isinstance(value, str) else json.dumps(value)


def _items(values: list[Any] | None) -> dict[str, Any]:
    """CloudFormation lists become the CloudFront API's {Quantity, Items} shape."""
    values = list(values or [])
    return {"Quantity": len(values), "Items": values}


class Certificate(_Emulated, CloudFormationModel):
    """AWS::CertificateManager::Certificate through moto's ACM backend."""

    ATTRIBUTES = ("Id",)

    def __init__(self, arn: str, region_name: str) -> None:
        self.physical_resource_id = self.id = arn
        self.region_name = region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        arn = acm_backends[account_id][region_name].request_certificate(
            domain_name=props["DomainName"],
            idempotency_token=None,
            subject_alt_names=props.get("SubjectAlternativeNames") or [],
            tags=props.get("Tags") or [],
        )
        return cls(arn, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        acm_backends[account_id][region_name].delete_certificate(self.id)


class ResponseHeadersPolicy(_Emulated, CloudFormationModel):
    """AWS::CloudFront::ResponseHeadersPolicy: moto's CloudFront has no such API, so the
    policy exists in the CloudFormation layer only (an id that distributions refer to)."""

    ATTRIBUTES = ("Id", "LastModifiedTime")

    def __init__(self, config: dict[str, Any]) -> None:
        self.physical_resource_id = self.id = str(uuid.uuid4())
        self.last_modified_time = "2020-01-01T00:00:00Z"
        self.config = config

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::ResponseHeadersPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        return cls(cloudformation_json["Properties"]["ResponseHeadersPolicyConfig"])


class Distribution(_Emulated, CloudFormationModel):
    """AWS::CloudFront::Distribution through moto's CloudFront backend."""

    ATTRIBUTES = ("DomainName", "Id")

    def __init__(self, distribution: Any) -> None:
        self.physical_resource_id = self.id = distribution.distribution_id
        self.domain_name = distribution.domain_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        config = api_distribution_config(cloudformation_json["Properties"]["DistributionConfig"], resource_name)
        backend = cloudfront_backends[account_id][get_partition(region_name)]
        distribution, _, _ = backend.create_distribution(config, tags=[])
        return cls(distribution)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        """In place, as CloudFront updates a distribution: same id and domain name (the alias
        records and the front door keep pointing at it)."""
        backend = cloudfront_backends[account_id][get_partition(region_name)]
        config = api_distribution_config(cloudformation_json["Properties"]["DistributionConfig"], new_resource_name)
        distribution, _, _ = backend.update_distribution(config, original_resource.id, if_match=True)
        return cls(distribution)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = cloudfront_backends[account_id][get_partition(region_name)]
        backend.distributions.pop(self.id, None)


def api_distribution_config(cfn: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    """A CloudFormation DistributionConfig in the shape of the CloudFront API."""
    origins = []
    for origin in cfn["Origins"]:
        converted = {k: v for k, v in origin.items() if k not in {"CustomOriginConfig", "OriginCustomHeaders"}}
        # moto's CloudFront drops OriginCustomHeaders (CloudFormation's name): the API's is
        # CustomHeaders {Quantity, Items}.
        converted["CustomHeaders"] = _items(
            [
                {"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]}
                for h in origin.get("OriginCustomHeaders", [])
            ]
        )
        if "CustomOriginConfig" in origin:
            custom = dict(origin["CustomOriginConfig"])
            custom["OriginSslProtocols"] = _items(custom.pop("OriginSSLProtocols", []))
            custom.setdefault("HTTPPort", 80)
            converted["CustomOriginConfig"] = custom
        origins.append(converted)
    behavior = dict(cfn["DefaultCacheBehavior"])
    behavior["AllowedMethods"] = {
        **_items(behavior.get("AllowedMethods", ["GET", "HEAD"])),
        "CachedMethods": _items(behavior.pop("CachedMethods", ["GET", "HEAD"])),
    }
    viewer = dict(cfn.get("ViewerCertificate", {}))
    if "AcmCertificateArn" in viewer:
        viewer = {
            "ACMCertificateArn": viewer["AcmCertificateArn"],
            "SSLSupportMethod": viewer.get("SslSupportMethod", "sni-only"),
            "MinimumProtocolVersion": viewer.get("MinimumProtocolVersion", "TLSv1"),
            "CloudFrontDefaultCertificate": False,
        }
    config: dict[str, Any] = {
        "CallerReference": caller_reference,
        "Comment": cfn.get("Comment", ""),
        "Enabled": cfn["Enabled"],
        "Aliases": {"Items": list(cfn.get("Aliases", []))},
        "Origins": _items(origins),
        "DefaultCacheBehavior": behavior,
        "ViewerCertificate": viewer,
        "PriceClass": cfn.get("PriceClass", "PriceClass_All"),
        "HttpVersion": cfn.get("HttpVersion", "http2"),
        "IsIPV6Enabled": cfn.get("IPV6Enabled", False),
        "WebACLId": cfn.get("WebACLId", ""),
    }
    if "Logging" in cfn:
        config["Logging"] = {"Enabled": True, "IncludeCookies": False, "Prefix": "", **cfn["Logging"]}
    return config


class RequestValidator(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::RequestValidator through moto's API Gateway backend."""

    ATTRIBUTES = ("RequestValidatorId",)

    def __init__(self, rest_api_id: str, validator_id: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.request_validator_id = validator_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::RequestValidator"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        validator = apigateway_backends[account_id][region_name].create_request_validator(
            _ref(props["RestApiId"]),
            props.get("Name", resource_name),
            props.get("ValidateRequestBody", False),
            props.get("ValidateRequestParameters", False),
        )
        return cls(_ref(props["RestApiId"]), validator.id)

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_request_validator(
            self.rest_api_id, self.physical_resource_id
        )


class Stage(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::Stage, with tracing, access log settings and method settings."""

    def __init__(self, rest_api_id: str, name: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        stage = backend.create_stage(
            _ref(props["RestApiId"]),
            props["StageName"],
            _ref(props["DeploymentId"]),
            variables=props.get("Variables"),
            description=props.get("Description", ""),
            cacheClusterEnabled=props.get("CacheClusterEnabled", False),
            tags={t["Key"]: t["Value"] for t in props.get("Tags", [])},
            tracing_enabled=props.get("TracingEnabled", False),
        )
        stage.apply_operations(stage_patch_operations(props))
        return cls(_ref(props["RestApiId"]), props["StageName"])

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_stage(self.rest_api_id, self.name)


_METHOD_SETTINGS = {
    "MetricsEnabled": "metrics/enabled",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "ThrottlingRateLimit": "throttling/rateLimit",
}


def stage_patch_operations(props: dict[str, Any]) -> list[dict[str, str]]:
    """The API Gateway patch operations equivalent to a Stage's settings."""
    ops = []
    access = props.get("AccessLogSetting")
    if access:
        ops += [
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": access["DestinationArn"]},
            {"op": "replace", "path": "/accessLogSettings/format", "value": access.get("Format", "")},
        ]
    for setting in props.get("MethodSettings", []):
        prefix = (
            "/"
            + setting.get("ResourcePath", "/*").lstrip("/").replace("/", "~1")
            + "/"
            + setting.get("HttpMethod", "*")
        )
        for key, path in _METHOD_SETTINGS.items():
            if key in setting:
                ops.append(
                    {
                        "op": "replace",
                        "path": f"{prefix}/{path}",
                        "value": str(setting[key]).lower() if isinstance(setting[key], bool) else str(setting[key]),
                    }
                )
    return ops


class ApiModel(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::Model (a request body's JSON schema)."""

    def __init__(self, rest_api_id: str, name: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Model"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        rest_api_id = _ref(props["RestApiId"])
        name = props.get("Name", resource_name)
        apigateway_backends[account_id][region_name].create_model(
            rest_api_id,
            name,
            props.get("ContentType", "application/json"),
            props.get("Description", ""),
            _json_text(props.get("Schema", {})),
        )
        return cls(rest_api_id, name)

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_model(self.rest_api_id, self.name)


class GatewayResponse(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::GatewayResponse (API Gateway's own error responses)."""

    def __init__(self, rest_api_id: str, response_type: str) -> None:
        self.rest_api_id = rest_api_id
        self.response_type = response_type
        self.physical_resource_id = f"{rest_api_id}-{response_type}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::GatewayResponse"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        rest_api_id = _ref(props["RestApiId"])
        apigateway_backends[account_id][region_name].put_gateway_response(
            rest_api_id,
            props["ResponseType"],
            props.get("StatusCode"),
            props.get("ResponseParameters", {}),
            props.get("ResponseTemplates", {}),
        )
        return cls(rest_api_id, props["ResponseType"])

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_gateway_response(self.rest_api_id, self.response_type)


class Secret(_Emulated, CloudFormationModel):
    """AWS::SecretsManager::Secret, including a generated secret string."""

    ATTRIBUTES = ("Id",)

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = self.id = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = secretsmanager_backends[account_id][region_name]
        value = props.get("SecretString")
        generate = props.get("GenerateSecretString")
        if value is None and generate is not None:
            generated = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=bool(generate.get("ExcludeNumbers", False)),
                exclude_punctuation=bool(generate.get("ExcludePunctuation", False)),
                exclude_uppercase=bool(generate.get("ExcludeUppercase", False)),
                exclude_lowercase=bool(generate.get("ExcludeLowercase", False)),
                include_space=bool(generate.get("IncludeSpace", False)),
                require_each_included_type=bool(generate.get("RequireEachIncludedType", True)),
            )
            value = json.loads(generated)["RandomPassword"]
            if generate.get("GenerateStringKey"):
                # As Secrets Manager does: the template's JSON with the generated string added.
                template = json.loads(generate.get("SecretStringTemplate") or "{}")
                value = json.dumps({**template, generate["GenerateStringKey"]: value})
        created = backend.create_secret(
            # Without a Name, CloudFormation makes a unique one: two stacks' secrets of the same
            # logical ID (dev and prod in one account) must not overwrite each other.
            name=props.get("Name") or f"{resource_name}-{uuid.uuid4().hex[:12]}",
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags") or [],
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        # The backend answers the API's JSON ({"ARN", "Name", "VersionId"}); Ref is the ARN.
        return cls(json.loads(created)["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(self.id, None, True)


class ApiGatewayAccount(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::Account: the region's CloudWatch role setting."""

    def __init__(self, role_arn: str) -> None:
        self.physical_resource_id = f"ApiGatewayAccount-{uuid.uuid4().hex[:12]}"
        self.role_arn = role_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Account"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        role_arn = cloudformation_json["Properties"]["CloudWatchRoleArn"]
        apigateway_backends[account_id][region_name].update_account(
            [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
        )
        return cls(role_arn)


class BucketPolicy(_Emulated, CloudFormationModel):
    """AWS::S3::BucketPolicy through moto's S3 backend."""

    def __init__(self, bucket: str) -> None:
        self.physical_resource_id = self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(props["Bucket"], json.dumps(props["PolicyDocument"]).encode())
        return cls(props["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        s3_backends[account_id][get_partition(region_name)].delete_bucket_policy(self.bucket)


def _bool(value: Any) -> bool:
    """A template boolean, written either as true or as "true"."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


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
        return _bool(value)
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


class UserPool(_Emulated, CloudFormationModel):
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
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
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
            backend.set_user_pool_mfa_config(pool.id, sms, token, props.get("MfaConfiguration", "OFF"))
        return cls(pool)

    def delete(self, account_id: str, region_name: str) -> None:
        # moto's DeleteUserPool ignores DeletionProtection; so does this.
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool(self.user_pool_id)


class UserPoolClient(_Emulated, CloudFormationModel):
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
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = _typed(cloudformation_json["Properties"])
        config = {k: v for k, v in props.items() if k not in ("UserPoolId", "GenerateSecret")}
        config.setdefault("ClientName", resource_name)
        client = cognitoidp_backends[account_id][region_name].create_user_pool_client(
            _ref(props["UserPoolId"]), props.get("GenerateSecret", False), config
        )
        return cls(client)

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool_client(self.user_pool_id, self.client_id)


class UserPoolResourceServer(_Emulated, CloudFormationModel):
    """AWS::Cognito::UserPoolResourceServer (the custom OAuth scopes, `<Identifier>/<ScopeName>`)
    through moto's Cognito backend. Ref is the identifier."""

    def __init__(self, user_pool_id: str, identifier: str) -> None:
        self.user_pool_id = user_pool_id
        self.physical_resource_id = self.identifier = identifier

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolResourceServer"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        server = cognitoidp_backends[account_id][region_name].create_resource_server(
            _ref(props["UserPoolId"]), props["Identifier"], props["Name"], props.get("Scopes") or []
        )
        return cls(server.user_pool_id, server.identifier)

    def delete(self, account_id: str, region_name: str) -> None:
        # moto has no DeleteResourceServer.
        pool = cognitoidp_backends[account_id][region_name].user_pools.get(self.user_pool_id)
        if pool is not None:
            pool.resource_servers.pop(self.identifier, None)


class UserPoolDomain(_Emulated, CloudFormationModel):
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
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        domain = cognitoidp_backends[account_id][region_name].create_user_pool_domain(
            _ref(props["UserPoolId"]), props["Domain"], props.get("CustomDomainConfig")
        )
        return cls(domain)

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(CognitoNotFound):
            cognitoidp_backends[account_id][region_name].delete_user_pool_domain(self.domain)


class ApiAuthorizer(_Emulated, CloudFormationModel):
    """AWS::ApiGateway::Authorizer (COGNITO_USER_POOLS, TOKEN or REQUEST) through moto's
    API Gateway backend. Ref is the authorizer id."""

    ATTRIBUTES = ("AuthorizerId",)

    def __init__(self, rest_api_id: str, authorizer_id: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.authorizer_id = authorizer_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Authorizer"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        rest_api_id = _ref(props["RestApiId"])
        authorizer = apigateway_backends[account_id][region_name].create_authorizer(
            rest_api_id,
            props.get("Name", resource_name),
            props["Type"],
            provider_arns=props.get("ProviderARNs"),
            auth_type=props.get("AuthType"),
            authorizer_uri=props.get("AuthorizerUri"),
            authorizer_credentials=props.get("AuthorizerCredentials"),
            identity_source=props.get("IdentitySource"),
            authorizer_result_ttl=int(props.get("AuthorizerResultTtlInSeconds", 300)),
        )
        # moto misspells this keyword between its backend and its model (identiy_...), so the
        # expression is always lost on creation: set it on the model directly.
        authorizer.identity_validation_expression = props.get("IdentityValidationExpression")
        return cls(rest_api_id, authorizer.id)

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(RestAPINotFound, KeyError):
            apigateway_backends[account_id][region_name].delete_authorizer(self.rest_api_id, self.authorizer_id)


def _wafv2_backend(account_id: str, region_name: str, scope: str) -> Any:
    """The backend moto's WAFv2 API keeps a web ACL of `scope` in: CLOUDFRONT web ACLs are
    created through us-east-1 and kept in the "global" backend (as moto's CreateWebACL does)."""
    return wafv2_backends[account_id][GLOBAL_REGION if scope == "CLOUDFRONT" else region_name]


def waf_api_statement(statement: Any) -> Any:
    """A CloudFormation WAF statement in the API's JSON shape: ByteMatchStatement.SearchString
    is a blob there, base64-encoded on the wire (what GetWebACL returns and SDKs decode)."""
    if isinstance(statement, list):
        return [waf_api_statement(item) for item in statement]
    if not isinstance(statement, dict):
        return statement
    converted = {key: waf_api_statement(value) for key, value in statement.items()}
    match = converted.get("ByteMatchStatement")
    if isinstance(match, dict) and "SearchString" in match:
        text = match.pop("SearchString")
        match["SearchString"] = base64.b64encode(str(text).encode()).decode()
    return converted


def _waf_rules(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**rule, "Priority": int(rule["Priority"]), "Statement": waf_api_statement(rule["Statement"])}
        for rule in props.get("Rules") or []
    ]


class WebACL(_Emulated, CloudFormationModel):
    """AWS::WAFv2::WebACL through moto's WAFv2 backend. Ref is `name|id|scope`, as in
    CloudFormation; GetAtt Arn, Id, LabelNamespace, Capacity. Updated in place (the ARN an
    association or a distribution holds stays valid); a new name or scope replaces it."""

    ATTRIBUTES = ("Arn", "Id", "LabelNamespace", "Capacity")

    def __init__(self, acl: Any, scope: str) -> None:
        self.arn, self.id, self.name, self.scope = acl.arn, acl.id, acl.name, scope
        self.label_namespace, self.capacity = acl.label_namespace, acl.capacity
        self.physical_resource_id = f"{acl.name}|{acl.id}|{scope}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACL"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        scope = props["Scope"]
        acl = _wafv2_backend(account_id, region_name, scope).create_web_acl(
            name=props.get("Name") or f"{resource_name}-{uuid.uuid4().hex[:12]}",
            visibility_config=props["VisibilityConfig"],
            default_action=props["DefaultAction"],
            scope=scope,
            description=props.get("Description"),
            tags=props.get("Tags") or [],
            rules=_waf_rules(props),
            association_config=props.get("AssociationConfig"),
            captcha_config=props.get("CaptchaConfig"),
            challenge_config=props.get("ChallengeConfig"),
            custom_response_bodies=props.get("CustomResponseBodies"),
            token_domains=props.get("TokenDomains"),
        )
        return cls(acl, scope)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        props = cloudformation_json["Properties"]
        if props["Scope"] != original_resource.scope or props.get("Name", original_resource.name) != (
            original_resource.name
        ):
            return super().update_from_cloudformation_json(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )
        backend = _wafv2_backend(account_id, region_name, original_resource.scope)
        acl = backend.get_web_acl(original_resource.arn, None, None)
        acl.update(
            default_action=props["DefaultAction"],
            rules=[FakeRule(**{camelcase_to_underscores(k): v for k, v in rule.items()}) for rule in _waf_rules(props)],
            description=props.get("Description", ""),
            visibility_config=props["VisibilityConfig"],
            custom_response_bodies=props.get("CustomResponseBodies") or {},
            captcha_config=props.get("CaptchaConfig"),
            challenge_config=props.get("ChallengeConfig"),
            token_domains=props.get("TokenDomains"),
            association_config=props.get("AssociationConfig"),
        )
        return cls(acl, original_resource.scope)

    def delete(self, account_id: str, region_name: str) -> None:
        _wafv2_backend(account_id, region_name, self.scope).wacls.pop(self.arn, None)


class WebACLAssociation(_Emulated, CloudFormationModel):
    """AWS::WAFv2::WebACLAssociation: the resource (an API Gateway stage here) gets the
    regional web ACL, visible through GetWebACLForResource. Ref is `ResourceArn|WebACLArn`."""

    def __init__(self, resource_arn: str, acl_arn: str) -> None:
        self.resource_arn, self.acl_arn = resource_arn, acl_arn
        self.physical_resource_id = f"{resource_arn}|{acl_arn}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        resource_arn, acl_arn = props["ResourceArn"], props["WebACLArn"]
        wafv2_backends[account_id][region_name].associate_web_acl(acl_arn, resource_arn)
        return cls(resource_arn, acl_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        wafv2_backends[account_id][region_name].disassociate_web_acl(self.resource_arn)


class WafLoggingConfiguration(_Emulated, CloudFormationModel):
    """AWS::WAFv2::LoggingConfiguration, kept where moto's PutLoggingConfiguration keeps it
    (the backend of the region it is called in, us-east-1 for a CLOUDFRONT web ACL), so
    GetLoggingConfiguration finds it. Ref is the web ACL's ARN, as in CloudFormation."""

    ATTRIBUTES = ("ManagedByFirewallManager",)

    def __init__(self, acl_arn: str) -> None:
        self.physical_resource_id = self.acl_arn = acl_arn
        self.managed_by_firewall_manager = False

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::LoggingConfiguration"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        wafv2_backends[account_id][region_name].put_logging_configuration(
            props["ResourceArn"],
            list(props["LogDestinationConfigs"]),
            props.get("RedactedFields"),
            False,
            props.get("LoggingFilter"),
        )
        return cls(props["ResourceArn"])

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(WAFNonexistentItemException):
            wafv2_backends[account_id][region_name].delete_logging_configuration(self.acl_arn)


# --- Lambda versions and aliases, CodeDeploy ---------------------------------------------


def _lambda_storage(account_id: str, region_name: str) -> Any:
    return lambda_backends[account_id][region_name]._lambdas


class FunctionVersion(_Emulated, CloudFormationModel):
    """AWS::Lambda::Version (in place of moto's, which has neither Ref nor attributes): publishes
    the function's current code and configuration under the next number, never reused, as
    Lambda does; refused, as Lambda refuses it, when nothing changed since the last version.
    Ref is the version's ARN. Every property is create-only: an update publishes a new version,
    and the replaced one is deleted once the stack's update is done, unless the template
    retains it (local_aws/emulator/stack_lifecycle.py's cleanup)."""

    ATTRIBUTES = ("FunctionArn", "Version")

    def __init__(self, function: LambdaFunction) -> None:
        self.physical_resource_id = self.function_arn = function.function_arn
        self.function_name = function.function_name
        self.version = str(function.version)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Version"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        return cls(publish_version(account_id, region_name, props["FunctionName"], props.get("Description", "")))

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        """A new version; the original stays until the update is done (the alias may still
        point at it)."""
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        # Gone already when its function was deleted first (a stack's deletion).
        with contextlib.suppress(UnknownFunctionException, KeyError):
            lambda_backends[account_id][region_name].delete_function(self.function_name, self.version)


def publish_version(account_id: str, region_name: str, function_name: str, description: str) -> LambdaFunction:
    """PublishVersion as Lambda does it: a new number each time (moto numbers by count, so a
    number comes back after an older version is deleted), and an error if the function has
    not changed since its last version."""
    storage = _lambda_storage(account_id, region_name)
    latest = storage.get_function_by_name_or_arn_forbid_qualifier(function_name)
    versions = storage._functions[latest.function_name]["versions"]
    last = getattr(latest, "emulator_last_version", max((int(v.version) for v in versions), default=0))
    if versions and not latest.code_or_config_updated:
        raise ValidationError(
            message=f"A version for this Lambda function exists ( {last} ). "
            "Modify the function to create a new version."
        )
    latest.code_or_config_updated = False
    number = latest.emulator_last_version = last + 1
    # What moto's publish_version makes: a copy of $LATEST, attributes shared until either
    # is updated (an update replaces them).
    version = copy.copy(latest)
    version.set_version(number)
    if description:
        version.description = description
    versions.append(version)
    storage._arns[version.function_arn] = version
    return version


class FunctionAlias(_Emulated, CloudFormationModel):
    """AWS::Lambda::Alias through moto's Lambda backend; updated in place (same ARN), so a new
    FunctionVersion moves it at once: the traffic shifting of a `CodeDeployLambdaAliasUpdate`
    policy (CodeDeploy) is not emulated. ProvisionedConcurrencyConfig is kept on the alias and
    answered by GetProvisionedConcurrencyConfig, READY at once. Ref is the alias's ARN."""

    ATTRIBUTES = ("AliasArn",)

    def __init__(self, alias: Any, function_name: str) -> None:
        self.physical_resource_id = self.alias_arn = alias.arn
        self.name = alias.name
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        alias = lambda_backends[account_id][region_name].create_alias(
            props["Name"],
            props["FunctionName"],
            str(props["FunctionVersion"]),
            props.get("Description", ""),
            props.get("RoutingConfig"),
        )
        _provision(alias, props)
        return cls(alias, props["FunctionName"])

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        props = cloudformation_json["Properties"]
        if (props["Name"], props["FunctionName"]) != (original_resource.name, original_resource.function_name):
            original_resource.delete(account_id, region_name)  # create-only properties: replaced
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        alias = lambda_backends[account_id][region_name].update_alias(
            props["Name"],
            props["FunctionName"],
            str(props["FunctionVersion"]),
            props.get("Description", ""),
            props.get("RoutingConfig"),
        )
        _provision(alias, props)
        return cls(alias, props["FunctionName"])

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(UnknownFunctionException, KeyError):
            lambda_backends[account_id][region_name].delete_alias(self.name, self.function_name)


def _provision(alias: Any, props: dict[str, Any]) -> None:
    config = props.get("ProvisionedConcurrencyConfig") or {}
    requested = int(config.get("ProvisionedConcurrentExecutions", 0))
    alias.provisioned_concurrency = requested or None


_PROVISIONED_CONCURRENCY_PATH = (
    r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"
)


def _get_provisioned_concurrency_config(self: LambdaResponse) -> Any:
    """GetProvisionedConcurrencyConfig, which moto lacks: what the alias's template asked
    for, allocated at once."""
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self._get_param("Qualifier", "")
    try:
        alias = self.backend.get_alias(qualifier, function_name)
    except Exception:  # an unknown function or alias has no configuration either
        alias = None
    requested = getattr(alias, "provisioned_concurrency", None)
    if not requested:
        body = {"Type": "User", "Message": "No Provisioned Concurrency Config found for this function"}
        # moto takes the status from the headers' "status", not from the tuple.
        headers = {"status": 404, "x-amzn-errortype": "ProvisionedConcurrencyConfigNotFoundException"}
        return 404, headers, json.dumps(body)
    return (
        200,
        {},
        json.dumps(
            {
                "RequestedProvisionedConcurrentExecutions": requested,
                "AvailableProvisionedConcurrentExecutions": requested,
                "AllocatedProvisionedConcurrentExecutions": requested,
                "Status": "READY",
                "LastModified": "2020-01-01T00:00:00.000+0000",
            }
        ),
    )


def _camel(value: Any) -> Any:
    """A CloudFormation property in the CodeDeploy API's shape (lower camel case keys)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


class DeploymentApplication(_Emulated, CloudFormationModel):
    """AWS::CodeDeploy::Application through moto's CodeDeploy backend. Ref is its name."""

    def __init__(self, name: str, compute_platform: str) -> None:
        self.physical_resource_id = self.name = name
        self.compute_platform = compute_platform

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::Application"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        name = props.get("ApplicationName") or f"{resource_name}-{uuid.uuid4().hex[:12]}"
        platform = props.get("ComputePlatform", "Server")
        codedeploy_backends[account_id][region_name].create_application(name, platform, props.get("Tags") or [])
        return cls(name, platform)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        """In place unless a create-only property (name, compute platform) changed."""
        props = cloudformation_json["Properties"]
        if (
            props.get("ApplicationName") == original_resource.name
            and props.get("ComputePlatform", "Server") == original_resource.compute_platform
        ):
            return original_resource
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = codedeploy_backends[account_id][region_name]
        backend.applications.pop(self.name, None)
        backend.deployment_groups.pop(self.name, None)


class DeploymentGroup(_Emulated, CloudFormationModel):
    """AWS::CodeDeploy::DeploymentGroup through moto's CodeDeploy backend (GetDeploymentGroup
    reads its configuration, deployment style and rollback settings back; moto answers its
    alarm configuration empty). Ref is its name. No deployment ever runs on the emulator."""

    def __init__(self, application: str, name: str) -> None:
        self.application = application
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::DeploymentGroup"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[no-untyped-def]
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        application = props["ApplicationName"]
        name = props.get("DeploymentGroupName") or f"{resource_name}-{uuid.uuid4().hex[:12]}"
        codedeploy_backends[account_id][region_name].create_deployment_group(
            application_name=application,
            deployment_group_name=name,
            deployment_config_name=props.get("DeploymentConfigName"),
            ec2_tag_filters=None,
            on_premises_instance_tag_filters=None,
            auto_scaling_groups=None,
            service_role_arn=props["ServiceRoleArn"],
            alarm_configuration=_camel(props.get("AlarmConfiguration")),
            auto_rollback_configuration=_camel(props.get("AutoRollbackConfiguration")),
            deployment_style=_camel(props.get("DeploymentStyle")),
            tags=props.get("Tags") or [],
        )
        return cls(application, name)

    def delete(self, account_id: str, region_name: str) -> None:
        codedeploy_backends[account_id][region_name].deployment_groups.get(self.application, {}).pop(self.name, None)


# --- stack updates as CloudFormation orders them -----------------------------------------

# Every update of these makes a new resource (a new physical id): what refers to them is
# updated too.
REPLACED_ON_EVERY_UPDATE = frozenset({FunctionVersion.cloudformation_type()})


def references(node: Any) -> set[str]:
    """The logical ids (and parameters) a template fragment refers to: Ref, Fn::GetAtt,
    Fn::Sub's ${Name} and ${Name.Attribute}, DependsOn."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                if isinstance(value, list):
                    found |= references(value[1])
            elif key == "DependsOn":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


_build_resource_diff = parsing.ResourceMap.build_resource_diff


def _diff_in_dependency_order(self: parsing.ResourceMap, other_template: dict[str, Any], parameters: Any = None) -> Any:
    """moto's resource diff, with what refers to a replaced resource modified too, and the
    modifications in dependency order (moto updates in template order: an alias before its
    new version would stay on the old one)."""
    diff = _build_resource_diff(self, other_template, parameters)
    new = other_template["Resources"]
    depends = {name: references(resource) & set(new) for name, resource in new.items()}
    modified = list(diff["Modify"])
    replaced = {name for name in modified if new[name]["Type"] in REPLACED_ON_EVERY_UPDATE}
    for name in new:
        if name in self._resource_json_map and name not in modified and depends[name] & replaced:
            modified.append(name)
    sorter = TopologicalSorter({name: depends[name] & set(modified) for name in modified})
    diff["Modify"] = list(sorter.static_order())
    return diff


EMULATED_TYPES = tuple(
    m.cloudformation_type()
    for m in (
        Certificate,
        ResponseHeadersPolicy,
        Distribution,
        RequestValidator,
        Stage,
        ApiModel,
        GatewayResponse,
        ApiGatewayAccount,
        BucketPolicy,
        Secret,
        UserPool,
        UserPoolClient,
        UserPoolResourceServer,
        UserPoolDomain,
        ApiAuthorizer,
        WebACL,
        WebACLAssociation,
        WafLoggingConfiguration,
        FunctionVersion,
        FunctionAlias,
        DeploymentApplication,
        DeploymentGroup,
    )
)


def _no_update_without_changes(self: CloudFormationResponse, incoming_params, stack_body, old_stack) -> None:  # type: ignore[no-untyped-def]
    """Like CloudFormation, refuse an update that changes nothing, also for stacks without
    parameters (moto only checks stacks that have some). Sceptre reads the refusal as
    "no updates", so a second launch of an unchanged environment changes nothing."""
    if stack_body and old_stack.template == stack_body:
        new_params = self._get_param_values(incoming_params or [], old_stack.stack_parameters)
        if _comparable(old_stack.stack_parameters) == _comparable(new_params):
            raise ValidationError(old_stack.name, message="No updates are to be performed.")


def _comparable(parameters: dict[str, Any]) -> dict[str, str]:
    """moto keeps List<...> parameters split; the request carries them comma-joined."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in parameters.items()}


def _zone_attribute(self: FakeZone, name: str) -> Any:
    """AWS::Route53::HostedZone attributes moto's model lacks (GetAtt NameServers/Id)."""
    if name == "Id":
        return self.id
    if name == "NameServers":
        return list((self.delegation_set or DelegationSet("cfn", None, None)).name_servers)
    raise UnformattedGetAttTemplateException()


# Request context bucket policies are evaluated with: the emulator's loopback link stands
# in for TLS, so aws:SecureTransport is true.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _bucket_permission(self: FakeBucket, action: str, resource: str) -> Any:
    """Bucket policy evaluation as S3 does it, for the statements this project writes.

    moto evaluates policy conditions without request context and treats a statement
    whose condition does not match as a Deny, so any conditional Deny (such as the
    TLS-only statement) would deny everything. Here a statement applies only when its
    action, resource and conditions match; a matching Deny wins; an Allow grants only
    when its principal is "*".
    """
    if self.policy is None:
        return PermissionResult.NEUTRAL
    statements = json.loads(self.policy.decode())["Statement"]
    result = PermissionResult.NEUTRAL
    for raw in statements if isinstance(statements, list) else [statements]:
        statement = IAMPolicyStatement(raw)
        if not (
            statement._check_element_matches("Action", action)
            and statement._check_element_matches("Resource", resource)
            and statement._check_conditions(REQUEST_CONTEXT)
        ):
            continue
        if raw["Effect"] == "Deny":
            return PermissionResult.DENIED
        if raw.get("Principal") in ("*", {"AWS": "*"}):
            result = PermissionResult.PERMITTED
    return result


def _bool_operation(expected: Any, actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return any(str(v).lower() == str(actual).lower() for v in values)


_create_security_group = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _security_group_with_egress(  # type: ignore[no-untyped-def]
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    """AWS::EC2::SecurityGroup with its SecurityGroupEgress, which moto ignores (leaving
    the default allow-all egress): the declared rules replace the default one, as in AWS."""
    group = _create_security_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    rules = cloudformation_json["Properties"].get("SecurityGroupEgress")
    if rules:
        backend = ec2_backends[account_id][region_name]
        backend.revoke_security_group_egress(group.id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}], vpc_id=group.vpc_id)
        for rule in rules:
            ip_ranges = (
                [{"CidrIp": rule["CidrIp"], "Description": rule.get("Description", "")}] if "CidrIp" in rule else []
            )
            groups = [{"GroupId": rule["DestinationSecurityGroupId"]}] if "DestinationSecurityGroupId" in rule else []
            prefix_lists = (
                [{"PrefixListId": rule["DestinationPrefixListId"]}] if "DestinationPrefixListId" in rule else []
            )
            backend.authorize_security_group_egress(
                group.id,
                rule["IpProtocol"],
                rule.get("FromPort"),
                rule.get("ToPort"),
                ip_ranges,
                source_groups=groups,
                prefix_list_ids=prefix_lists,
                vpc_id=group.vpc_id,
            )
    return group


_create_vpc_endpoint = VPCEndPoint.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _vpc_endpoint_with_json_policy(  # type: ignore[no-untyped-def]
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    """AWS::EC2::VPCEndpoint whose PolicyDocument DescribeVpcEndpoints returns as JSON
    text, as EC2 does (moto keeps the template's object and answers its Python repr)."""
    endpoint = _create_vpc_endpoint(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    policy = cloudformation_json["Properties"].get("PolicyDocument")
    if isinstance(policy, dict):
        endpoint.policy_document = json.dumps(policy)
    return endpoint


def _method_with_authorization(  # type: ignore[no-untyped-def]
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    """AWS::ApiGateway::Method with what moto's model drops: AuthorizerId,
    AuthorizationScopes, RequestParameters, RequestModels, RequestValidatorId and
    OperationName, kept as GetMethod returns them. The integration stays as moto makes it
    (type, method and URI)."""
    props = cloudformation_json["Properties"]
    backend = apigateway_backends[account_id][region_name]
    rest_api_id, resource_id = _ref(props["RestApiId"]), _ref(props["ResourceId"])
    method = backend.put_method(
        function_id=rest_api_id,
        resource_id=resource_id,
        method_type=props["HttpMethod"],
        authorization_type=props.get("AuthorizationType", "NONE"),
        api_key_required=_bool(props.get("ApiKeyRequired", False)),
        # Empty maps are absent from GetMethod, as in API Gateway.
        request_parameters={k: _bool(v) for k, v in props.get("RequestParameters", {}).items()} or None,
        request_models={k: _ref(v) for k, v in props.get("RequestModels", {}).items()} or None,
        operation_name=props.get("OperationName"),
        authorizer_id=_ref(props["AuthorizerId"]) if "AuthorizerId" in props else None,
        authorization_scopes=props.get("AuthorizationScopes") or None,
        request_validator_id=_ref(props["RequestValidatorId"]) if "RequestValidatorId" in props else None,
    )
    integration = props.get("Integration")
    if integration:
        backend.put_integration(
            function_id=rest_api_id,
            resource_id=resource_id,
            method_type=props["HttpMethod"],
            integration_type=integration["Type"],
            uri=integration.get("Uri"),
            integration_method=integration.get("IntegrationHttpMethod"),
        )
    return method


_resource_class_from_type = parsing.resource_class_from_type


def _refuse_unemulated_types(resource_type: str) -> Any:
    """moto skips a resource type it cannot create, with a warning only the server log
    shows, and the stack still completes. Here the stack fails and says which type."""
    model = _resource_class_from_type(resource_type)
    if model is None and resource_type not in parsing.NULL_MODELS:
        raise ValidationError(message=f"{resource_type} is not emulated by the local AWS (moto {MOTO_VERSION})")
    return model


def register() -> None:
    """Make moto's CloudFormation see the models above (its registry is cached)."""
    # Lambda code signing (it imports this module)
    __import__("local_aws.emulator.signing", fromlist=["register"]).register()
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    missing = [t for t in EMULATED_TYPES if t not in parsing.get_model_map()]
    if missing:
        raise RuntimeError(f"emulated CloudFormation models not registered: {missing}")
    if parsing.get_model_map()[FunctionVersion.cloudformation_type()] is not FunctionVersion:
        raise RuntimeError("moto's own AWS::Lambda::Version model is still the one CloudFormation uses")
    parsing.ResourceMap.build_resource_diff = _diff_in_dependency_order  # type: ignore[method-assign]
    lambda_urls.url_paths[_PROVISIONED_CONCURRENCY_PATH] = LambdaResponse.dispatch
    LambdaResponse.get_provisioned_concurrency_config = _get_provisioned_concurrency_config  # type: ignore[attr-defined]
    CloudFormationResponse._validate_different_update = _no_update_without_changes  # type: ignore[method-assign]
    FakeZone.get_cfn_attribute = _zone_attribute  # type: ignore[method-assign]
    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
    policy_conditions.CONDITION_OPERATIONS["Bool"] = _bool_operation
    SecurityGroup.create_from_cloudformation_json = classmethod(_security_group_with_egress)  # type: ignore[method-assign,assignment]
    VPCEndPoint.create_from_cloudformation_json = classmethod(_vpc_endpoint_with_json_policy)  # type: ignore[method-assign,assignment]
    Method.create_from_cloudformation_json = classmethod(_method_with_authorization)  # type: ignore[method-assign,assignment]
    parsing.resource_class_from_type = _refuse_unemulated_types
    FakeZone.has_cfn_attr = classmethod(lambda cls, attr: attr in {"Id", "NameServers"})  # type: ignore[method-assign,assignment]
