"""What is deployed, read back through the AWS APIs: one REST API stage's routes, methods,
authorizers, validators, models, gateway responses, throttling and web ACL (API Gateway,
WAFv2), and a CloudFront distribution's origin (CloudFront). Each is read through clients
acting in the account that holds the API or distribution (see accounts.py), in any account.

A definition is cached per (api, stage, deploymentId); the stage and its web ACL are re-read
at most once per second, so a new deployment (a relaunch) is picked up and stage settings
such as throttling, and web ACL changes, apply without one, as in API Gateway. A
distribution's origin is re-read at most once per second too."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from local_aws.emulator.frontdoor.access_logs import AccessLog
from local_aws.emulator.frontdoor.accounts import (
    AccountClientFactory,
    ClientFactory,
    distribution_account,
    rest_api_location,
)
from local_aws.emulator.frontdoor.responses import GatewayResponse
from local_aws.emulator.frontdoor.routing import Router
from local_aws.emulator.frontdoor.waf import WebAcl

LOG = logging.getLogger("local_aws.emulator.frontdoor")
_DRAFT4 = "http://json-schema.org/draft-04/schema#"
# The models API Gateway gives every REST API (moto does not create them).
BUILTIN_MODELS: dict[str, Mapping[str, Any] | None] = {
    "Empty": {"$schema": _DRAFT4, "title": "Empty Schema", "type": "object"},
    "Error": {
        "$schema": _DRAFT4,
        "title": "Error Schema",
        "type": "object",
        "properties": {"message": {"type": "string"}},
    },
}
ApiLocator = Callable[[str, Sequence[str]], tuple[str, str] | None]  # (api id, regions) -> (account, region)
DistributionLocator = Callable[[str], str | None]  # distribution id -> account


@dataclass(frozen=True)
class Method:
    http_method: str
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    authorization_scopes: tuple[str, ...] = ()
    request_parameters: Mapping[str, bool] = field(default_factory=dict)
    request_models: Mapping[str, str] = field(default_factory=dict)
    request_validator_id: str | None = None
    integration_type: str | None = None
    integration_uri: str | None = None


@dataclass(frozen=True)
class Resource:
    id: str
    path: str
    methods: Mapping[str, Method] = field(default_factory=dict)


@dataclass(frozen=True)
class Authorizer:
    id: str
    name: str
    type: str
    provider_arns: tuple[str, ...] = ()
    identity_source: str = "method.request.header.Authorization"

    @property
    def header(self) -> str | None:
        """The request header holding the token (None: not a header identity source)."""
        source = self.identity_source.split(",")[0].strip()
        prefix = "method.request.header."
        return source.removeprefix(prefix) if source.startswith(prefix) else None


@dataclass(frozen=True)
class Validator:
    id: str
    validate_body: bool
    validate_parameters: bool


@dataclass(frozen=True)
class Throttling:
    rate: float
    burst: int


@dataclass(frozen=True)
class ApiDefinition:
    api_id: str
    account_id: str  # the account holding the API
    region: str
    stage: str
    deployment_id: str
    resources: tuple[Resource, ...]
    authorizers: Mapping[str, Authorizer] = field(default_factory=dict)
    validators: Mapping[str, Validator] = field(default_factory=dict)
    models: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)  # name -> schema (None: unusable)
    gateway_responses: Mapping[str, GatewayResponse] = field(default_factory=dict)
    throttling: Throttling | None = None
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    web_acl: WebAcl | None = None  # the stage's WAF web ACL (None: no ACL associated)
    access_log: AccessLog | None = None  # where the stage logs each request (None: it does not)
    router: Router[Resource] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "router", Router(self.resources))


def stage_throttling(method_settings: Mapping[str, Any]) -> Throttling | None:
    """The stage-wide limits (method settings of "*/*"), if set."""
    settings = method_settings.get("*/*") or {}
    rate, burst = settings.get("throttlingRateLimit"), settings.get("throttlingBurstLimit")
    if rate is None or burst is None:
        return None
    return Throttling(float(rate), int(burst))


def _schema(api_id: str, name: str, text: str | None) -> Mapping[str, Any] | None:
    """A model's JSON schema; None when it is not a JSON object (requests needing it fail)."""
    try:
        schema = json.loads(text or "{}")
        if isinstance(schema, str):  # JSON encoded twice by whatever deployed it: tolerated, reported
            LOG.warning("front door: model %s of %s holds its schema JSON-encoded twice", name, api_id)
            schema = json.loads(schema)
    except ValueError:
        schema = None
    if not isinstance(schema, dict):
        LOG.warning("front door: model %s of %s is not a JSON schema object: %.200r", name, api_id, text)
        return None
    return schema


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {"NotFoundException", "ResourceNotFoundException"}


