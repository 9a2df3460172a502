"""API: the REST API in front of the functions, made from the API contract
(`blueprints.contract`). Every method requires a token of the user pool with one of the
route's scopes (a Cognito authorizer) and has a request validator; routes are proxied to
Lambda, each route's invoke permission is scoped to that route's ARN, and the stage writes
JSON access logs, traces, metrics and enforces throttling."""

from __future__ import annotations

import hashlib
import json

from awacs import logs as awslogs
from pydantic import Field
from troposphere import AccountId, GetAtt, Ref, Sub, Template, awslambda
from troposphere import apigateway as apigw

from blueprints.contract import ROUTES, SCHEMAS, Route
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

# API Gateway's own refusals (validation, unknown routes, authorization, throttling) in the
# handlers' error shape. $context.error.messageString is already a quoted JSON string.
_REFUSAL = '{"error": {"code": "%s", "message": $context.error.messageString, "field": "%s"}}'
GATEWAY_RESPONSES: dict[str, tuple[str, str]] = {
    "BadRequestBodyResponse": ("BAD_REQUEST_BODY", _REFUSAL % ("ValidationError", "body")),
    "BadRequestParametersResponse": ("BAD_REQUEST_PARAMETERS", _REFUSAL % ("ValidationError", "parameters")),
    "UnauthorizedResponse": ("UNAUTHORIZED", _REFUSAL % ("Unauthorized", "Authorization")),
    "Default4xxResponse": ("DEFAULT_4XX", _REFUSAL % ("$context.error.responseType", "request")),
    "Default5xxResponse": ("DEFAULT_5XX", '{"error": {"code": "InternalError", "message": "internal error"}}'),
}
# RFC 6750: a 401 names the scheme the client must use.
_CHALLENGE = {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


def _logical_id(route: Route) -> str:
    return f"{route.method.capitalize()}{_path_id(route.path)}"


def _source_path(route: Route) -> str:
    """The path as it appears in an execute-api ARN (parameters become wildcards)."""
    return "/".join("*" if seg.startswith("{") else seg for seg in route.path.split("/"))


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
            spec.name: add_parameter(t, f"{spec.title}FunctionArn", f"{spec.name} function ARN") for spec in FUNCTIONS
        }
        user_pool = add_parameter(t, "UserPoolArn", "User pool whose tokens the API accepts")
        api = t.add_resource(
            apigw.RestApi(
                "RestApi",
                Name=self.context.name("api"),
                Description=f"{self.context.project} payments and sessions API",
                EndpointConfiguration=apigw.EndpointConfiguration(Types=["REGIONAL"]),
            )
        )
        authorizer = t.add_resource(
            apigw.Authorizer(
                "CognitoAuthorizer",
                RestApiId=Ref(api),
                Name="cognito-user-pool",
                Type="COGNITO_USER_POOLS",
                ProviderARNs=[Ref(user_pool)],
                IdentitySource="method.request.header.Authorization",
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
        self._error_responses(t, api)
        resources = self._resources(t, api)
        models = {
            name: t.add_resource(
                apigw.Model(
                    f"{name}Model", RestApiId=Ref(api), Name=name, ContentType="application/json", Schema=SCHEMAS[name]
                )
            )
            for name in sorted({r.body for r in ROUTES if r.body})
        }
        methods = []
        for route in ROUTES:
            method = t.add_resource(
                apigw.Method(
                    f"{_logical_id(route)}Method",
                    RestApiId=Ref(api),
                    ResourceId=Ref(resources[route.path]),
                    HttpMethod=route.method,
                    OperationName=route.operation_id,
                    # API Gateway authenticates (and checks the scopes); the handler decides
                    # what the caller may see (ownership).
                    AuthorizationType="COGNITO_USER_POOLS",
                    AuthorizerId=Ref(authorizer),
                    AuthorizationScopes=list(route.scopes),
                    RequestValidatorId=Ref(validator),
                    RequestParameters=dict(sorted(_request_parameters(route).items())),
                    RequestModels={"application/json": Ref(models[route.body])} if route.body else {},
                    Integration=apigw.Integration(
                        Type="AWS_PROXY",
                        IntegrationHttpMethod="POST",
                        Uri=Sub(
                            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                            f"${{{function_arns[route.function].title}}}/invocations"
                        ),
                    ),
                )
            )
            methods.append(method)
            t.add_resource(
                awslambda.Permission(
                    f"{_logical_id(route)}Permission",
                    Action="lambda:InvokeFunction",
                    FunctionName=Ref(function_arns[route.function]),
                    Principal="apigateway.amazonaws.com",
                    SourceAccount=AccountId,
                    SourceArn=Sub(
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                        f"${{{api.title}}}/{cfg.stage_name}/{route.method}{_source_path(route)}"
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
                    ResponseParameters=_CHALLENGE if response_type == "UNAUTHORIZED" else {},
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


def _request_parameters(route: Route) -> dict[str, bool]:
    """API Gateway's view of the route's parameters: which must be present."""
    return {f"method.request.{_LOCATIONS[p.location]}.{p.name}": p.required for p in route.parameters}


def _routes_digest() -> str:
    """Changes with any route, its callers, request model or gateway response, so each such
    change makes a new deployment."""
    routes = [{**r.__dict__, "parameters": [p.__dict__ for p in r.parameters]} for r in ROUTES]
    payload = json.dumps(
        {"routes": routes, "schemas": SCHEMAS, "responses": GATEWAY_RESPONSES}, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:10].upper()
