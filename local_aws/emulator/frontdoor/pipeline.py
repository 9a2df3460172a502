"""API Gateway's request pipeline, in its order: the stage's web ACL (WAF), route, stage
throttling, Cognito authorizer, request validation, Lambda proxy integration. Each refusal
is rendered through the API's gateway responses (a WAF block with a custom response as
that response).

Two paths lead in:
    /distributions/<distribution id>/<path>   CloudFront: the distribution's origin (a REST
        API stage) with the custom origin headers CloudFront adds, then the stage's pipeline;
    /restapis/<rest api id>/<stage>/<path>    the stage's execute-api URL, called directly.
Either works for a distribution or API in any account: its definitions are read in its
account, and the Lambda event's requestContext.accountId is the API's account."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from local_aws.emulator.frontdoor.access_logs import AccessLogWriter
from local_aws.emulator.frontdoor.authorizer import CognitoAuthorizer, Unauthorized, UserPool, bearer_token
from local_aws.emulator.frontdoor.definitions import (
    ApiDefinition,
    DefinitionReader,
    DistributionReader,
    Method,
    UnknownApi,
    UnknownDistribution,
)
from local_aws.emulator.frontdoor.events import EventContext, MalformedProxyResponse, proxy_event, proxy_response
from local_aws.emulator.frontdoor.functions import DeployedFunctions, function_arn
from local_aws.emulator.frontdoor.messages import Request, Response, json_response
from local_aws.emulator.frontdoor.responses import Refusal, render_refusal
from local_aws.emulator.frontdoor.routing import RouteMatch
from local_aws.emulator.frontdoor.throttle import Throttles
from local_aws.emulator.frontdoor.validation import body_errors, missing_parameters, missing_parameters_message
from local_aws.emulator.frontdoor.waf import UnsupportedWebAcl, evaluate
from local_aws.emulator.frontdoor.workers import CodeMismatch, WorkerPool

LOG = logging.getLogger("local_aws.emulator.frontdoor")
INTEGRATION_TIMEOUT = 29.0  # API Gateway's limit on an integration, in seconds
DEFAULT_CONTENT_TYPE = "application/json"


class _Answered(Exception):
    """The request is answered before the pipeline's end (a WAF custom response)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _configuration_error(reason: str) -> Refusal:
    LOG.warning("front door: %s", reason)
    return Refusal("API_CONFIGURATION_ERROR", "Internal server error")


def _lambda_failure(reason: str) -> Refusal:
    LOG.info("front door: the integration failed: %s", reason)
    return Refusal("DEFAULT_5XX", "Internal server error", 502)


