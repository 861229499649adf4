"""Locations, and where each order's units are held (its allocation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import LocationRow, OrderAllocationRow, table_of
from domain.allocation import Location, Pick
from domain.inventory import DEFAULT_LOCATION

_MOVE = text(
    """
    INSERT INTO order_allocations (order_id, line_no, location_id, sku, quantity)
    SELECT order_id, line_no, :to, sku, quantity FROM order_allocations
    WHERE order_id = :order_id AND location_id = :closed
    ON CONFLICT (order_id, line_no, location_id)
    DO UPDATE SET quantity = order_allocations.quantity + excluded.quantity
    """
)

_LOCATIONS, _ALLOCATIONS = table_of(LocationRow), table_of(OrderAllocationRow)
_ALL = select(
    _LOCATIONS.c.id,
    _LOCATIONS.c.name,
    _LOCATIONS.c.country,
    _LOCATIONS.c.priority,
    _LOCATIONS.c.active,
).order_by(_LOCATIONS.c.priority, _LOCATIONS.c.id)
_ONE = _ALL.where(_LOCATIONS.c.id == bindparam("location_id"))
_ALLOCATE = insert(_ALLOCATIONS)

# What an admin may change on a location.
EDITABLE = frozenset({"name", "country", "priority", "active"})


class LocationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self) -> list[Location]:
        """In priority order, then by id (every reservation asks: rows, not objects)."""
        return [_location(row) for row in await self._session.execute(_ALL)]

    async def get(self, location_id: str) -> Location | None:
        row = (await self._session.execute(_ONE, {"location_id": location_id})).first()
        return None if row is None else _location(row)

    async def create(self, location: Location) -> None:
        """Adds it; a taken id raises IntegrityError here, at once."""
        self._session.add(
            LocationRow(
                id=location.id,
                name=location.name,
                country=location.country,
                priority=location.priority,
                active=location.active,
            )
        )
        await self._session.flush()

    async def change(self, location_id: str, changes: Mapping[str, Any]) -> bool:
        """Applies the changes (fields of EDITABLE); False when there is no such one."""
        assert set(changes) <= EDITABLE, set(changes) - EDITABLE
        if not changes:
            return await self.get(location_id) is not None
        result = await self._session.execute(
            update(LocationRow).where(LocationRow.id == location_id).values(**changes)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- allocations -----------------------------------------------------------------

    async def allocate(self, order_id: str, picks: Iterable[Pick]) -> None:
        held = [
            {
                "order_id": order_id,
                "line_no": pick.line_no,
                "location_id": pick.location_id,
                "sku": pick.sku,
                "quantity": pick.quantity,
            }
            for pick in picks
        ]
        if held:
            await self._session.execute(_ALLOCATE, held)

    async def move_allocation(self, order_id: str, closed: str, to: str) -> None:
        """The order's units held at `closed` are held at `to` now (a line already
        partly at `to` adds them up)."""
        await self._session.execute(_MOVE, {"order_id": order_id, "closed": closed, "to": to})
        await self._session.execute(
            delete(OrderAllocationRow).where(
                OrderAllocationRow.order_id == order_id, OrderAllocationRow.location_id == closed
            )
        )

    async def picks(self, order_id: str) -> list[Pick]:
        """Where each of the order's lines is held, line by line."""
        rows = await self._session.scalars(
            select(OrderAllocationRow)
            .where(OrderAllocationRow.order_id == order_id)
            .order_by(OrderAllocationRow.line_no, OrderAllocationRow.location_id)
        )
        return [Pick(r.line_no, r.sku, r.location_id, r.quantity) for r in rows]

    async def reallocate(self, order_id: str, picks: Iterable[Pick]) -> None:
        """The order's units are held where `picks` say now (an edit)."""
        await self._session.execute(
            delete(OrderAllocationRow).where(OrderAllocationRow.order_id == order_id)
        )
        await self.allocate(order_id, picks)

    async def held(
        self, order_id: str, quantities: Mapping[str, int]
    ) -> dict[tuple[str, str], int]:
        """Units of the order per (location, sku). An order placed before locations has
        no allocation: its units are at `default`."""
        rows = await self._session.execute(
            select(
                OrderAllocationRow.location_id, OrderAllocationRow.sku, OrderAllocationRow.quantity
            ).where(OrderAllocationRow.order_id == order_id)
        )
        held: dict[tuple[str, str], int] = {}
        for location_id, sku, quantity in rows:
            held[(location_id, sku)] = held.get((location_id, sku), 0) + quantity
        if not held:
            held = {(DEFAULT_LOCATION, sku): quantity for sku, quantity in quantities.items()}
        return held


def _location(row: LocationRow | Row[*tuple[Any, ...]]) -> Location:
    """Of a mapped row or of a row of the table's columns alike."""
    return Location(row.id, row.name, row.country, row.priority, row.active)
