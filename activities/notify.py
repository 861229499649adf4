"""Customer email as a saga step: only orders started before the outbox relay sent
their notices this way (`OrderWorkflow._notify`); newer orders' emails go out from the
outbox (`outbox/customer_email.py`). Best effort: the saga never fails because of it.
Kept while orders of saga versions before 2026-12 may still run; to be removed after
2027-03-31 (docs/saga.md)."""

from __future__ import annotations

from temporalio import activity

from db.order_reads import OrderReads
from domain.commands import SendNotification
from providers.email import EmailClient


class NotificationActivities:
    def __init__(self, reads: OrderReads, email: EmailClient) -> None:
        self._reads = reads
        self._email = email

    @activity.defn
    async def send_notification(self, command: SendNotification) -> None:
        notice = await self._reads.customer_notice(command.order_id)
        if notice is not None:
            await self._email.send_notice(notice, command.milestone)
