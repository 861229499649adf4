"""Loads and saves the Order aggregate, timeline included."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    RowMapping,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, Insert, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from db.shipments import ShipmentRepository, from_json
from db.tables import OrderEventRow, OrderLineRow, OrderRow, OutboxRow, ShipmentRow, table_of
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
from domain.shipments import Shipment

_ORDERS = table_of(OrderRow)
_LINES = table_of(OrderLineRow)
_EVENTS = table_of(OrderEventRow)
_OUTBOX = table_of(OutboxRow)
_SHIPMENTS = table_of(ShipmentRow)
# Built once: composing a statement costs about as much CPU as running it. The lines
# come in the same statement (every order has one, so an inner join), ordered.
_LOAD = (
    select(_ORDERS, _LINES.c.sku, _LINES.c.quantity, _LINES.c.unit_price_amount)
    .join(_LINES, _LINES.c.order_id == _ORDERS.c.id)
    .where(_ORDERS.c.id == bindparam("loaded_id"))
    .order_by(_LINES.c.line_no)
)
_LOAD_LOCKED = _LOAD.with_for_update()


def _load_with_parcels(*, lock: bool) -> Select[Any]:
    """The order with its lines, and its parcels beside each line as one JSON array:
    one round trip where two were. Locked, the order's row is taken first and then its
    parcels' (the order every writer of a parcel locks in): each lock in a CTE of its
    own, which answers with the row as committed when the lock was granted, and the
    parcels' CTE waits on the order's for the order's id."""
    order = select(_ORDERS).where(_ORDERS.c.id == bindparam("loaded_id"))
    if lock:
        order = order.with_for_update()
    loaded_order = order.cte("loaded_order").prefix_with("MATERIALIZED")
    parcels = select(_SHIPMENTS).where(
        _SHIPMENTS.c.order_id == select(loaded_order.c.id).scalar_subquery()
    )
    if lock:
        parcels = parcels.with_for_update()
    loaded_parcels = parcels.cte("loaded_parcels").prefix_with("MATERIALIZED")
    as_json = select(
        func.coalesce(
            func.jsonb_agg(
                aggregate_order_by(
                    func.to_jsonb(loaded_parcels.table_valued()), loaded_parcels.c.number
                )
            ),
            func.jsonb_build_array(),
        )
    ).scalar_subquery()
    return (
        select(
            loaded_order,
            _LINES.c.sku,
            _LINES.c.quantity,
            _LINES.c.unit_price_amount,
            type_coerce(as_json, JSONB).label("parcels"),
        )
        .join(_LINES, _LINES.c.order_id == loaded_order.c.id)
        .order_by(_LINES.c.line_no)
    )


_LOAD_WITH_PARCELS = _load_with_parcels(lock=False)
_LOAD_WITH_PARCELS_LOCKED = _load_with_parcels(lock=True)


