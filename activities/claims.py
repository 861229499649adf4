"""Claims: ship a replacement as a parcel of the order, or put its units back."""

from __future__ import annotations

from temporalio import activity

from activities.base import UnitOfWorkFactory, order_not_found, provider_attempt, refusal
from db.unit_of_work import UnitOfWork
from domain import events
from domain.claims import Claim
from domain.commands import ReleaseReplacement, ShipReplacement
from domain.errors import NotFound
from domain.order import Order
from domain.shipments import Shipment
from providers.carrier import CarrierClient


class ClaimActivities:
    def __init__(self, uow: UnitOfWorkFactory, carrier: CarrierClient) -> None:
        self._uow = uow
        self._carrier = carrier

    @activity.defn
    async def ship_replacement(self, command: ShipReplacement) -> None:
        """Books the replacement parcel (once, by the claim's key), then in one
        transaction its units leave the shelf and the claim is shipped."""
        async with self._uow() as uow:
            order, claim, parcel = await _claimed(uow, command.claim_id, lock=False)
            origin = await uow.locations.get(parcel.location_id)
        if parcel.tracking_number:
            return  # a retry after the commit landed
        async with provider_attempt():
            booked = await self._carrier.create_shipment(
                order, f"claim:{claim.id}", parcel.items, origin
            )
        async with self._uow() as uow:
            order, claim, parcel = await _claimed(uow, command.claim_id, lock=True)
            if parcel.book(booked.shipment_id, booked.carrier, booked.tracking_number):
                stock = await uow.stock.lock(parcel.quantities)
                for place, quantity in parcel.quantities.items():
                    stock[place].commit(quantity)
                await uow.stock.save(stock.values())
            if claim.shipped():
                order.after_sale(
                    events.CLAIM_SHIPPED,
                    claim.id,
                    claim_id=claim.id,
                    shipment_id=parcel.id,
                    carrier=booked.carrier,
                    tracking_number=booked.tracking_number,
                )
                await uow.claims.save(claim)
            await uow.shipments.save([parcel])
            await uow.orders.save(order)
            await uow.commit()

    @activity.defn
    async def release_replacement(self, command: ReleaseReplacement) -> None:
        """No carrier took the replacement within its bound: its units are free again,
        the claim failed (on the timeline, for an operator)."""
        async with self._uow() as uow:
            order, claim, parcel = await _claimed(uow, command.claim_id, lock=True)
            if parcel.tracking_number:
                return  # it was booked after all
            if parcel.put_back() is not None:
                stock = await uow.stock.lock(parcel.quantities)
                for place, quantity in parcel.quantities.items():
                    stock[place].release(quantity)
                await uow.stock.save(stock.values())
            parcel.call_off()
            if claim.fail():
                order.after_sale(events.CLAIM_FAILED, claim.id, claim_id=claim.id, why=command.why)
                await uow.claims.save(claim)
            await uow.shipments.save([parcel])
            await uow.orders.save(order)
            await uow.commit()


async def _claimed(uow: UnitOfWork, claim_id: str, *, lock: bool) -> tuple[Order, Claim, Shipment]:
    """The order, the claim and its replacement parcel; with `lock`, in the order every
    writer takes them: the order's row first."""
    unlocked = await uow.claims.get(claim_id, lock=False)
    if unlocked is None:
        raise refusal(NotFound(f"no claim {claim_id}"))
    order = await uow.orders.get(unlocked.order_id, lock=lock)
    if order is None:
        raise order_not_found(unlocked.order_id)
    claim = await uow.claims.get(claim_id, lock=lock) if lock else unlocked
    assert claim is not None
    parcels = await uow.shipments.of(order.id, lock=lock)
    parcel = next(p for p in parcels if p.number == claim.shipment_number)
    return order, claim, parcel
