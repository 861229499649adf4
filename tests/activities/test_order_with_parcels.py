"""The order read with its parcels in one statement (`UnitOfWork.order_with_parcels`),
on a real PostgreSQL: what the two reads it replaces gave, the same locks, and saves
that write only what changed since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from domain.order import Order
from domain.shipments import Shipment
from tests.factories import reserved_order
from tests.statements import statements_on


async def two_reads(uow_factory: Any, order_id: str) -> tuple[Order, list[Shipment]]:
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id, lock=False)
        assert order is not None
        return order, await uow.shipments.of(order_id, lock=False)


async def delivered_parcel(uow_factory: Any) -> str:
    """An order whose parcel is booked and delivered, so it has a time of delivery."""
    order_id = await reserved_order(uow_factory)
    async with uow_factory() as uow:
        (parcel,) = await uow.shipments.of(order_id)
        parcel.book("shp_1", "stub", "TRK-1")
        parcel.track("delivered", "2026-12-08T04:30:00.123456Z")
        await uow.shipments.save([parcel])
        await uow.commit()
    return order_id


@pytest.mark.parametrize("lock", [True, False])
async def test_the_order_and_its_parcels_come_in_one_statement_as_the_two_reads_give_them(
    uow_factory: Any, lock: bool
) -> None:
    order_id = await delivered_parcel(uow_factory)

    async with uow_factory() as uow:
        with statements_on(uow.session.get_bind()) as sent:
            loaded = await uow.order_with_parcels(order_id, lock=lock)

    assert len(sent) == 1
    assert loaded is not None
    order, parcels = loaded
    expected_order, expected_parcels = await two_reads(uow_factory, order_id)
    assert parcels == expected_parcels
    assert parcels[0].delivered_at == datetime(2026, 12, 8, 4, 30, 0, 123456, tzinfo=UTC)
    assert vars(order) == vars(expected_order)


async def test_an_order_that_does_not_exist_is_none(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        assert await uow.order_with_parcels("ord_nowhere") is None


async def test_parcels_read_beside_the_order_are_saved_as_changed_only(uow_factory: Any) -> None:
    order_id = await reserved_order(uow_factory)

    async with uow_factory() as uow:
        loaded = await uow.order_with_parcels(order_id)
        assert loaded is not None
        _, parcels = loaded
        with statements_on(uow.session.get_bind()) as untouched:
            await uow.shipments.save(parcels)
        parcels[0].book("shp_2", "stub", "TRK-2")
        with statements_on(uow.session.get_bind()) as booked:
            await uow.shipments.save(parcels)
        await uow.commit()

    assert (len(untouched), len(booked)) == (0, 1)
    _, stored = await two_reads(uow_factory, order_id)
    assert stored[0].tracking_number == "TRK-2"


async def test_the_locked_read_holds_the_order_and_its_parcels_until_its_commit(
    uow_factory: Any,
) -> None:
    order_id = await reserved_order(uow_factory)

    async def lockable(table: str, column: str) -> bool:
        """Whether another transaction can lock the order's rows of `table` now."""
        async with uow_factory() as other:
            try:
                await other.session.execute(
                    text(f"SELECT 1 FROM {table} WHERE {column} = :id FOR UPDATE NOWAIT"),
                    {"id": order_id},
                )
            except DBAPIError:
                return False
            return True

    async with uow_factory() as uow:
        await uow.order_with_parcels(order_id, lock=False)
        assert await lockable("orders", "id") and await lockable("shipments", "order_id")
        await uow.order_with_parcels(order_id)
        held = (await lockable("orders", "id"), await lockable("shipments", "order_id"))
        await uow.commit()

    assert held == (False, False)
    assert await lockable("orders", "id") and await lockable("shipments", "order_id")
