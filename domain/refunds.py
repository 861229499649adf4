"""Refunds as a ledger: every refund of an order, whatever caused it, is one entry,
checked against what was captured less what is refunded or being refunded when it is
recorded, and handed to the provider under its own idempotency key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import RefundExceedsCaptured


class RefundReason(StrEnum):
    GOODWILL = "goodwill"
    PRICE_ADJUSTMENT = "price_adjustment"
    SHIPPING = "shipping"
    OTHER = "other"
    RETURN = "return"  # what came back in a return (domain/returns.py); never asked for
    CLAIM = "claim"  # units that arrived damaged, short or wrong (domain/claims.py)
    FAILED_ORDER = "failed_order"  # the saga gave back what it had taken (compensation)


class RefundStatus(StrEnum):
    PENDING = "pending"  # recorded; the provider has not confirmed it yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # given up past its bound: an operator retries or settles it


@dataclass
class Refund:
    id: str
    order_id: str
    amount: int
    currency: str
    reason: RefundReason
    requested_by: str
    idempotency_key: str
    fingerprint: str
    note: str | None = None
    status: RefundStatus = RefundStatus.PENDING
    provider_refund_id: str | None = None
    failure: str | None = None
    created_at: datetime | None = None

    @property
    def counts(self) -> bool:
        """Whether it takes from what can still be refunded (a failed one does not)."""
        return self.status is not RefundStatus.FAILED

    def succeed(self, provider_refund_id: str | None) -> bool:
        if self.status is RefundStatus.SUCCEEDED:
            return False
        self.status = RefundStatus.SUCCEEDED
        self.provider_refund_id = provider_refund_id
        self.failure = None
        return True

    def fail(self, why: str) -> bool:
        if self.status is not RefundStatus.PENDING:
            return False
        self.status = RefundStatus.FAILED
        self.failure = why
        return True

    def retry(self) -> bool:
        """An operator asks again for a failed one."""
        if self.status is not RefundStatus.FAILED:
            return False
        self.status = RefundStatus.PENDING
        return True


def refundable(captured: int, refunds: Iterable[Refund]) -> int:
    """What can still be refunded: captured, less every refund that counts."""
    return captured - sum(refund.amount for refund in refunds if refund.counts)


def check_refundable(amount: int, captured: int, refunds: Iterable[Refund]) -> None:
    left = refundable(captured, refunds)
    if amount > left:
        raise RefundExceedsCaptured(amount, left)


def open_refund(
    refund_id: str,
    order_id: str,
    currency: str,
    amount: int,
    captured: int,
    refunds: Iterable[Refund],
    reason: RefundReason,
    by: str,
    idempotency_key: str,
    fingerprint: str,
    note: str | None = None,
) -> Refund:
    """A new refund, `pending`, if what was captured less what is refunded or being
    refunded covers it (RefundExceedsCaptured if not). The caller records it in the
    transaction that read `captured` and `refunds`, under the order's lock."""
    if amount <= 0:
        raise ValueError(f"a refund is above zero, not {amount}")
    check_refundable(amount, captured, refunds)
    return Refund(
        id=refund_id,
        order_id=order_id,
        amount=amount,
        currency=currency,
        reason=reason,
        requested_by=by,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        note=note,
    )
