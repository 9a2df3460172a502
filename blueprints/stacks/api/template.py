"""The api stack's blueprint, and the answers API Gateway gives itself."""

from __future__ import annotations

import json

from troposphere import Ref, Sub, Template

from blueprints.blocks.alarms import MetricAlarm, alarm_topic_arn
from blueprints.blocks.key import log_group_arn, stack_key
from blueprints.blocks.rest_api import CHALLENGE, ApiStage, RestApi
from blueprints.blocks.web_acl import OriginWebAcl, secret_parameter
from blueprints.contract import ROUTES, SCHEMAS
from blueprints.core import Blueprint, add_output, add_parameter
from blueprints.stacks.api.settings import ApiConfig, api_alarm_name
from blueprints.stacks.functions.catalogue import FUNCTIONS, FunctionSpec

# API Gateway's own refusals (validation, unknown routes, authorization, throttling) in the
# handlers' error shape. $context.error.messageString is already a quoted JSON string.
_REFUSAL = '{"error": {"code": "%s", "message": $context.error.messageString, "field": "%s"}}'
GATEWAY_RESPONSES: dict[str, tuple[str, str]] = {
    "BadRequestBodyResponse": ("BAD_REQUEST_BODY", _REFUSAL % ("ValidationError", "body")),
    "BadRequestParametersResponse": ("BAD_REQUEST_PARAMETERS", _REFUSAL % ("ValidationError", "parameters")),
    "UnauthorizedResponse": ("UNAUTHORIZED", _REFUSAL % ("Unauthorized", "Authorization")),
    "ThrottledResponse": ("THROTTLED", _REFUSAL % ("THROTTLED", "request")),
    "Default4xxResponse": ("DEFAULT_4XX", _REFUSAL % ("$context.error.responseType", "request")),
    "Default5xxResponse": ("DEFAULT_5XX", '{"error": {"code": "InternalError", "message": "internal error"}}'),
}
# The stage's throttling refills its token bucket every second: a throttled client may send
# the same request again after one (contract.COMMON_RESPONSE_HEADERS documents it).
GATEWAY_RESPONSE_HEADERS: dict[str, dict[str, str]] = {**CHALLENGE, "THROTTLED": {"Retry-After": "1"}}
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


def alias_arn_parameter(spec: FunctionSpec) -> str:
    """The parameter that carries the ARN of `spec`'s live alias (the functions stack's
    `<Title>AliasArn` output), which API Gateway invokes so that a deployment shifts traffic
    between versions. It keeps its first name, `<Title>FunctionArn`: renaming a parameter
    changes every deployed template."""
    return f"{spec.title}FunctionArn"


class ApiBlueprint(Blueprint[ApiConfig]):
    name = "api"
    description = "REST API, routes, stage with access logs, tracing and throttling"
    config_model = ApiConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        # API Gateway invokes each function's live alias.
        live_alias_arns = {
            spec.name: add_parameter(t, alias_arn_parameter(spec), f"{spec.name} function ARN") for spec in FUNCTIONS
        }
        api = RestApi(
            t,
            "RestApi",
            name=self.context.name("api"),
            description=f"{self.context.project} payments and sessions API",
            routes=ROUTES,
            schemas=SCHEMAS,
            function_arns=live_alias_arns,
            user_pool_arn=add_parameter(t, "UserPoolArn", "User pool whose tokens the API accepts"),
            stage_name=cfg.stage_name,
            gateway_responses=GATEWAY_RESPONSES,
            gateway_response_headers=GATEWAY_RESPONSE_HEADERS,
        )
        access_log_group = f"/aws/apigateway/{self.context.name('api')}/access"
        key = stack_key(
            t,
            "ApiKey",
            settings=cfg,
            context=self.context,
            stack=self.name,
            holds="API access and execution logs",
            log_groups=(
                log_group_arn(access_log_group),
                log_group_arn(f"API-Gateway-Execution-Logs_${{{api.api.title}}}/{cfg.stage_name}"),
            ),
        )
        stage = ApiStage(
            t,
            "Stage",
            api=api,
            stage_name=cfg.stage_name,
            throttling_rate_limit=cfg.throttling_rate_limit,
            throttling_burst_limit=cfg.throttling_burst_limit,
            access_log_format=ACCESS_LOG_FORMAT,
            access_log_group_name=access_log_group,
            log_retention_days=cfg.log_retention_days,
            retain_logs=cfg.retain_data,
            kms_key=key.arn if key else None,
            manage_account_settings=False,  # the account's bootstrap owns them (blueprints.stacks.bootstrap)
        )
        # No path around CloudFront: the stage answers only requests bearing the origin
        # secret the distribution adds (current or previous value, so a rotation never
        # refuses traffic). Callers use the distribution's domain, never the execute-api URL.
        OriginWebAcl(
            t,
            "OriginWebAcl",
            name=self.context.name("origin"),
            values=(
                Ref(secret_parameter(t, "OriginVerifyCurrent", "Current origin-verify value")),
                Ref(secret_parameter(t, "OriginVerifyPrevious", "Previous origin-verify value (or the current)")),
            ),
            resource_arn=Sub(
                f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/restapis/${{{api.api.title}}}"
                f"/stages/${{{stage.stage.title}}}"
            ),
        )
        self._alarms(t)
        host = f"${{{api.api.title}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
        add_output(t, "RestApiId", Ref(api.api), "REST API id")
        add_output(t, "StageName", Ref(stage.stage), "Deployed stage")
        add_output(t, "ApiDomainName", Sub(host), "Regional execute-api host name (CloudFront origin only)")
        add_output(t, "AccessLogGroupName", Ref(stage.access_logs), "Access log group")

    def _alarms(self, t: Template) -> None:
        """The stage's error rate and latency, as its callers see them (API Gateway's metrics
        by API name and stage)."""
        cfg = self.config
        dimensions: dict[str, object] = {"ApiName": self.context.name("api"), "Stage": cfg.stage_name}
        MetricAlarm(
            t,
            "Api5xxRateAlarm",
            name=api_alarm_name(self.context, "5xx-rate"),
            description=(
                f"More than {cfg.alarm_5xx_rate_percent}% of API requests failed with a 5XX (a function failing, "
                "timing out or throttled, or API Gateway itself): payments are failing."
            ),
            namespace="AWS/ApiGateway",
            metric="5XXError",
            dimensions=dimensions,
            statistic="Average",  # 5XXError is 1 or 0 per request: its average is the rate
            threshold=cfg.alarm_5xx_rate_percent / 100,
            topic_arn=alarm_topic_arn(self.context),
        )
        MetricAlarm(
            t,
            "ApiLatencyAlarm",
            name=api_alarm_name(self.context, "p99-latency"),
            description=f"The slowest 1% of API requests took more than {cfg.alarm_p99_latency_ms} ms.",
            namespace="AWS/ApiGateway",
            metric="Latency",
            dimensions=dimensions,
            percentile="p99",
            threshold=cfg.alarm_p99_latency_ms,
            topic_arn=alarm_topic_arn(self.context),
        )
