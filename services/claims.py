"""Claims: an operator compensates delivered units that arrived damaged, short or wrong,
without a return. Opening one is one transaction under the order's lock, counted with
every return and claim of the order; its workflow (`claim-<id>`) then pays the refund
or ships the replacement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from db.holds import hold_new_parcel
from db.unit_of_work import UnitOfWork
from domain import events
from domain.claims import Claim, ClaimStatus, ClaimType
from domain.eligibility import ReturnPolicy, Wanted, already_taken, delivered_units, plan_items
from domain.errors import (
    IdempotencyKeyReused,
    LabelPending,
    NotPermitted,
    OrderNotDelivered,
    OrderNotFound,
    OutOfStock,
)
from domain.identity import new_id
from domain.order import Order, OrderStatus
from domain.refunds import RefundReason, open_refund
from domain.shipments import ShipmentState
from domain.users import Caller
from infra.settings import Settings
from services.after_sale_client import start_after_sale
from workflows.claims import ClaimInput, ClaimWorkflow

# A claim is about what arrived: no return window, no final sale.
ANY_DELIVERED = ReturnPolicy(
    window=timedelta(days=36_500), ship_by=timedelta(0), review_threshold=0
)


@dataclass(frozen=True)
class OpenClaim:
    order_id: str
    by: Caller
    type: ClaimType
    items: Sequence[Wanted]
    idempotency_key: str
    fingerprint: str


@dataclass(frozen=True)
class ClaimOpened:
    claim: Claim
    replayed: bool


class Claims:
    def __init__(
        self, settings: Settings, unit_of_work: Callable[[], UnitOfWork], temporal: Client
    ) -> None:
        self._settings = settings
        self._unit = unit_of_work
        self._temporal = temporal

    async def open(self, command: OpenClaim) -> ClaimOpened:
        """Records the claim if every unit was delivered and is not yet returned or
        claimed; a refund is recorded in the same transaction (checked against what
        was captured), a replacement's units are held at one location that has them
        all (OutOfStock otherwise). The same key and body again answer the same."""
        if not command.by.role.sees_all_orders:
            raise NotPermitted("only ops and admin open claims")
        key = f"{command.by.user_id}:{command.idempotency_key}"
        async with self._unit() as uow:
            order = await uow.orders.get(command.order_id)  # one claim or return at a time
            if order is None:
                raise OrderNotFound(command.order_id)
            claims = await uow.claims.of_order(order.id)
            earlier = next((c for c in claims if c.idempotency_key == key), None)
            if earlier is not None:
                if earlier.fingerprint != command.fingerprint:
                    raise IdempotencyKeyReused("this key was used for another claim")
                await self._start(earlier)
                return ClaimOpened(earlier, replayed=True)
            shipments = await uow.shipments.of(order.id)
            items = plan_items(
                command.items,
                delivered_units(shipments),
                already_taken([*await uow.returns.of_order(order.id), *claims]),
                {line.sku: line.unit_price.amount for line in order.lines},
                ANY_DELIVERED,
                datetime.now(UTC),
            )
            claim = Claim(
                id=new_id("clm"),
                order_id=order.id,
                customer_id=order.customer_id,
                currency=order.currency,
                type=command.type,
                items=items,
                requested_by=command.by.user_id,
                idempotency_key=key,
                fingerprint=command.fingerprint,
            )
            if claim.type is ClaimType.REPLACE and order.status is not OrderStatus.DELIVERED:
                raise OrderNotDelivered(
                    f"order {order.id} is {order.status}: a replacement ships once it is delivered"
                )
            if claim.type is ClaimType.REFUND and claim.value == 0:
                claim.refunded()  # units that cost nothing: nothing to pay back
            elif claim.type is ClaimType.REFUND:
                await self._record_refund(uow, order, claim)
            else:
                await self._hold_replacement(uow, order, claim)
            uow.claims.add(claim)
            order.after_sale(
                events.CLAIM_OPENED,
                claim.id,
                claim_id=claim.id,
                type=claim.type.value,
                items=[{"sku": i.sku, "quantity": i.quantity, "reason": i.reason} for i in items],
                by=command.by.user_id,
            )
            await uow.orders.save(order)
            await uow.commit()
        await self._start(claim)
        async with self._unit() as uow:
            stored = await uow.claims.get(claim.id, lock=False)
        assert stored is not None
        return ClaimOpened(stored, replayed=False)

    async def of_order(self, viewer: Caller, order_id: str) -> list[Claim]:
        async with self._unit() as uow:
            order = await uow.orders.get(order_id, lock=False)
            if order is None or not (
                viewer.role.sees_all_orders or order.customer_id == viewer.user_id
            ):
                raise OrderNotFound(order_id)
            return await uow.claims.of_order(order_id)

    async def check_not_booking(self, order_id: str) -> None:
        """LabelPending while a replacement of the order is being booked: news of an
        unknown parcel of the order may be of it, and the carrier sends it again."""
        async with self._unit() as uow:
            claims = await uow.claims.of_order(order_id)
        if any(c.type is ClaimType.REPLACE and c.status is ClaimStatus.OPEN for c in claims):
            raise LabelPending(f"a replacement of order {order_id} is being booked")

    async def carrier_update(self, tracking_number: str, event: str, at: str) -> Claim | None:
        """The carrier's news of a replacement parcel; delivered closes its claim. None:
        no claim shipped under this tracking number."""
        async with self._unit() as uow:
            found = await uow.claims.shipped_as(tracking_number)
            if found is None:
                return None
            order = await uow.orders.get(found.order_id)
            claim = await uow.claims.get(found.id)
            assert order is not None and claim is not None
            parcels = await uow.shipments.of(order.id)
            parcel = next(p for p in parcels if p.number == claim.shipment_number)
            if not parcel.track(event, at):
                return claim
            if parcel.state is ShipmentState.DELIVERED and claim.delivered():
                order.after_sale(events.CLAIM_CLOSED, claim.id, claim_id=claim.id)
                await uow.claims.save(claim)
            await uow.shipments.save([parcel])
            await uow.orders.save(order)
            await uow.commit()
        return claim

    async def _record_refund(self, uow: UnitOfWork, order: Order, claim: Claim) -> None:
        refund = open_refund(
            new_id("ref"),
            order.id,
            order.currency,
            claim.value,
            await uow.refunds.captured(order.id),
            await uow.refunds.of_order(order.id),
            RefundReason.CLAIM,
            claim.requested_by,
            f"claim:{claim.id}",
            claim.id,
            note=f"claim {claim.id}",
        )
        uow.refunds.add(refund)
        await uow.refunds.save(refund)  # written before the claim that names it
        order.refund_requested(refund)
        claim.refund_id = refund.id

    async def _hold_replacement(self, uow: UnitOfWork, order: Order, claim: Claim) -> None:
        """The replacement's units held as a new parcel of the order worth nothing."""
        wanted = {item.sku: item.quantity for item in claim.items}
        parcel = await hold_new_parcel(uow, order.id, wanted, value=0)
        if parcel is None:
            raise OutOfStock(sorted(wanted), order.id)
        claim.shipment_number = parcel.number

    async def _start(self, claim: Claim) -> None:
        settings = self._settings
        queues = settings.provider_task_queues
        await start_after_sale(
            self._temporal,
            settings,
            ClaimWorkflow.run,
            ClaimInput(
                claim.id,
                claim.order_id,
                claim.type.value,
                claim.refund_id,
                claim.value,
                claim.currency,
                ship_bound_seconds=settings.shipping_retry_bound.total_seconds(),
                refund_bound_seconds=settings.refund_retry_bound.total_seconds(),
                carrier_queue=queues.get("carrier"),
                payment_queue=queues.get("payment"),
            ),
            workflow_id=f"claim-{claim.id}",
            order_id=claim.order_id,
            customer_id=claim.customer_id,
            summary=f"Claim {claim.id} ({claim.type}) of order {claim.order_id}: "
            + ", ".join(f"{item.quantity} x {item.sku}" for item in claim.items),
        )
