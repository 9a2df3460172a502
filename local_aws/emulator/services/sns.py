"""AWS::SNS::TopicPolicy through moto's SNS backend (moto 5.2's CloudFormation lacks it): the
policy set on each topic named."""

from __future__ import annotations

import json
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.sns.models import sns_backends

from local_aws.emulator.services.base import EmulatedResource


class TopicPolicy(EmulatedResource, CloudFormationModel):
    """AWS::SNS::TopicPolicy: the policy set on each topic named."""

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.physical_resource_id = ",".join(topics)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        document = props["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        topics = [str(t) for t in props["Topics"]]
        for topic in topics:
            sns_backends[account_id][region_name].set_topic_attribute(topic, "policy", text)  # the setter's name
        return cls(topics)


MODELS = (TopicPolicy,)
