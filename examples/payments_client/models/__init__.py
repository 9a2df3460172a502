"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_detail import ErrorDetail
from .payment import Payment
from .payment_page import PaymentPage
from .payment_request import PaymentRequest
from .payment_status import PaymentStatus
from .session import Session
from .session_request import SessionRequest

__all__ = (
    "Error",
    "ErrorDetail",
    "Payment",
    "PaymentPage",
    "PaymentRequest",
    "PaymentStatus",
    "Session",
    "SessionRequest",
)
