"""API Gateway's CloudFormation types moto's CloudFormation skips, through its API Gateway
backend: request validators, stages (tracing, access logs, method settings), models, gateway
responses, the account's CloudWatch role, authorizers."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, Self

from moto.apigateway.exceptions import RestAPINotFound
from moto.apigateway.models import apigateway_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource, json_text, ref_id


class RequestValidator(EmulatedResource, CloudFormationModel):
    """AWS::ApiGateway::RequestValidator through moto's API Gateway backend."""

    ATTRIBUTES = ("RequestValidatorId",)

    def __init__(self, rest_api_id: str, validator_id: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.request_validator_id = validator_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::RequestValidator"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        validator = apigateway_backends[account_id][region_name].create_request_validator(
            ref_id(props["RestApiId"]),
            props.get("Name", resource_name),
            props.get("ValidateRequestBody", False),
            props.get("ValidateRequestParameters", False),
        )
        return cls(ref_id(props["RestApiId"]), validator.id)

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_request_validator(
            self.rest_api_id, self.physical_resource_id
        )


class Stage(EmulatedResource, CloudFormationModel):
    """AWS::ApiGateway::Stage, with tracing, access log settings and method settings."""

    def __init__(self, rest_api_id: str, name: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        stage = backend.create_stage(
            ref_id(props["RestApiId"]),
            props["StageName"],
            ref_id(props["DeploymentId"]),
            variables=props.get("Variables"),
            description=props.get("Description", ""),
            cacheClusterEnabled=props.get("CacheClusterEnabled", False),
            tags={t["Key"]: t["Value"] for t in props.get("Tags", [])},
            tracing_enabled=props.get("TracingEnabled", False),
        )
        stage.apply_operations(stage_patch_operations(props))
        return cls(ref_id(props["RestApiId"]), props["StageName"])

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


class ApiModel(EmulatedResource, CloudFormationModel):
    """AWS::ApiGateway::Model (a request body's JSON schema)."""

    def __init__(self, rest_api_id: str, name: str) -> None:
        self.rest_api_id = rest_api_id
        self.physical_resource_id = self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Model"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        rest_api_id = ref_id(props["RestApiId"])
        name = props.get("Name", resource_name)
        apigateway_backends[account_id][region_name].create_model(
            rest_api_id,
            name,
            props.get("ContentType", "application/json"),
            props.get("Description", ""),
            json_text(props.get("Schema", {})),
        )
        return cls(rest_api_id, name)

    def delete(self, account_id: str, region_name: str) -> None:
        apigateway_backends[account_id][region_name].delete_model(self.rest_api_id, self.name)


class GatewayResponse(EmulatedResource, CloudFormationModel):
    """AWS::ApiGateway::GatewayResponse (API Gateway's own error responses)."""

    def __init__(self, rest_api_id: str, response_type: str) -> None:
        self.rest_api_id = rest_api_id
        self.response_type = response_type
        self.physical_resource_id = f"{rest_api_id}-{response_type}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::GatewayResponse"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        rest_api_id = ref_id(props["RestApiId"])
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


class ApiGatewayAccount(EmulatedResource, CloudFormationModel):
    """AWS::ApiGateway::Account: the region's CloudWatch role setting."""

    def __init__(self, role_arn: str) -> None:
        self.physical_resource_id = f"ApiGatewayAccount-{uuid.uuid4().hex[:12]}"
        self.role_arn = role_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Account"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        role_arn = cloudformation_json["Properties"]["CloudWatchRoleArn"]
        apigateway_backends[account_id][region_name].update_account(
            [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
        )
        return cls(role_arn)


class ApiAuthorizer(EmulatedResource, CloudFormationModel):
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        rest_api_id = ref_id(props["RestApiId"])
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
        return cls(rest_api_id, str(authorizer.id))  # moto's id is set on creation

    def delete(self, account_id: str, region_name: str) -> None:
        with contextlib.suppress(RestAPINotFound, KeyError):
            apigateway_backends[account_id][region_name].delete_authorizer(self.rest_api_id, self.authorizer_id)


MODELS = (
    RequestValidator,
    Stage,
    ApiModel,
    GatewayResponse,
    ApiGatewayAccount,
    ApiAuthorizer,
)
