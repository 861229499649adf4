"""Customer email at each milestone. Best effort: the saga never fails because of it."""

from __future__ import annotations

from temporalio import activity

from activities.base import UnitOfWorkFactory, order_not_found
from activities.providers.email import EmailClient
from domain.commands import SendNotification
from domain.order import Order

SUBJECTS = {
    "placed": "We have your order {id}",
    "shipped": "Order {id} is on its way",
    "delivered": "Order {id} was delivered",
    "cancelled": "Order {id} was cancelled",
    "failed": "We could not complete order {id}",
}


class NotificationActivities:
    def __init__(self, uow: UnitOfWorkFactory, email: EmailClient) -> None:
        self._uow = uow
        self._email = email

    @activity.defn
    async def send_notification(self, command: SendNotification) -> None:
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id, lock=False)
            if order is None:
                raise order_not_found(command.order_id)
            customer = await uow.users.get(order.customer_id)
        if customer is None:
            return
        await self._email.send(
            to=customer.email,
            subject=SUBJECTS[command.milestone].format(id=order.id),
            body=_body(order, command.milestone),
            idempotency_key=f"{order.id}:{command.milestone}",
        )


def _body(order: Order, milestone: str) -> str:
    lines = "\n".join(f"  {line.quantity} x {line.sku}" for line in order.lines)
    total = f"{order.total.amount / 100:.2f} {order.currency}"
    extra = ""
    if milestone == "shipped" and order.tracking_number:
        extra = f"\nTracking number: {order.tracking_number} ({order.carrier})"
    if milestone == "failed" and order.failure_reason:
        extra = f"\nReason: {order.failure_reason.value.replace('_', ' ')}"
    return f"Order {order.id} is now {order.status.value}.\n{lines}\nTotal: {total}{extra}\n"
