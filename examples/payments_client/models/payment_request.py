from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PaymentRequest")


@_attrs_define
class PaymentRequest:
    """
    Attributes:
        amount (str): Decimal string, e.g. "12.50": positive, at most the currency's minor units.
        currency (str): ISO 4217 code, one of the environment's allowed currencies.
        customer_id (str | Unset): The paying customer: the caller's own id (the token's subject).
        description (str | Unset):
    """

    amount: str
    currency: str
    customer_id: str | Unset = UNSET
    description: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        currency = self.currency

        customer_id = self.customer_id

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "currency": currency,
            }
        )
        if customer_id is not UNSET:
            field_dict["customerId"] = customer_id
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        amount = d.pop("amount")

        currency = d.pop("currency")

        customer_id = d.pop("customerId", UNSET)

        description = d.pop("description", UNSET)

        payment_request = cls(
            amount=amount,
            currency=currency,
            customer_id=customer_id,
            description=description,
        )

        return payment_request
