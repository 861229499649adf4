"""Reading and steering placed orders: what `/v1/orders` and `orders-admin orders` do
after placing (services/placing.py). Who may see an order is decided here, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio.client import Client

from db.order_reads import OrderReads
from domain.errors import NotAwaitingReview, NotCancellable, NotPermitted, OrderNotFound
from domain.order import OrderStatus
from domain.order_records import OrderRecord, TimelineEntry
from domain.users import Caller
from infra.settings import Settings
from services import order_client
from workflows.contracts import CancelRequest, ReviewDecision


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


def _may_see(viewer: Caller, order: OrderRecord) -> bool:
    return viewer.role.sees_all_orders or order.customer_id == viewer.user_id
