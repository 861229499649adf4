"""The customer's email at the milestones of an order. Best effort: no step of the
saga waits for it or fails because of it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from db.order_reads import OrderReads
from db.outbox import PendingEntry
from domain import events
from domain.errors import ProviderRejected
from domain.notices import CustomerNotice
from domain.order import FailureReason
from providers.email import EmailClient

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


def milestone_of(entry: PendingEntry) -> str | None:
    if entry.type == events.ORDER_FAILED:
        if entry.data.get("failure_reason") in ANSWERED_AT_PLACEMENT:
            return None
    return MILESTONES.get(entry.type)


class CustomerEmails:
    """The outbox's email sink. A refused message (4xx) is dropped with a warning; an
    outage raises, so the relay retries the entry."""

    def __init__(self, reads: OrderReads, email: EmailClient) -> None:
        self._reads = reads
        self._email = email
        self._ahead: dict[str, CustomerNotice] = {}  # the current batch's notices

    async def read_ahead(self, entries: Sequence[PendingEntry]) -> None:
        """The notices of a batch's milestones in one statement, not one per email."""
        wanted = {entry.order_id for entry in entries if milestone_of(entry) is not None}
        self._ahead = await self._reads.customer_notices(wanted) if wanted else {}

    async def deliver(self, entry: PendingEntry) -> None:
        milestone = milestone_of(entry)
        if milestone is None:
            return
        notice = self._ahead.get(entry.order_id) or await self._reads.customer_notice(
            entry.order_id
        )
        if notice is None:
            return
        try:
            await self._email.send_notice(notice, milestone)
        except ProviderRejected as refused:
            log.warning("email %s of order %s refused: %s", milestone, entry.order_id, refused)
