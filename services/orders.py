"""Reading and steering placed orders: what `/v1/orders` and `orders-admin orders` do
after placing (services/placing.py). Who may see an order is decided here, once."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from temporalio.client import Client

from db.order_reads import OrderReads
from domain.commands import LineRequest
from domain.errors import (
    NotAwaitingReview,
    NotCancellable,
    NotEditable,
    NotPermitted,
    OrderNotFound,
)
from domain.identity import new_id
from domain.order import EDITABLE, Address, OrderStatus
from domain.order_records import LineRecord, OrderRecord, TimelineEntry
from domain.users import Caller
from infra.settings import Settings
from services import order_client
from workflows.contracts import CancelRequest, EditRequest, ReviewDecision


@dataclass(frozen=True)
class CancelOrder:
    order_id: str
    by: Caller
    reason: str | None = None


@dataclass(frozen=True)
class ReviewOrder:
    order_id: str
    by: Caller
    approve: bool
    note: str | None = None


@dataclass(frozen=True)
class EditOrder:
    """The new full list of lines and/or a new address, before any parcel is booked."""

    order_id: str
    by: Caller
    idempotency_key: str
    fingerprint: str  # of the request's body
    lines: list[LineRequest] | None = None
    shipping_address: Address | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class Edited:
    order: OrderRecord  # after the edit; on a dry run, as the edit would make it
    difference: int  # > 0: authorized on top; < 0: released when the payment is taken
    held_for_review: bool


@dataclass(frozen=True)
class OrderQuery:
    """A page of orders, newest first, after the (created_at, id) of the last one seen."""

    status: OrderStatus | None = None
    customer_id: str | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 20


@dataclass(frozen=True)
class Decision:
    order: OrderRecord  # as it stands once the workflow took the decision
    settled: bool  # False: the workflow goes on with it after this answer


class Orders:
    def __init__(self, settings: Settings, reads: OrderReads, temporal: Client) -> None:
        self._settings = settings
        self._reads = reads
        self._temporal = temporal

    async def find(self, viewer: Caller, order_id: str) -> OrderRecord:
        """The order, if the viewer may see it; customers see only their own, and are
        told that others' do not exist."""
        order = await self._reads.find(order_id)
        if order is None or not _may_see(viewer, order):
            raise OrderNotFound(order_id)
        return order

    async def page(self, viewer: Caller, query: OrderQuery) -> list[OrderRecord]:
        customer_id = query.customer_id
        if not viewer.role.sees_all_orders:
            if customer_id not in (None, viewer.user_id):
                raise NotPermitted("customers list only their own orders")
            customer_id = viewer.user_id
        return await self._reads.page(
            customer_id=customer_id,
            status=query.status.value if query.status else None,
            after=query.after,
            limit=query.limit,
        )

    async def timeline(
        self, viewer: Caller, order_id: str, *, after: int = 0
    ) -> list[TimelineEntry]:
        await self.find(viewer, order_id)
        return await self._reads.timeline(order_id, after=after)

    async def entries_since(self, order_id: str, after: int) -> tuple[list[TimelineEntry], bool]:
        """The entries after `after`, and whether the order had ended before they were
        read: entries and the terminal status commit together, so once it has, these
        are its last. For the live stream, whose viewer was checked when it opened."""
        order = await self._reads.find(order_id)
        ended = order is None or OrderStatus(order.status).is_terminal
        return await self._reads.timeline(order_id, after=after), ended

    async def count_in_status(self, status: OrderStatus) -> int:
        return await self._reads.count_in_status(status.value)

    async def cancel(self, command: CancelOrder) -> Decision:
        """Cancels and undoes what was done (stock, payment, parcel). Cancelling a
        cancelled order answers as the first cancel did."""
        order = await self.find(command.by, command.order_id)
        if order.status == OrderStatus.CANCELLED:
            return Decision(order, settled=True)
        if not OrderStatus(order.status).is_cancellable:
            raise NotCancellable.in_status(order.status)
        request = CancelRequest(reason=command.reason, requested_by=command.by.user_id)
        try:
            view = await order_client.cancel(self._temporal, self._settings, order.id, request)
        except order_client.WorkflowClosed:
            view = None
        order = await self.find(command.by, order.id)
        if order.status in (OrderStatus.FAILED, OrderStatus.DELIVERED):
            raise NotCancellable.in_status(order.status)
        return Decision(order, settled=view is not None)

    async def review(self, command: ReviewOrder) -> Decision:
        """Hands an ops decision to an order held for review."""
        if not command.by.role.sees_all_orders:
            raise NotPermitted("only ops and admin review orders")
        order = await self.find(command.by, command.order_id)
        if order.status != OrderStatus.AWAITING_REVIEW:
            raise NotAwaitingReview.in_status(order.status)
        decision = ReviewDecision(command.approve, command.by.user_id, command.note)
        try:
            view = await order_client.review(self._temporal, self._settings, order.id, decision)
        except order_client.WorkflowClosed:
            raise NotAwaitingReview.in_status(order.status) from None
        return Decision(await self.find(command.by, order.id), settled=view is not None)

    async def edit(self, command: EditOrder) -> Edited:
        """Edits the order in its workflow, all or nothing; a dry run only prices it.
        The same key and body again answers as the first time."""
        order = await self.find(command.by, command.order_id)
        if OrderStatus(order.status) not in EDITABLE:
            raise NotEditable.in_status(order.status)
        key = f"{command.by.user_id}:{command.idempotency_key}"
        request = EditRequest(
            edit_id=f"edt_{hashlib.sha256(key.encode()).hexdigest()[:24]}"
            if not command.dry_run
            else new_id("dry"),
            fingerprint=command.fingerprint,
            lines=command.lines,
            shipping_address=command.shipping_address,
            dry_run=command.dry_run,
        )
        try:
            outcome = await order_client.edit(self._temporal, self._settings, order.id, request)
        except order_client.WorkflowClosed:
            raise NotEditable.in_status(order.status) from None
        if command.dry_run:
            order = replace(
                order,
                lines=tuple(LineRecord(x.sku, x.quantity, x.unit_price) for x in outcome.lines),
                total_amount=outcome.total,
                shipping_address=(
                    asdict(command.shipping_address)
                    if command.shipping_address
                    else order.shipping_address
                ),
            )
        else:
            order = await self.find(command.by, order.id)
        return Edited(order, outcome.difference, outcome.held_for_review)


def _may_see(viewer: Caller, order: OrderRecord) -> bool:
    return viewer.role.sees_all_orders or order.customer_id == viewer.user_id
