"""Returns: what the return's workflow does durably. The decisions (review, receipt,
cancel) are taken by services/returns.py in one transaction each; these steps approve
a return that needs no review, get its label from the carrier, expire it past its
deadline, and call an unused label off."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found, provider_attempt, refusal
from db.unit_of_work import UnitOfWork
from domain import events
from domain.commands import (
    RecordLabelFailure,
    ReturnState,
    ReturnStep,
)
from domain.errors import ReturnNotFound, ShipmentDelivered
from domain.order import Order
from domain.returns import Return, ReturnStatus
from domain.shipments import ShipmentItem
from providers.carrier import CarrierClient


class ReturnActivities:
    def __init__(self, uow: UnitOfWorkFactory, carrier: CarrierClient) -> None:
        self._uow = uow
        self._carrier = carrier

    @activity.defn
    async def approve_return(self, command: ReturnStep) -> ReturnState:
        """A return at or below the review threshold is approved without a person."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            if rma.status is ReturnStatus.REQUESTED and rma.approve():
                order.after_sale(events.RETURN_APPROVED, rma.id, return_id=rma.id, by=None)
                await save_return(uow, order, rma)
        return state_of(rma)

    @activity.defn
    async def issue_return_label(self, command: ReturnStep) -> ReturnState:
        """Asks the carrier for a label back to the location the first units shipped
        from (once, by the return's key), then records it on the return."""
        async with self._uow() as uow:
            rma = await uow.returns.get(command.return_id, lock=False)
            if rma is None:
                raise refusal(ReturnNotFound(command.return_id))
            if rma.label_tracking_number is not None or rma.status.is_terminal:
                return state_of(rma)
            to = await uow.locations.get(rma.items[0].sources[0].location_id)
        assert to is not None
        items = [ShipmentItem(item.sku, item.quantity) for item in rma.items]
        async with provider_attempt():
            label = await self._carrier.create_return_label(
                rma.id, f"return-label:{rma.id}", items, to
            )
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            if rma.labelled(label.carrier, label.tracking_number, label.shipment_id):
                order.after_sale(
                    events.RETURN_LABEL_ISSUED,
                    rma.id,
                    return_id=rma.id,
                    carrier=label.carrier,
                    tracking_number=label.tracking_number,
                )
                await save_return(uow, order, rma)
        return state_of(rma)

    @activity.defn
    async def record_label_failure(self, command: RecordLabelFailure) -> None:
        """No label within its bound: on the order's timeline for an operator; the
        return still expires at its deadline unless the warehouse receives it."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            order.after_sale(events.RETURN_LABEL_FAILED, rma.id, return_id=rma.id, why=command.why)
            await save_return(uow, order, rma)
        activity.logger.warning("no return label for %s: %s", rma.id, command.why)

    @activity.defn
    async def refresh_return(self, command: ReturnStep) -> ReturnState:
        """The return as it stands; past its ship-by deadline and not yet shipped, it
        expires now."""
        async with self._uow() as uow:
            order, rma = await locked_return(uow, command.return_id)
            if rma.expire(datetime.now(UTC)):
                order.after_sale(events.RETURN_EXPIRED, rma.id, return_id=rma.id)
                await save_return(uow, order, rma)
                metrics.RETURNS.labels("expired").inc()
        return state_of(rma)

    @activity.defn
    async def cancel_return_label(self, command: ReturnStep) -> None:
        """A cancelled or expired return's label is called off at the carrier."""
        async with self._uow() as uow:
            rma = await uow.returns.get(command.return_id, lock=False)
        if rma is None or rma.label_shipment_id is None:
            return
        try:
            async with provider_attempt():
                await self._carrier.cancel_shipment(rma.label_shipment_id)
        except ShipmentDelivered:
            activity.logger.info("the label of return %s was used after all", rma.id)


async def locked_return(
    uow: UnitOfWork, return_id: str, *, lock: bool = True
) -> tuple[Order, Return]:
    """The order's lock first, then the return's: the order every writer takes them in
    (or neither, with `lock=False`, for a read before a provider call)."""
    unlocked = await uow.returns.get(return_id, lock=False)
    if unlocked is None:
        raise refusal(ReturnNotFound(return_id))
    order = await uow.orders.get(unlocked.order_id, lock=lock)
    if order is None:
        raise order_not_found(unlocked.order_id)
    rma = await uow.returns.get(return_id) if lock else unlocked
    assert rma is not None
    return order, rma


async def save_return(uow: UnitOfWork, order: Order, rma: Return) -> None:
    await uow.returns.save(rma)
    await uow.orders.save(order)
    await uow.commit()


def state_of(rma: Return) -> ReturnState:
    return ReturnState(rma.status.value, rma.refund_id, rma.refund_amount, rma.currency)