class OrderRepository:
    """Rows, not ORM objects: the order is read on almost every step, and loading it as
    mapped objects cost twice the CPU of reading its rows. What was loaded is kept, so
    a save writes only what changed since."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._loaded: dict[str, _Stored] = {}

    async def get(self, order_id: str, *, lock: bool = True) -> Order | None:
        """Loads the order, by default locked for this transaction: one writer at a time."""
        loaded = await self._load(_LOAD_LOCKED if lock else _LOAD, order_id)
        return loaded[0] if loaded else None

    async def get_with_parcels(
        self, order_id: str, parcels: ShipmentRepository, *, lock: bool = True
    ) -> tuple[Order, list[Shipment]] | None:
        """The order and its parcels (as `get`, then `parcels.of`) in one statement; the
        parcels are kept by their repository, which saves them."""
        query = _LOAD_WITH_PARCELS_LOCKED if lock else _LOAD_WITH_PARCELS
        loaded = await self._load(query, order_id)
        if loaded is None:
            return None
        order, rows = loaded
        return order, parcels.took(from_json(row) for row in rows[0]["parcels"])

    async def _load(
        self, query: Select[Any], order_id: str
    ) -> tuple[Order, Sequence[RowMapping]] | None:
        """The order of the query's rows (one per line), kept as read."""
        rows = (await self._session.execute(query, {"loaded_id": order_id})).mappings().all()
        if not rows:
            return None
        order = _to_domain(rows)
        self._loaded[order_id] = _Stored(_state(order), _line_values(order))
        return order, rows

    async def add(self, order: Order, *, idempotency_key: str, fingerprint: str) -> None:
        """Writes the new order, its lines, its timeline entries and their outbox rows
        in one statement."""
        state = _state(order)
        await self._session.execute(
            _PLACED,
            {
                "id": order.id,
                "customer_id": order.customer_id,
                "idempotency_key": idempotency_key,
                "fingerprint": fingerprint,
                **state,
                **_lines_of(order),
                **_news_of(order),
            },
        )
        order.new_events.clear()
        self._loaded[order.id] = _Stored(state, _line_values(order))

    async def save(self, order: Order) -> None:
        """Writes what changed of the order, and its new timeline entries with their
        outbox rows, in one statement: a milestone is one round trip."""
        stored = self._loaded[order.id]
        lines = _line_values(order)
        if lines != stored.lines:  # an edit: the new full list of lines
            await self._session.execute(delete(_LINES).where(_LINES.c.order_id == order.id))
            await self._write_lines(order)
        state = _state(order)
        changed = tuple(
            column for column, value in state.items() if stored.columns[column] != value
        )
        values = {f"new_{column}": state[column] for column in changed}
        if order.new_events:
            news = _news_of(order)
            await self._session.execute(
                _milestone(changed), {**news, **values, "saved_id": order.id}
            )
            order.new_events.clear()
        elif changed:
            await self._session.execute(_update(changed), {**values, "saved_id": order.id})
        self._loaded[order.id] = _Stored(state, lines)

    async def event_data(self, order_id: str, event_type: str) -> dict[str, Any] | None:
        """The data of the first timeline entry of this type, if the order has one."""
        return await self._session.scalar(
            select(OrderEventRow.data)
            .where(OrderEventRow.order_id == order_id, OrderEventRow.type == event_type)
            .order_by(OrderEventRow.id)
            .limit(1)
        )

    async def _write_lines(self, order: Order) -> None:
        await self._session.execute(_ADD_LINES, _lines_of(order))


# The order's new timeline entries, each with its outbox row in the same statement, so
# an entry exists with its row or not at all (the relay hands it on: outbox/relay.py).
# ON CONFLICT: a fact already on the timeline is not written twice. The entries come
# as arrays, an element each: one statement for any number of entries, which
# SQLAlchemy compiles once; a multi-row VALUES cannot be cached and was compiled anew
# on every save.
_NEWS = (
    func.unnest(
        bindparam("news_types", type_=ARRAY(Text)),
        bindparam("news_keys", type_=ARRAY(Text)),
        bindparam("news_data", type_=ARRAY(Text)),  # JSON text, cast below
    )
    .table_valued("type", "dedupe_key", "data")
    .render_derived(name="news")
)
_WRITTEN = (
    insert(_EVENTS)
    .from_select(
        ["order_id", "type", "dedupe_key", "data"],
        select(
            bindparam("news_order_id", type_=Text),
            _NEWS.c.type,
            _NEWS.c.dedupe_key,
            cast(_NEWS.c.data, JSONB),
        ),
    )
    .on_conflict_do_nothing(index_elements=["order_id", "dedupe_key"])
    .returning(_EVENTS.c.id, _EVENTS.c.order_id)
    .cte("written")
)
_EVENTS_WITH_OUTBOX_ROWS = insert(_OUTBOX).from_select(
    ["event_id", "order_id"], select(_WRITTEN.c.id, _WRITTEN.c.order_id)
)


