from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus, check_payment_status
from ..types import UNSET, Unset

T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    """
    Attributes:
        transaction_id (str):
        timestamp (int): Epoch milliseconds.
        customer_id (str): The paying customer: the caller's own id (the token's subject).
        amount (str): Decimal string, e.g. "12.50": positive, at most the currency's minor units.
        currency (str): ISO 4217 code, one of the environment's allowed currencies.
        status (PaymentStatus):
        description (str | Unset):
    """

    transaction_id: str
    timestamp: int
    customer_id: str
    amount: str
    currency: str
    status: PaymentStatus
    description: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        transaction_id = self.transaction_id

        timestamp = self.timestamp

        customer_id = self.customer_id

        amount = self.amount

        currency = self.currency

        status: str = self.status

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "transactionId": transaction_id,
                "timestamp": timestamp,
                "customerId": customer_id,
                "amount": amount,
                "currency": currency,
                "status": status,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        transaction_id = d.pop("transactionId")

        timestamp = d.pop("timestamp")

        customer_id = d.pop("customerId")

        amount = d.pop("amount")

        currency = d.pop("currency")

        status = check_payment_status(d.pop("status"))

        description = d.pop("description", UNSET)

        payment = cls(
            transaction_id=transaction_id,
            timestamp=timestamp,
            customer_id=customer_id,
            amount=amount,
            currency=currency,
            status=status,
            description=description,
        )

        return payment
