"""AWS::CertificateManager::Certificate through moto's ACM backend (moto's CloudFormation
skips the type)."""

from __future__ import annotations

from typing import Any, Self

from moto.acm.models import acm_backends
from moto.core.common_models import CloudFormationModel

from local_aws.emulator.services.base import EmulatedResource


class Certificate(EmulatedResource, CloudFormationModel):
    """AWS::CertificateManager::Certificate through moto's ACM backend."""

    ATTRIBUTES = ("Id",)

    def __init__(self, arn: str, region_name: str) -> None:
        self.physical_resource_id = self.id = arn
        self.region_name = region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        arn = acm_backends[account_id][region_name].request_certificate(
            domain_name=props["DomainName"],
            idempotency_token=None,  # type: ignore[arg-type]  # none: moto then skips idempotency
            subject_alt_names=props.get("SubjectAlternativeNames") or [],
            tags=props.get("Tags") or [],
        )
        return cls(arn, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        acm_backends[account_id][region_name].delete_certificate(self.id)


MODELS = (Certificate,)
