"""The customer's email at the milestones of an order. Best effort: no step of the
saga waits for it or fails because of it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from activities.providers.email import EmailClient
from db.outbox import PendingEntry
from db.unit_of_work import UnitOfWork
from domain import events
from domain.errors import ProviderRejected
from domain.order import FailureReason, Order

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


async def send_notice(uow: UnitOfWork, email: EmailClient, order_id: str, milestone: str) -> None:
    """Mails the order's customer; the provider sends each (order, milestone) once."""
    async with uow:
        order = await uow.orders.get(order_id, lock=False)
        customer = await uow.users.get(order.customer_id) if order else None
    if order is None or customer is None:
        return
    await email.send(
        to=customer.email,
        subject=SUBJECTS[milestone].format(id=order.id),
        body=_body(order, milestone),
        idempotency_key=f"{order.id}:{milestone}",
    )


class CustomerEmails:
    """The outbox's email sink. A refused message (4xx) is dropped with a warning; an
    outage raises, so the relay retries the entry."""

    def __init__(self, uow: Callable[[], UnitOfWork], email: EmailClient) -> None:
        self._uow = uow
        self._email = email

    async def deliver(self, entry: PendingEntry) -> None:
        milestone = milestone_of(entry)
        if milestone is None:
            return
        try:
            await send_notice(self._uow(), self._email, entry.order_id, milestone)
        except ProviderRejected as refused:
            log.warning("email %s of order %s refused: %s", milestone, entry.order_id, refused)


def _body(order: Order, milestone: str) -> str:
    lines = "\n".join(f"  {line.quantity} x {line.sku}" for line in order.lines)
    total = f"{order.total.amount / 100:.2f} {order.currency}"
    extra = ""
    if milestone == "shipped" and order.tracking_number:
        extra = f"\nTracking number: {order.tracking_number} ({order.carrier})"
    if milestone == "failed" and order.failure_reason:
        extra = f"\nReason: {order.failure_reason.value.replace('_', ' ')}"
    return f"Order {order.id} is now {order.status.value}.\n{lines}\nTotal: {total}{extra}\n"
