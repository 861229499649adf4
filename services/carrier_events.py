"""A carrier's tracking update, handed to the order shipped under its tracking number
(or to the return whose label it is). The webhook route checks the signature; this
finds the order and records the news where it lands, or wakes the order's workflow
for news its saga acts on.

Only `delivered` (which ends the saga) and `exception` (which flags the order for a
person) change what the saga does. `in_transit` of a parcel already recorded changes
the order's read model alone, so it is written here, in one transaction, without a
signal, a workflow task and a step for the workflow to run; the saga still hears of
it if it asks the carrier later, and recording it again changes nothing. News that
overtakes the booking's commit has no parcel to land on yet: it goes to the workflow,
which keeps it until the booking is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client

from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from domain.errors import ShipmentNotFound
from domain.order import CarrierEvent, OrderStatus
from services import order_client
from services.claims import Claims
from services.return_parcels import ReturnParcels
from workflows.contracts import CarrierUpdate

# What the saga acts on; any other news of a recorded parcel is written where it lands.
SAGA_NEWS = frozenset({CarrierEvent.DELIVERED, CarrierEvent.EXCEPTION})


@dataclass(frozen=True)
class CarrierReport:
    tracking_number: str
    event: CarrierEvent
    occurred_at: datetime
    reference: str | None = None  # what we gave the carrier when booking: the order id


class CarrierEvents:
    def __init__(
        self,
        reads: OrderReads,
        unit_of_work: Callable[[], UnitOfWork],
        temporal: Client,
        returns: ReturnParcels,
        claims: Claims,
    ) -> None:
        self._reads = reads
        self._unit_of_work = unit_of_work
        self._temporal = temporal
        self._returns = returns
        self._claims = claims

    async def accept(self, report: CarrierReport) -> str:
        """Records the news, or signals the order's workflow (which applies the same
        event once); returns the order's id. Raises ShipmentNotFound for a tracking
        number no order has."""
        occurred_at = report.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        order, by_reference = await self._reads.standings_for_news(
            report.tracking_number, report.reference
        )
        if (
            order is not None
            and order.status == OrderStatus.SHIPPED
            and report.event not in SAGA_NEWS
            and await self._record_here(order.id, report, occurred_at)
        ):
            return order.id
        if order is not None and order.status == "delivered":
            # Its own workflow has ended: a later parcel of it is tracked here, a claim's
            # replacement by its claim, an exchange's by itself; news of one of its own
            # parcels changes nothing.
            claim = await self._claims.carrier_update(
                report.tracking_number, report.event.value, occurred_at
            )
            if claim is None:
                await self._returns.parcel_update(
                    order.id, report.tracking_number, report.event.value, occurred_at
                )
            return order.id
        # Parcels are booked under the order's id, labels under the return's.
        of_an_order = bool(report.reference and report.reference.startswith("ord_"))
        if order is None and not of_an_order:
            # A return's label: its return takes the news (its order's history not).
            rma = await self._returns.carrier_update(
                report.tracking_number, report.event.value, report.reference
            )
            if rma is not None:
                return rma.order_id
        if order is None and report.reference:
            # The carrier can report before the booking's commit has recorded the
            # tracking number; the reference finds the order then, and its workflow
            # keeps the event until the booking is done.
            if by_reference is not None and by_reference.status == "delivered":
                # Only a delivered order ships replacements and exchanges: news of
                # one being booked waits until its booking is recorded.
                await self._claims.check_not_booking(by_reference.id)
                await self._returns.check_not_booking(by_reference.id)
            elif by_reference is not None and by_reference.status not in ("cancelled", "failed"):
                order = by_reference
        if order is None:
            raise ShipmentNotFound(report.tracking_number)
        await order_client.signal_carrier_event(
            self._temporal,
            order.id,
            CarrierUpdate(report.event.value, occurred_at, report.tracking_number),
        )
        return order.id

    async def _record_here(self, order_id: str, report: CarrierReport, occurred_at: str) -> bool:
        """Applies news of a parcel on its way to the read model; False leaves it to
        the workflow: the order moved on meanwhile, or its parcels share one tracking
        number (an order of before split shipments, whose workflow records the news
        against the order as a whole)."""
        async with self._unit_of_work() as uow:
            loaded = await uow.order_with_parcels(order_id)
            if loaded is None or loaded[0].status is not OrderStatus.SHIPPED:
                return False
            order, shipments = loaded
            named = [s for s in shipments if s.tracking_number == report.tracking_number]
            if len(named) != 1:
                return False
            tracked = order.track_parcel(
                report.tracking_number, report.event.value, occurred_at, shipments
            )
            if tracked:
                await uow.shipments.save(tracked)
                await uow.orders.save(order)
                await uow.commit()
        return True
