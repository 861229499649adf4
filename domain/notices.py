"""What the customer is told by email at an order's milestones, and how it reads."""

from __future__ import annotations

from dataclasses import dataclass

SUBJECTS = {
    "placed": "We have your order {id}",
    "shipped": "Order {id} is on its way",
    "delivered": "Order {id} was delivered",
    "cancelled": "Order {id} was cancelled",
    "failed": "We could not complete order {id}",
}


@dataclass(frozen=True)
class CustomerNotice:
    """What an email about an order says, and to whom."""

    order_id: str
    email: str
    status: str
    currency: str
    total_amount: int
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)
    carrier: str | None
    tracking_number: str | None
    failure_reason: str | None

    def subject(self, milestone: str) -> str:
        return SUBJECTS[milestone].format(id=self.order_id)

    def body(self, milestone: str) -> str:
        lines = "\n".join(f"  {quantity} x {sku}" for sku, quantity in self.lines)
        total = f"{self.total_amount / 100:.2f} {self.currency}"
        extra = ""
        if milestone == "shipped" and self.tracking_number:
            extra = f"\nTracking number: {self.tracking_number} ({self.carrier})"
        if milestone == "failed" and self.failure_reason:
            extra = f"\nReason: {self.failure_reason.replace('_', ' ')}"
        return f"Order {self.order_id} is now {self.status}.\n{lines}\nTotal: {total}{extra}\n"

    def idempotency_key(self, milestone: str) -> str:
        """The email provider sends each (order, milestone) once."""
        return f"{self.order_id}:{milestone}"
