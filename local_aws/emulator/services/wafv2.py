"""WAFv2's CloudFormation types through moto's WAFv2 backend: web ACLs (updated in place),
their associations and logging configurations."""

from __future__ import annotations

import base64
import contextlib
import uuid
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.core.utils import camelcase_to_underscores
from moto.wafv2.exceptions import WAFNonexistentItemException
from moto.wafv2.models import GLOBAL_REGION, FakeRule, wafv2_backends

from local_aws.emulator.services.base import EmulatedResource


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


class WebACL(EmulatedResource, CloudFormationModel):
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
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
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
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


class WebACLAssociation(EmulatedResource, CloudFormationModel):
    """AWS::WAFv2::WebACLAssociation: the resource (an API Gateway stage here) gets the
    regional web ACL, visible through GetWebACLForResource. Ref is `ResourceArn|WebACLArn`."""

    def __init__(self, resource_arn: str, acl_arn: str) -> None:
        self.resource_arn, self.acl_arn = resource_arn, acl_arn
        self.physical_resource_id = f"{resource_arn}|{acl_arn}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        resource_arn, acl_arn = props["ResourceArn"], props["WebACLArn"]
        wafv2_backends[account_id][region_name].associate_web_acl(acl_arn, resource_arn)
        return cls(resource_arn, acl_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        wafv2_backends[account_id][region_name].disassociate_web_acl(self.resource_arn)


class WafLoggingConfiguration(EmulatedResource, CloudFormationModel):
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
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


MODELS = (
    WebACL,
    WebACLAssociation,
    WafLoggingConfiguration,
)
