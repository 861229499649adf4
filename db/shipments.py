"""Loads and saves an order's shipments (domain/shipments.py).

Rows, not ORM objects: a parcel is read on almost every step of an order, and loading
it as a mapped object cost twice the CPU of reading its row. What was loaded is kept
per parcel, so a save writes only the columns that changed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update

from db.tables import ShipmentRow, table_of
from domain.shipments import Shipment, ShipmentItem, ShipmentState, UnitsState

_SHIPMENTS = table_of(ShipmentRow)
# Built once: composing a statement costs about as much CPU as running it.
_OF_ORDER = (
    select(_SHIPMENTS)
    .where(_SHIPMENTS.c.order_id == bindparam("of_order"))
    .order_by(_SHIPMENTS.c.number)
)
_OF_ORDER_LOCKED = _OF_ORDER.with_for_update()
_ADD = insert(_SHIPMENTS)
_TIMES = tuple(column.name for column in _SHIPMENTS.columns if isinstance(column.type, DateTime))

Key = tuple[str, int]  # (order id, parcel number)
# What `_columns` writes: every column but the key and the time of the last write.
_COLUMN_NAMES = tuple(
    column.name
    for column in _SHIPMENTS.columns
    if column.name not in ("order_id", "number", "updated_at")
)


class ShipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Each parcel's columns as last read or written.
        self._loaded: dict[Key, dict[str, Any]] = {}

    async def add(self, shipments: Iterable[Shipment]) -> None:
        columns = {(s.order_id, s.number): _columns(s) for s in shipments}
        if not columns:
            return
        rows = [{"order_id": key[0], "number": key[1], **row} for key, row in columns.items()]
        await self._session.execute(_ADD, rows)
        self._loaded.update(columns)

    async def replan(self, order_id: str, shipments: Iterable[Shipment]) -> None:
        """The order's parcels, none of them booked yet, are these now (an edit)."""
        await self._session.execute(delete(_SHIPMENTS).where(_SHIPMENTS.c.order_id == order_id))
        self._loaded = {key: row for key, row in self._loaded.items() if key[0] != order_id}
        await self.add(shipments)

    async def of(self, order_id: str, *, lock: bool = True) -> list[Shipment]:
        """The order's shipments by number; locked for this transaction by default
        (take the order's lock first: one writer at a time, in one order)."""
        query = _OF_ORDER_LOCKED if lock else _OF_ORDER
        return self.took((await self._session.execute(query, {"of_order": order_id})).mappings())

    def took(self, rows: Iterable[Mapping[Any, Any]]) -> list[Shipment]:
        """The parcels of these rows, kept as read (a save writes only what changes
        from them): rows of this repository's reads or of the order's read of its
        parcels beside it (`OrderRepository.get_with_parcels`)."""
        shipments = []
        for row in rows:
            self._loaded[(row["order_id"], row["number"])] = _columns_of(row)
            shipments.append(_to_domain(row))
        return shipments

    async def save(self, shipments: Iterable[Shipment]) -> None:
        """Writes what changed of each parcel since it was read, a statement per parcel
        that changed."""
        for shipment in shipments:
            key = (shipment.order_id, shipment.number)
            now = _columns(shipment)
            changes = {
                name: value for name, value in now.items() if self._loaded[key][name] != value
            }
            if not changes:
                continue
            await self._session.execute(
                _update(tuple(changes)),
                {
                    "saved_order_id": shipment.order_id,
                    "saved_number": shipment.number,
                    **{f"new_{name}": value for name, value in changes.items()},
                },
            )
            self._loaded[key] = now


@functools.cache
def _update(columns: tuple[str, ...]) -> Update:
    """A parcel's update of these columns, built once per set of columns (a booking,
    a capture, a delivery each change the same ones): composing it on every save cost
    more CPU than running it."""
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    return (
        update(_SHIPMENTS)
        .where(
            _SHIPMENTS.c.order_id == bindparam("saved_order_id"),
            _SHIPMENTS.c.number == bindparam("saved_number"),
        )
        .values(**values, updated_at=func.now())
    )


def _columns(shipment: Shipment) -> dict[str, Any]:
    """The parcel's columns (all but its key) as the domain has them."""
    return {
        "location_id": shipment.location_id,
        "items": [{"sku": item.sku, "quantity": item.quantity} for item in shipment.items],
        "value_amount": shipment.value,
        "state": shipment.state.value,
        "units": shipment.units.value,
        "carrier": shipment.carrier,
        "carrier_shipment_id": shipment.carrier_shipment_id,
        "tracking_number": shipment.tracking_number,
        "captured_amount": shipment.captured,
        "delivered_at": shipment.delivered_at,
    }


def from_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A parcel's row as `to_jsonb` writes it, with its column types back: a time
    is a string in JSON."""
    times = {name: datetime.fromisoformat(row[name]) if row[name] else None for name in _TIMES}
    return {**row, **times}


def _columns_of(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The same columns as read from the table."""
    return {name: row[name] for name in _COLUMN_NAMES}


def _to_domain(row: Mapping[Any, Any]) -> Shipment:
    return Shipment(
        order_id=row["order_id"],
        number=row["number"],
        location_id=row["location_id"],
        items=[ShipmentItem(item["sku"], int(item["quantity"])) for item in row["items"]],
        value=row["value_amount"],
        state=ShipmentState(row["state"]),
        units=UnitsState(row["units"]),
        carrier=row["carrier"],
        carrier_shipment_id=row["carrier_shipment_id"],
        tracking_number=row["tracking_number"],
        captured=row["captured_amount"],
        delivered_at=row["delivered_at"],
    )
