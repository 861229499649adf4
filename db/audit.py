"""The facts of our own books that the invariant check needs, read in one snapshot."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import String, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import (
    ClaimRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    RefundRow,
    ReturnRow,
    ShipmentRow,
    StockAdjustmentRow,
    StockRow,
)
from domain.invariants import OrderFacts, ReturnFacts, StockFacts
from domain.order import OrderStatus, StockStatus
from domain.shipments import UnitsState

Place = tuple[str, str]  # (location id, sku)


async def read_books(
    session: AsyncSession, order_ids: Collection[str] | None, grace: timedelta
) -> tuple[list[OrderFacts], list[StockFacts], dict[str, int]]:
    """Orders (all, or those named), the stock of their skus, and the units every order
    of those skus holds; an order changed within `grace` is counted as in flight."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    now = await session.scalar(select(func.now()))
    assert now is not None
    query = select(OrderRow)
    if order_ids is not None:
        query = query.where(OrderRow.id.in_(list(order_ids)))
    rows = list(await session.scalars(query))
    ids = [row.id for row in rows]

    lines: dict[str, dict[str, int]] = defaultdict(dict)
    timeline: dict[str, list[str]] = defaultdict(list)
    parcels: dict[str, tuple[int, int | None]] = {}
    refunded: dict[str, int] = {}
    if ids:
        # The rows of one parcel share its tracking number (orders of before).
        for order_id, count, captured in await session.execute(
            select(
                ShipmentRow.order_id,
                func.count(
                    func.distinct(
                        func.coalesce(ShipmentRow.tracking_number, cast(ShipmentRow.number, String))
                    )
                ),
                func.sum(ShipmentRow.captured_amount),
            )
            .where(
                ShipmentRow.order_id.in_(ids),
                # A parcel called off before any carrier took it never was one.
                (ShipmentRow.state != "cancelled") | ShipmentRow.tracking_number.is_not(None),
            )
            .group_by(ShipmentRow.order_id)
        ):
            parcels[order_id] = (int(count), None if captured is None else int(captured))
        for order_id, owed in await session.execute(
            select(RefundRow.order_id, func.sum(RefundRow.amount))
            .where(RefundRow.order_id.in_(ids), RefundRow.status != "failed")
            .group_by(RefundRow.order_id)
        ):
            refunded[order_id] = int(owed)
        for order_id, sku, quantity in await session.execute(
            select(OrderLineRow.order_id, OrderLineRow.sku, OrderLineRow.quantity).where(
                OrderLineRow.order_id.in_(ids)
            )
        ):
            lines[order_id][sku] = lines[order_id].get(sku, 0) + quantity
        for order_id, event_type in await session.execute(
            select(OrderEventRow.order_id, OrderEventRow.type)
            .where(OrderEventRow.order_id.in_(ids))
            .order_by(OrderEventRow.id)
        ):
            timeline[order_id].append(event_type)

    orders = [
        OrderFacts(
            id=row.id,
            status=OrderStatus(row.status),
            stock_status=StockStatus(row.stock_status),
            total=row.total_amount,
            lines=lines[row.id],
            timeline=timeline[row.id],
            settled=now - row.updated_at >= grace,
            parcels=parcels.get(row.id, (1, None))[0],
            captured=parcels.get(row.id, (1, None))[1],
            refunded=refunded.get(row.id, 0),
        )
        for row in rows
    ]

    skus = sorted({sku for order in orders for sku in order.lines})
    # Each sku over every location: the rules hold for the sku's totals (a location's
    # own row is kept within bounds by its check constraints).
    stock_query = select(
        StockRow.sku, func.sum(StockRow.on_hand), func.sum(StockRow.reserved)
    ).group_by(StockRow.sku)
    if order_ids is not None:
        stock_query = stock_query.where(StockRow.sku.in_(skus))
    stock = [
        StockFacts(sku, int(on_hand), int(reserved))
        for sku, on_hand, reserved in await session.execute(stock_query)
    ]
    held = await _units_by_sku(session, UnitsState.HELD, None if order_ids is None else skus)
    return orders, stock, held


# Units of every parcel whose units are in a state (held, committed), per (location,
# sku): each parcel holds its own, where it ships from.
_UNITS = """
    SELECT s.location_id, item->>'sku', sum(CAST(item->>'quantity' AS integer))
    FROM shipments s CROSS JOIN LATERAL jsonb_array_elements(s.items) AS item
    WHERE s.units = :units
      AND (CAST(:skus AS varchar[]) IS NULL OR item->>'sku' = ANY(:skus))
    GROUP BY 1, 2
"""


