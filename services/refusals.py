"""Every business refusal with the answer it gets: the HTTP status and problem type the
API sends (api/refusals.py adds the details some carry), and from the same status the
exit code `orders-admin` ends with. A new domain error gets its line here."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import (
    DomainError,
    EmailTaken,
    ExchangePaymentMissing,
    IdempotencyKeyReused,
    IdempotencyKeySpent,
    InvalidStockLevel,
    LabelPending,
    LocationTaken,
    NotAwaitingReview,
    NotCancellable,
    NotEditable,
    NotFound,
    NotPermitted,
    NotReturnable,
    OutOfStock,
    PaymentDeclined,
    PaymentUnavailable,
    ProductUnavailable,
    RefundExceedsCaptured,
    ReturnNotCancellable,
    ReturnNotReceivable,
    ReturnNotReviewable,
    SkuTaken,
    TooManyUnits,
    UnknownCustomer,
    WrongCurrency,
)


@dataclass(frozen=True)
class Refusal:
    status: int
    problem_type: str


REFUSALS: dict[type[DomainError], Refusal] = {
    NotFound: Refusal(404, "/problems/not-found"),
    NotPermitted: Refusal(403, "/problems/forbidden"),
    OutOfStock: Refusal(409, "/problems/out-of-stock"),
    NotCancellable: Refusal(409, "/problems/not-cancellable"),
    NotAwaitingReview: Refusal(409, "/problems/not-awaiting-review"),
    NotEditable: Refusal(409, "/problems/not-editable"),
    PaymentDeclined: Refusal(409, "/problems/payment-declined"),
    RefundExceedsCaptured: Refusal(409, "/problems/refund-exceeds-captured"),
    NotReturnable: Refusal(409, "/problems/not-returnable"),
    ReturnNotReviewable: Refusal(409, "/problems/return-conflict"),
    ReturnNotReceivable: Refusal(409, "/problems/return-conflict"),
    ReturnNotCancellable: Refusal(409, "/problems/return-conflict"),
    TooManyUnits: Refusal(422, "/problems/validation"),
    ExchangePaymentMissing: Refusal(422, "/problems/validation"),
    PaymentUnavailable: Refusal(503, "/problems/dependency-unavailable"),
    LabelPending: Refusal(503, "/problems/dependency-unavailable"),
    IdempotencyKeySpent: Refusal(409, "/problems/idempotency-key-spent"),
    EmailTaken: Refusal(409, "/problems/email-taken"),
    LocationTaken: Refusal(409, "/problems/location-taken"),
    SkuTaken: Refusal(409, "/problems/sku-taken"),
    InvalidStockLevel: Refusal(409, "/problems/stock-conflict"),
    IdempotencyKeyReused: Refusal(422, "/problems/idempotency-key-reused"),
    ProductUnavailable: Refusal(422, "/problems/validation"),
    UnknownCustomer: Refusal(422, "/problems/validation"),
    WrongCurrency: Refusal(422, "/problems/validation"),
}
# A rule without a line of its own is a conflict with the resource's state.
CONFLICT = Refusal(409, "/problems/conflict")


def refusal_of(error: DomainError) -> Refusal:
    """The line of the error's class, or of the nearest class it derives from."""
    for kind in type(error).__mro__:
        if kind in REFUSALS:
            return REFUSALS[kind]
    return CONFLICT
