"""Status changes that touch no provider: review, and the order's final word."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity

from activities import order_metrics as metrics
from activities.base import UnitOfWorkFactory, order_not_found
from domain.commands import CloseOrder, FlagOrder, RecordReview, RequestReview
from domain.order import Attention, FailureReason, Order


class OrderStatusActivities:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @activity.defn
    async def request_review(self, command: RequestReview) -> None:
        await self._change(command.order_id, lambda order: order.request_review())

    @activity.defn
    async def record_review(self, command: RecordReview) -> None:
        def decide(order: Order) -> bool:
            if command.approved:
                return order.approve(command.reviewer_id or "", command.note)
            return order.reject(command.reviewer_id, command.note, timed_out=command.timed_out)

        await self._change(command.order_id, decide)

    @activity.defn
    async def close_order(self, command: CloseOrder) -> None:
        """The terminal status, written once every compensation has run, with any undo
        step that gave up flagged on the order for an operator."""
        flagged: list[str] = []

        def close(order: Order) -> bool:
            flagged.extend(
                step
                for step in command.failed_compensations
                if order.flag_failed_compensation(step)
            )
            if command.cancelled:
                closed = order.cancel(command.cancel_reason, command.cancelled_by)
            else:
                assert command.failure_reason is not None, "a failed order names its reason"
                closed = order.fail(FailureReason(command.failure_reason))
            return closed or bool(flagged)

        order = await self._change(command.order_id, close)
        for step in flagged:
            metrics.COMPENSATION_FAILURES.labels(step).inc()
            activity.logger.error(
                "compensation %s of order %s gave up: the order needs an operator",
                step,
                command.order_id,
            )
        if order is not None and order.status.is_terminal:
            metrics.order_completed(order)

    @activity.defn
    async def flag_order(self, command: FlagOrder) -> None:
        """Puts the reason an order needs a person on its timeline (once per reason)."""
        attention = Attention(command.attention)

        def flag(order: Order) -> bool:
            order.flag(attention, command.detail)
            return True

        await self._change(command.order_id, flag)
        metrics.ORDERS_FLAGGED.labels(attention.value).inc()
        activity.logger.warning("order %s needs an operator: %s", command.order_id, command.detail)

    async def _change(self, order_id: str, change: Callable[[Order], bool]) -> Order | None:
        """Applies the change; returns the order if it changed, None if it already had."""
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
            if order is None:
                raise order_not_found(order_id)
            if not change(order):
                return None
            await uow.orders.save(order)
            await uow.commit()
        return order
