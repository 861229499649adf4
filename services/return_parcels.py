"""The carrier's news of a return's parcels: its label on the way back, and the new
items of an exchange, which ship as a parcel of an order whose own workflow has
ended. The webhook route hands them here (services/carrier_events.py)."""

from __future__ import annotations

from collections.abc import Callable

from temporalio.client import Client

from db.unit_of_work import UnitOfWork
from domain import events
from domain.errors import LabelPending
from domain.returns import ExchangeStatus, Return, ReturnStatus
from services.return_workflow import signal_return


class ReturnParcels:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], temporal: Client) -> None:
        self._unit = unit_of_work
        self._temporal = temporal

    async def carrier_update(
        self, tracking_number: str, event: str, reference: str | None = None
    ) -> Return | None:
        """The carrier's news of a return label: in transit (it can no longer expire),
        or arrived (the warehouse still inspects it). None: no return has the label.
        LabelPending when the label's return (the carrier's `reference`) has not yet
        recorded it: the carrier sends it again."""
        async with self._unit() as uow:
            found = await uow.returns.with_label(tracking_number)
            if found is None and reference and reference.startswith("ret_"):
                labelling = await uow.returns.get(reference, lock=False)
                if labelling is not None and not labelling.status.is_terminal:
                    raise LabelPending(f"the label of return {reference} is being recorded")
            if found is None:
                return None
            order = await uow.orders.get(found.order_id)
            rma = await uow.returns.get(found.id)
            assert order is not None and rma is not None
            if event not in ("in_transit", "delivered"):
                return rma
            # A parcel that arrived was on its way, whether or not that news came.
            if rma.in_transit():
                order.after_sale(events.RETURN_IN_TRANSIT, rma.id, return_id=rma.id)
            if event == "delivered":
                order.after_sale(events.RETURN_ARRIVED, rma.id, return_id=rma.id)
            await uow.returns.save(rma)
            await uow.orders.save(order)
            await uow.commit()
        await signal_return(self._temporal, rma)
        return rma

    async def parcel_update(self, order_id: str, tracking_number: str, event: str, at: str) -> None:
        """News of a parcel of an order whose own workflow has ended (an exchange's new
        items): applied to the parcel, so its units count as delivered."""
        async with self._unit() as uow:
            loaded = await uow.order_with_parcels(order_id)
            if loaded is None:
                return
            _, parcels = loaded
            tracked = [p for p in parcels if p.tracking_number == tracking_number]
            changed = [parcel.track(event, at) for parcel in tracked]
            if any(changed):
                await uow.shipments.save(tracked)
                await uow.commit()

    async def check_not_booking(self, order_id: str) -> None:
        """LabelPending while an exchange of the order is being booked: news of an unknown
        parcel of the order may be of it, and the carrier sends it again."""
        async with self._unit() as uow:
            returns = await uow.returns.of_order(order_id)
        if any(
            r.exchange is not None
            and r.exchange.status is ExchangeStatus.HELD
            and r.status is ReturnStatus.RECEIVED
            for r in returns
        ):
            raise LabelPending(f"an exchange of order {order_id} is being booked")
