"""Stock activities against real PostgreSQL (embedded, and the machine's own when present)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.stock import StockActivities
from domain.allocation import Location
from domain.commands import LineRequest, ReleaseStock, ReserveStock
from domain.identity import new_id
from domain.inventory import StockItem
from domain.order import Address, OrderStatus
from tests.factories import add_product, add_user, stock_of

ADDRESS = Address("Ada", "1 Main St", "London", "N1", "GB")


def reserve(order_id: str, customer_id: str, *lines: tuple[str, int]) -> ReserveStock:
    return ReserveStock(
        order_id=order_id,
        customer_id=customer_id,
        lines=[LineRequest(sku, quantity) for sku, quantity in lines],
        shipping_address=ADDRESS,
        currency="USD",
        idempotency_key=f"key-{order_id}",
        fingerprint="f" * 64,
    )


async def test_reserving_holds_the_stock_and_writes_the_order(uow_factory: Any) -> None:
    sku = await add_product(uow_factory, price=1999, on_hand=10)
    customer, _ = await add_user(uow_factory)
    order_id = new_id("ord")

    result = await ActivityEnvironment().run(
        StockActivities(uow_factory).reserve_stock, reserve(order_id, customer, (sku, 3))
    )

    assert result.reserved and result.total == 3 * 1999
    assert (await stock_of(uow_factory, sku)).available == 7
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
    assert order is not None and order.status is OrderStatus.RESERVED


@pytest.mark.parametrize(("on_hand", "held"), [(10, 4), (1, 0)], ids=["reserved", "refused"])
async def test_a_retried_reservation_answers_as_the_first_and_holds_the_stock_once(
    uow_factory: Any, on_hand: int, held: int
) -> None:
    sku = await add_product(uow_factory, on_hand=on_hand)
    customer, _ = await add_user(uow_factory)
    command = reserve(new_id("ord"), customer, (sku, 4))
    stock = StockActivities(uow_factory)

    first = await ActivityEnvironment().run(stock.reserve_stock, command)
    again = await ActivityEnvironment().run(stock.reserve_stock, command)

    assert again == first and again.reserved == bool(held)
    assert again.refused_skus == ([] if held else [sku])
    assert (await stock_of(uow_factory, sku)).reserved == held


async def test_a_retry_racing_the_first_attempt_answers_what_it_did(uow_factory: Any) -> None:
    """A retry that starts while the first attempt still runs (its task timed out) finds
    the order's id taken once the first commits, and answers with its reservation."""
    sku = await add_product(uow_factory, on_hand=10)
    customer, _ = await add_user(uow_factory)
    command = reserve(new_id("ord"), customer, (sku, 4))
    stock = StockActivities(uow_factory)

    answers = await asyncio.gather(
        *(ActivityEnvironment().run(stock.reserve_stock, command) for _ in range(4))
    )

    assert all(answer == answers[0] for answer in answers) and answers[0].reserved
    assert (await stock_of(uow_factory, sku)).reserved == 4


async def test_a_retry_after_the_product_was_withdrawn_answers_the_reservation_made(
    uow_factory: Any,
) -> None:
    sku = await add_product(uow_factory, on_hand=10)
    customer, _ = await add_user(uow_factory)
    command = reserve(new_id("ord"), customer, (sku, 2))
    stock = StockActivities(uow_factory)
    first = await ActivityEnvironment().run(stock.reserve_stock, command)
    async with uow_factory() as uow:
        await uow.session.execute(
            text("UPDATE products SET active = false WHERE sku = :sku"), {"sku": sku}
        )
        await uow.commit()

    again = await ActivityEnvironment().run(stock.reserve_stock, command)

    assert again == first and again.reserved
    assert (await stock_of(uow_factory, sku)).reserved == 2


async def test_a_short_line_refuses_the_whole_order(uow_factory: Any) -> None:
    plenty = await add_product(uow_factory, on_hand=10)
    scarce = await add_product(uow_factory, on_hand=1)
    customer, _ = await add_user(uow_factory)

    result = await ActivityEnvironment().run(
        StockActivities(uow_factory).reserve_stock,
        reserve(new_id("ord"), customer, (plenty, 2), (scarce, 2)),
    )

    assert not result.reserved
    assert result.refused_skus == [scarce]
    assert (await stock_of(uow_factory, plenty)).reserved == 0
    assert (await stock_of(uow_factory, scarce)).reserved == 0


async def test_an_unknown_sku_writes_nothing(uow_factory: Any) -> None:
    customer, _ = await add_user(uow_factory)
    order_id = new_id("ord")

    result = await ActivityEnvironment().run(
        StockActivities(uow_factory).reserve_stock, reserve(order_id, customer, ("NOPE", 1))
    )

    assert result.unavailable_skus == ["NOPE"]
    async with uow_factory() as uow:
        assert await uow.orders.get(order_id) is None


async def test_releasing_twice_gives_the_stock_back_once(uow_factory: Any) -> None:
    sku = await add_product(uow_factory, on_hand=10)
    customer, _ = await add_user(uow_factory)
    order_id = new_id("ord")
    stock = StockActivities(uow_factory)
    await ActivityEnvironment().run(stock.reserve_stock, reserve(order_id, customer, (sku, 5)))

    await ActivityEnvironment().run(stock.release_stock, ReleaseStock(order_id))
    await ActivityEnvironment().run(stock.release_stock, ReleaseStock(order_id))

    item = await stock_of(uow_factory, sku)
    assert (item.on_hand, item.reserved) == (10, 0)


async def test_fifty_racing_orders_for_ten_units_never_oversell(uow_factory: Any) -> None:
    sku = await add_product(uow_factory, on_hand=10)
    customer, _ = await add_user(uow_factory)
    stock = StockActivities(uow_factory)

    results = await asyncio.gather(
        *(
            ActivityEnvironment().run(
                stock.reserve_stock, reserve(new_id("ord"), customer, (sku, 1))
            )
            for _ in range(50)
        )
    )

    assert sum(r.reserved for r in results) == 10
    assert sum(not r.reserved for r in results) == 40
    item = await stock_of(uow_factory, sku)
    assert (item.on_hand, item.reserved, item.available) == (10, 10, 0)


async def test_forty_racing_orders_over_three_locations_oversell_none_of_them(
    uow_factory: Any,
) -> None:
    sku = await add_product(uow_factory, on_hand=3)  # default: 3
    places = {"default": 3}
    async with uow_factory() as uow:
        for name, units in (("race-a", 4), ("race-b", 5)):
            place = f"{name}-{new_id('x')[-6:].lower()}"
            if await uow.locations.get(place) is None:
                await uow.locations.create(Location(place, name, "GB"))
            uow.stock.add(StockItem(sku, units, 0, place))
            places[place] = units
        await uow.commit()
    customer, _ = await add_user(uow_factory)
    stock = StockActivities(uow_factory)

    # Two units each: some orders must split a line across locations to be served.
    results = await asyncio.gather(
        *(
            ActivityEnvironment().run(
                stock.reserve_stock, reserve(new_id("ord"), customer, (sku, 2))
            )
            for _ in range(40)
        )
    )

    async with uow_factory() as uow:
        levels = {item.location_id: item for item in await uow.stock.levels(sku)}
    assert sum(r.reserved for r in results) == 6  # 12 units, 2 per order
    for place, units in places.items():
        assert (levels[place].on_hand, levels[place].reserved) == (units, units)
