"""Stock: reserve every line in one transaction, or none; put it back on compensation."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory
from domain import events
from domain.catalog import not_for_sale
from domain.commands import ReleaseStock, ReserveStock, StockReservation
from domain.money import Money
from domain.order import FailureReason, Order, OrderLine, OrderStatus, quantities_by_sku


class StockActivities:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @activity.defn
    async def reserve_stock(self, command: ReserveStock) -> StockReservation:
        """Creates the order with its price snapshot and holds its stock, atomically.

        Rows are locked in sku order (SELECT ... FOR UPDATE), so concurrent orders
        for the same items queue up instead of overselling or deadlocking.
        """
        wanted = quantities_by_sku(command.lines)
        async with self._uow() as uow:
            existing = await uow.orders.get(command.order_id, lock=False)
            if existing is not None:  # a retry after the commit landed
                refused = await uow.orders.event_data(command.order_id, events.INVENTORY_REFUSED)
                return _reservation_of(existing, refused)

            products = await uow.products.get_many(wanted)
            unavailable = not_for_sale(wanted, products, command.currency)
            if unavailable:
                # Nothing is written: the request named things we do not sell.
                return StockReservation(reserved=False, unavailable_skus=unavailable)

            order = Order.place(
                command.order_id,
                command.customer_id,
                [
                    OrderLine(
                        line.sku,
                        line.quantity,
                        Money(products[line.sku].price_amount, command.currency),
                    )
                    for line in command.lines
                ],
                command.shipping_address,
                command.currency,
            )
            stock = await uow.stock.lock(wanted)
            short = sorted(
                sku
                for sku, quantity in wanted.items()
                if sku not in stock or not stock[sku].can_reserve(quantity)
            )
            if short:
                order.refuse(FailureReason.OUT_OF_STOCK, short)
            else:
                for sku, quantity in wanted.items():
                    stock[sku].reserve(quantity)
                await uow.stock.save(stock.values())
                order.reserve()
            await uow.orders.add(
                order, idempotency_key=command.idempotency_key, fingerprint=command.fingerprint
            )
            await uow.commit()
        if short:
            metrics.order_completed(order)
        else:
            metrics.ORDERS_PLACED.inc()
        return StockReservation(reserved=not short, total=order.total.amount, refused_skus=short)

    @activity.defn
    async def release_stock(self, command: ReleaseStock) -> None:
        """Frees held units, or restocks shipped ones; a second call finds nothing to do."""
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id)
            if order is None:
                return
            done = order.release_stock()
            if done is None:
                return
            wanted = order.quantities
            stock = await uow.stock.lock(wanted)
            for sku, quantity in wanted.items():
                if done == "released":
                    stock[sku].release(quantity)
                else:
                    stock[sku].restock(quantity)
            await uow.stock.save(stock.values())
            await uow.orders.save(order)
            await uow.commit()
        metrics.COMPENSATIONS.labels("release_stock").inc()


def _reservation_of(order: Order, refused: dict[str, Any] | None) -> StockReservation:
    skus = refused.get("skus", []) if refused else []
    return StockReservation(
        reserved=order.status is not OrderStatus.FAILED,
        total=order.total.amount,
        refused_skus=list(skus) if isinstance(skus, list) else [],
    )
