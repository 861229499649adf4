"""Returns: asking for one, deciding on it, receiving it, cancelling it. Each decision is
one transaction under the order's lock (so units and money are counted once across
every return of an order); the return's workflow (`return-<id>`) does what follows
durably: the label, the deadline, the refund."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from db.unit_of_work import UnitOfWork
from domain import events
from domain.catalog import not_for_sale
from domain.eligibility import (
    ReturnPolicy,
    Wanted,
    already_taken,
    delivered_units,
    needs_review,
    plan_items,
)
from domain.errors import (
    ExchangePaymentMissing,
    IdempotencyKeyReused,
    LabelPending,
    NotPermitted,
    OrderNotDelivered,
    OrderNotFound,
    ProductUnavailable,
    ReturnNotFound,
)
from domain.identity import new_id
from domain.order import Order, OrderStatus
from domain.refunds import RefundReason, open_refund, refundable
from domain.returns import (
    Disposition,
    Exchange,
    ExchangeLine,
    ExchangeStatus,
    Return,
    ReturnItem,
    ReturnStatus,
)
from domain.users import Caller
from infra.settings import Settings
from services.order_client import after_sale_attributes
from workflows.returns import ReturnInput, ReturnWorkflow


@dataclass(frozen=True)
class RequestReturn:
    order_id: str
    by: Caller
    items: Sequence[Wanted]
    idempotency_key: str
    fingerprint: str
    exchange_items: Sequence[tuple[str, int]] = ()
    # Pays an exchange's difference: kept only in the workflow's input, which the
    # payload codec encrypts, never in our tables.
    payment_token: str | None = None


@dataclass(frozen=True)
class ReturnRequested:
    rma: Return
    replayed: bool


@dataclass(frozen=True)
class ReturnQuery:
    status: ReturnStatus | None = None
    order_id: str | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 20


class Returns:
    def __init__(
        self, settings: Settings, unit_of_work: Callable[[], UnitOfWork], temporal: Client
    ) -> None:
        self._settings = settings
        self._unit = unit_of_work
        self._temporal = temporal

    async def request(self, command: RequestReturn) -> ReturnRequested:
        """Records the return if every unit may come back (NotReturnable, TooManyUnits
        otherwise) and starts its workflow. The same key and body again answer with
        the return as it stands."""
        key = f"{command.by.user_id}:{command.idempotency_key}"
        now = datetime.now(UTC)
        async with self._unit() as uow:
            order = await self._order(uow, command.by, command.order_id)
            earlier_returns = await uow.returns.of_order(order.id)
            earlier = next((r for r in earlier_returns if r.idempotency_key == key), None)
            if earlier is not None:
                if earlier.fingerprint != command.fingerprint:
                    raise IdempotencyKeyReused("this key was used for another return")
                await self._start(earlier, command.payment_token)
                return ReturnRequested(earlier, replayed=True)
            policy = await self._policy(uow, [line.sku for line in command.items])
            items = plan_items(
                command.items,
                delivered_units(await uow.shipments.of(order.id, lock=False)),
                # claimed units count with returned ones: none is compensated twice
                already_taken([*earlier_returns, *await uow.claims.of_order(order.id)]),
                {line.sku: line.unit_price.amount for line in order.lines},
                policy,
                now,
            )
            exchange = await self._exchange(uow, order, items, command)
            rma = Return(
                id=new_id("ret"),
                order_id=order.id,
                customer_id=order.customer_id,
                currency=order.currency,
                items=items,
                status=ReturnStatus.AWAITING_REVIEW
                if needs_review(items, policy)
                else ReturnStatus.REQUESTED,
                expires_at=now + policy.ship_by,
                requested_by=command.by.user_id,
                idempotency_key=key,
                fingerprint=command.fingerprint,
                exchange=exchange,
            )
            uow.returns.add(rma)
            order.after_sale(
                events.RETURN_REQUESTED,
                rma.id,
                return_id=rma.id,
                items=[{"sku": i.sku, "quantity": i.quantity, "reason": i.reason} for i in items],
                status=rma.status.value,
                by=command.by.user_id,
                exchange=None
                if exchange is None
                else {
                    "items": [{"sku": x.sku, "quantity": x.quantity} for x in exchange.items],
                    "difference": exchange.difference,
                },
            )
            await uow.orders.save(order)
            await uow.commit()
        await self._start(rma, command.payment_token)
        return ReturnRequested(await self.find(command.by, rma.id), replayed=False)

    async def find(self, viewer: Caller, return_id: str) -> Return:
        async with self._unit() as uow:
            rma = await uow.returns.get(return_id, lock=False)
        if rma is None or not _may_see(viewer, rma):
            raise ReturnNotFound(return_id)
        return rma

    async def page(self, viewer: Caller, query: ReturnQuery) -> list[Return]:
        """Newest first; a customer sees their own."""
        async with self._unit() as uow:
            return await uow.returns.page(
                status=query.status,
                order_id=query.order_id,
                customer_id=None if viewer.role.sees_all_orders else viewer.user_id,
                after=query.after,
                limit=query.limit,
            )

    async def of_order(self, viewer: Caller, order_id: str) -> list[Return]:
        async with self._unit() as uow:
            order = await uow.orders.get(order_id, lock=False)
            if order is None or not _may_see_order(viewer, order):
                raise OrderNotFound(order_id)
            return await uow.returns.of_order(order_id)

    async def review(self, by: Caller, return_id: str, approve: bool, note: str | None) -> Return:
        """An operator's decision on a return awaiting review (ReturnNotReviewable
        otherwise); an approved one gets its label next."""
        _ops_only(by, "review returns")
        async with self._unit() as uow:
            order, rma = await self._locked(uow, by, return_id)
            if approve:
                rma.approve()
            else:
                rma.reject()
            order.after_sale(
                events.RETURN_APPROVED if approve else events.RETURN_REJECTED,
                rma.id,
                return_id=rma.id,
                by=by.user_id,
                note=note,
            )
            await self._save(uow, order, rma)
        return await self._decided(by, rma)

    async def receive(self, by: Caller, return_id: str, found: Mapping[str, Disposition]) -> Return:
        """The warehouse's inspection, in one transaction: restocked units back on the
        shelf where they shipped from, damaged ones written off there (the return
        is the reason in the stock's history), and the refund of what came back
        recorded, capped by what was captured less what is refunded."""
        _ops_only(by, "receive returns")
        async with self._unit() as uow:
            order, rma = await self._locked(uow, by, return_id)
            moves = rma.receive(found)
            places = await uow.stock.lock({(m.location_id, m.sku): 0 for m in moves})
            for move in moves:
                item = places[(move.location_id, move.sku)]
                item.adjust(move.quantity)
                if move.written_off:
                    uow.stock.record_adjustment(
                        item, move.quantity, f"return {rma.id}: received damaged", by.user_id
                    )
                    item.adjust(-move.quantity)
                    uow.stock.record_adjustment(
                        item, -move.quantity, f"return {rma.id}: written off", by.user_id
                    )
                else:
                    uow.stock.record_adjustment(
                        item, move.quantity, f"return {rma.id}: restocked", by.user_id
                    )
            await uow.stock.save(places.values())
            await self._refund(uow, order, rma, by)
            order.after_sale(
                events.RETURN_RECEIVED,
                rma.id,
                return_id=rma.id,
                by=by.user_id,
                received={i.sku: asdict(i.received) for i in rma.items if i.received is not None},
                refund_amount=rma.refund_amount,
            )
            if rma.status is ReturnStatus.CLOSED:
                order.after_sale(events.RETURN_CLOSED, rma.id, return_id=rma.id)
            await self._save(uow, order, rma)
        return await self._decided(by, rma)

    async def cancel(self, by: Caller, return_id: str) -> Return:
        """The customer until the parcel is in transit, an operator until it is
        received (ReturnNotCancellable otherwise). Cancelling twice answers the same."""
        async with self._unit() as uow:
            order, rma = await self._locked(uow, by, return_id)
            if rma.cancel(by_operator=by.role.sees_all_orders):
                order.after_sale(events.RETURN_CANCELLED, rma.id, return_id=rma.id, by=by.user_id)
                await self._save(uow, order, rma)
        return await self._decided(by, rma)

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
            await self._save(uow, order, rma)
        await self._signal(rma)
        return rma

    async def parcel_update(self, order_id: str, tracking_number: str, event: str, at: str) -> None:
        """News of a parcel of an order whose own workflow has ended (an exchange's new
        items): applied to the parcel, so its units count as delivered."""
        async with self._unit() as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                return
            parcels = await uow.shipments.of(order_id)
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

    # -- internals --------------------------------------------------------------

    async def _order(self, uow: UnitOfWork, viewer: Caller, order_id: str) -> Order:
        order = await uow.orders.get(order_id)  # the order's lock: one return at a time
        if order is None or not _may_see_order(viewer, order):
            raise OrderNotFound(order_id)
        return order

    async def _locked(
        self, uow: UnitOfWork, viewer: Caller, return_id: str
    ) -> tuple[Order, Return]:
        """The order's lock, then the return's: the order every writer takes them in."""
        unlocked = await uow.returns.get(return_id, lock=False)
        if unlocked is None or not _may_see(viewer, unlocked):
            raise ReturnNotFound(return_id)
        order = await self._order(uow, viewer, unlocked.order_id)
        rma = await uow.returns.get(return_id)
        assert rma is not None
        return order, rma

    async def _exchange(
        self, uow: UnitOfWork, order: Order, items: Sequence[ReturnItem], command: RequestReturn
    ) -> Exchange | None:
        """The new items at today's prices and the difference; ProductUnavailable for
        one not for sale, ExchangePaymentMissing for a difference due without a token."""
        if not command.exchange_items:
            return None
        if order.status is not OrderStatus.DELIVERED:
            raise OrderNotDelivered(
                f"order {order.id} is {order.status}: an exchange ships once it is delivered"
            )
        wanted: dict[str, int] = {}
        for sku, quantity in command.exchange_items:
            wanted[sku] = wanted.get(sku, 0) + quantity
        products = await uow.products.get_many(wanted)
        unavailable = not_for_sale(wanted, products, order.currency)
        if unavailable:
            raise ProductUnavailable(unavailable)
        lines = [ExchangeLine(sku, n, products[sku].price_amount) for sku, n in wanted.items()]
        exchange = Exchange(
            lines, sum(x.unit_price * x.quantity for x in lines) - sum(i.value for i in items)
        )
        if exchange.difference > 0 and not command.payment_token:
            raise ExchangePaymentMissing(
                f"the new items cost {exchange.difference} more: a payment token pays it"
            )
        return exchange

    async def _policy(self, uow: UnitOfWork, skus: Sequence[str]) -> ReturnPolicy:
        settings = self._settings
        products = await uow.products.get_many(skus)
        threshold = settings.return_review_threshold
        return ReturnPolicy(
            window=timedelta(days=settings.return_window_days),
            ship_by=timedelta(days=settings.return_ship_by_days),
            review_threshold=settings.review_threshold if threshold is None else threshold,
            final_sale=frozenset(sku for sku, p in products.items() if not p.returnable),
            windows={
                sku: timedelta(days=p.return_window_days)
                for sku, p in products.items()
                if p.return_window_days is not None
            },
        )

    async def _refund(self, uow: UnitOfWork, order: Order, rma: Return, by: Caller) -> None:
        """Records the refund of what came back, capped by what can still be refunded;
        nothing to refund closes the return at once."""
        captured = await uow.refunds.captured(order.id)
        refunds = await uow.refunds.of_order(order.id)
        amount = min(rma.refund_due, refundable(captured, refunds))
        if amount <= 0:
            rma.refunding(None, 0)
            return
        refund = open_refund(
            new_id("ref"),
            order.id,
            order.currency,
            amount,
            captured,
            refunds,
            RefundReason.RETURN,
            by.user_id,
            f"return:{rma.id}",
            rma.id,
            note=f"return {rma.id}",
        )
        uow.refunds.add(refund)
        order.refund_requested(refund)
        rma.refunding(refund.id, amount)

    async def _save(self, uow: UnitOfWork, order: Order, rma: Return) -> None:
        await uow.returns.save(rma)
        await uow.orders.save(order)
        await uow.commit()

    async def _decided(self, viewer: Caller, rma: Return) -> Return:
        await self._signal(rma)
        return await self.find(viewer, rma.id)

    async def _start(self, rma: Return, payment_token: str | None = None) -> None:
        settings = self._settings
        queues = settings.provider_task_queues
        try:
            await self._start_workflow(rma, settings, queues, payment_token)
        except WorkflowAlreadyStartedError:
            pass  # it ran to its end already: the return's row has the outcome

    async def _start_workflow(
        self,
        rma: Return,
        settings: Settings,
        queues: Mapping[str, str],
        payment_token: str | None,
    ) -> None:
        await self._temporal.start_workflow(
            ReturnWorkflow.run,
            ReturnInput(
                rma.id,
                rma.order_id,
                rma.status.value,
                rma.expires_at.isoformat(),
                label_bound_seconds=settings.shipping_retry_bound.total_seconds(),
                refund_bound_seconds=settings.refund_retry_bound.total_seconds(),
                cancel_bound_seconds=settings.compensation_retry_bound.total_seconds(),
                carrier_queue=queues.get("carrier"),
                payment_queue=queues.get("payment"),
                exchange=None if rma.exchange is None else rma.exchange.difference,
                payment_token=payment_token,
                payment_bound_seconds=settings.payment_retry_bound.total_seconds(),
            ),
            id=f"return-{rma.id}",
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=after_sale_attributes(rma.order_id, rma.customer_id),
            static_summary=f"Return {rma.id} of order {rma.order_id}: "
            + ", ".join(f"{item.quantity} x {item.sku}" for item in rma.items),
        )

    async def _signal(self, rma: Return) -> None:
        """Tells the return's workflow of the decision; one that has ended needs none."""
        handle = self._temporal.get_workflow_handle(f"return-{rma.id}")
        try:
            await handle.signal(ReturnWorkflow.decided, rma.status.value)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise


def _may_see(viewer: Caller, rma: Return) -> bool:
    return viewer.role.sees_all_orders or rma.customer_id == viewer.user_id


def _may_see_order(viewer: Caller, order: Order) -> bool:
    return viewer.role.sees_all_orders or order.customer_id == viewer.user_id


def _ops_only(viewer: Caller, what: str) -> None:
    if not viewer.role.sees_all_orders:
        raise NotPermitted(f"only ops and admin {what}")
