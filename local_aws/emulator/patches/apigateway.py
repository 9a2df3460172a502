"""moto's AWS::ApiGateway::Method model, with what it drops: the authorizer, scopes, request
parameters, models and validator, the operation name."""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import Method, apigateway_backends

from local_aws.emulator.services.base import ref_id, template_bool


def _method_with_authorization(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::ApiGateway::Method with what moto's model drops: AuthorizerId,
    AuthorizationScopes, RequestParameters, RequestModels, RequestValidatorId and
    OperationName, kept as GetMethod returns them. The integration stays as moto makes it
    (type, method and URI)."""
    props = cloudformation_json["Properties"]
    backend = apigateway_backends[account_id][region_name]
    rest_api_id, resource_id = ref_id(props["RestApiId"]), ref_id(props["ResourceId"])
    method = backend.put_method(
        function_id=rest_api_id,
        resource_id=resource_id,
        method_type=props["HttpMethod"],
        authorization_type=props.get("AuthorizationType", "NONE"),
        api_key_required=template_bool(props.get("ApiKeyRequired", False)),
        # Empty maps are absent from GetMethod, as in API Gateway.
        request_parameters={k: template_bool(v) for k, v in props.get("RequestParameters", {}).items()} or None,
        request_models={k: ref_id(v) for k, v in props.get("RequestModels", {}).items()} or None,
        operation_name=props.get("OperationName"),
        authorizer_id=ref_id(props["AuthorizerId"]) if "AuthorizerId" in props else None,
        authorization_scopes=props.get("AuthorizationScopes") or None,
        request_validator_id=ref_id(props["RequestValidatorId"]) if "RequestValidatorId" in props else None,
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


def register() -> None:
    Method.create_from_cloudformation_json = classmethod(_method_with_authorization)  # type: ignore[method-assign,assignment]