class FrontDoor:
    def __init__(
        self,
        definitions: DefinitionReader,
        authorizer: CognitoAuthorizer,
        functions: DeployedFunctions,
        workers: WorkerPool,
        *,
        throttles: Throttles | None = None,
        integration_timeout: float = INTEGRATION_TIMEOUT,
        distributions: DistributionReader | None = None,
        access_logs: AccessLogWriter | None = None,
    ) -> None:
        self._definitions = definitions
        self._access_logs = access_logs
        self._distributions = distributions
        self._authorizer = authorizer
        self._functions = functions
        self._workers = workers
        self._throttles = throttles or Throttles()
        self._integration_timeout = integration_timeout

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        try:
            response = self._handle(request, request_id)
        except Exception:
            LOG.exception("front door: %s %s failed", request.method, request.path)
            response = json_response(
                500,
                '{"message": "Internal server error"}',
                {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": "InternalServerErrorException"},
            )
        LOG.info(
            "front door: %s %s -> %s (%.0f ms)",
            request.method,
            request.path,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _handle(self, request: Request, request_id: str) -> Response:
        if request.path.startswith("/distributions/") and self._distributions is not None:
            return self._through_distribution(request, request_id)
        parts = request.path.split("/", 4)  # "", "restapis", id, stage, path
        if len(parts) < 4 or parts[0] or parts[1] != "restapis" or not parts[2] or not parts[3]:
            return json_response(404, '{"message": "Not Found"}', {"x-amzn-RequestId": request_id})
        api_id, stage = parts[2], parts[3]
        try:
            definition = self._definitions.get(api_id, stage)
        except UnknownApi as error:
            LOG.info("front door: %s", error)
            return json_response(404, '{"message": "Not Found"}', {"x-amzn-RequestId": request_id})
        if definition is None:
            headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": "ForbiddenException"}
            return json_response(403, '{"message":"Forbidden"}', headers)
        path = "/" + (parts[4] if len(parts) > 4 else "")
        try:
            self._firewall(definition, request, request_id)
            response = self._pipeline(definition, request, path, request_id)
        except _Answered as answered:
            response = answered.response
        except Refusal as refusal:
            response = render_refusal(refusal, definition.gateway_responses, request_id, request.lower_headers)
        self._log_access(definition, request, path, response, request_id)
        return response

    def _log_access(
        self, definition: ApiDefinition, request: Request, path: str, response: Response, request_id: str
    ) -> None:
        """The stage's access log line, as API Gateway writes it after answering."""
        if self._access_logs is None or definition.access_log is None:
            return
        context = {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "path": f"/{definition.stage}{path}",
            "resourcePath": path,
            "status": response.status,
            "protocol": "HTTP/1.1",
            "responseLength": len(response.body),
            "stage": definition.stage,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity.sourceIp": "127.0.0.1",
        }
        try:
            self._access_logs.write(definition.account_id, definition.region, definition.access_log, context)
        except Exception:  # a log that cannot be written never changes the answer
            LOG.exception("front door: access log of %s/%s not written", definition.api_id, definition.stage)

    def _through_distribution(self, request: Request, request_id: str) -> Response:
        """What CloudFront does before the origin: the origin path before the viewer's path,
        and the custom origin headers in place of any viewer header of the same name."""
        assert self._distributions is not None
        _, _, distribution_id, *rest = request.path.split("/", 3)
        try:
            origin = self._distributions.get(distribution_id)
        except UnknownDistribution as error:
            LOG.info("front door: %s", error)
            return json_response(404, '{"message": "Not Found"}', {"x-amzn-RequestId": request_id})
        names = {name.lower() for name, _ in origin.headers}
        forwarded = dataclasses.replace(
            request,
            path=f"/restapis/{origin.api_id}/{origin.stage}/" + (rest[0] if rest else ""),
            headers=[(k, v) for k, v in request.headers if k.lower() not in names] + list(origin.headers),
        )
        return self._handle(forwarded, request_id)

    def _firewall(self, definition: ApiDefinition, request: Request, request_id: str) -> None:
        """The stage's web ACL, before anything else API Gateway does."""
        if definition.web_acl is None:
            return
        try:
            blocked = evaluate(definition.web_acl, request)
        except UnsupportedWebAcl as error:
            # Not served rather than guessed: a guess could admit what WAF refuses.
            reason = (
                f"the local front door cannot evaluate the web ACL of {definition.api_id}/{definition.stage}: {error}"
            )
            LOG.warning("front door: %s", reason)
            headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": "InternalServerErrorException"}
            raise _Answered(json_response(500, json.dumps({"message": reason}), headers)) from None
        if blocked is None:
            return
        LOG.info("front door: refused by web ACL %s (%s)", definition.web_acl.name, blocked.rule)
        if blocked.custom is None:
            raise Refusal("WAF_FILTERED", "Forbidden")
        blocked.custom.headers.extend([("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", "ForbiddenException")])
        raise _Answered(blocked.custom)

    def _pipeline(self, definition: ApiDefinition, request: Request, path: str, request_id: str) -> Response:
        match = definition.router.match(path, request.method)
        if match is None:
            raise Refusal("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        limits = definition.throttling
        if limits is not None and not self._throttles.allow(
            (definition.api_id, definition.stage), limits.rate, limits.burst
        ):
            raise Refusal("THROTTLED", "Too Many Requests")
        method: Method = match.method
        claims = self._authorize(definition, method, request)
        self._validate(definition, method, request, match.path_parameters)
        return self._integrate(definition, match, request, unquote(path), claims, request_id)

    def _authorize(self, definition: ApiDefinition, method: Method, request: Request) -> Mapping[str, Any] | None:
        if method.authorization_type == "NONE":
            return None
        if method.authorization_type != "COGNITO_USER_POOLS":
            raise _configuration_error(f"authorization type {method.authorization_type} is not emulated")
        authorizer = definition.authorizers.get(method.authorizer_id or "")
        if authorizer is None or authorizer.type != "COGNITO_USER_POOLS" or authorizer.header is None:
            raise _configuration_error(f"authorizer {method.authorizer_id} is not a Cognito header authorizer")
        value = request.header(authorizer.header)
        if not value or not value.strip():
            raise Refusal("UNAUTHORIZED", "Unauthorized")
        try:
            pools = [UserPool.from_arn(arn) for arn in authorizer.provider_arns]
        except ValueError as error:
            raise _configuration_error(str(error)) from None
        try:
            return self._authorizer.verify(bearer_token(value), pools, method.authorization_scopes)
        except Unauthorized as refused:
            LOG.info("front door: token refused: %s", refused.reason)
            raise Refusal("UNAUTHORIZED", "Unauthorized") from None

    def _validate(
        self, definition: ApiDefinition, method: Method, request: Request, path_parameters: Mapping[str, str]
    ) -> None:
        validator = definition.validators.get(method.request_validator_id or "")
        if validator is None:
            return
        if validator.validate_parameters:
            missing = missing_parameters(
                method.request_parameters, request.lower_headers, request.query_values, path_parameters
            )
            if missing:
                raise Refusal("BAD_REQUEST_PARAMETERS", missing_parameters_message(missing))
        if validator.validate_body:
            content_type = (request.header("Content-Type") or DEFAULT_CONTENT_TYPE).split(";")[0].strip().lower()
            model = method.request_models.get(content_type) or method.request_models.get("$default")
            if model and model not in definition.models:
                raise _configuration_error(f"model {model} of {definition.api_id} does not exist")
            schema = definition.models.get(model or "")
            if model and schema is None:
                raise _configuration_error(f"model {model} of {definition.api_id} is not a JSON schema")
            if schema is not None:
                errors = body_errors(schema, request.body)
                if errors:
                    LOG.info("front door: invalid body: %s", "; ".join(errors))
                    raise Refusal("BAD_REQUEST_BODY", "Invalid request body")

    def _integrate(
        self,
        definition: ApiDefinition,
        match: RouteMatch[Any],
        request: Request,
        path: str,
        claims: Mapping[str, Any] | None,
        request_id: str,
    ) -> Response:
        method: Method = match.method
        if method.integration_type != "AWS_PROXY":
            raise _configuration_error(f"integration type {method.integration_type} is not emulated")
        arn = function_arn(method.integration_uri, definition.stage_variables)
        if arn is None:
            raise _configuration_error(f"not a Lambda function integration: {method.integration_uri}")
        try:
            config = self._functions.configuration(arn)
            code_dir = self._workers.code_dir(config, lambda: self._functions.code(config))
        except (ClientError, CodeMismatch) as error:
            raise _configuration_error(f"function {arn}: {error}") from None
        extended_request_id = base64.b64encode(os.urandom(10)).decode()
        event = proxy_event(
            request,
            EventContext(
                account_id=definition.account_id,
                api_id=definition.api_id,
                region=definition.region,
                stage=definition.stage,
                resource_id=match.resource.id,
                resource_path=match.resource.path,
                path=path,
                path_parameters=match.path_parameters,
                stage_variables=definition.stage_variables,
                request_id=request_id,
                extended_request_id=extended_request_id,
                request_time=time.time(),
                claims=claims,
            ),
        )
        deadline = time.monotonic() + self._integration_timeout
        outcome = self._workers.invoke(config, code_dir, event, str(uuid.uuid4()), deadline)
        if outcome.kind == "integration_timeout":
            raise Refusal("INTEGRATION_TIMEOUT", "Endpoint request timed out")
        if outcome.kind == "throttled":
            # Lambda refused the invocation (429, its concurrency is all busy): API Gateway answers
            # 500 "Internal server error" through the INTEGRATION_FAILURE response (else DEFAULT_5XX).
            # https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
            LOG.info("front door: %s throttled: its concurrency is all busy", config.name)
            raise Refusal("INTEGRATION_FAILURE", "Internal server error", 500)
        if outcome.kind != "result":
            raise _lambda_failure(f"{config.name}: {outcome.kind}: {outcome.payload}")
        try:
            response = proxy_response(outcome.payload)
        except MalformedProxyResponse as error:
            raise _lambda_failure(f"{config.name}: malformed Lambda proxy response: {error}") from None
        response.headers.extend([("x-amzn-RequestId", request_id), ("x-amz-apigw-id", extended_request_id)])
        return response