# The order's lines, numbered from one in the order given, from arrays as well.
_NEW_LINES = (
    func.unnest(
        bindparam("line_skus", type_=ARRAY(Text)),
        bindparam("line_quantities", type_=ARRAY(Integer)),
        bindparam("line_prices", type_=ARRAY(BigInteger)),
    )
    .table_valued("sku", "quantity", "unit_price_amount", with_ordinality="line_no")
    .render_derived(name="new_lines")
)
_ADD_LINES = insert(_LINES).from_select(
    ["order_id", "line_no", "sku", "quantity", "unit_price_amount"],
    select(
        bindparam("lines_order_id", type_=Text),
        _NEW_LINES.c.line_no,
        _NEW_LINES.c.sku,
        _NEW_LINES.c.quantity,
        _NEW_LINES.c.unit_price_amount,
    ),
)
# A new order: its row (every column but the two times, which the server writes), its
# lines, and its first timeline entries with their outbox rows, in one statement (the
# lines' and entries' references to the order are checked at its end, when the
# order's row is there).
_ORDER_COLUMNS = tuple(
    column.name for column in _ORDERS.columns if column.name not in ("created_at", "updated_at")
)
_PLACED = _EVENTS_WITH_OUTBOX_ROWS.add_cte(
    insert(_ORDERS)
    .values({column: bindparam(column) for column in _ORDER_COLUMNS})
    .returning(_ORDERS.c.id)
    .cte("added_order")
).add_cte(_ADD_LINES.returning(_LINES.c.line_no).cte("added_lines"))


# A save writes the columns that changed: a statement per set of columns, built the
# first time that set changes (a handful in all: each milestone changes the same
# ones), with bind parameters. Building it on every save, with the values in it, cost
# more CPU than running it (SQLAlchemy composed it and derived its cache key anew).
@functools.cache
def _update(columns: tuple[str, ...]) -> Update:
    values: dict[str, Any] = {column: bindparam(f"new_{column}") for column in columns}
    return (
        update(_ORDERS)
        .where(_ORDERS.c.id == bindparam("saved_id"))
        .values(**values, updated_at=func.now())
    )


@functools.cache
def _milestone(columns: tuple[str, ...]) -> Insert:
    """The new timeline entries with their outbox rows, and the changed columns."""
    if not columns:
        return _EVENTS_WITH_OUTBOX_ROWS
    return _EVENTS_WITH_OUTBOX_ROWS.add_cte(_update(columns).returning(_ORDERS.c.id).cte("changed"))


def _news_of(order: Order) -> dict[str, Any]:
    """The parameters of `_EVENTS_WITH_OUTBOX_ROWS` for the order's new entries."""
    return {
        "news_order_id": order.id,
        "news_types": [event.type for event in order.new_events],
        "news_keys": [event.dedupe_key for event in order.new_events],
        "news_data": [json.dumps(event.data) for event in order.new_events],
    }


def _lines_of(order: Order) -> dict[str, Any]:
    """The parameters of `_ADD_LINES` for the order's lines."""
    return {
        "lines_order_id": order.id,
        "line_skus": [line.sku for line in order.lines],
        "line_quantities": [line.quantity for line in order.lines],
        "line_prices": [line.unit_price.amount for line in order.lines],
    }


def _line_values(order: Order) -> list[tuple[str, int, int]]:
    return [(line.sku, line.quantity, line.unit_price.amount) for line in order.lines]


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


class _Stored(NamedTuple):
    """The order as last read or written: its columns and its lines."""

    columns: dict[str, Any]
    lines: list[tuple[str, int, int]]


def _to_domain(rows: Sequence[RowMapping]) -> Order:
    """The order from its rows: one per line, each with the order's columns."""
    row = rows[0]
    currency = row["currency"]
    return Order(
        id=row["id"],
        customer_id=row["customer_id"],
        lines=[
            OrderLine(line["sku"], line["quantity"], Money(line["unit_price_amount"], currency))
            for line in rows
        ],
        shipping_address=Address(**row["shipping_address"]),
        currency=currency,
        status=OrderStatus(row["status"]),
        stock_status=StockStatus(row["stock_status"]),
        payment_status=PaymentStatus(row["payment_status"]),
        authorization_id=row["authorization_id"],
        shipment_id=row["shipment_id"],
        shipment_status=ShipmentStatus(row["shipment_status"]) if row["shipment_status"] else None,
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        failure_reason=FailureReason(row["failure_reason"]) if row["failure_reason"] else None,
        failed_compensations=list(row["failed_compensations"] or []),
        refunded_total=row["refunded_total"] or 0,
        placed_at=row["created_at"],
    )
