"""OrderWorkflow: the saga of one order, from reservation to delivery.

`run()` tells the whole story; each chapter lives in its own module: the forward
path (forward.py), undoing (compensation.py), tracking (tracking.py), the shared
means (saga.py), edits before fulfillment (edits.py). The messages (place, cancel,
review, edit, carrier events, status) are
here, with the rules that decide whether each is taken.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

# The domain and the contracts are pure: the sandbox shares the worker's copy (worker.py).
from domain.errors import IdempotencyKeyReused, NotAwaitingReview, NotCancellable
from domain.identity import ensure_same_request
from domain.order import Attention, FailureReason, OrderStatus
from workflows.contracts import (
    CancelRequest,
    CarrierUpdate,
    EditOutcome,
    EditRequest,
    OrderView,
    OrderWorkflowInput,
    Placement,
    PlacementRequest,
    ReviewDecision,
)

# The stories are workflow code too: imported inside the sandbox like this module.
from workflows.order.forward import ForwardPath
from workflows.order.outcomes import OrderFailed, OrderRefused, StepFailed, rejection
from workflows.order.tracking import Tracking

# Who a cancel requested from the Temporal UI or CLI is recorded as.
TEMPORAL_CANCEL = CancelRequest(reason="cancelled in Temporal", requested_by="temporal")


@workflow.defn
class OrderWorkflow(ForwardPath, Tracking):
    """Reserves, reviews, authorizes, ships, captures and tracks one order."""

    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        super().__init__(order)
        if order.tracking is not None:
            # Before any message of the new run is handled: a signal or an update that
            # arrives with its first task already meets a shipped order.
            self._resume(order.tracking)

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderView:
        if not self._bounded():
            # Orders from before one rule for every cancel: a cancellation requested in
            # Temporal reaches whatever the saga awaits, as it always did for them.
            await self._run_saga()
            await asyncio.gather(*self._notifications)
            await workflow.wait_condition(workflow.all_handlers_finished)
            return self._view()
        saga = asyncio.create_task(self._run_saga())
        # A cancellation requested in Temporal is a cancel like any other: the saga is
        # shielded from it, and it goes through the same rules as the cancel update.
        while not saga.done():
            try:
                await asyncio.shield(saga)
            except asyncio.CancelledError:
                self._cancel_requested_in_temporal()
        saga.result()
        await self._all_handlers_finished()
        return self._view()

    async def _run_saga(self) -> None:
        self._forward = asyncio.create_task(self._run_forward())
        try:
            await self._forward
        except OrderRefused:
            pass
        except OrderFailed as failure:
            await self._compensate()
            await self._close(failure_reason=failure.reason)
        except asyncio.CancelledError:
            if self._cancel is None:  # orders from before one rule for every cancel
                self._cancel = CancelRequest(reason="cancelled by an operator")
            await self._compensate()
            await self._close()
        except StepFailed as error:
            # The net under the saga: nothing above foresaw this failure. Before the
            # parcel is booked everything is undone; after, a person takes over.
            workflow.logger.exception("unforeseen failure of order %s", self._order.order_id)
            if self._status.is_cancellable:
                await self._compensate()
                await self._close(failure_reason=FailureReason.INTERNAL_ERROR)
            else:
                await self._flag(Attention.STEP_REFUSED, f"unforeseen: {error.cause}")

    async def _run_forward(self) -> None:
        if self._order.tracking is None:
            await self._reserve()
            if self._reservation and self._reservation.total > self._order.policy.review_threshold:
                await self._wait_for_review()
            await self._authorize()
            await self._ship()
            await self._capture()
        await self._track_until_delivered()

    async def _all_handlers_finished(self) -> None:
        """Waits for updates in flight; a late cancellation request changes nothing now."""
        while True:
            try:
                await workflow.wait_condition(workflow.all_handlers_finished)
                return
            except asyncio.CancelledError:
                continue

    def _cancel_requested_in_temporal(self) -> None:
        if self._cancel is None and not self._status.is_cancellable:
            workflow.logger.warning(
                "a cancellation requested in Temporal was refused: the order is %s",
                self._status.value,
            )
            return
        self._take_cancel(TEMPORAL_CANCEL)

    def _take_cancel(self, request: CancelRequest) -> None:
        if self._cancel is None:
            self._cancel = request
            if self._forward is not None and not self._forward.done():
                self._forward.cancel()

    # -- messages ---------------------------------------------------------------

    @workflow.update
    async def place(self, request: PlacementRequest) -> Placement:
        """Answers the placing request once stock is reserved or refused.

        Every request with the same Idempotency-Key lands here; the first one is the
        original, the rest are replays of it.
        """
        update_id = workflow.current_update_info().id  # type: ignore[union-attr]
        if self._first_placement_id is None:
            self._first_placement_id = update_id
        await workflow.wait_condition(
            lambda: self._reservation is not None or self._status.is_terminal
        )
        reservation = self._reservation
        return Placement(
            order_id=self._order.order_id,
            reserved=bool(reservation and reservation.reserved),
            replayed=update_id != self._first_placement_id,
            refused_skus=reservation.refused_skus if reservation else [],
            unavailable_skus=reservation.unavailable_skus if reservation else [],
        )

    @place.validator
    def _validate_place(self, request: PlacementRequest) -> None:
        try:
            ensure_same_request(self._order.fingerprint, request.fingerprint)
        except IdempotencyKeyReused as reused:
            raise rejection(reused) from None

    @workflow.update
    async def cancel(self, request: CancelRequest) -> OrderView:
        """Cancels the order: every step taken so far is undone before it answers."""
        self._take_cancel(request)
        await workflow.wait_condition(lambda: self._status.is_terminal)
        return self._view()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self._cancel is not None or self._status is OrderStatus.CANCELLED:
            return  # asking twice is answered like the first time
        # The workflow's status trails the read model by at most one step, and the read
        # model allows a cancel up to `authorized`: so does this, until the booking has
        # come back as `shipped`.
        if not self._status.is_cancellable:
            raise rejection(NotCancellable.in_status(self._status.value))

    @workflow.update
    async def review(self, decision: ReviewDecision) -> OrderView:
        """An ops decision on an order held for review."""
        self._review = decision
        await workflow.wait_condition(lambda: self._review_recorded or self._status.is_terminal)
        return self._view()

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        if self._review is not None:
            raise rejection(NotAwaitingReview("the order has been reviewed already"))
        if not self._review_open or self._cancel is not None:
            raise rejection(NotAwaitingReview.in_status(self._status.value))

    @workflow.update
    async def edit(self, request: EditRequest) -> EditOutcome:
        """Changes the lines or the address before any parcel is booked; all or nothing
        (edits.py). A dry run prices the edit and changes nothing."""
        return await self._edit(request)

    @edit.validator
    def _validate_edit(self, request: EditRequest) -> None:
        refused = self._edit_refusal(request)
        if refused is not None:
            raise refused

    @workflow.signal
    def carrier_event(self, event: CarrierUpdate) -> None:
        """A tracking update from the carrier webhook; the same event twice counts once."""
        self._take_carrier_event(event)

    @workflow.query
    def status(self) -> OrderView:
        return self._view()
