"""Refunds: hand a recorded refund to the payment provider under its own idempotency
key and record that it succeeded, or record that it was given up (for an operator)."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found, provider_attempt, refusal
from domain import events
from domain.commands import IssueRefund, RecordRefundFailure
from domain.errors import RefundNotFound
from domain.refunds import Refund
from providers.payment import PaymentClient


class RefundActivities:
    def __init__(self, uow: UnitOfWorkFactory, payments: PaymentClient) -> None:
        self._uow = uow
        self._payments = payments

    @activity.defn
    async def issue_refund(self, command: IssueRefund) -> str:
        """Refunds the amount at the provider (once, by the refund's key), then in one
        transaction marks it succeeded and adds it to the order's refunded total."""
        refund, authorization_id = await self._pending(command.refund_id)
        if refund.status.value == "succeeded":
            return refund.status.value
        async with provider_attempt():
            provider_id = await self._payments.refund(
                authorization_id, f"refund:{refund.id}", refund.amount
            )
        async with self._uow() as uow:
            order = await uow.orders.get(refund.order_id)
            locked = await uow.refunds.get(refund.id)
            assert order is not None and locked is not None
            if locked.succeed(provider_id):
                order.refund_succeeded(locked, await uow.refunds.captured(order.id))
                rma = await uow.returns.of_refund(locked.id)
                if rma is not None and rma.close():  # what came back is paid back
                    order.after_sale(events.RETURN_CLOSED, rma.id, return_id=rma.id)
                    await uow.returns.save(rma)
                claim = await uow.claims.of_refund(locked.id)
                if claim is not None and claim.refunded():
                    order.after_sale(events.CLAIM_REFUNDED, claim.id, claim_id=claim.id)
                    await uow.claims.save(claim)
                await uow.refunds.save(locked)
                await uow.orders.save(order)
                await uow.commit()
                metrics.REFUNDS.labels("succeeded").inc()
                metrics.REFUNDED.inc(locked.amount)
                if locked.created_at is not None:
                    waited = datetime.now(UTC) - locked.created_at
                    metrics.REFUND_SECONDS.labels(locked.reason.value).observe(
                        waited.total_seconds()
                    )
                if rma is not None:
                    metrics.RETURNS.labels("closed").inc()
        return "succeeded"

    @activity.defn
    async def record_refund_failure(self, command: RecordRefundFailure) -> None:
        """The provider would not or could not refund within the bound: the refund is
        `failed`, on the order's timeline, and counted for the RefundFailed alert."""
        async with self._uow() as uow:
            unlocked = await uow.refunds.get(command.refund_id, lock=False)
            if unlocked is None:
                raise refusal(RefundNotFound(command.refund_id))
            order = await uow.orders.get(unlocked.order_id)  # the order's lock first
            refund = await uow.refunds.get(command.refund_id)
            assert order is not None and refund is not None
            if refund.fail(command.why):
                order.refund_failed(refund)
                claim = await uow.claims.of_refund(refund.id)
                if claim is not None and claim.fail():
                    order.after_sale(events.CLAIM_FAILED, claim.id, claim_id=claim.id)
                    await uow.claims.save(claim)
                await uow.refunds.save(refund)
                await uow.orders.save(order)
                await uow.commit()
                metrics.REFUNDS.labels("failed").inc()
                activity.logger.warning("refund %s failed: %s", refund.id, command.why)

    async def _pending(self, refund_id: str) -> tuple[Refund, str]:
        async with self._uow() as uow:
            refund = await uow.refunds.get(refund_id, lock=False)
            if refund is None:
                raise refusal(RefundNotFound(refund_id))
            order = await uow.orders.get(refund.order_id, lock=False)
        if order is None or order.authorization_id is None:
            raise order_not_found(refund.order_id)
        return refund, order.authorization_id
