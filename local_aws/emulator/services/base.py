"""What every CloudFormation model of the emulator shares (`EmulatedResource`), and the template
values they read. Written against moto 5.2.5 (pinned in requirements-emulator.txt); the
emulator's tests fail if a new moto changes the backend calls the models rely on."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

MOTO_VERSION = "5.2.5"


class EmulatedResource:
    """The base of the emulator's CloudFormation models, mixed in before moto's
    `CloudFormationModel` (moto's CloudFormation sees its direct subclasses only):

        class Certificate(EmulatedResource, CloudFormationModel): ...

    No name property, GetAtt attributes declared per class (`ATTRIBUTES`, read from the
    snake-case attribute of the same name), replaced on update (deleted, then created again)
    unless a model updates in place, and deleted through `delete()`, which removes what the
    service backend holds."""

    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    physical_resource_id: str

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return getattr(self, _snake(attribute_name))

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        """The resource a template's `cloudformation_json` declares, made through the backend
        (each model its own)."""
        raise NotImplementedError(cls.__name__)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Nothing to do: `delete()` on the instance removes what the backend holds."""

    def delete(self, account_id: str, region_name: str) -> None:
        """Remove the resource from its backend (default: nothing is held)."""


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def ref_id(value: Any) -> str:
    """A Ref as a string id: moto resolves Ref to the model object itself when the model
    has no physical_resource_id (API Gateway deployments, for one)."""
    return value if isinstance(value, str) else str(value.id)


def json_text(value: Any) -> str:
    """A JSON document as text: templates may carry it as an object or already as a string."""
    return value if isinstance(value, str) else json.dumps(value)


def template_bool(value: Any) -> bool:
    """A template boolean, written either as true or as "true"."""
    return value if isinstance(value, bool) else str(value).lower() == "true"
