"""Shipping: create the shipment and commit the stock; track it; cancel it on compensation."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import (
    UnitOfWorkFactory,
    not_yet,
    order_not_found,
    provider_attempt,
    read_order,
    refusal,
)
from domain.commands import (
    CancelShipment,
    CreateShipment,
    RecordCarrierEvent,
    ShipmentCreated,
    ShipmentTracking,
    TrackingEvent,
    TrackShipment,
)
from domain.errors import ShipmentDelivered
from providers.carrier import CarrierClient


class ShippingActivities:
    def __init__(self, uow: UnitOfWorkFactory, carrier: CarrierClient) -> None:
        self._uow = uow
        self._carrier = carrier

    @activity.defn
    async def create_shipment(self, command: CreateShipment) -> ShipmentCreated:
        """Books the parcel with the carrier, then in one transaction marks the order
        shipped and turns its held stock into stock that has left."""
        order = await read_order(self._uow, command.order_id)
        async with provider_attempt():
            shipment = await self._carrier.create_shipment(order, f"{order.id}:ship")
        async with self._uow() as uow:
            locked = await uow.orders.get(order.id)
            if locked is None:
                raise order_not_found(order.id)
            if locked.ship(shipment.shipment_id, shipment.carrier, shipment.tracking_number):
                held = await uow.locations.held(locked.id, locked.quantities)
                stock = await uow.stock.lock(held)
                for place, quantity in held.items():
                    stock[place].commit(quantity)
                await uow.stock.save(stock.values())
                await uow.orders.save(locked)
                await uow.commit()
                metrics.milestone_reached(locked, "shipped")
        return shipment

    @activity.defn
    async def track_shipment(self, command: TrackShipment) -> ShipmentTracking:
        """Asks the carrier what happened to the parcel: the fallback for webhooks that
        never arrived (the carrier gave up, or called before our record existed)."""
        async with provider_attempt():
            shipments = await self._carrier.shipments_for(command.order_id)
        events = [
            TrackingEvent(event["event"], _utc(event["occurred_at"]))
            for shipment in shipments
            if shipment["status"] != "cancelled"
            for event in shipment.get("events", [])
        ]
        return ShipmentTracking(events)

    @activity.defn
    async def record_carrier_event(self, command: RecordCarrierEvent) -> None:
        async with self._uow() as uow:
            order = await uow.orders.get(command.order_id)
            if order is None:
                raise order_not_found(command.order_id)
            if order.record_carrier_event(command.event, command.occurred_at):
                await uow.orders.save(order)
                await uow.commit()
                if order.status.is_terminal:
                    metrics.order_completed(order)
                elif command.event == "exception":
                    metrics.SHIPMENT_EXCEPTIONS.inc()
                    activity.logger.warning("the carrier reports a problem with the shipment")

    @activity.defn
    async def cancel_shipment(self, command: CancelShipment) -> None:
        """Cancels every shipment booked for the order, found by our reference at the
        carrier and by the id we stored; one we stored that the carrier does not list
        (yet) is asked about again, never taken as called off.

        A parcel already delivered cannot be called back: that is refused without retry,
        so the saga keeps its units committed and its payment, instead of pretending
        it was undone.
        """
        async with self._uow() as unit:
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
                order = await uow.orders.get(command.order_id)
                if order is not None and order.cancel_shipment(cancelled[0]):
                    await uow.orders.save(order)
                    await uow.commit()
                    metrics.COMPENSATIONS.labels("cancel_shipment").inc()
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
