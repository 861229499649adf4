"""The customer's email at the milestones of an order. Best effort: no step of the
saga waits for it or fails because of it."""

from __future__ import annotations

import logging

from activities.providers.email import EmailClient
from db.order_reads import CustomerNotice, OrderReads
from db.outbox import PendingEntry
from domain import events
from domain.errors import ProviderRejected
from domain.order import FailureReason

log = logging.getLogger("orders.events.email")

# The timeline entry that mails the customer, and what it tells them.
MILESTONES = {
    events.INVENTORY_RESERVED: "placed",
    events.SHIPMENT_CREATED: "shipped",
    events.SHIPMENT_DELIVERED: "delivered",
    events.ORDER_CANCELLED: "cancelled",
    events.ORDER_FAILED: "failed",
}
# A placement refused for stock or availability is answered at once (409) and was
# never confirmed to the customer: it gets no email.
ANSWERED_AT_PLACEMENT = {FailureReason.OUT_OF_STOCK.value, FailureReason.PRODUCT_UNAVAILABLE.value}

SUBJECTS = {
    "placed": "We have your order {id}",
    "shipped": "Order {id} is on its way",
    "delivered": "Order {id} was delivered",
    "cancelled": "Order {id} was cancelled",
    "failed": "We could not complete order {id}",
}


def milestone_of(entry: PendingEntry) -> str | None:
    if entry.type == events.ORDER_FAILED:
        if entry.data.get("failure_reason") in ANSWERED_AT_PLACEMENT:
            return None
    return MILESTONES.get(entry.type)


async def send_notice(reads: OrderReads, email: EmailClient, order_id: str, milestone: str) -> None:
    """Mails the order's customer; the provider sends each (order, milestone) once."""
    notice = await reads.customer_notice(order_id)
    if notice is None:
        return
    await email.send(
        to=notice.email,
        subject=SUBJECTS[milestone].format(id=notice.order_id),
        body=_body(notice, milestone),
        idempotency_key=f"{notice.order_id}:{milestone}",
    )


class CustomerEmails:
    """The outbox's email sink. A refused message (4xx) is dropped with a warning; an
    outage raises, so the relay retries the entry."""

    def __init__(self, reads: OrderReads, email: EmailClient) -> None:
        self._reads = reads
        self._email = email

    async def deliver(self, entry: PendingEntry) -> None:
        milestone = milestone_of(entry)
        if milestone is None:
            return
        try:
            await send_notice(self._reads, self._email, entry.order_id, milestone)
        except ProviderRejected as refused:
            log.warning("email %s of order %s refused: %s", milestone, entry.order_id, refused)


def _body(notice: CustomerNotice, milestone: str) -> str:
    lines = "\n".join(f"  {quantity} x {sku}" for sku, quantity in notice.lines)
    total = f"{notice.total_amount / 100:.2f} {notice.currency}"
    extra = ""
    if milestone == "shipped" and notice.tracking_number:
        extra = f"\nTracking number: {notice.tracking_number} ({notice.carrier})"
    if milestone == "failed" and notice.failure_reason:
        extra = f"\nReason: {notice.failure_reason.replace('_', ' ')}"
    return f"Order {notice.order_id} is now {notice.status}.\n{lines}\nTotal: {total}{extra}\n"
