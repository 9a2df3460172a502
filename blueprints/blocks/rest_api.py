"""A REST API made from a route list, behind a Cognito authorizer, and its stage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from awacs import logs as awslogs
from pydantic import Field, model_validator
from troposphere import AccountId, GetAtt, Parameter, Ref, Sub, Template, awslambda
from troposphere import apigateway as apigw

from blueprints.blocks.base import Block, Options
from blueprints.contract import Route
from blueprints.core import LogRetentionPeriod, accept_finding, log_group
from blueprints.core.iam import allow, service_role
from blueprints.core.lazy import renamed

_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}
# RFC 6750: a 401 names the scheme the client must use.
CHALLENGE = {"UNAUTHORIZED": {"WWW-Authenticate": "Bearer"}}


class RestApiOptions(Options):
    name: str = Field(description="The API's name.")
    description: str = Field(description="What the API is.")
    routes: tuple[Route, ...] = Field(min_length=1, description="Every route (the API contract's `Route`s).")
    schemas: Mapping[str, Mapping[str, Any]] = Field(
        description="JSON Schema (draft 4) of each request body a route names; each becomes a model."
    )
    function_arns: Mapping[str, object] = Field(
        description=(
            "Each route's `function` name -> the ARN API Gateway invokes for it: the function's, or one "
            "qualified by an alias or version (a Parameter, Ref or GetAtt)."
        )
    )
    user_pool_arn: object = Field(description="The Cognito user pool whose tokens every method requires.")
    stage_name: str = Field(pattern="^[a-z][a-z0-9]{0,15}$", description="The stage the invoke permissions name.")
    gateway_responses: Mapping[str, tuple[str, str]] = Field(
        default_factory=dict,
        description="Logical ID -> (response type, application/json template) of API Gateway's own answers.",
    )
    gateway_response_headers: Mapping[str, Mapping[str, str]] = Field(
        default_factory=lambda: dict(CHALLENGE),
        description="Response type -> the static headers its gateway response adds (default WWW-Authenticate on 401).",
    )

    @model_validator(mode="after")
    def _routes_resolve(self) -> RestApiOptions:
        for route in self.routes:
            if route.function not in self.function_arns:
                raise ValueError(f"{route.method} {route.path}: no function_arns entry for {route.function!r}")
            if route.body is not None and route.body not in self.schemas:
                raise ValueError(f"{route.method} {route.path}: no schema named {route.body!r}")
            if not route.scopes:
                raise ValueError(f"{route.method} {route.path}: a route names the scopes that may call it")
        return self


class RestApi(Block):
    """A regional REST API from a route list: a Cognito authorizer and the route's scopes on
    every method, a request validator (parameters and body) on every method, one model per
    request body, API Gateway's own answers as given, AWS_PROXY integrations, one invoke
    permission per route scoped by its execute-api ARN and the account, and a deployment
    whose logical ID hashes everything above (so any change makes a new deployment)."""

    Options = RestApiOptions
    options: RestApiOptions

    def build(self) -> None:
        o = self.options
        t = self.template
        self.api = t.add_resource(
            apigw.RestApi(
                self.logical_id,
                Name=o.name,
                Description=o.description,
                EndpointConfiguration=apigw.EndpointConfiguration(Types=["REGIONAL"]),
            )
        )
        self.authorizer = t.add_resource(
            apigw.Authorizer(
                "CognitoAuthorizer",
                RestApiId=Ref(self.api),
                Name="cognito-user-pool",
                Type="COGNITO_USER_POOLS",
                ProviderARNs=[_reference(o.user_pool_arn)],
                IdentitySource="method.request.header.Authorization",
            )
        )
        self.validator = t.add_resource(
            apigw.RequestValidator(
                "RequestValidator",
                RestApiId=Ref(self.api),
                Name="body-and-parameters",
                ValidateRequestBody=True,
                ValidateRequestParameters=True,
            )
        )
        self.responses = self._gateway_responses()
        self.resources = self._resources()
        self.models = {
            name: t.add_resource(
                apigw.Model(
                    f"{name}Model",
                    RestApiId=Ref(self.api),
                    Name=name,
                    ContentType="application/json",
                    Schema=o.schemas[name],
                )
            )
            for name in sorted({r.body for r in o.routes if r.body})
        }
        self.methods = [self._method(route) for route in o.routes]
        # A deployment is immutable: its logical ID hashes the routes, so changing a route
        # creates a new deployment instead of leaving the stage on the old one.
        digest = self.digest()
        self.deployment = t.add_resource(
            apigw.Deployment(
                f"Deployment{digest}",
                RestApiId=Ref(self.api),
                Description="Routes " + digest,
                # A deployment snapshots the API as it is when it is made: it waits for every
                # part of that snapshot, not only the methods.
                DependsOn=self._snapshot(),
            )
        )

    def _snapshot(self) -> list[str]:
        """Logical IDs of everything a deployment of this API takes: methods, resources,
        models, the authorizer, the validator and the gateway responses."""
        parts = [self.authorizer, self.validator, *self.responses, *self.resources.values()]
        parts += [*self.models.values(), *self.methods]
        return sorted({p.title for p in parts})

    def _method(self, route: Route) -> apigw.Method:
        o = self.options
        function_arn = o.function_arns[route.function]
        method = self.template.add_resource(
            apigw.Method(
                f"{route_id(route)}Method",
                RestApiId=Ref(self.api),
                ResourceId=Ref(self.resources[route.path]),
                HttpMethod=route.method,
                OperationName=route.operation_id,
                # API Gateway authenticates (and checks the scopes); the handler decides
                # what the caller may see (ownership).
                AuthorizationType="COGNITO_USER_POOLS",
                AuthorizerId=Ref(self.authorizer),
                AuthorizationScopes=list(route.scopes),
                RequestValidatorId=Ref(self.validator),
                RequestParameters=dict(sorted(request_parameters(route).items())),
                RequestModels={"application/json": Ref(self.models[route.body])} if route.body else {},
                Integration=apigw.Integration(
                    Type="AWS_PROXY",
                    IntegrationHttpMethod="POST",
                    Uri=_sub(
                        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                        "${%s}/invocations",
                        function_arn,
                    ),
                ),
            )
        )
        self.template.add_resource(
            awslambda.Permission(
                f"{route_id(route)}Permission",
                Action="lambda:InvokeFunction",
                FunctionName=_reference(function_arn),
                Principal="apigateway.amazonaws.com",
                SourceAccount=AccountId,
                SourceArn=Sub(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                    f"${{{self.api.title}}}/{o.stage_name}/{route.method}{_source_path(route)}"
                ),
            )
        )
        return method

    def _resources(self) -> dict[str, apigw.Resource]:
        """One AWS::ApiGateway::Resource per path prefix, parents before children."""
        resources: dict[str, apigw.Resource] = {}
        for path in sorted({r.path for r in self.options.routes}):
            segments = path.strip("/").split("/")
            for depth in range(1, len(segments) + 1):
                sub_path = "/" + "/".join(segments[:depth])
                if sub_path in resources:
                    continue
                parent = (
                    GetAtt(self.api, "RootResourceId")
                    if depth == 1
                    else Ref(resources["/" + "/".join(segments[: depth - 1])])
                )
                resources[sub_path] = self.template.add_resource(
                    apigw.Resource(
                        f"{_path_id(sub_path)}Resource",
                        RestApiId=Ref(self.api),
                        ParentId=parent,
                        PathPart=segments[depth - 1],
                    )
                )
        return resources

    def _gateway_responses(self) -> list[apigw.GatewayResponse]:
        headers = self.options.gateway_response_headers
        return [
            self.template.add_resource(
                apigw.GatewayResponse(
                    title,
                    RestApiId=Ref(self.api),
                    ResponseType=response_type,
                    ResponseTemplates={"application/json": template},
                    ResponseParameters=response_parameters(headers.get(response_type, {})),
                )
            )
            for title, (response_type, template) in self.options.gateway_responses.items()
        ]

    def digest(self) -> str:
        """Changes with any route, its callers, request model or gateway response."""
        o = self.options
        routes = [{**r.__dict__, "parameters": [p.__dict__ for p in r.parameters]} for r in o.routes]
        payload = json.dumps(
            {
                "routes": routes,
                "schemas": dict(o.schemas),
                "responses": dict(o.gateway_responses),
                "headers": {k: dict(v) for k, v in o.gateway_response_headers.items()},
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:10].upper()


class ApiStageOptions(Options):
    api: RestApi = Field(description="The REST API the stage serves.")
    stage_name: str = Field(pattern="^[a-z][a-z0-9]{0,15}$", description="Stage name.")
    throttling_rate_limit: float = Field(gt=0, description="Steady-state requests per second across the stage.")
    throttling_burst_limit: int = Field(gt=0, description="Burst capacity (requests) across the stage.")
    access_log_format: str = Field(description="The JSON access log line ($context variables).")
    access_log_group_name: str = Field(description="Name of the access log group.")
    log_retention_days: LogRetentionPeriod = Field(description="Retention of the access and execution logs, in days.")
    retain_logs: bool = Field(default=True, description="Keep the log groups when the stack deletes them.")
    kms_key: object | None = Field(
        default=None, description="ARN of a customer-managed KMS key for both log groups (default none)."
    )
    manage_account_settings: bool = Field(
        default=True,
        description=(
            "Also own the account-and-region-wide API Gateway CloudWatch role (`api_gateway_account`; one stack "
            "per account and region may)."
        ),
    )


class ApiStage(Block):
    """The stage of a `RestApi`: JSON access logs and execution logs (INFO, no request or
    response bodies) to log groups with retention, metrics, X-Ray tracing, throttling on
    every method, and no cache (payment answers must never be served from one)."""

    Options = ApiStageOptions
    options: ApiStageOptions

    def build(self) -> None:
        o = self.options
        t = self.template
        api = o.api.api
        self.access_logs = t.add_resource(
            log_group(
                "AccessLogGroup",
                name=o.access_log_group_name,
                retention_days=o.log_retention_days,
                retain=o.retain_logs,
                kms_key=o.kms_key,
            )
        )
        # API Gateway creates the execution log group itself, without retention; owning it
        # here gives it one.
        t.add_resource(
            log_group(
                "ExecutionLogGroup",
                name=Sub(f"API-Gateway-Execution-Logs_${{{api.title}}}/{o.stage_name}"),
                retention_days=o.log_retention_days,
                retain=o.retain_logs,
                kms_key=o.kms_key,
            )
        )
        depends_on = ["ExecutionLogGroup"]
        if o.manage_account_settings:
            depends_on.append(api_gateway_account(t).title)
        self.stage = t.add_resource(
            apigw.Stage(
                self.logical_id,
                RestApiId=Ref(api),
                StageName=o.stage_name,
                DeploymentId=Ref(o.api.deployment),
                TracingEnabled=True,
                AccessLogSetting=apigw.AccessLogSetting(
                    DestinationArn=GetAtt(self.access_logs, "Arn"), Format=o.access_log_format
                ),
                MethodSettings=[
                    apigw.MethodSetting(
                        ResourcePath="/*",
                        HttpMethod="*",
                        MetricsEnabled=True,
                        LoggingLevel="INFO",
                        DataTraceEnabled=False,  # full request/response bodies would log card data
                        ThrottlingRateLimit=o.throttling_rate_limit,
                        ThrottlingBurstLimit=o.throttling_burst_limit,
                    )
                ],
                DependsOn=depends_on,
            )
        )
        accept_finding(self.stage, "CKV_AWS_120", "payment responses must never be served from a cache")


def api_gateway_account(template: Template) -> apigw.Account:
    """API Gateway's account-and-region-wide settings: the role it writes every stage's
    execution logs with (`ApiGatewayCloudWatchRole`, `ApiGatewayAccount`). One stack per
    account and region may own them: the account's bootstrap does."""
    role = template.add_resource(
        service_role(
            "ApiGatewayCloudWatchRole",
            "apigateway",
            "push-execution-logs",
            [
                allow(
                    [
                        awslogs.CreateLogGroup,
                        awslogs.CreateLogStream,
                        awslogs.DescribeLogStreams,
                        awslogs.PutLogEvents,
                        awslogs.GetLogEvents,
                        awslogs.FilterLogEvents,
                    ],
                    [Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*")],
                    sid="PushApiGatewayLogs",
                ),
                allow([awslogs.DescribeLogGroups], ["*"], sid="FindLogGroups"),  # takes no resource
            ],
            # The trust AWS documents for this role names the principal only: API Gateway is not
            # documented to send aws:SourceAccount, and a condition it does not send would keep
            # every stage's execution logs from being written.
            source_account=False,
        )
    )
    return template.add_resource(apigw.Account("ApiGatewayAccount", CloudWatchRoleArn=GetAtt(role, "Arn")))


def response_parameters(headers: Mapping[str, str]) -> dict[str, str]:
    """A gateway response's static headers as API Gateway's ResponseParameters (quoted literals)."""
    return {f"gatewayresponse.header.{name}": f"'{value}'" for name, value in sorted(headers.items())}


def request_parameters(route: Route) -> dict[str, bool]:
    """API Gateway's view of the route's parameters: which must be present."""
    return {f"method.request.{_LOCATIONS[p.location]}.{p.name}": p.required for p in route.parameters}


def route_id(route: Route) -> str:
    """'GET /payments/{transactionId}' -> 'GetPaymentsTransactionId'."""
    return f"{route.method.capitalize()}{_path_id(route.path)}"


def _path_id(path: str) -> str:
    """'/payments/{transactionId}' -> 'PaymentsTransactionId'."""
    return "".join(seg.strip("{}")[:1].upper() + seg.strip("{}")[1:] for seg in path.strip("/").split("/"))


def _source_path(route: Route) -> str:
    """The path as it appears in an execute-api ARN (parameters become wildcards)."""
    return "/".join("*" if seg.startswith("{") else seg for seg in route.path.split("/"))


def _reference(value: object) -> object:
    """A parameter is referred to with Ref; anything else is used as given."""
    return Ref(value) if isinstance(value, Parameter) else value


def _sub(text: str, value: object) -> Sub:
    """`text` with its `${%s}` filled by `value` (a parameter by name, else as a variable)."""
    if isinstance(value, Parameter):
        return Sub(text % value.title)
    return Sub(text % "Value", Value=value)


__all__ = [
    "CHALLENGE",
    "ApiStage",
    "ApiStageOptions",
    "RestApi",
    "RestApiOptions",
    "api_gateway_account",
    "request_parameters",
    "response_parameters",
    "route_id",
]

if not TYPE_CHECKING:  # the options' names before they were <Block>Options, for one release
    __getattr__ = renamed(
        __name__,
        {
            "StageOptions": "ApiStageOptions",
        },
    )
