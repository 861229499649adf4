"""Loads and saves the Order aggregate, timeline included."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

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
        """Writes what changed of the order, and its new timeline entries with their
        outbox rows, in one statement: a milestone is one round trip."""
        row = self._rows[order.id]
        if _line_values(order) != [
            (line.sku, line.quantity, line.unit_price_amount) for line in row.lines
        ]:  # an edit: the new full list of lines (the old rows go first: same keys)
            row.lines.clear()
            await self._session.flush()
            row.lines.extend(_line_rows(order))
            await self._session.flush()
        changes = {
            column: value
            for column, value in _state(order).items()
            if getattr(row, column) != value
        }
        changed = None
        if changes:
            changed = (
                update(OrderRow)
                .where(OrderRow.id == order.id)
                .values(**changes, updated_at=func.now())
            )
        if order.new_events:
            statement = _events_with_outbox_rows(order)
            if changed is not None:
                statement = statement.add_cte(changed.returning(OrderRow.id).cte("changed"))
            await self._session.execute(statement)
            order.new_events.clear()
        elif changed is not None:
            # Core semantics: the row object is brought up to date just below.
            await self._session.execute(changed.execution_options(synchronize_session=False))
        # The row now holds what the database holds, without the ORM writing it again.
        for column, value in changes.items():
            set_committed_value(row, column, value)

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
        await self._session.execute(_events_with_outbox_rows(order))
        order.new_events.clear()


def _events_with_outbox_rows(order: Order) -> Insert:
    """The order's new timeline entries, each with its outbox row in the same
    statement, so an entry exists with its row or not at all (the relay hands it on:
    outbox/relay.py). ON CONFLICT: a fact already on the timeline is not written
    twice."""
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
    return insert(OutboxRow).from_select(
        ["event_id", "order_id"], select(written.c.id, written.c.order_id)
    )


def _line_values(order: Order) -> list[tuple[str, int, int]]:
    return [(line.sku, line.quantity, line.unit_price.amount) for line in order.lines]


def _line_rows(order: Order) -> list[OrderLineRow]:
    return [
        OrderLineRow(line_no=number, sku=sku, quantity=quantity, unit_price_amount=price)
        for number, (sku, quantity, price) in enumerate(_line_values(order), start=1)
    ]


def _copy_state(order: Order, row: OrderRow) -> None:
    for column, value in _state(order).items():
        setattr(row, column, value)


def _state(order: Order) -> dict[str, Any]:
    """The order's columns as the aggregate has them (all but its lines)."""
    return {
        "status": order.status.value,
        "currency": order.currency,
        "total_amount": order.total.amount,
        "shipping_address": {
            "name": order.shipping_address.name,
            "line1": order.shipping_address.line1,
            "line2": order.shipping_address.line2,
            "city": order.shipping_address.city,
            "postal_code": order.shipping_address.postal_code,
            "country": order.shipping_address.country,
        },
        "stock_status": order.stock_status.value,
        "payment_status": order.payment_status.value,
        "authorization_id": order.authorization_id,
        "shipment_id": order.shipment_id,
        "shipment_status": order.shipment_status.value if order.shipment_status else None,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "failure_reason": order.failure_reason.value if order.failure_reason else None,
        "failed_compensations": list(order.failed_compensations),
        "refunded_total": order.refunded_total,
    }


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
