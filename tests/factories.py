"""Test data written through the real repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, update
from temporalio.testing import ActivityEnvironment

from activities.stock import StockActivities
from db.tables import IdempotencyKeyRow
from db.unit_of_work import UnitOfWork
from domain.allocation import Location
from domain.commands import LineRequest, ReserveStock
from domain.identity import new_id
from domain.inventory import StockItem
from domain.order import Address
from domain.users import Role, Tier
from services.accounts import Accounts, NewUser
from tests.stack import PEPPER

UowFactory = Callable[[], UnitOfWork]

ADDRESS: dict[str, str] = {
    "name": "Ada Lovelace",
    "line1": "12 St James Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}".upper()


async def add_product(
    uow_factory: UowFactory,
    *,
    price: int = 1_000,
    on_hand: int = 100,
    active: bool = True,
    currency: str = "USD",
) -> str:
    sku = unique("SKU")
    async with uow_factory() as uow:
        await uow.products.create(
            sku=sku, name=f"Product {sku}", price_amount=price, currency=currency, active=active
        )
        uow.stock.add(StockItem(sku, on_hand))
        await uow.commit()
    return sku


async def add_user(
    uow_factory: UowFactory, role: Role = Role.CUSTOMER, tier: Tier = Tier.STANDARD
) -> tuple[str, str]:
    """A new user; returns (user id, API key)."""
    created = await Accounts(uow_factory, PEPPER).create_user(
        NewUser(f"{unique('user').lower()}@example.com", "Test user", role, tier)
    )
    return created.user.id, created.first_key.secret


async def stock_of(uow_factory: UowFactory, sku: str) -> StockItem:
    async with uow_factory() as uow:
        levels = await uow.stock.levels(sku)
    # Every location's together: what the order service has of the sku.
    return StockItem(
        sku, sum(level.on_hand for level in levels), sum(level.reserved for level in levels)
    )


async def expire_key(uow_factory: Any, caller_id: str, key: str) -> None:
    """Moves the key's window into the past, as if its retention had run out."""
    async with uow_factory() as uow:
        await uow.session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.caller_id == caller_id, IdempotencyKeyRow.key == key)
            .values(expires_at=func.now() - timedelta(seconds=1))
        )
        await uow.commit()


async def add_location(
    uow_factory: UowFactory,
    name: str,
    *,
    country: str = "GB",
    priority: int = 100,
    stock: dict[str, int] | None = None,
) -> str:
    """A new active location (its id unique to the test) holding this stock."""
    location_id = unique(name).lower()
    async with uow_factory() as uow:
        await uow.locations.create(Location(location_id, name, country, priority))
        for sku, units in (stock or {}).items():
            uow.stock.add(StockItem(sku, units, 0, location_id))
        await uow.commit()
    return location_id


async def stock_at(uow_factory: UowFactory, sku: str) -> dict[str, tuple[int, int]]:
    """(on hand, reserved) of the sku per location."""
    async with uow_factory() as uow:
        return {i.location_id: (i.on_hand, i.reserved) for i in await uow.stock.levels(sku)}


async def reserved_order(uow: Any) -> str:
    """An order of one line, placed and reserved by the real reservation step."""
    sku = await add_product(uow, price=1_500, on_hand=5)
    customer, _ = await add_user(uow)
    order_id = new_id("ord")
    command = ReserveStock(
        order_id,
        customer,
        [LineRequest(sku, 1)],
        Address("Ada", "1 Main St", "London", "N1", "GB"),
        "USD",
        f"k-{order_id}",
        "f" * 64,
    )
    await ActivityEnvironment().run(StockActivities(uow).reserve_stock, command)
    return order_id
