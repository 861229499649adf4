"""Customer email as a saga step: only orders started before the outbox relay sent
their notices this way (`OrderWorkflow._notify`); newer orders' emails go out from the
outbox (`events/customer_email.py`). Best effort: the saga never fails because of it."""

from __future__ import annotations

from temporalio import activity

from activities.providers.email import EmailClient
from db.order_reads import OrderReads
from domain.commands import SendNotification
from events.customer_email import send_notice


class NotificationActivities:
    def __init__(self, reads: OrderReads, email: EmailClient) -> None:
        self._reads = reads
        self._email = email

    @activity.defn
    async def send_notification(self, command: SendNotification) -> None:
        await send_notice(self._reads, self._email, command.order_id, command.milestone)
