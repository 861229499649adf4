"""Loads and saves the Order aggregate, timeline included."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from db.tables import OrderEventRow, OrderLineRow, OrderRow, OutboxRow
from domain.money import Money
from domain.order import (
    Address,
    FailureReason,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    ShipmentStatus,
    StockStatus,
)


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, OrderRow] = {}

    async def get(self, order_id: str, *, lock: bool = True) -> Order | None:
        """Loads the order, by default locked for this transaction: one writer at a time."""
        # The lines in the same statement (every order has one, so an inner join):
        # the relationship's own loading would be a second round trip.
        query = (
            select(OrderRow)
            .options(joinedload(OrderRow.lines, innerjoin=True))
            .where(OrderRow.id == order_id)
        )
        found = await self._session.scalars(query.with_for_update() if lock else query)
        row = found.unique().first()
        if row is None:
            return None
        self._rows[order_id] = row
        return _to_domain(row)

    async def add(self, order: Order, *, idempotency_key: str, fingerprint: str) -> None:
        row = OrderRow(
            id=order.id,
            customer_id=order.customer_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            lines=_line_rows(order),
        )
        _copy_state(order, row)
        self._session.add(row)
        self._rows[order.id] = row
        await self._session.flush()
        await self._write_events(order)

    async def save(self, order: Order) -> None:
        row = self._rows[order.id]
        _copy_state(order, row)
        if _line_values(order) != [
            (line.sku, line.quantity, line.unit_price_amount) for line in row.lines
        ]:  # an edit: the new full list of lines (the old rows go first: same keys)
            row.lines.clear()
            await self._session.flush()
            row.lines.extend(_line_rows(order))
        await self._session.flush()
        await self._write_events(order)

    async def event_data(self, order_id: str, event_type: str) -> dict[str, Any] | None:
        """The data of the first timeline entry of this type, if the order has one."""
        return await self._session.scalar(
            select(OrderEventRow.data)
            .where(OrderEventRow.order_id == order_id, OrderEventRow.type == event_type)
            .order_by(OrderEventRow.id)
            .limit(1)
        )

    async def _write_events(self, order: Order) -> None:
        if not order.new_events:
            return
        # ON CONFLICT: a fact already on the timeline is not written twice. Each entry
        # that is new gets its outbox row in the same statement, so an entry exists
        # with its row or not at all (the relay hands it on: outbox/relay.py).
        written = (
            insert(OrderEventRow)
            .values(
                [
                    {
                        "order_id": order.id,
                        "type": event.type,
                        "dedupe_key": event.dedupe_key,
                        "data": event.data,
                    }
                    for event in order.new_events
                ]
            )
            .on_conflict_do_nothing(index_elements=["order_id", "dedupe_key"])
            .returning(OrderEventRow.id, OrderEventRow.order_id)
            .cte("written")
        )
        await self._session.execute(
            insert(OutboxRow).from_select(
                ["event_id", "order_id"], select(written.c.id, written.c.order_id)
            )
        )
        order.new_events.clear()


def _line_values(order: Order) -> list[tuple[str, int, int]]:
    return [(line.sku, line.quantity, line.unit_price.amount) for line in order.lines]


def _line_rows(order: Order) -> list[OrderLineRow]:
    return [
        OrderLineRow(line_no=number, sku=sku, quantity=quantity, unit_price_amount=price)
        for number, (sku, quantity, price) in enumerate(_line_values(order), start=1)
    ]


def _copy_state(order: Order, row: OrderRow) -> None:
    row.status = order.status.value
    row.currency = order.currency
    row.total_amount = order.total.amount
    row.shipping_address = {
        "name": order.shipping_address.name,
        "line1": order.shipping_address.line1,
        "line2": order.shipping_address.line2,
        "city": order.shipping_address.city,
        "postal_code": order.shipping_address.postal_code,
        "country": order.shipping_address.country,
    }
    row.stock_status = order.stock_status.value
    row.payment_status = order.payment_status.value
    row.authorization_id = order.authorization_id
    row.shipment_id = order.shipment_id
    row.shipment_status = order.shipment_status.value if order.shipment_status else None
    row.carrier = order.carrier
    row.tracking_number = order.tracking_number
    row.failure_reason = order.failure_reason.value if order.failure_reason else None
    row.failed_compensations = list(order.failed_compensations)
    row.refunded_total = order.refunded_total


def _to_domain(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        lines=[
            OrderLine(line.sku, line.quantity, Money(line.unit_price_amount, row.currency))
            for line in row.lines
        ],
        shipping_address=Address(**row.shipping_address),
        currency=row.currency,
        status=OrderStatus(row.status),
        stock_status=StockStatus(row.stock_status),
        payment_status=PaymentStatus(row.payment_status),
        authorization_id=row.authorization_id,
        shipment_id=row.shipment_id,
        shipment_status=ShipmentStatus(row.shipment_status) if row.shipment_status else None,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        failure_reason=FailureReason(row.failure_reason) if row.failure_reason else None,
        failed_compensations=list(row.failed_compensations or []),
        refunded_total=row.refunded_total or 0,
        placed_at=row.created_at,
    )
