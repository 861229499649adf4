"""Stock: reserve every line in one transaction, or none; put it back on compensation."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory
from domain import events
from domain.allocation import Strategy, allocate
from domain.catalog import not_for_sale
from domain.commands import PlannedShipment, ReleaseStock, ReserveStock, StockReservation
from domain.money import Money
from domain.order import FailureReason, Order, OrderLine, OrderStatus, quantities_by_sku
from domain.shipments import Shipment, plan


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

        A retry whose earlier attempt committed answers with what that attempt did: it
        finds the order's id taken when it adds the order (no read first: every new
        order would pay for it).
        """
        try:
            reservation = await self._reserve(command)
        except IntegrityError:
            made = await self._reservation_made(command.order_id)
            if made is None:
                raise
            return made
        if reservation.unavailable_skus:  # nothing written now, but maybe by an attempt before
            return await self._reservation_made(command.order_id) or reservation
        return reservation

    async def _reservation_made(self, order_id: str) -> StockReservation | None:
        """What an earlier attempt that committed reserved; None if none did."""
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(order_id, lock=False)
            if loaded is None:
                return None
            existing, planned = loaded
            refused = await uow.orders.event_data(order_id, events.INVENTORY_REFUSED)
        return reservation_of(existing, refused, planned)

    async def _reserve(self, command: ReserveStock) -> StockReservation:
        wanted = quantities_by_sku(command.lines)
        async with self._uow() as uow:
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
            parcels: list[Shipment] = []
            if short:
                order.refuse(FailureReason.OUT_OF_STOCK, short)
            else:
                for pick in allocation.picks:
                    stock[(pick.location_id, pick.sku)].reserve(pick.quantity)
                await uow.stock.save(stock.values())
                order.reserve(allocation.reasons)
                prices = {line.sku: line.unit_price.amount for line in order.lines}
                parcels = plan(order.id, allocation.picks, prices)
            await uow.orders.add(
                order, idempotency_key=command.idempotency_key, fingerprint=command.fingerprint
            )
            await uow.locations.allocate(order.id, allocation.picks)
            await uow.shipments.add(parcels)
            await uow.commit()
        if short:
            metrics.order_completed(order)
        else:
            metrics.ORDERS_PLACED.inc()
            metrics.SHIPMENTS_PER_ORDER.observe(len(parcels))
        return reservation_of(order, {"skus": short} if short else None, parcels)

    @activity.defn
    async def release_stock(self, command: ReleaseStock) -> None:
        """Frees held units and restocks those of parcels called off, where each parcel
        holds them; a second call finds nothing to do."""
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(command.order_id)
            if loaded is None:
                return
            order, shipments = loaded
            done = [(parcel, parcel.put_back()) for parcel in shipments]
            places = [place for parcel, did in done if did for place in parcel.quantities]
            if not places:
                return
            stock = await uow.stock.lock(places)
            for parcel, did in done:
                for place, quantity in parcel.quantities.items():
                    if did == "released":
                        stock[place].release(quantity)
                    elif did == "restocked":
                        stock[place].restock(quantity)
            await uow.stock.save(stock.values())
            await uow.shipments.save(shipments)
            order.stock_put_back(did for _, did in done if did)
            await uow.orders.save(order)
            await uow.commit()
        metrics.COMPENSATIONS.labels("release_stock").inc()


def reservation_of(
    order: Order, refused: dict[str, Any] | None, parcels: list[Shipment]
) -> StockReservation:
    """The answer of a reservation (or an edit): held or refused, the total, the plan."""
    skus = refused.get("skus", []) if refused else []
    return StockReservation(
        reserved=order.status is not OrderStatus.FAILED,
        total=order.total.amount,
        refused_skus=list(skus) if isinstance(skus, list) else [],
        shipments=[
            PlannedShipment(
                parcel.number,
                parcel.location_id,
                parcel.value,
                sum(item.quantity for item in parcel.items),
            )
            for parcel in parcels
        ],
    )
