"""Loads and saves an order's shipments (domain/shipments.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import ShipmentRow
from domain.shipments import Shipment, ShipmentItem, ShipmentState, UnitsState


class ShipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[tuple[str, int], ShipmentRow] = {}

    def add(self, shipments: Iterable[Shipment]) -> None:
        for shipment in shipments:
            row = ShipmentRow(order_id=shipment.order_id, number=shipment.number)
            _copy(shipment, row)
            self._session.add(row)
            self._rows[(shipment.order_id, shipment.number)] = row

    async def replan(self, order_id: str, shipments: Iterable[Shipment]) -> None:
        """The order's parcels, none of them booked yet, are these now (an edit)."""
        await self._session.execute(delete(ShipmentRow).where(ShipmentRow.order_id == order_id))
        self._rows = {key: row for key, row in self._rows.items() if key[0] != order_id}
        await self._session.flush()
        self.add(shipments)
        await self._session.flush()

    async def of(self, order_id: str, *, lock: bool = True) -> list[Shipment]:
        """The order's shipments by number; locked for this transaction by default
        (take the order's lock first: one writer at a time, in one order)."""
        query = select(ShipmentRow).where(ShipmentRow.order_id == order_id)
        query = query.order_by(ShipmentRow.number)
        rows = await self._session.scalars(query.with_for_update() if lock else query)
        shipments = []
        for row in rows:
            self._rows[(row.order_id, row.number)] = row
            shipments.append(_to_domain(row))
        return shipments

    async def save(self, shipments: Iterable[Shipment]) -> None:
        for shipment in shipments:
            _copy(shipment, self._rows[(shipment.order_id, shipment.number)])
        await self._session.flush()


def _copy(shipment: Shipment, row: ShipmentRow) -> None:
    row.location_id = shipment.location_id
    row.items = [{"sku": item.sku, "quantity": item.quantity} for item in shipment.items]
    row.value_amount = shipment.value
    row.state = shipment.state.value
    row.units = shipment.units.value
    row.carrier = shipment.carrier
    row.carrier_shipment_id = shipment.carrier_shipment_id
    row.tracking_number = shipment.tracking_number
    row.captured_amount = shipment.captured
    row.delivered_at = shipment.delivered_at


def _to_domain(row: ShipmentRow) -> Shipment:
    return Shipment(
        order_id=row.order_id,
        number=row.number,
        location_id=row.location_id,
        items=[ShipmentItem(item["sku"], int(item["quantity"])) for item in row.items],
        value=row.value_amount,
        state=ShipmentState(row.state),
        units=UnitsState(row.units),
        carrier=row.carrier,
        carrier_shipment_id=row.carrier_shipment_id,
        tracking_number=row.tracking_number,
        captured=row.captured_amount,
        delivered_at=row.delivered_at,
    )
