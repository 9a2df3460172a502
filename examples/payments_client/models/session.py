from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Session")


@_attrs_define
class Session:
    """
    Attributes:
        session_id (str):
        customer_id (str):
        created_at (int): Epoch seconds.
        expires_at (int): Epoch seconds; the session ends then.
    """

    session_id: str
    customer_id: str
    created_at: int
    expires_at: int

    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        customer_id = self.customer_id

        created_at = self.created_at

        expires_at = self.expires_at

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "sessionId": session_id,
                "customerId": customer_id,
                "createdAt": created_at,
                "expiresAt": expires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        session_id = d.pop("sessionId")

        customer_id = d.pop("customerId")

        created_at = d.pop("createdAt")

        expires_at = d.pop("expiresAt")

        session = cls(
            session_id=session_id,
            customer_id=customer_id,
            created_at=created_at,
            expires_at=expires_at,
        )

        return session
