"""Returns: asking for one, deciding on it, receiving it, cancelling it. Each decision is
one transaction under the order's lock (so units and money are counted once across
every return of an order); the return's workflow (`return-<id>`) does what follows
durably: the label, the deadline, the refund (started and told by
services/return_workflow.py). The policy, an exchange's price and the refund owed are
in services/return_terms.py; the carrier's news of a return's parcels is in
services/return_parcels.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from temporalio.client import Client

from db.unit_of_work import UnitOfWork
from domain import events
from domain.eligibility import (
    Wanted,
    already_taken,
    delivered_units,
    needs_review,
    plan_items,
)
from domain.errors import (
    IdempotencyKeyReused,
    NotPermitted,
    OrderNotFound,
    ReturnNotFound,
)
from domain.identity import new_id
from domain.order import Order
from domain.returns import (
    Disposition,
    Return,
    ReturnStatus,
)
from domain.users import Caller
from infra.settings import Settings
from services.return_terms import priced_exchange, refund_received, return_policy
from services.return_workflow import signal_return, start_return_workflow


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
            policy = await return_policy(uow, self._settings, [i.sku for i in command.items])
            items = plan_items(
                command.items,
                delivered_units(await uow.shipments.of(order.id, lock=False)),
                # claimed units count with returned ones: none is compensated twice
                already_taken([*earlier_returns, *await uow.claims.of_order(order.id)]),
                {line.sku: line.unit_price.amount for line in order.lines},
                policy,
                now,
            )
            exchange = await priced_exchange(
                uow, order, items, command.exchange_items, command.payment_token
            )
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
            await refund_received(uow, order, rma, by)
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

    async def _save(self, uow: UnitOfWork, order: Order, rma: Return) -> None:
        await uow.returns.save(rma)
        await uow.orders.save(order)
        await uow.commit()

    async def _decided(self, viewer: Caller, rma: Return) -> Return:
        await self._signal(rma)
        return await self.find(viewer, rma.id)

    async def _start(self, rma: Return, payment_token: str | None = None) -> None:
        await start_return_workflow(self._temporal, self._settings, rma, payment_token)

    async def _signal(self, rma: Return) -> None:
        await signal_return(self._temporal, rma)


def _may_see(viewer: Caller, rma: Return) -> bool:
    return viewer.role.sees_all_orders or rma.customer_id == viewer.user_id


def _may_see_order(viewer: Caller, order: Order) -> bool:
    return viewer.role.sees_all_orders or order.customer_id == viewer.user_id


def _ops_only(viewer: Caller, what: str) -> None:
    if not viewer.role.sees_all_orders:
        raise NotPermitted(f"only ops and admin {what}")
