"""Shipping: create the shipment and commit the stock; track it; cancel it on compensation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import (
    UnitOfWorkFactory,
    not_yet,
    order_not_found,
    provider_attempt,
    refusal,
)
from domain.allocation import Location, allocate
from domain.commands import (
    CancelShipment,
    CreateShipment,
    RecordCarrierEvent,
    ShipmentCreated,
    ShipmentTracking,
    TrackingEvent,
    TrackShipment,
)
from domain.errors import LocationClosed, ShipmentDelivered
from domain.order import Order, OrderStatus
from domain.shipments import Shipment, ShipmentState
from providers.carrier import CarrierClient


class ShippingActivities:
    def __init__(
        self, uow: UnitOfWorkFactory, carrier: CarrierClient, reads: UnitOfWorkFactory | None = None
    ) -> None:
        self._uow = uow
        self._carrier = carrier
        # What is read before a call to the carrier: outside a transaction where given.
        self._reads = reads or uow

    @activity.defn
    async def create_shipment(self, command: CreateShipment) -> ShipmentCreated:
        """Books one parcel with the carrier (for orders of before, the whole order as
        one), then in one transaction records it and turns its held stock into stock
        that has left; the order is shipped once every parcel is booked."""
        order, parcels, origin = await self._parcels_to_book(command)
        booked = next((p for p in parcels if p.tracking_number), None)
        if booked is not None:  # a retry after the commit landed
            assert booked.carrier_shipment_id and booked.carrier
            return ShipmentCreated(
                booked.carrier_shipment_id,
                booked.carrier,
                booked.tracking_number or "",
                command.number,
            )
        key = f"{order.id}:ship" if command.number is None else f"{order.id}:ship:{command.number}"
        items = [item for parcel in parcels for item in parcel.items]
        async with provider_attempt():
            shipment = await self._carrier.create_shipment(order, key, items, origin)
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(order.id)
            if loaded is None:
                raise order_not_found(order.id)
            locked, shipments = loaded
            wanted = {parcel.number for parcel in parcels}
            booking = [s for s in shipments if s.number in wanted]
            for parcel in booking:
                if parcel.book(shipment.shipment_id, shipment.carrier, shipment.tracking_number):
                    stock = await uow.stock.lock(parcel.quantities)
                    for place, quantity in parcel.quantities.items():
                        stock[place].commit(quantity)
                    await uow.stock.save(stock.values())
                    locked.shipment_booked(parcel, shipments)
            await uow.shipments.save(booking)
            await uow.orders.save(locked)
            await uow.commit()
            if locked.status is OrderStatus.SHIPPED and not booked:
                metrics.milestone_reached(locked, "shipped")
        return replace(shipment, number=command.number)

    async def _parcels_to_book(
        self, command: CreateShipment
    ) -> tuple[Order, list[Shipment], Location | None]:
        """The order, what this booking takes (every parcel, for orders of before), and
        where it is picked up. A parcel whose location was closed since the
        reservation moves, whole, to an active one that has its units."""
        async with self._reads() as uow:
            loaded = await uow.order_with_parcels(command.order_id, lock=False)
            if loaded is None:
                raise order_not_found(command.order_id)
            order, shipments = loaded
            if command.number is None:
                return order, shipments, None
            parcel = shipments[command.number - 1]
            origin = await uow.locations.get(parcel.location_id)
        if origin is not None and not origin.active and not parcel.tracking_number:
            origin = await self._reallocate(order, parcel.number)
        return order, [parcel], origin

    async def _reallocate(self, order: Order, number: int) -> Location:
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(order.id)
            assert loaded is not None
            locked, parcels = loaded
            parcel = parcels[number - 1]
            closed = parcel.location_id
            everywhere = await uow.stock.lock_everywhere(item.sku for item in parcel.items)
            moved = allocate(
                [(item.sku, item.quantity) for item in parcel.items],
                await uow.locations.all(),
                {place: item.available for place, item in everywhere.items()},
                country=order.shipping_address.country,
            )
            if moved.short or len(moved.locations) != 1:
                raise refusal(
                    LocationClosed(
                        f"location {closed} was closed before parcel {parcel.id} was booked, "
                        "and no active location has all of its units"
                    )
                )
            (to,) = moved.locations
            for place, quantity in parcel.quantities.items():
                everywhere[place].release(quantity)
                everywhere[(to, place[1])].reserve(quantity)
            await uow.stock.save(everywhere.values())
            await uow.locations.move_allocation(order.id, closed, to)
            parcel.move_to(to)
            locked.shipment_moved(parcel, closed, moved.reasons)
            await uow.shipments.save([parcel])
            await uow.orders.save(locked)
            await uow.commit()
            location = await uow.locations.get(to)
        assert location is not None
        return location

    @activity.defn
    async def track_shipment(self, command: TrackShipment) -> ShipmentTracking:
        """Asks the carrier what happened to the parcel: the fallback for webhooks that
        never arrived (the carrier gave up, or called before our record existed)."""
        async with provider_attempt():
            shipments = await self._carrier.shipments_for(command.order_id)
        events = [
            TrackingEvent(event["event"], _utc(event["occurred_at"]), shipment["tracking_number"])
            for shipment in shipments
            if shipment["status"] != "cancelled"
            for event in shipment.get("events", [])
        ]
        return ShipmentTracking(events)

    @activity.defn
    async def record_carrier_event(self, command: RecordCarrierEvent) -> None:
        """Applies carrier news, in order and in one transaction, to the parcel each
        piece names by its tracking number (the order's one parcel for orders of
        before); the order is delivered once every parcel is."""
        async with self._uow() as uow:
            loaded = await uow.order_with_parcels(command.order_id)
            if loaded is None:
                raise order_not_found(command.order_id)
            order, shipments = loaded
            was = order.status
            tracked: dict[int, Shipment] = {}  # by parcel number
            changed = False
            for news in command.news():
                if news.tracking_number is None:  # an order of before: its one parcel
                    if order.record_carrier_event(news.event, news.occurred_at):
                        changed = True
                        for parcel in shipments:
                            if parcel.state.is_booked:
                                parcel.track(news.event, news.occurred_at)
                                tracked[parcel.number] = parcel
                else:
                    parcels = order.track_parcel(
                        news.tracking_number, news.event, news.occurred_at, shipments
                    )
                    changed |= bool(parcels)
                    tracked.update((parcel.number, parcel) for parcel in parcels)
            if not changed:
                return
            await uow.shipments.save(tracked.values())
            await uow.orders.save(order)
            await uow.commit()
        if order.status.is_terminal and was is not order.status:
            metrics.order_completed(order)
        for news in command.news():
            if news.event == "exception":
                metrics.SHIPMENT_EXCEPTIONS.inc()
                activity.logger.warning("the carrier reports a problem with a shipment")

    @activity.defn
    async def cancel_shipment(self, command: CancelShipment) -> None:
        """Cancels every shipment booked for the order, found by our reference at the
        carrier and by the id we stored; one we stored that the carrier does not list
        (yet) is asked about again, never taken as called off.

        A parcel already delivered cannot be called back: that is refused without retry,
        so the saga keeps its units committed and its payment, instead of pretending
        it was undone.
        """
        async with self._reads() as unit:
            recorded = await unit.orders.get(command.order_id, lock=False)
        stored_id = recorded.shipment_id if recorded else None
        cancelled: list[str] = []
        delivered: list[str] = []
        async with provider_attempt():
            found = await self._carrier.shipments_for(command.order_id)
            if stored_id and stored_id not in {shipment["id"] for shipment in found}:
                raise not_yet(
                    f"shipment {stored_id} is recorded on the order but the carrier "
                    "does not list it"
                )
            for shipment in found:
                if shipment["status"] == "delivered":
                    delivered.append(shipment["id"])
                    continue
                if shipment["status"] != "cancelled":
                    try:
                        await self._carrier.cancel_shipment(shipment["id"])
                    except ShipmentDelivered:  # it arrived while we were asking
                        delivered.append(shipment["id"])
                        continue
                cancelled.append(shipment["id"])
        if cancelled and (stored_id is None or stored_id in cancelled):
            async with self._uow() as uow:
                loaded = await uow.order_with_parcels(command.order_id)
                if loaded is None:
                    return
                order, shipments = loaded
                for parcel in shipments:  # booked ones the carrier called off, and the rest
                    if parcel.state is not ShipmentState.DELIVERED and (
                        parcel.carrier_shipment_id in cancelled or not parcel.state.is_booked
                    ):
                        parcel.call_off()
                await uow.shipments.save(shipments)
                if order.cancel_shipment(cancelled[0]):
                    metrics.COMPENSATIONS.labels("cancel_shipment").inc()
                await uow.orders.save(order)
                await uow.commit()
        if delivered:
            raise refusal(
                ShipmentDelivered(
                    f"shipment {', '.join(delivered)} was delivered already; "
                    "it cannot be called back"
                )
            )


def _utc(occurred_at: str) -> str:
    """The time as the webhook route writes it, so both paths name an event alike."""
    return datetime.fromisoformat(occurred_at).astimezone(UTC).isoformat().replace("+00:00", "Z")