def _items(client: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get("items", [])


class UnknownApi(LookupError):
    """No REST API with that id in any account, in any of the regions tried."""


@dataclass
class _Cached:
    definition: ApiDefinition | None  # None: the stage does not exist
    checked: float


class DefinitionReader:
    """`clients(account)(service, region)`: clients acting in an account; `locate(api id,
    regions)`: the (account, region) holding the API (default: moto's backends in this process)."""

    def __init__(
        self,
        clients: AccountClientFactory,
        regions: Sequence[str],
        *,
        locate: ApiLocator = rest_api_location,
        recheck_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._regions = list(regions)
        self._locate = locate
        self._recheck = recheck_seconds
        self._clock = clock
        self._locations: dict[str, tuple[str, str]] = {}
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._lock = threading.Lock()

    def location_of(self, api_id: str) -> tuple[str, str]:
        """(account, region) holding the API: in any account, the first of the configured
        regions that has it."""
        if api_id not in self._locations:
            found = self._locate(api_id, self._regions)
            if found is None:
                raise UnknownApi(f"no REST API {api_id!r} in any account in {', '.join(self._regions)}")
            self._locations[api_id] = found
        return self._locations[api_id]

    def get(self, api_id: str, stage: str) -> ApiDefinition | None:
        """The deployed definition of the stage (None when the API has no such stage)."""
        with self._lock:  # one reader at a time: a burst of requests reads the API once
            key = (api_id, stage)
            cached = self._cache.get(key)
            now = self._clock()
            if cached is not None and now - cached.checked < self._recheck:
                return cached.definition
            account, region = self.location_of(api_id)
            clients = self._clients(account)
            client = clients("apigateway", region)
            try:
                described = client.get_stage(restApiId=api_id, stageName=stage)
            except ClientError as error:
                if not _not_found(error):
                    raise
                self._locations.pop(api_id, None)  # deleted, or unknown stage: look again next time
                self._cache[key] = _Cached(None, now)
                return None
            old = cached.definition if cached else None
            web_acl = self._web_acl(clients, region, api_id, stage)
            if old is not None and (old.account_id, old.deployment_id) == (account, described.get("deploymentId")):
                definition = _with_stage_settings(old, described, web_acl)
            else:
                read = self._read(client, api_id, account, region, described)
                definition = dataclasses.replace(read, web_acl=web_acl)
                LOG.info("front door: %s/%s now serves deployment %s", api_id, stage, definition.deployment_id)
            self._cache[key] = _Cached(definition, now)
            return definition

    @staticmethod
    def _web_acl(clients: ClientFactory, region: str, api_id: str, stage: str) -> WebAcl | None:
        """The web ACL associated with the stage (GetWebACLForResource on the stage's ARN, in
        the API's account)."""
        arn = f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"
        found = clients("wafv2", region).get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
        return WebAcl.from_api(found) if found else None

    def _read(self, client: Any, api_id: str, account: str, region: str, stage: Mapping[str, Any]) -> ApiDefinition:
        resources = []
        for item in _items(client, "get_resources", restApiId=api_id, embed=["methods"]):
            methods = {}
            for verb in item.get("resourceMethods") or {}:
                described = client.get_method(restApiId=api_id, resourceId=item["id"], httpMethod=verb)
                integration = described.get("methodIntegration") or {}
                methods[verb] = Method(
                    http_method=verb,
                    authorization_type=described.get("authorizationType") or "NONE",
                    authorizer_id=described.get("authorizerId"),
                    authorization_scopes=tuple(described.get("authorizationScopes") or ()),
                    request_parameters=dict(described.get("requestParameters") or {}),
                    request_models=dict(described.get("requestModels") or {}),
                    request_validator_id=described.get("requestValidatorId"),
                    integration_type=integration.get("type"),
                    integration_uri=integration.get("uri"),
                )
            resources.append(Resource(item["id"], item["path"], methods))
        authorizers = {
            a["id"]: Authorizer(
                a["id"],
                a.get("name", ""),
                a.get("type", ""),
                tuple(a.get("providerARNs") or ()),
                a.get("identitySource") or "method.request.header.Authorization",
            )
            for a in _items(client, "get_authorizers", restApiId=api_id)
        }
        validators = {
            v["id"]: Validator(v["id"], bool(v.get("validateRequestBody")), bool(v.get("validateRequestParameters")))
            for v in _items(client, "get_request_validators", restApiId=api_id)
        }
        models = {**BUILTIN_MODELS}
        for model in _items(client, "get_models", restApiId=api_id):
            models[model["name"]] = _schema(api_id, model["name"], model.get("schema"))
        responses = {
            r["responseType"]: GatewayResponse(
                r["responseType"],
                int(r["statusCode"]) if r.get("statusCode") else None,
                dict(r.get("responseParameters") or {}),
                dict(r.get("responseTemplates") or {}),
            )
            for r in _items(client, "get_gateway_responses", restApiId=api_id)
        }
        return ApiDefinition(
            api_id=api_id,
            account_id=account,
            region=region,
            stage=stage["stageName"],
            deployment_id=stage.get("deploymentId", ""),
            resources=tuple(resources),
            authorizers=authorizers,
            validators=validators,
            models=models,
            gateway_responses=responses,
            throttling=stage_throttling(stage.get("methodSettings") or {}),
            stage_variables=dict(stage.get("variables") or {}),
            access_log=_access_log(stage),
        )


def _with_stage_settings(definition: ApiDefinition, stage: Mapping[str, Any], web_acl: WebAcl | None) -> ApiDefinition:
    throttling = stage_throttling(stage.get("methodSettings") or {})
    variables = dict(stage.get("variables") or {})
    access_log = _access_log(stage)
    if (throttling, variables, web_acl, access_log) == (
        definition.throttling,
        definition.stage_variables,
        definition.web_acl,
        definition.access_log,
    ):
        return definition
    return dataclasses.replace(
        definition, throttling=throttling, stage_variables=variables, web_acl=web_acl, access_log=access_log
    )


def _access_log(stage: Mapping[str, Any]) -> AccessLog | None:
    settings = stage.get("accessLogSettings") or {}
    if not settings.get("destinationArn"):
        return None
    return AccessLog(settings["destinationArn"], settings.get("format") or "$context.requestId")


@dataclass(frozen=True)
class Origin:
    """Where a CloudFront distribution sends requests: a REST API stage (from the origin's
    execute-api host name and origin path) and the custom headers CloudFront adds."""

    api_id: str
    stage: str
    headers: tuple[tuple[str, str], ...] = ()


class UnknownDistribution(LookupError):
    """No such distribution, or its origin is not a REST API stage."""


@dataclass
class _CachedOrigin:
    origin: Origin | None
    checked: float


class DistributionReader:
    """A distribution's default origin, read through the CloudFront API (global, called in
    us-east-1) in the account holding the distribution (`locate`; default: moto's backends in
    this process), re-read at most once per `recheck_seconds` like the stages."""

    def __init__(
        self,
        clients: AccountClientFactory,
        *,
        locate: DistributionLocator = distribution_account,
        recheck_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._locate = locate
        self._recheck = recheck_seconds
        self._clock = clock
        self._cache: dict[str, _CachedOrigin] = {}
        self._lock = threading.Lock()

    def get(self, distribution_id: str) -> Origin:
        with self._lock:
            cached = self._cache.get(distribution_id)
            now = self._clock()
            if cached is None or now - cached.checked >= self._recheck:
                cached = self._cache[distribution_id] = _CachedOrigin(self._read(distribution_id), now)
        if cached.origin is None:
            raise UnknownDistribution(f"no distribution {distribution_id!r} with a REST API stage origin")
        return cached.origin

    def _read(self, distribution_id: str) -> Origin | None:
        account = self._locate(distribution_id)
        if account is None:
            return None
        try:
            config = self._clients(account)("cloudfront", "us-east-1").get_distribution_config(Id=distribution_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchDistribution", "NotFound"}:
                return None
            raise
        return distribution_origin(config["DistributionConfig"])


def distribution_origin(config: Mapping[str, Any]) -> Origin | None:
    """The default cache behavior's origin as a REST API stage (None if it is not one):
    `<api id>.execute-api.<region>.<suffix>` with origin path `/<stage>`."""
    target = (config.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
    origin = next((o for o in (config.get("Origins") or {}).get("Items") or () if o.get("Id") == target), None)
    if origin is None:
        return None
    host_parts = str(origin.get("DomainName", "")).split(".")
    stage = str(origin.get("OriginPath") or "").strip("/")
    if len(host_parts) < 3 or host_parts[1] != "execute-api" or not stage or "/" in stage:
        return None
    headers = tuple(
        (str(h["HeaderName"]), str(h["HeaderValue"])) for h in (origin.get("CustomHeaders") or {}).get("Items") or ()
    )
    return Origin(host_parts[0], stage, headers)
