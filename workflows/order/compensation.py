"""Undoing: the compensation stack, each undo step, and the order's last word.

Undo steps run newest first, outside the forward task, so a cancel cannot interrupt
them; each is idempotent. One that keeps failing past its bound does not stop the
others: it is flagged on the order for an operator.
"""

from __future__ import annotations

from temporalio import workflow

from domain.commands import CancelShipment, CloseOrder, ReleaseStock, VoidPayment
from domain.errors import ShipmentDelivered
from domain.order import Attention, FailureReason, OrderStatus
from workflows import search_attributes
from workflows.order.outcomes import StepFailed
from workflows.order.saga import OrderSaga

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.order_status import OrderStatusActivities
    from activities.payment import PaymentActivities
    from activities.shipping import ShippingActivities
    from activities.stock import StockActivities


class Compensation(OrderSaga):
    async def _compensate(self) -> None:
        """Runs every registered undo, newest first; one that keeps failing past its
        bound does not stop the others, and is flagged on the order for an operator."""
        async with self._edit_lock:  # an edit in flight first settles what it holds
            await self._undo_each()
        if self._failed_compensations and self._patched("flag-failed-compensations"):
            workflow.upsert_search_attributes(
                [search_attributes.FAILED_COMPENSATIONS.value_set(self._failed_compensations)]
            )
            workflow.set_current_details(
                "NEEDS AN OPERATOR: "
                + ", ".join(self._failed_compensations)
                + " gave up; see the 'failed compensation' runbook in docs/operations.md"
            )

    async def _undo_each(self) -> None:
        for undo in reversed(self._compensations):
            self._waiting_for(f"undoing what was done: {undo.__name__.removeprefix('_')}")
            try:
                await undo()
            except StepFailed:
                step = undo.__name__.removeprefix("_")
                workflow.logger.exception(
                    "compensation %s of order %s failed", step, self._order.order_id
                )
                self._failed_compensations.append(step)

    async def _release_stock(self) -> None:
        await self._step(
            StockActivities.release_stock,
            ReleaseStock(self._order.order_id),
            f"release or restock {self._items()} of {self._whose()}",
        )

    async def _void_payment(self) -> None:
        await self._step(
            PaymentActivities.void_payment,
            VoidPayment(self._order.order_id),
            f"void or refund {self._amount()} of {self._whose()}",
        )

    async def _cancel_shipment(self) -> None:
        await self._step(
            ShippingActivities.cancel_shipment,
            CancelShipment(self._order.order_id),
            f"call off {self._parcel()}",
        )

    async def _called_off(self) -> bool:
        """Asks the carrier to call the parcel off: True once it has, False when the
        parcel reached the customer (or the carrier could not be reached past the undo
        bound), so the goods are not back on the shelf."""
        try:
            await self._cancel_shipment()
        except StepFailed as error:
            if not error.refused_with(ShipmentDelivered):
                workflow.logger.exception("could not call off %s", self._parcel())
            return False
        return True

    async def _close(self, failure_reason: FailureReason | None = None) -> None:
        """The order's terminal status in the read model, then in the saga. A close our
        own books refuse still ends the saga, with the order flagged for a person."""
        cancelled = failure_reason is None
        try:
            await self._step(
                OrderStatusActivities.close_order,
                CloseOrder(
                    self._order.order_id,
                    cancelled=cancelled,
                    failure_reason=failure_reason.value if failure_reason else None,
                    cancel_reason=self._cancel.reason if self._cancel else None,
                    cancelled_by=self._cancel.requested_by if self._cancel else None,
                    failed_compensations=self._failed_compensations,
                ),
                f"close {self._whose()} as "
                + (f"failed ({failure_reason.value})" if failure_reason else "cancelled"),
            )
        except StepFailed as error:
            await self._flag(
                Attention.STEP_REFUSED,
                f"the read model refused to close the order as "
                f"{'cancelled' if cancelled else 'failed'}: {error.cause}",
            )
        self._set_status(OrderStatus.CANCELLED if cancelled else OrderStatus.FAILED)
        workflow.logger.info(
            "order closed as %s", "cancelled" if cancelled else f"failed: {failure_reason}"
        )
        self._failure_reason = failure_reason
        self._notify("cancelled" if cancelled else "failed")
