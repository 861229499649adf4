"""Refunds as clients send and read them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import InputModel, Money
from domain.refunds import Refund, RefundReason, RefundStatus


class AskedReason(StrEnum):
    """Why an operator refunds (a return's refund is the return's own)."""

    GOODWILL = "goodwill"
    PRICE_ADJUSTMENT = "price_adjustment"
    SHIPPING = "shipping"
    OTHER = "other"


class RefundIn(InputModel):
    amount: Money = Field(
        description="Above zero, and at most what was captured less what is refunded."
    )
    reason: AskedReason
    note: str | None = Field(None, max_length=1000)

    @field_validator("amount")
    @classmethod
    def _above_zero(cls, amount: Money) -> Money:
        if amount.amount <= 0:
            raise ValueError("a refund is above zero")
        return amount


class RefundOut(BaseModel):
    id: str
    order_id: str
    amount: Money
    reason: RefundReason
    note: str | None = None
    status: RefundStatus = Field(
        description="pending until the payment provider confirms it; failed when it "
        "could not within its bound (an operator retries it)."
    )
    provider_refund_id: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        assert refund.created_at is not None
        return cls(
            id=refund.id,
            order_id=refund.order_id,
            amount=Money(amount=refund.amount, currency=refund.currency),
            reason=refund.reason,
            note=refund.note,
            status=refund.status,
            provider_refund_id=refund.provider_refund_id,
            created_at=refund.created_at,
        )
