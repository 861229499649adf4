"""Inventory rows, one per (location, sku), locked in (location, sku) order so that
concurrent orders never deadlock."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, Integer, Row, Text, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import StockAdjustmentRow, StockRow, table_of
from domain.inventory import DEFAULT_LOCATION, StockAdjustment, StockItem

# The reason of the adjustment that a new stock row starts with.
OPENING_STOCK = "opening stock"

Place = tuple[str, str]  # (location id, sku)

# The hot paths (every reservation, booking and release) read and write the rows as
# rows, not ORM objects, with statements built once.
_STOCK = table_of(StockRow)
_READ = select(_STOCK.c.location_id, _STOCK.c.sku, _STOCK.c.on_hand, _STOCK.c.reserved)
_IN_ORDER = (_STOCK.c.location_id, _STOCK.c.sku)
_LOCK_PLACES = (
    _READ.where(tuple_(*_IN_ORDER).in_(bindparam("places", expanding=True)))
    .order_by(*_IN_ORDER)
    .with_for_update()
)
_LOCK_SKUS = (
    _READ.where(_STOCK.c.sku.in_(bindparam("skus", expanding=True)))
    .order_by(*_IN_ORDER)
    .with_for_update()
)
_CHANGED = (
    func.unnest(
        bindparam("locations", type_=ARRAY(Text)),
        bindparam("skus", type_=ARRAY(Text)),
        bindparam("on_hand", type_=ARRAY(Integer)),
        bindparam("reserved", type_=ARRAY(Integer)),
    )
    .table_valued("location_id", "sku", "on_hand", "reserved")
    .render_derived(name="changed")
)
_SAVE = (
    update(_STOCK)
    .where(_STOCK.c.location_id == _CHANGED.c.location_id, _STOCK.c.sku == _CHANGED.c.sku)
    .values(on_hand=_CHANGED.c.on_hand, reserved=_CHANGED.c.reserved, updated_at=func.now())
)


class StockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._read: dict[Place, tuple[int, int]] = {}  # (on_hand, reserved) as locked
        self._added: dict[Place, StockRow] = {}  # new rows, written at the next flush

    async def lock(self, places: Iterable[Place]) -> dict[Place, StockItem]:
        """Locks these rows until commit; missing ones are absent."""
        wanted = sorted(set(places))
        if not wanted:
            return {}
        return await self._locked(_LOCK_PLACES, {"places": wanted})

    async def lock_everywhere(self, skus: Iterable[str]) -> dict[Place, StockItem]:
        """Locks the rows of these skus at every location (for an allocation)."""
        return await self._locked(_LOCK_SKUS, {"skus": sorted(set(skus))})

    async def lock_at(self, location_id: str, skus: Iterable[str]) -> dict[str, StockItem]:
        locked = await self.lock((location_id, sku) for sku in skus)
        return {sku: item for (_, sku), item in locked.items()}

    async def _locked(self, query: Any, parameters: dict[str, Any]) -> dict[Place, StockItem]:
        if self._session.new:
            await self._session.flush()  # a row added in this transaction is lockable
        items = {}
        for row in await self._session.execute(query, parameters):
            self._read[(row.location_id, row.sku)] = (row.on_hand, row.reserved)
            items[(row.location_id, row.sku)] = _item(row)
        return items

    async def save(self, items: Iterable[StockItem]) -> None:
        """Writes the items that changed since they were locked, in one statement."""
        changed = [
            item
            for item in items
            if self._read.get((item.location_id, item.sku)) != (item.on_hand, item.reserved)
        ]
        locked = [item for item in changed if (item.location_id, item.sku) in self._read]
        unread = [item for item in changed if (item.location_id, item.sku) not in self._read]
        for item in unread:  # added in this transaction, never locked: still an ORM row
            row = self._added[(item.location_id, item.sku)]
            row.on_hand, row.reserved = item.on_hand, item.reserved
        if unread:
            await self._session.flush()
        if not locked:
            return
        await self._session.execute(
            _SAVE,
            {
                "locations": [item.location_id for item in locked],
                "skus": [item.sku for item in locked],
                "on_hand": [item.on_hand for item in locked],
                "reserved": [item.reserved for item in locked],
            },
        )
        for item in locked:
            self._read[(item.location_id, item.sku)] = (item.on_hand, item.reserved)

    def add(self, item: StockItem) -> None:
        """A new stock row; what it starts with is its first adjustment, so on_hand is
        always the sum of adjustments less what left with parcels."""
        row = StockRow(
            location_id=item.location_id, sku=item.sku, on_hand=item.on_hand, reserved=item.reserved
        )
        self._session.add(row)
        self._added[(item.location_id, item.sku)] = row
        if item.on_hand:
            self.record_adjustment(item, item.on_hand, OPENING_STOCK, None)

    async def get(self, sku: str, location_id: str = DEFAULT_LOCATION) -> StockItem | None:
        row = await self._session.get(StockRow, (location_id, sku))
        return None if row is None else _item(row)

    async def levels(self, sku: str) -> list[StockItem]:
        """The sku at every location that has a row for it, by location id."""
        rows = await self._session.scalars(
            select(StockRow).where(StockRow.sku == sku).order_by(StockRow.location_id)
        )
        return [_item(row) for row in rows]

    async def available_at(self, skus: Iterable[str]) -> dict[Place, int]:
        """Units free to order, per (location, sku), without locking."""
        rows = await self._session.execute(
            select(StockRow.location_id, StockRow.sku, StockRow.on_hand - StockRow.reserved).where(
                StockRow.sku.in_(sorted(set(skus)))
            )
        )
        return {(location, sku): int(free) for location, sku, free in rows}

    async def total_on_hand(self, sku: str) -> int:
        return int(
            await self._session.scalar(
                select(func.coalesce(func.sum(StockRow.on_hand), 0)).where(StockRow.sku == sku)
            )
            or 0
        )

    def record_adjustment(
        self, item: StockItem, delta: int, reason: str, actor_id: str | None
    ) -> None:
        self._session.add(
            StockAdjustmentRow(
                sku=item.sku,
                location_id=item.location_id,
                delta=delta,
                reason=reason,
                on_hand_after=item.on_hand,
                actor_id=actor_id,
            )
        )

    async def adjustments(
        self, sku: str, *, location_id: str | None = None, before_id: int | None, limit: int
    ) -> list[StockAdjustment]:
        """Newest first; of one location, or of all."""
        query = select(StockAdjustmentRow).where(StockAdjustmentRow.sku == sku)
        if location_id is not None:
            query = query.where(StockAdjustmentRow.location_id == location_id)
        if before_id is not None:
            query = query.where(StockAdjustmentRow.id < before_id)
        query = query.order_by(StockAdjustmentRow.id.desc()).limit(limit)
        return [
            StockAdjustment(
                id=row.id,
                sku=row.sku,
                delta=row.delta,
                reason=row.reason,
                on_hand_after=row.on_hand_after,
                actor_id=row.actor_id,
                created_at=row.created_at,
                location_id=row.location_id,
            )
            for row in await self._session.scalars(query)
        ]


def _item(row: StockRow | Row[*tuple[Any, ...]]) -> StockItem:
    """Of a mapped row or of a row of the table's columns alike."""
    return StockItem(row.sku, row.on_hand, row.reserved, row.location_id)
