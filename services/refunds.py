"""Refunds: the one use case every refund goes through, whatever caused it. It checks
the amount against what was captured less what is refunded or being refunded in the
same transaction that records it, then starts the refund's workflow
(`refund-<id>`), which hands it to the provider under its own key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from db.unit_of_work import UnitOfWork
from domain.errors import (
    IdempotencyKeyReused,
    NotPermitted,
    OrderNotFound,
    RefundNotFound,
    WrongCurrency,
)
from domain.identity import new_id
from domain.refunds import Refund, RefundReason, RefundStatus, check_refundable, open_refund
from domain.users import Caller
from infra.settings import Settings
from services.after_sale_client import start_after_sale
from workflows.refund import RefundInput, RefundWorkflow


@dataclass(frozen=True)
class RequestRefund:
    order_id: str
    by: Caller
    amount: int
    currency: str
    reason: RefundReason
    idempotency_key: str
    fingerprint: str
    note: str | None = None


@dataclass(frozen=True)
class RefundRequested:
    refund: Refund
    replayed: bool


class Refunds:
    def __init__(
        self, settings: Settings, unit_of_work: Callable[[], UnitOfWork], temporal: Client
    ) -> None:
        self._settings = settings
        self._unit = unit_of_work
        self._temporal = temporal

    async def request(self, command: RequestRefund) -> RefundRequested:
        """Records the refund if what was captured less what is refunded covers it,
        and hands it to the provider. The same key and body again answer with the
        refund as it stands; the same key with another body is refused."""
        _ops_only(command.by)
        key = f"{command.by.user_id}:{command.idempotency_key}"
        async with self._unit() as uow:
            order = await uow.orders.get(command.order_id)  # one refund at a time
            if order is None:
                raise OrderNotFound(command.order_id)
            refunds = await uow.refunds.of_order(order.id)
            earlier = next((r for r in refunds if r.idempotency_key == key), None)
            if earlier is not None:
                if earlier.fingerprint != command.fingerprint:
                    raise IdempotencyKeyReused("this key was used for another refund")
                await self._start(earlier)
                return RefundRequested(earlier, replayed=True)
            if command.currency != order.currency:
                raise WrongCurrency(f"the order is paid in {order.currency}")
            refund = open_refund(
                new_id("ref"),
                order.id,
                order.currency,
                command.amount,
                await uow.refunds.captured(order.id),
                refunds,
                command.reason,
                command.by.user_id,
                key,
                command.fingerprint,
                command.note,
            )
            uow.refunds.add(refund)
            order.refund_requested(refund)
            await uow.orders.save(order)
            await uow.commit()
        await self._start(refund)
        return RefundRequested(await self._settled(refund), replayed=False)

    async def of_order(self, viewer: Caller, order_id: str) -> list[Refund]:
        async with self._unit() as uow:
            order = await uow.orders.get(order_id, lock=False)
            if order is None or not (
                viewer.role.sees_all_orders or order.customer_id == viewer.user_id
            ):
                raise OrderNotFound(order_id)
            return await uow.refunds.of_order(order_id)

    async def page(
        self, viewer: Caller, status: RefundStatus | None, order_id: str | None, limit: int
    ) -> list[Refund]:
        _ops_only(viewer)
        async with self._unit() as uow:
            return await uow.refunds.page(status=status, order_id=order_id, limit=limit)

    async def retry(self, viewer: Caller, refund_id: str) -> Refund:
        """Asks the provider again for a refund that failed (an operator's call). It
        counts again from now on, so it is checked again, under the order's lock, against
        what can still be refunded (other refunds may have used the room it left)."""
        _ops_only(viewer)
        async with self._unit() as uow:
            unlocked = await uow.refunds.get(refund_id, lock=False)
            if unlocked is None:
                raise RefundNotFound(refund_id)
            order = await uow.orders.get(unlocked.order_id)  # the order's lock first
            refund = await uow.refunds.get(refund_id)
            assert order is not None and refund is not None
            if refund.status is not RefundStatus.FAILED:
                return refund  # pending or paid: nothing to ask again
            others = [r for r in await uow.refunds.of_order(order.id) if r.id != refund.id]
            check_refundable(refund.amount, await uow.refunds.captured(order.id), others)
            refund.retry()
            await uow.refunds.save(refund)
            await uow.commit()
        await self._start(refund, attempt=new_id("try"))
        return await self._settled(refund)

    async def _start(self, refund: Refund, attempt: str | None = None) -> None:
        """The refund's workflow, once per refund (and once per operator's retry)."""
        await start_after_sale(
            self._temporal,
            self._settings,
            RefundWorkflow.run,
            RefundInput(
                refund.id,
                refund.order_id,
                refund.amount,
                refund.currency,
                self._settings.refund_retry_bound.total_seconds(),
                self._settings.provider_task_queues.get("payment"),
            ),
            workflow_id=f"refund-{refund.id}" + (f"-{attempt}" if attempt else ""),
            order_id=refund.order_id,
            customer_id=None,
            summary=f"Refund {refund.id} of order {refund.order_id}: "
            f"{refund.amount / 100:,.2f} {refund.currency} ({refund.reason.value})",
        )

    async def _settled(self, refund: Refund) -> Refund:
        """The refund as it stands after a short wait for the provider's answer."""
        handle = self._temporal.get_workflow_handle(f"refund-{refund.id}")
        try:
            await asyncio.wait_for(handle.result(), self._settings.update_wait.total_seconds())
        except (TimeoutError, WorkflowFailureError, RPCError):  # `pending` says it goes on
            pass
        async with self._unit() as uow:
            return await uow.refunds.get(refund.id, lock=False) or refund


def _ops_only(viewer: Caller) -> None:
    if not viewer.role.sees_all_orders:
        raise NotPermitted("only ops and admin refund")
