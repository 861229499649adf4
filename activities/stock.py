"""Stock: reserve every line in one transaction, or none; put it back on compensation."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory
from domain import events
from domain.allocation import Strategy, allocate
from domain.catalog import not_for_sale
from domain.commands import ReleaseStock, ReserveStock, StockReservation
from domain.money import Money
from domain.order import FailureReason, Order, OrderLine, OrderStatus, quantities_by_sku


class StockActivities:
    def __init__(
        self, uow: UnitOfWorkFactory, strategy: Strategy = Strategy.FEWEST_SHIPMENTS
    ) -> None:
        self._uow = uow
        self._strategy = strategy  # how units are allocated across locations

    @activity.defn
    async def reserve_stock(self, command: ReserveStock) -> StockReservation:
        """Creates the order with its price snapshot, decides where each unit comes
        from and holds it there, atomically.

        The skus' rows at every location are locked in (location, sku) order (SELECT
        ... FOR UPDATE) before the allocation is decided, so concurrent orders for the
        same items queue up instead of overselling a location or deadlocking.
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
            stock = await uow.stock.lock_everywhere(wanted)
            allocation = allocate(
                [(line.sku, line.quantity) for line in command.lines],
                await uow.locations.all(),
                {place: item.available for place, item in stock.items()},
                country=command.shipping_address.country,
                strategy=self._strategy,
            )
            short = list(allocation.short)
            if short:
                order.refuse(FailureReason.OUT_OF_STOCK, short)
            else:
                for pick in allocation.picks:
                    stock[(pick.location_id, pick.sku)].reserve(pick.quantity)
                await uow.stock.save(stock.values())
                order.reserve(allocation.reasons)
            await uow.orders.add(
                order, idempotency_key=command.idempotency_key, fingerprint=command.fingerprint
            )
            uow.locations.allocate(order.id, allocation.picks)
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
            held = await uow.locations.held(order.id, order.quantities)
            stock = await uow.stock.lock(held)
            for place, quantity in held.items():
                if done == "released":
                    stock[place].release(quantity)
                else:
                    stock[place].restock(quantity)
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
