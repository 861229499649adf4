"""The order read model as the API and operators see it: plain frozen records, each
query in its own short session. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Row, Select, bindparam, func, select, text, tuple_, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
# (not the mapped classes, whose statements go through the ORM's compile step).
_STATUS = select(_ORDERS.c.id, _ORDERS.c.status)
_STATUS_OF = _STATUS.where(_ORDERS.c.id == bindparam("order_id"))
_STATUS_BY_TRACKING = _STATUS.where(
    _ORDERS.c.id.in_(
        select(_SHIPMENTS.c.order_id).where(
            _SHIPMENTS.c.tracking_number == bindparam("tracking_number")
        )
    )
)


class OrderReads:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, order_id: str) -> OrderRecord | None:
        async with self._sessions() as session:
            row = (await session.execute(_RECORD_OF, {"order_id": order_id})).first()
        return None if row is None else _record(row)

    async def customer_notice(self, order_id: str) -> CustomerNotice | None:
        return (await self.customer_notices([order_id])).get(order_id)

    async def customer_notices(self, order_ids: Iterable[str]) -> dict[str, CustomerNotice]:
        """What the customers' emails of these orders say, by order, in one statement."""
        async with self._sessions() as session:
            rows = await session.execute(_NOTICES, {"order_ids": list(order_ids)})
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

    async def status_by_tracking(self, tracking_number: str) -> OrderStanding | None:
        """The id and status of the order one of whose parcels has this tracking
        number: what carrier news needs, in one statement without the lines and
        parcels."""
        return await self._status(_STATUS_BY_TRACKING, {"tracking_number": tracking_number})

    async def status_of(self, order_id: str) -> OrderStanding | None:
        """The order's id and status, or None if there is no such order."""
        return await self._status(_STATUS_OF, {"order_id": order_id})

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
        async with self._sessions() as session:
            return [_record(row) for row in await session.execute(query)]

    async def timeline(self, order_id: str, after: int = 0) -> list[TimelineEntry]:
        """Everything that happened to the order (after entry `after`), oldest first."""
        query = (
            select(OrderEventRow)
            .where(OrderEventRow.order_id == order_id, OrderEventRow.id > after)
            .order_by(OrderEventRow.id)
        )
        async with self._sessions() as session:
            return [
                TimelineEntry(row.id, row.type, row.at, row.data)
                for row in await session.scalars(query)
            ]

    async def refused_skus(self, order_id: str) -> list[str]:
        """The items that were short when the order's stock was refused."""
        query = select(OrderEventRow.data).where(
            OrderEventRow.order_id == order_id,
            OrderEventRow.type == events.INVENTORY_REFUSED,
        )
        async with self._sessions() as session:
            data = await session.scalar(query)
        skus = (data or {}).get("skus", [])
        return [str(sku) for sku in skus] if isinstance(skus, list) else []

    async def count_in_status(self, status: str) -> int:
        query = select(func.count()).select_from(OrderRow).where(OrderRow.status == status)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def _status(self, query: Select[Any], parameters: dict[str, str]) -> OrderStanding | None:
        async with self._sessions() as session:
            row = (await session.execute(query, parameters)).first()
        return None if row is None else OrderStanding(row.id, row.status)


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
