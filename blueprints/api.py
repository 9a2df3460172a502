"""API: the REST API in front of the functions. Routes are proxied to Lambda, every
method has a request validator, each route's invoke permission is scoped to that route's
ARN, and the stage writes JSON access logs, traces, metrics and enforces throttling."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from awacs import logs as awslogs
from pydantic import Field
from troposphere import AccountId, GetAtt, Ref, Sub, Template, awslambda
from troposphere import apigateway as apigw

from blueprints.core import (
    Blueprint,
    LogRetentionDays,
    PositiveInt,
    RetainData,
    StackConfig,
    accept_finding,
    add_output,
    add_parameter,
    log_group,
    per_environment,
)
from blueprints.core.iam import allow, service_role
from blueprints.functions import FUNCTIONS


@dataclass(frozen=True)
class Route:
    """One method on one path, proxied to one function."""

    method: str
    path: str  # e.g. "/payments/{transactionId}"
    function: str  # FunctionSpec.title
    required_headers: tuple[str, ...] = ()
    query_strings: tuple[str, ...] = field(default=())  # optional query-string parameters
    body_model: str | None = None  # name of a MODELS entry the JSON body must match

    @property
    def path_parameters(self) -> list[str]:
        return [seg[1:-1] for seg in self.path.strip("/").split("/") if seg.startswith("{")]

    @property
    def logical_id(self) -> str:
        return f"{self.method.capitalize()}{_path_id(self.path)}"

    @property
    def source_path(self) -> str:
        """The path as it appears in an execute-api ARN (parameters become wildcards)."""
        return "/".join("*" if seg.startswith("{") else seg for seg in self.path.split("/"))


# Request bodies, checked by API Gateway before the function runs (the handlers check
# them again: they must not depend on being behind this API).
CUSTOMER_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
AMOUNT_PATTERN = "^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,4})?$"
MODELS: dict[str, dict[str, object]] = {
    "PaymentRequest": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "PaymentRequest",
        "type": "object",
        "additionalProperties": False,
        "required": ["customerId", "amount", "currency"],
        "properties": {
            "customerId": {"type": "string", "pattern": CUSTOMER_ID_PATTERN},
            "amount": {"type": "string", "pattern": AMOUNT_PATTERN},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "description": {"type": "string", "maxLength": 200},
        },
    },
    "SessionRequest": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "SessionRequest",
        "type": "object",
        "additionalProperties": False,
        "required": ["customerId"],
        "properties": {"customerId": {"type": "string", "pattern": CUSTOMER_ID_PATTERN}},
    },
}

# API Gateway's own refusals (validation, unknown routes, throttling) in the handlers' error
# shape. $context.error.messageString is already a quoted JSON string.
_REFUSAL = '{"error": {"code": "%s", "message": $context.error.messageString, "field": "%s"}}'
GATEWAY_RESPONSES: dict[str, tuple[str, str]] = {
    "BadRequestBodyResponse": ("BAD_REQUEST_BODY", _REFUSAL % ("ValidationError", "body")),
    "BadRequestParametersResponse": ("BAD_REQUEST_PARAMETERS", _REFUSAL % ("ValidationError", "parameters")),
    "Default4xxResponse": ("DEFAULT_4XX", _REFUSAL % ("$context.error.responseType", "request")),
    "Default5xxResponse": ("DEFAULT_5XX", '{"error": {"code": "InternalError", "message": "internal error"}}'),
}

ROUTES: tuple[Route, ...] = (
    Route("POST", "/payments", "PaymentProcessor", required_headers=("Idempotency-Key",), body_model="PaymentRequest"),
    Route("GET", "/payments/{transactionId}", "PaymentProcessor"),
    Route("GET", "/customers/{customerId}/payments", "PaymentProcessor", query_strings=("limit", "cursor")),
    Route("POST", "/sessions", "SessionManager", body_model="SessionRequest"),
    Route("GET", "/sessions/{sessionId}", "SessionManager"),
    Route("DELETE", "/sessions/{sessionId}", "SessionManager"),
)

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTimeEpoch",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "errorMessage": "$context.error.message",
    },
    sort_keys=True,
)


class ApiConfig(StackConfig):
    """Inputs of the api stack."""

    throttling_rate_limit: float = per_environment(
        gt=0, description="Steady-state requests per second across the stage."
    )
    throttling_burst_limit: PositiveInt = per_environment(description="Burst capacity (requests) across the stage.")
    log_retention_days: LogRetentionDays
    retain_data: RetainData
    stage_name: str = Field(
        "v1", pattern="^[a-z][a-z0-9]{0,15}$", description="Stage name, also the CloudFront origin path (default v1)."
    )
    manage_account_settings: bool = per_environment(
        True,
        description=(
            "Own the account-and-region-wide API Gateway CloudWatch role (default true). With several "
            "environments in one account and region, exactly one of them may set this."
        ),
    )


class ApiBlueprint(Blueprint[ApiConfig]):
    name = "api"
    description = "REST API, routes, stage with access logs, tracing and throttling"
    config_model = ApiConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        function_arns = {
            spec.title: add_parameter(t, f"{spec.title}FunctionArn", f"{spec.name} function ARN") for spec in FUNCTIONS
        }
        api = t.add_resource(
            apigw.RestApi(
                "RestApi",
                Name=self.context.name("api"),
                Description=f"{self.context.project} payments and sessions API",
                EndpointConfiguration=apigw.EndpointConfiguration(Types=["REGIONAL"]),
            )
        )
        validator = t.add_resource(
            apigw.RequestValidator(
                "RequestValidator",
                RestApiId=Ref(api),
                Name="body-and-parameters",
                ValidateRequestBody=True,
                ValidateRequestParameters=True,
            )
        )
        resources = self._resources(t, api)
        models = {
            name: t.add_resource(
                apigw.Model(
                    f"{name}Model",
                    RestApiId=Ref(api),
                    Name=name,
                    ContentType="application/json",
                    Schema=schema,
                )
            )
            for name, schema in MODELS.items()
        }
        self._error_responses(t, api)
        methods = []
        for route in ROUTES:
            parameters = {f"method.request.path.{p}": True for p in route.path_parameters}
            parameters |= {f"method.request.header.{h}": True for h in route.required_headers}
            parameters |= {f"method.request.querystring.{q}": False for q in route.query_strings}
            method = t.add_resource(
                apigw.Method(
                    f"{route.logical_id}Method",
                    RestApiId=Ref(api),
                    ResourceId=Ref(resources[route.path]),
                    HttpMethod=route.method,
                    # An authorizer is planned; until then access is limited by throttling.
                    AuthorizationType="NONE",
                    RequestValidatorId=Ref(validator),
                    RequestParameters=dict(sorted(parameters.items())),
                    RequestModels={"application/json": Ref(models[route.body_model])} if route.body_model else {},
                    Integration=apigw.Integration(
                        Type="AWS_PROXY",
                        IntegrationHttpMethod="POST",
                        Uri=Sub(
                            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                            f"${{{route.function}FunctionArn}}/invocations"
                        ),
                    ),
                )
            )
            accept_finding(
                method, "CKV_AWS_59", "authorizer planned in a later release; the stage is throttled meanwhile"
            )
            methods.append(method)
            t.add_resource(
                awslambda.Permission(
                    f"{route.logical_id}Permission",
                    Action="lambda:InvokeFunction",
                    FunctionName=Ref(function_arns[route.function]),
                    Principal="apigateway.amazonaws.com",
                    SourceAccount=AccountId,
                    SourceArn=Sub(
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                        f"${{{api.title}}}/{cfg.stage_name}/{route.method}{route.source_path}"
                    ),
                )
            )

        # A deployment is immutable: its logical ID hashes the routes, so changing a route
        # creates a new deployment instead of leaving the stage on the old one.
        deployment = t.add_resource(
            apigw.Deployment(
                f"Deployment{_routes_digest()}",
                RestApiId=Ref(api),
                Description="Routes " + _routes_digest(),
                DependsOn=[m.title for m in methods],
            )
        )

        access_logs = t.add_resource(
            log_group(
                "AccessLogGroup",
                name=f"/aws/apigateway/{self.context.name('api')}/access",
                retention_days=cfg.log_retention_days,
                retain=cfg.retain_data,
            )
        )
        # API Gateway creates the execution log group itself, without retention; owning it
        # here gives it one.
        t.add_resource(
            log_group(
                "ExecutionLogGroup",
                name=Sub(f"API-Gateway-Execution-Logs_${{{api.title}}}/{cfg.stage_name}"),
                retention_days=cfg.log_retention_days,
                retain=cfg.retain_data,
            )
        )
        stage_depends_on = ["ExecutionLogGroup"]
        if cfg.manage_account_settings:
            stage_depends_on.append(self._account_settings(t).title)

        stage = t.add_resource(
            apigw.Stage(
                "Stage",
                RestApiId=Ref(api),
                StageName=cfg.stage_name,
                DeploymentId=Ref(deployment),
                TracingEnabled=True,
                AccessLogSetting=apigw.AccessLogSetting(
                    DestinationArn=GetAtt(access_logs, "Arn"), Format=ACCESS_LOG_FORMAT
                ),
                MethodSettings=[
                    apigw.MethodSetting(
                        ResourcePath="/*",
                        HttpMethod="*",
                        MetricsEnabled=True,
                        LoggingLevel="INFO",
                        DataTraceEnabled=False,  # full request/response bodies would log card data
                        ThrottlingRateLimit=cfg.throttling_rate_limit,
                        ThrottlingBurstLimit=cfg.throttling_burst_limit,
                    )
                ],
                DependsOn=stage_depends_on,
            )
        )
        accept_finding(stage, "CKV_AWS_120", "payment responses must never be served from a cache")

        add_output(t, "RestApiId", Ref(api), "REST API id")
        add_output(t, "StageName", Ref(stage), "Deployed stage")
        add_output(
            t,
            "ApiDomainName",
            Sub(f"${{{api.title}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"),
            "Regional execute-api host name (CloudFront origin)",
        )
        add_output(
            t,
            "InvokeUrl",
            Sub(f"https://${{{api.title}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{cfg.stage_name}"),
            "Direct stage URL",
        )
        add_output(t, "AccessLogGroupName", Ref(access_logs), "Access log group")

    def _resources(self, t: Template, api: apigw.RestApi) -> dict[str, apigw.Resource]:
        """One AWS::ApiGateway::Resource per path prefix, parents before children."""
        resources: dict[str, apigw.Resource] = {}
        for path in sorted({r.path for r in ROUTES}):
            segments = path.strip("/").split("/")
            for depth in range(1, len(segments) + 1):
                sub_path = "/" + "/".join(segments[:depth])
                if sub_path in resources:
                    continue
                parent = (
                    GetAtt(api, "RootResourceId")
                    if depth == 1
                    else Ref(resources["/" + "/".join(segments[: depth - 1])])
                )
                resources[sub_path] = t.add_resource(
                    apigw.Resource(
                        f"{_path_id(sub_path)}Resource",
                        RestApiId=Ref(api),
                        ParentId=parent,
                        PathPart=segments[depth - 1],
                    )
                )
        return resources

    def _error_responses(self, t: Template, api: apigw.RestApi) -> None:
        """API Gateway's own refusals in the handlers' error shape."""
        for title, (response_type, template) in GATEWAY_RESPONSES.items():
            t.add_resource(
                apigw.GatewayResponse(
                    title,
                    RestApiId=Ref(api),
                    ResponseType=response_type,
                    ResponseTemplates={"application/json": template},
                )
            )

    def _account_settings(self, t: Template) -> apigw.Account:
        role = t.add_resource(
            service_role(
                "ApiGatewayCloudWatchRole",
                "apigateway",
                "push-execution-logs",
                [
                    allow(
                        [
                            awslogs.CreateLogGroup,
                            awslogs.CreateLogStream,
                            awslogs.DescribeLogGroups,
                            awslogs.DescribeLogStreams,
                            awslogs.PutLogEvents,
                            awslogs.GetLogEvents,
                            awslogs.FilterLogEvents,
                        ],
                        [Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")],
                        sid="PushApiGatewayLogs",
                    )
                ],
            )
        )
        return t.add_resource(apigw.Account("ApiGatewayAccount", CloudWatchRoleArn=GetAtt(role, "Arn")))


def _path_id(path: str) -> str:
    """'/payments/{transactionId}' -> 'PaymentsTransactionId'."""
    return "".join(seg.strip("{}")[:1].upper() + seg.strip("{}")[1:] for seg in path.strip("/").split("/"))


def _routes_digest() -> str:
    """Changes with any route, request model or gateway response, so each such change
    makes a new deployment."""
    payload = json.dumps(
        {"routes": [r.__dict__ for r in ROUTES], "models": MODELS, "responses": GATEWAY_RESPONSES}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:10].upper()
