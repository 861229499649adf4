"""The catalog: products and their prices. Anyone reads it; admins change it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from db.unit_of_work import UnitOfWork
from domain.catalog import Product
from domain.errors import ProductNotFound, SkuTaken, WrongCurrency
from domain.inventory import StockItem


@dataclass(frozen=True)
class Price:
    amount: int  # in the currency's minor unit
    currency: str


@dataclass(frozen=True)
class NewProduct:
    sku: str
    name: str
    price: Price
    description: str | None = None
    active: bool = True
    returnable: bool = True
    return_window_days: int | None = None


@dataclass(frozen=True)
class ChangeProduct:
    """Only what is given changes. A new price applies to orders placed from now on."""

    sku: str
    name: str | None = None
    price: Price | None = None
    active: bool | None = None
    description: str | None = None
    description_given: bool = False  # so that a description can be cleared
    returnable: bool | None = None
    return_window_days: int | None = None
    return_window_given: bool = False  # so that the shop's window can apply again


class Catalog:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], currency: str) -> None:
        self._unit_of_work = unit_of_work
        self._currency = currency

    async def create(self, command: NewProduct) -> Product:
        """Adds a product with a stock record of zero units. Raises SkuTaken."""
        self._check_currency(command.price)
        try:
            async with self._unit_of_work() as uow:
                await uow.products.create(
                    sku=command.sku,
                    name=command.name,
                    description=command.description,
                    price_amount=command.price.amount,
                    currency=command.price.currency,
                    active=command.active,
                    returnable=command.returnable,
                    return_window_days=command.return_window_days,
                )
                uow.stock.add(StockItem(command.sku, on_hand=0))
                await uow.commit()
        except IntegrityError:
            raise SkuTaken(command.sku) from None
        return await self.product(command.sku)

    async def products(
        self, *, active: bool | None, after_sku: str | None, limit: int
    ) -> list[Product]:
        """In sku order."""
        async with self._unit_of_work() as uow:
            return await uow.products.page(active=active, after_sku=after_sku, limit=limit)

    async def product(self, sku: str) -> Product:
        async with self._unit_of_work() as uow:
            product = await uow.products.get(sku)
        if product is None:
            raise ProductNotFound(sku)
        return product

    async def change(self, command: ChangeProduct) -> Product:
        changes: dict[str, Any] = {}
        if command.name is not None:
            changes["name"] = command.name
        if command.description_given:
            changes["description"] = command.description
        if command.price is not None:
            self._check_currency(command.price)
            changes["price_amount"] = command.price.amount
        if command.active is not None:
            changes["active"] = command.active
        if command.returnable is not None:
            changes["returnable"] = command.returnable
        if command.return_window_given:
            changes["return_window_days"] = command.return_window_days
        async with self._unit_of_work() as uow:
            if not await uow.products.change(command.sku, changes):
                raise ProductNotFound(command.sku)
            await uow.commit()
        return await self.product(command.sku)

    def _check_currency(self, price: Price) -> None:
        if price.currency != self._currency:
            raise WrongCurrency(self._currency)
