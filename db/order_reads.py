"""The order read model as the API and operators see it: plain frozen records, each
query one statement on a connection of its own, outside a transaction (no session:
its unit of work is for writes, and cost a quarter of a one-row read's CPU). Nothing
here writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Row, bindparam, func, or_, select, text, tuple_, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncEngine

from db.tables import (
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    ShipmentRow,
    table_of,
)
from domain import events
from domain.notices import CustomerNotice
from domain.order_records import LineRecord, OrderRecord, ShipmentRecord, TimelineEntry
from domain.shipments import shipment_id


class OrderStanding(NamedTuple):
    """Which order, and where it stands: what carrier news is routed by."""

    id: str
    status: str


# One round trip: the orders, their customers' addresses and their lines.
_NOTICES = text(
    """
    SELECT o.id, u.email, o.status, o.currency, o.total_amount,
           (SELECT json_agg(json_build_array(l.sku, l.quantity) ORDER BY l.line_no)
            FROM order_lines l WHERE l.order_id = o.id),
           o.carrier, o.tracking_number, o.failure_reason
    FROM orders o JOIN users u ON u.id = o.customer_id
    WHERE o.id = ANY(:order_ids)
    """
)


# An order as the API shows it, in one statement of the tables' columns: its lines and
# its parcels aggregated beside it, in order. Built once (composing a statement costs
# about as much CPU as running it); rows, not ORM objects, since nothing here writes.
_ORDERS, _LINES, _SHIPMENTS = table_of(OrderRow), table_of(OrderLineRow), table_of(ShipmentRow)
_LINE_LIST = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(_LINES.c.sku, _LINES.c.quantity, _LINES.c.unit_price_amount),
                _LINES.c.line_no,
            )
        )
    )
    .where(_LINES.c.order_id == _ORDERS.c.id)
    .scalar_subquery()
)
_PARCEL_LIST = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(
                    _SHIPMENTS.c.number,
                    _SHIPMENTS.c.location_id,
                    _SHIPMENTS.c["items"],
                    _SHIPMENTS.c.state,
                    _SHIPMENTS.c.carrier,
                    _SHIPMENTS.c.tracking_number,
                    _SHIPMENTS.c.captured_amount,
                ),
                _SHIPMENTS.c.number,
            )
        )
    )
    .where(_SHIPMENTS.c.order_id == _ORDERS.c.id)
    .scalar_subquery()
)
_RECORDS = select(
    _ORDERS,
    type_coerce(_LINE_LIST, JSON).label("line_list"),
    type_coerce(_PARCEL_LIST, JSON).label("parcel_list"),
)
_RECORD_OF = _RECORDS.where(_ORDERS.c.id == bindparam("order_id"))


# Where an order stands, for every carrier webhook: built once, of the tables' columns
# (not the mapped classes, whose statements go through the ORM's compile step). News
# names its parcel's tracking number and our reference (the order's id): both orders
# come in one statement, since news that overtakes the booking's commit finds no parcel
# under its tracking number yet and is routed by the reference.
_TRACKED = select(_SHIPMENTS.c.order_id).where(
    _SHIPMENTS.c.tracking_number == bindparam("tracking_number")
)
_STANDINGS_FOR_NEWS = select(
    _ORDERS.c.id, _ORDERS.c.status, _ORDERS.c.id.in_(_TRACKED).label("tracked")
).where(or_(_ORDERS.c.id.in_(_TRACKED), _ORDERS.c.id == bindparam("reference")))


class OrderReads:
    def __init__(self, database: AsyncEngine) -> None:
        """`database`: an engine whose connections read outside a transaction
        (`Bootstrap.reads_engine`)."""
        self._database = database

    async def find(self, order_id: str) -> OrderRecord | None:
        async with self._database.connect() as connection:
            row = (await connection.execute(_RECORD_OF, {"order_id": order_id})).first()
        return None if row is None else _record(row)

    async def customer_notice(self, order_id: str) -> CustomerNotice | None:
        return (await self.customer_notices([order_id])).get(order_id)

    async def customer_notices(self, order_ids: Iterable[str]) -> dict[str, CustomerNotice]:
        """What the customers' emails of these orders say, by order, in one statement."""
        async with self._database.connect() as connection:
            rows = await connection.execute(_NOTICES, {"order_ids": list(order_ids)})
        notices = {}
        for order_id, email, status, currency, total, lines, carrier, tracking, reason in rows:
            notices[order_id] = CustomerNotice(
                order_id,
                email,
                status,
                currency,
                total,
                tuple((sku, quantity) for sku, quantity in lines or ()),
                carrier,
                tracking,
                reason,
            )
        return notices

    async def standings_for_news(
        self, tracking_number: str, reference: str | None
    ) -> tuple[OrderStanding | None, OrderStanding | None]:
        """The id and status of the order one of whose parcels has this tracking
        number, and of the order the reference names; None for either that is not
        there. What carrier news is routed by, in one statement."""
        parameters = {"tracking_number": tracking_number, "reference": reference}
        async with self._database.connect() as connection:
            rows = (await connection.execute(_STANDINGS_FOR_NEWS, parameters)).all()
        tracked = next((OrderStanding(r.id, r.status) for r in rows if r.tracked), None)
        named = next((OrderStanding(r.id, r.status) for r in rows if r.id == reference), None)
        return tracked, named

    async def page(
        self,
        *,
        customer_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[OrderRecord]:
        """Newest first, `limit` orders after the keyset position `after`.

        Served by ix_orders_customer_created / ix_orders_status_created / ix_orders_created.
        """
        query = _RECORDS
        if customer_id is not None:
            query = query.where(_ORDERS.c.customer_id == customer_id)
        if status is not None:
            query = query.where(_ORDERS.c.status == status)
        if after is not None:
            query = query.where(tuple_(_ORDERS.c.created_at, _ORDERS.c.id) < tuple_(*after))
        query = query.order_by(_ORDERS.c.created_at.desc(), _ORDERS.c.id.desc()).limit(limit)
        async with self._database.connect() as connection:
            return [_record(row) for row in await connection.execute(query)]

    async def timeline(self, order_id: str, after: int = 0) -> list[TimelineEntry]:
        """Everything that happened to the order (after entry `after`), oldest first."""
        query = (
            select(OrderEventRow)
            .where(OrderEventRow.order_id == order_id, OrderEventRow.id > after)
            .order_by(OrderEventRow.id)
        )
        async with self._database.connect() as connection:
            return [
                TimelineEntry(row.id, row.type, row.at, row.data)
                for row in await connection.execute(query)
            ]

    async def refused_skus(self, order_id: str) -> list[str]:
        """The items that were short when the order's stock was refused."""
        query = select(OrderEventRow.data).where(
            OrderEventRow.order_id == order_id,
            OrderEventRow.type == events.INVENTORY_REFUSED,
        )
        async with self._database.connect() as connection:
            data = await connection.scalar(query)
        skus = (data or {}).get("skus", [])
        return [str(sku) for sku in skus] if isinstance(skus, list) else []

    async def count_in_status(self, status: str) -> int:
        query = select(func.count()).select_from(OrderRow).where(OrderRow.status == status)
        async with self._database.connect() as connection:
            return int(await connection.scalar(query) or 0)


def _record(row: Row[*tuple[Any, ...]]) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        customer_id=row.customer_id,
        fingerprint=row.fingerprint,
        status=row.status,
        currency=row.currency,
        total_amount=row.total_amount,
        lines=tuple(
            LineRecord(sku, quantity, unit_price) for sku, quantity, unit_price in row.line_list
        ),
        shipping_address=dict(row.shipping_address),
        payment_status=row.payment_status,
        authorization_id=row.authorization_id,
        shipment_status=row.shipment_status,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        failure_reason=row.failure_reason,
        failed_compensations=tuple(row.failed_compensations or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        refunded_total=row.refunded_total or 0,
        shipments=tuple(
            ShipmentRecord(
                id=shipment_id(row.id, number),
                location_id=location_id,
                items=tuple((item["sku"], int(item["quantity"])) for item in items),
                status=state,
                carrier=carrier,
                tracking_number=tracking_number,
                captured_amount=captured_amount,
            )
            for number, location_id, items, state, carrier, tracking_number, captured_amount in (
                row.parcel_list or ()
            )
        ),
    )