async def read_places(
    session: AsyncSession, skus: Collection[str] | None
) -> tuple[dict[Place, int], dict[Place, int], dict[Place, int]]:
    """Per (location, sku): units reserved there, units orders hold there, and units on
    hand there."""
    query = select(StockRow.location_id, StockRow.sku, StockRow.reserved, StockRow.on_hand)
    if skus is not None:
        query = query.where(StockRow.sku.in_(list(skus)))
    reserved: dict[Place, int] = {}
    on_hand: dict[Place, int] = {}
    for location, sku, units_reserved, units_on_hand in await session.execute(query):
        reserved[(location, sku)] = int(units_reserved)
        on_hand[(location, sku)] = int(units_on_hand)
    held = await _units_by_place(session, UnitsState.HELD, skus)
    return reserved, held, on_hand


async def read_stock_ledger(
    session: AsyncSession, skus: Collection[str] | None
) -> tuple[dict[Place, int], dict[Place, int]]:
    """Per (location, sku): the sum of every adjustment made there, and the units that
    left from there with parcels and stayed gone (parcels whose units are committed),
    over all orders of those skus."""
    query = select(
        StockAdjustmentRow.location_id, StockAdjustmentRow.sku, func.sum(StockAdjustmentRow.delta)
    ).group_by(StockAdjustmentRow.location_id, StockAdjustmentRow.sku)
    if skus is not None:
        query = query.where(StockAdjustmentRow.sku.in_(list(skus)))
    adjusted = {(loc, sku): int(units) for loc, sku, units in await session.execute(query)}
    shipped = await _units_by_place(session, UnitsState.COMMITTED, skus)
    return adjusted, shipped


def by_sku(units: dict[Place, int]) -> dict[str, int]:
    """Per sku, over every location."""
    totals: dict[str, int] = defaultdict(int)
    for (_, sku), quantity in units.items():
        totals[sku] += quantity
    return dict(totals)


async def _units_by_sku(
    session: AsyncSession, units: UnitsState, skus: Collection[str] | None
) -> dict[str, int]:
    """Per sku, the units of every parcel in this state (of these skus)."""
    return by_sku(await _units_by_place(session, units, skus))


async def _units_by_place(
    session: AsyncSession, units: UnitsState, skus: Collection[str] | None
) -> dict[Place, int]:
    rows = await session.execute(
        text(_UNITS), {"units": units.value, "skus": None if skus is None else list(skus)}
    )
    return {(location, sku): int(quantity) for location, sku, quantity in rows}


async def read_returns(
    session: AsyncSession, order_ids: Collection[str] | None
) -> list[ReturnFacts]:
    """The returns of these orders (of all, when None), with their refunds' status."""
    query = select(ReturnRow, RefundRow.status).outerjoin(
        RefundRow, RefundRow.id == ReturnRow.refund_id
    )
    if order_ids is not None:
        query = query.where(ReturnRow.order_id.in_(list(order_ids)))
    return [
        ReturnFacts(
            rma.id,
            rma.order_id,
            rma.status,
            {item["sku"]: int(item["quantity"]) for item in rma.items},
            rma.refund_amount,
            refund_status,
        )
        for rma, refund_status in await session.execute(query)
    ] + await _claims(session, order_ids)


async def _claims(session: AsyncSession, order_ids: Collection[str] | None) -> list[ReturnFacts]:
    """Claims count with returns: their units, and their refund's status."""
    query = select(ClaimRow, RefundRow.status, RefundRow.amount).outerjoin(
        RefundRow, RefundRow.id == ClaimRow.refund_id
    )
    if order_ids is not None:
        query = query.where(ClaimRow.order_id.in_(list(order_ids)))
    return [
        ReturnFacts(
            claim.id,
            claim.order_id,
            claim.status,
            {item["sku"]: int(item["quantity"]) for item in claim.items},
            amount,
            refund_status,
            holds_units=not (claim.type == "replace" and claim.status == "failed"),
        )
        for claim, refund_status, amount in await session.execute(query)
    ]


async def read_delivered(
    session: AsyncSession, order_ids: Collection[str] | None
) -> dict[str, dict[str, int]]:
    """Per order, the units of each sku its delivered parcels carried."""
    query = select(ShipmentRow.order_id, ShipmentRow.items).where(ShipmentRow.state == "delivered")
    if order_ids is not None:
        query = query.where(ShipmentRow.order_id.in_(list(order_ids)))
    delivered: dict[str, dict[str, int]] = defaultdict(dict)
    for order_id, items in await session.execute(query):
        for item in items:
            units = delivered[order_id]
            units[item["sku"]] = units.get(item["sku"], 0) + int(item["quantity"])
    return dict(delivered)
