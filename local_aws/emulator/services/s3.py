"""AWS::S3::BucketPolicy through moto's S3 backend."""

from __future__ import annotations

import json
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from local_aws.emulator.services.base import EmulatedResource


class BucketPolicy(EmulatedResource, CloudFormationModel):
    """AWS::S3::BucketPolicy through moto's S3 backend."""

    def __init__(self, bucket: str) -> None:
        self.physical_resource_id = self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(props["Bucket"], json.dumps(props["PolicyDocument"]).encode())
        return cls(props["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        s3_backends[account_id][get_partition(region_name)].delete_bucket_policy(self.bucket)


MODELS = (BucketPolicy,)
