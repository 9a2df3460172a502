"""CloudFront's CloudFormation types through moto's CloudFront backend: distributions (in the
CloudFront API's shape) and response headers policies (kept in the CloudFormation layer only)."""

from __future__ import annotations

import uuid
from typing import Any, Self

from moto.cloudfront.models import cloudfront_backends
from moto.core.common_models import CloudFormationModel
from moto.utilities.utils import get_partition

from local_aws.emulator.services.base import EmulatedResource


def _items(values: list[Any] | None) -> dict[str, Any]:
    """CloudFormation lists become the CloudFront API's {Quantity, Items} shape."""
    values = list(values or [])
    return {"Quantity": len(values), "Items": values}


class ResponseHeadersPolicy(EmulatedResource, CloudFormationModel):
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
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        return cls(cloudformation_json["Properties"]["ResponseHeadersPolicyConfig"])


class Distribution(EmulatedResource, CloudFormationModel):
    """AWS::CloudFront::Distribution through moto's CloudFront backend."""

    ATTRIBUTES = ("DomainName", "Id")

    def __init__(self, distribution: Any) -> None:
        self.physical_resource_id = self.id = distribution.distribution_id
        self.domain_name = distribution.domain_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        config = api_distribution_config(cloudformation_json["Properties"]["DistributionConfig"], resource_name)
        backend = cloudfront_backends[account_id][get_partition(region_name)]
        distribution, _, _ = backend.create_distribution(config, tags=[])
        return cls(distribution)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
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


MODELS = (
    ResponseHeadersPolicy,
    Distribution,
)
