"""OrderWorkflow: the saga of one order, from reservation to delivery.

Forward steps run in one cancellable task; compensations run outside it, in
reverse order of registration, once the forward task has failed or been
cancelled. Each compensation is registered before the step it undoes, so a
step that half-happened is undone too (every undo is idempotent).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.order_status import OrderStatusActivities
    from activities.payment import PaymentActivities
    from activities.shipping import ShippingActivities
    from activities.stock import StockActivities
    from domain.commands import (
        AuthorizePayment,
        CancelShipment,
        CapturePayment,
        CloseOrder,
        CreateShipment,
        RecordCarrierEvent,
        RecordReview,
        ReleaseStock,
        RequestReview,
        ReserveStock,
        SendNotification,
        ShipmentCreated,
        StockReservation,
        TrackShipment,
        VoidPayment,
    )
    from domain.errors import (
        DestinationUnsupported,
        DomainError,
        IdempotencyKeyReused,
        NotAwaitingReview,
        NotCancellable,
        PaymentDeclined,
    )
    from domain.identity import ensure_same_request
    from domain.order import FailureReason, OrderStatus
    from workflows import search_attributes, steps
    from workflows.contracts import (
        CancelRequest,
        CarrierEvent,
        OrderView,
        OrderWorkflowInput,
        Placement,
        PlacementRequest,
        ReviewDecision,
    )

ParamT = TypeVar("ParamT")
ResultT = TypeVar("ResultT")

# Orders started from this release on take every earlier change at once, under one
# patch marker: each marker costs a history event and a `TemporalChangeVersion`
# upsert, and one per change made five of each in every order. Orders started before
# replay through the individual patches they recorded. This version also leaves the
# customer's emails to the outbox (`_notify`). A later change gets its own
# `workflow.patched` id, as usual.
SAGA_VERSION = "order-saga-2026-12"
EARLIER_PATCHES = frozenset(
    {
        "provider-task-queues",
        "search-attributes",
        "flag-failed-compensations",
        "poll-carrier",
        "local-database-steps",
    }
)


class OrderFailed(Exception):
    """The forward path cannot go on; compensate, then close the order as failed."""

    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class OrderRefused(Exception):
    """Stock was refused at placement: nothing is held, the order is already closed."""


@workflow.defn
class OrderWorkflow:
    """Reserves, reviews, authorizes, ships, captures and tracks one order."""

    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self._order = order
        self._status = OrderStatus.PENDING
        self._failure_reason: FailureReason | None = None
        self._reservation: StockReservation | None = None
        self._first_placement_id: str | None = None
        self._review: ReviewDecision | None = None
        # Open from the moment the hold is asked for, so a decision that follows the
        # read model's `awaiting_review` is never refused for arriving too early.
        self._review_open = False
        self._review_recorded = False
        self._cancel: CancelRequest | None = None
        self._carrier_events: list[CarrierEvent] = []
        self._seen_carrier_events: set[tuple[str, str]] = set()
        self._forward: asyncio.Task[None] | None = None
        self._compensations: list[Callable[[], Awaitable[None]]] = []
        self._failed_compensations: list[str] = []
        self._notifications: list[asyncio.Task[None]] = []
        self._current_version: bool | None = None
        self._shipment: ShipmentCreated | None = None

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderView:
        self._forward = asyncio.create_task(self._run_forward())
        try:
            await self._forward
        except OrderRefused:
            pass
        except OrderFailed as failure:
            await self._compensate()
            await self._close(failure_reason=failure.reason)
        except asyncio.CancelledError:
            # A cancel update, or a cancellation requested from the Temporal UI.
            if self._cancel is None:
                self._cancel = CancelRequest(reason="cancelled by an operator")
            await self._compensate()
            await self._close()
        await asyncio.gather(*self._notifications)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    # -- forward steps ----------------------------------------------------------

    async def _run_forward(self) -> None:
        await self._reserve()
        if self._reservation and self._reservation.total > self._order.policy.review_threshold:
            await self._wait_for_review()
        await self._authorize()
        await self._ship()
        await self._capture()
        await self._track_until_delivered()

    async def _reserve(self) -> None:
        self._compensations.append(self._release_stock)
        order = self._order
        self._waiting_for(f"reserving {self._items()}")
        self._reservation = await self._step(
            StockActivities.reserve_stock,
            ReserveStock(
                order.order_id,
                order.customer_id,
                order.lines,
                order.shipping_address,
                order.currency,
                order.idempotency_key,
                order.fingerprint,
            ),
            f"reserve {self._items()} for {self._whose()}",
        )
        if not self._reservation.reserved:
            self._set_status(OrderStatus.FAILED)
            self._failure_reason = (
                FailureReason.PRODUCT_UNAVAILABLE
                if self._reservation.unavailable_skus
                else FailureReason.OUT_OF_STOCK
            )
            raise OrderRefused()
        self._set_status(OrderStatus.RESERVED)
        workflow.logger.info("order reserved, total %d", self._reservation.total)
        self._notify("placed")

    async def _wait_for_review(self) -> None:
        self._review_open = True
        await self._step(
            OrderStatusActivities.request_review,
            RequestReview(self._order.order_id),
            f"hold {self._whose()} ({self._amount()}) for an ops review",
        )
        self._set_status(OrderStatus.AWAITING_REVIEW)
        timeout = timedelta(seconds=self._order.policy.review_timeout_seconds)
        deadline = (workflow.now() + timeout).strftime("%Y-%m-%d %H:%M UTC")
        self._waiting_for(
            f"an ops review of {self._amount()} until {deadline}: approve or reject with "
            f"POST /v1/orders/{self._order.order_id}/review; rejected when the time is up"
        )
        try:
            await workflow.wait_condition(
                lambda: self._review is not None,
                timeout=timeout,
                timeout_summary=f"ops review of {self._whose()} ({self._amount()})",
            )
        except TimeoutError:
            self._review_open = False
            await self._step(
                OrderStatusActivities.record_review,
                RecordReview(self._order.order_id, approved=False, timed_out=True),
                f"record that nobody reviewed {self._whose()} in time",
            )
            raise OrderFailed(FailureReason.REVIEW_TIMED_OUT) from None
        decision = self._review
        assert decision is not None
        await self._step(
            OrderStatusActivities.record_review,
            RecordReview(
                self._order.order_id, decision.approve, decision.reviewer_id, decision.note
            ),
            f"record that {decision.reviewer_id} "
            f"{'approved' if decision.approve else 'rejected'} {self._whose()}",
        )
        if not decision.approve:
            raise OrderFailed(FailureReason.REVIEW_REJECTED)
        self._set_status(OrderStatus.RESERVED)
        self._review_recorded = True

    async def _authorize(self) -> None:
        self._compensations.append(self._void_payment)
        self._waiting_for(f"the payment provider to authorize {self._amount()}")
        try:
            await self._step(
                PaymentActivities.authorize_payment,
                AuthorizePayment(self._order.order_id, self._order.payment_token),
                f"authorize {self._amount()} for {self._whose()}",
            )
        except ActivityError as error:
            declined = _refused_with(error, PaymentDeclined)
            raise OrderFailed(
                FailureReason.PAYMENT_DECLINED if declined else FailureReason.PAYMENT_UNAVAILABLE
            ) from error
        self._set_status(OrderStatus.AUTHORIZED)

    async def _ship(self) -> None:
        # A cancel that arrives while the parcel is being booked is still taken: the
        # booking finishes first (steps wait for their activity on cancellation), then
        # the shipment is cancelled at the carrier with everything else.
        self._compensations.append(self._cancel_shipment)
        self._waiting_for(f"the carrier to book a parcel to {self._destination()}")
        try:
            self._shipment = await self._step(
                ShippingActivities.create_shipment,
                CreateShipment(self._order.order_id),
                f"book a parcel of {self._items()} to {self._destination()} for {self._whose()}",
            )
        except ActivityError as error:
            refused = _refused_with(error, DestinationUnsupported)
            raise OrderFailed(
                FailureReason.SHIPPING_REFUSED if refused else FailureReason.SHIPPING_UNAVAILABLE
            ) from error
        self._set_status(OrderStatus.SHIPPED)
        self._notify("shipped")

    async def _capture(self) -> None:
        self._waiting_for(f"the payment provider to capture {self._amount()}")
        try:
            await self._step(
                PaymentActivities.capture_payment,
                CapturePayment(self._order.order_id),
                f"capture {self._amount()} for {self._whose()}",
            )
        except ActivityError as error:
            raise OrderFailed(FailureReason.CAPTURE_FAILED) from error

    async def _track_until_delivered(self) -> None:
        last = "none yet"
        while self._status is not OrderStatus.DELIVERED:
            self._waiting_for(f"the carrier to deliver {self._parcel()}; last event: {last}")
            await self._next_carrier_event()
            event = self._carrier_events.pop(0)
            await self._step(
                ShippingActivities.record_carrier_event,
                RecordCarrierEvent(self._order.order_id, event.event, event.occurred_at),
                f"record '{event.event}' of {self._parcel()}",
            )
            last = event.event
            if event.event == "delivered":
                self._set_status(OrderStatus.DELIVERED)
                self._waiting_for(f"nothing: delivered ({self._parcel()})")
                workflow.logger.info("order delivered")
        self._notify("delivered")

    async def _next_carrier_event(self) -> None:
        """Waits for a webhook; when none comes in time, asks the carrier, so a webhook
        lost on the way (or sent before our record existed) cannot strand the order."""
        poll = self._order.policy.tracking_poll_seconds
        if not poll or not self._patched("poll-carrier"):
            await workflow.wait_condition(lambda: bool(self._carrier_events))
            return
        while not self._carrier_events:
            try:
                await workflow.wait_condition(
                    lambda: bool(self._carrier_events),
                    timeout=timedelta(seconds=poll),
                    timeout_summary=f"the carrier's next update on {self._parcel()}",
                )
            except TimeoutError:
                tracking = await self._step(
                    ShippingActivities.track_shipment,
                    TrackShipment(self._order.order_id),
                    f"ask the carrier where {self._parcel()} is",
                )
                for seen in tracking.events:
                    self.carrier_event(CarrierEvent(seen.event, seen.occurred_at))

    # -- compensations ----------------------------------------------------------

    async def _compensate(self) -> None:
        """Runs every registered undo, newest first; one that keeps failing past its
        bound does not stop the others, and is flagged on the order for an operator."""
        for undo in reversed(self._compensations):
            self._waiting_for(f"undoing what was done: {undo.__name__.removeprefix('_')}")
            try:
                await undo()
            except ActivityError:
                step = undo.__name__.removeprefix("_")
                workflow.logger.exception(
                    "compensation %s of order %s failed", step, self._order.order_id
                )
                self._failed_compensations.append(step)
        if self._failed_compensations and self._patched("flag-failed-compensations"):
            workflow.upsert_search_attributes(
                [search_attributes.FAILED_COMPENSATIONS.value_set(self._failed_compensations)]
            )
            workflow.set_current_details(
                "NEEDS AN OPERATOR: "
                + ", ".join(self._failed_compensations)
                + " gave up; see the 'failed compensation' runbook in docs/operations.md"
            )

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

    async def _close(self, failure_reason: FailureReason | None = None) -> None:
        cancelled = failure_reason is None
        await self._step(
            OrderStatusActivities.close_order,
            CloseOrder(
                self._order.order_id,
                cancelled=cancelled,
                failure_reason=failure_reason.value if failure_reason else None,
                cancel_reason=self._cancel.reason if self._cancel else None,
                failed_compensations=self._failed_compensations,
            ),
            f"close {self._whose()} as "
            + (f"failed ({failure_reason.value})" if failure_reason else "cancelled"),
        )
        self._set_status(OrderStatus.CANCELLED if cancelled else OrderStatus.FAILED)
        workflow.logger.info(
            "order closed as %s", "cancelled" if cancelled else f"failed: {failure_reason}"
        )
        self._failure_reason = failure_reason
        self._notify("cancelled" if cancelled else "failed")

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
            raise _rejection(reused) from None

    @workflow.update
    async def cancel(self, request: CancelRequest) -> OrderView:
        """Cancels the order: every step taken so far is undone before it answers."""
        if self._cancel is None:
            self._cancel = request
            if self._forward is not None and not self._forward.done():
                self._forward.cancel()
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
            raise _rejection(NotCancellable.in_status(self._status.value))

    @workflow.update
    async def review(self, decision: ReviewDecision) -> OrderView:
        """An ops decision on an order held for review."""
        self._review = decision
        await workflow.wait_condition(lambda: self._review_recorded or self._status.is_terminal)
        return self._view()

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        if self._review is not None:
            raise _rejection(NotAwaitingReview("the order has been reviewed already"))
        if not self._review_open or self._cancel is not None:
            raise _rejection(NotAwaitingReview.in_status(self._status.value))

    @workflow.signal
    def carrier_event(self, event: CarrierEvent) -> None:
        """A tracking update from the carrier webhook; the same event twice counts once."""
        key = (event.event, event.occurred_at)
        if key in self._seen_carrier_events:
            return
        self._seen_carrier_events.add(key)
        self._carrier_events.append(event)

    @workflow.query
    def status(self) -> OrderView:
        return self._view()

    # -- helpers ----------------------------------------------------------------

    def _set_status(self, status: OrderStatus) -> None:
        """The saga's status, mirrored to the OrderStatus search attribute for the UI."""
        self._status = status
        if self._patched("search-attributes"):
            updates: list[SearchAttributeUpdate[Any]] = [
                search_attributes.ORDER_STATUS.value_set(status.value)
            ]
            if self._reservation is not None:
                updates.append(search_attributes.ORDER_TOTAL.value_set(self._reservation.total))
            workflow.upsert_search_attributes(updates)

    # -- what the Temporal UI shows ------------------------------------------------

    def _waiting_for(self, what: str) -> None:
        """The order's "current details" in the UI: what it waits for now."""
        if not self._failed_compensations:  # an operator's call to action stays on top
            workflow.set_current_details(f"Waiting for {what}.")

    def _whose(self) -> str:
        return f"order {self._order.order_id} of {self._order.customer_id}"

    def _items(self) -> str:
        lines = [f"{line.quantity} x {line.sku}" for line in self._order.lines]
        shown = ", ".join(lines[:3])
        return shown if len(lines) <= 3 else f"{shown} and {len(lines) - 3} more lines"

    def _amount(self) -> str:
        total = self._reservation.total if self._reservation else 0
        return f"{total / 100:,.2f} {self._order.currency}"

    def _destination(self) -> str:
        address = self._order.shipping_address
        return f"{address.city}, {address.country}"

    def _parcel(self) -> str:
        if self._shipment is None:
            return f"the parcel to {self._destination()}"
        return f"parcel {self._shipment.tracking_number} ({self._shipment.carrier})"

    def _view(self) -> OrderView:
        return OrderView(
            self._order.order_id,
            self._status.value,
            self._failure_reason.value if self._failure_reason else None,
        )

    async def _step(
        self,
        activity: Callable[[Any, ParamT], Awaitable[ResultT]],
        command: ParamT,
        summary: str,
    ) -> ResultT:
        """Runs one activity with the queue and policy of its step. In the forward task,
        a cancel that came in meanwhile wins over the step's own outcome. `summary` is
        what the Temporal UI shows for it: what, how much, for whom."""
        step = steps.step_of(activity)
        options = steps.options(step, self._order.policy, self._task_queue_of(step))
        try:
            if self._runs_locally(step):
                result: ResultT = await workflow.execute_local_activity_method(
                    activity, command, summary=summary, **options
                )
            else:
                result = await workflow.execute_activity_method(
                    activity, command, summary=summary, **options
                )
        except ActivityError as error:
            if self._cancelling():
                raise asyncio.CancelledError() from error
            raise
        if self._cancelling():
            raise asyncio.CancelledError()
        return result

    def _runs_locally(self, step: steps.Step) -> bool:
        """Database steps run as local activities, in the worker running the workflow:
        no task queue round trip, no activity events, and the reservation answers the
        placing request from the workflow's first task. Orders started before keep
        their database steps as ordinary activities."""
        return step.queue is steps.Queue.ORDERS and self._patched("local-database-steps")

    def _task_queue_of(self, step: steps.Step) -> str | None:
        """A provider's own queue for provider calls; the workflow's queue otherwise.

        Orders started before provider queues existed keep all work on one queue.
        """
        if step.queue is steps.Queue.ORDERS or not self._patched("provider-task-queues"):
            return None
        return self._order.policy.provider_queues.get(step.queue.value)

    def _patched(self, change: str) -> bool:
        """Whether this run takes `change`: all of them for an order started on the
        current version, else whatever its history recorded for that one change."""
        assert change in EARLIER_PATCHES, change
        return self._on_current_version() or workflow.patched(change)

    def _on_current_version(self) -> bool:
        if self._current_version is None:
            self._current_version = workflow.patched(SAGA_VERSION)
        return self._current_version

    def _cancelling(self) -> bool:
        return self._cancel is not None and asyncio.current_task() is self._forward

    def _notify(self, milestone: str) -> None:
        """Emails the customer without holding up the saga; a failure is only logged.

        Only for orders started before the current version: newer orders' emails go
        out from the outbox, with the timeline entry of the milestone."""
        if self._on_current_version():
            return

        async def send() -> None:
            try:
                await self._step(
                    NotificationActivities.send_notification,
                    SendNotification(self._order.order_id, milestone),
                    f"email the {milestone} notice of {self._whose()}",
                )
            except ActivityError:
                workflow.logger.warning(
                    "could not email %s notice of order %s", milestone, self._order.order_id
                )

        self._notifications.append(asyncio.create_task(send()))


def _refused_with(error: ActivityError, refusal: type[DomainError]) -> bool:
    """Whether the activity failed with this business refusal (not an outage)."""
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type == refusal.__name__


def _rejection(error: DomainError) -> ApplicationError:
    """An update refused by a business rule; the caller gets the rule's name as type."""
    return ApplicationError(str(error), type=type(error).__name__)
