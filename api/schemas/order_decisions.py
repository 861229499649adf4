"""Bodies of the decisions taken on a placed order: a review by an operator, a cancel
by its owner or an operator, and the answer that says what follows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import InputModel
from api.schemas.orders import ORDER_EXAMPLE, OrderOut
from domain.order_records import OrderRecord

_DECISION_EXAMPLE: dict[str, Any] = {
    **ORDER_EXAMPLE,
    "status": "cancelled",
    "decision": {"action": "cancel", "by": ORDER_EXAMPLE["customer_id"], "note": None},
    "in_background": False,
    "next": "Cancelled: the stock is released and any payment voided.",
}


class CancelIn(InputModel):
    reason: str | None = Field(None, max_length=500)


class ReviewIn(InputModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(None, max_length=1000)


class DecisionOut(BaseModel):
    action: Literal["approve", "reject", "cancel"]
    by: str = Field(description="The user who took it.")
    note: str | None = Field(None, description="The review note or the cancel reason.")


class OrderDecisionOut(OrderOut):
    """The answer to a review or a cancel: the decision taken, the order as it stands
    now, and what still happens after this answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION_EXAMPLE]})

    decision: DecisionOut
    in_background: bool = Field(
        description="True while the order still moves because of this decision (undoing "
        "steps after a cancel or a rejection, paying and shipping after an approval); "
        "follow it with GET /v1/orders/{id}."
    )
    next: str = Field(description="What happens next, in words.")

    @classmethod
    def after(cls, order: OrderRecord, decision: DecisionOut) -> OrderDecisionOut:
        in_background, next_step = _what_follows(decision.action, order.status)
        return cls(
            **OrderOut.of(order).model_dump(),
            decision=decision,
            in_background=in_background,
            next=next_step,
        )


def _what_follows(action: str, status: str) -> tuple[bool, str]:
    """Whether the order still moves after this decision, and how."""
    if action == "cancel":
        if status == "cancelled":
            return False, "Cancelled: the stock is released and any payment voided."
        return True, (
            "Cancelling: what was done is being undone in the background (stock, payment, "
            "parcel); the order ends cancelled."
        )
    if action == "reject":
        if status == "failed":
            return False, "Rejected: the order is closed as review_rejected, its stock released."
        return True, (
            "Rejected: the stock is being released in the background; the order ends failed "
            "with review_rejected."
        )
    if status in ("cancelled", "failed", "delivered"):
        return False, f"Approved, but the order is {status} now."
    return True, "Approved: payment, shipping and tracking go on in the background."
