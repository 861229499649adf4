"""What every story of the order's saga shares: its state, how a step is run, which
version of the saga this run follows, how the order is flagged for a person, and
what the Temporal UI shows.

The stories themselves live beside this module: the forward path (forward.py), the
undo steps (compensation.py), tracking to delivery (tracking.py); outcomes.py holds
how they end; workflow.py ties them together and holds the messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import Priority, SearchAttributeUpdate
from temporalio.exceptions import FailureError

from domain.commands import FlagOrder, SendNotification, ShipmentCreated, StockReservation
from domain.order import Attention, FailureReason, OrderStatus
from workflows import search_attributes, steps
from workflows.contracts import (
    CancelRequest,
    CarrierUpdate,
    OrderView,
    OrderWorkflowInput,
    ReviewDecision,
)
from workflows.order import versions
from workflows.order.outcomes import StepFailed
from workflows.order.versions import (
    BOUNDED,
    EARLIER_PATCHES,
    INDIVIDUAL_PATCHES,
    LEAN_STATUS,
    MARKERS,
    NEWS_TOGETHER,
    OUTBOX,
    SHIPMENTS,
)

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationActivities
    from activities.order_status import OrderStatusActivities

ParamT = TypeVar("ParamT")
ResultT = TypeVar("ResultT")

# Statuses an order passes through in the time of a provider call: no operator filters
# on them (an order stuck there is flagged, and its details say what it waits for),
# and each upsert costs Temporal an event and a visibility update (~4 ms of its CPU
# here, `make bench-shape`). The Temporal UI shows `pending` until the next status.
PASSING_STATUSES = frozenset({OrderStatus.RESERVED, OrderStatus.AUTHORIZED})


class OrderSaga:
    """The state of one order's saga, and the means every story uses."""

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
        self._carrier_events: list[CarrierUpdate] = []
        self._seen_carrier_events: set[tuple[str, str, str | None]] = set()
        self._forward: asyncio.Task[None] | None = None
        self._compensations: list[Callable[[], Awaitable[None]]] = []
        self._failed_compensations: list[str] = []
        self._flags: list[str] = []
        self._notifications: list[asyncio.Task[None]] = []
        self._saga_version: int | None = None
        self._shipment: ShipmentCreated | None = None  # the first parcel
        # One parcel per location (split orders): booked, captured, delivered on its own.
        self._booked: list[ShipmentCreated] = []
        self._captured: set[int] = set()
        self._delivered: set[str] = set()  # tracking numbers
        # Edits before fulfillment (edits.py): they take turns with the booking on one
        # lock; once the booking has started, the order can no longer change.
        self._edit_lock = asyncio.Lock()
        self._edit_fingerprints: dict[str, str] = {}
        self._booking_started = False
        self._authorized = False
        self._authorization_id: str | None = None
        self._approved_total: int | None = None
        self._shipped_at: datetime | None = None
        # Tracking: the current wait before asking the carrier, and what it last said.
        self._poll_seconds = order.policy.tracking_poll_seconds
        self._last_event = "none yet"
        self._polls_this_run = 0

    # -- running a step -----------------------------------------------------------

    async def _step(
        self,
        activity: Callable[[Any, ParamT], Awaitable[ResultT]],
        command: ParamT,
        summary: str,
        *,
        bound: timedelta | None = None,
        priority: Priority | None = None,
    ) -> ResultT:
        """Runs one activity with the queue and policy of its step (`bound` replaces
        the step's overall bound). In the forward task, a cancel that came in meanwhile
        wins over the step's own outcome. `summary` is what the Temporal UI shows for
        it: what, how much, for whom."""
        step = steps.step_of(activity)
        options = steps.options(step, self._order.policy, self._task_queue_of(step), priority)
        if bound is not None:
            options["schedule_to_close_timeout"] = bound
        try:
            if self._runs_locally(step):
                result: ResultT = await workflow.execute_local_activity_method(
                    activity, command, summary=summary, **options
                )
            else:
                result = await workflow.execute_activity_method(
                    activity, command, summary=summary, **options
                )
        except FailureError as error:
            if self._cancelling():
                raise asyncio.CancelledError() from error
            raise StepFailed(step.name, error) from error
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
        """For a provider call, the queue the order's policy names for its provider
        (the workflow's own unless the deployment gave the provider one); the
        workflow's queue for the rest. Orders started before provider queues existed
        keep all work on one queue.
        """
        if step.queue is steps.Queue.ORDERS or not self._patched("provider-task-queues"):
            return None
        return self._order.policy.provider_queues.get(step.queue.value)

    def _cancelling(self) -> bool:
        return self._cancel is not None and asyncio.current_task() is self._forward

    # -- which version of the saga this run follows --------------------------------

    def _version(self) -> int:
        """Decided once, at the start of the run (versions.py): the saga the worker of
        that workflow task declared, recorded by Temporal with the task; for orders
        started before workers declared one, the marker their history holds."""
        if self._saga_version is None:
            declared = versions.declared_by(workflow.info().get_current_deployment_version())
            recorded = (version for marker, version in MARKERS if workflow.patched(marker))
            self._saga_version = (
                declared if declared is not None else next(recorded, INDIVIDUAL_PATCHES)
            )
        return self._saga_version

    def _bounded(self) -> bool:
        """Whether this run ends every failure in a chosen state: bounded tracking, the
        capture kept once the parcel has left, one rule for every cancel."""
        return self._version() >= BOUNDED

    def _split(self) -> bool:
        """Whether this run ships one parcel per location, each booked, captured and
        tracked on its own (before: the whole order as one parcel)."""
        return self._version() >= SHIPMENTS

    def _news_together(self) -> bool:
        """Whether this run records the carrier news pending at once in one step
        (before: a step for each piece of news)."""
        return self._version() >= NEWS_TOGETHER

    def _patched(self, change: str) -> bool:
        """Whether this run takes one of the changes made before the 2026-12 marker:
        all of them for newer orders, else whatever its history recorded for it."""
        assert change in EARLIER_PATCHES, change
        return self._version() >= OUTBOX or workflow.patched(change)

    def _notify(self, milestone: str) -> None:
        """Emails the customer without holding up the saga; a failure is only logged.

        Only for orders started before the outbox: newer orders' emails go out from
        the outbox, with the timeline entry of the milestone. Removed in the first
        release after 2027-03-31 (docs/saga.md says what to check first)."""
        if self._version() >= OUTBOX:
            return

        async def send() -> None:
            try:
                await self._step(
                    NotificationActivities.send_notification,
                    SendNotification(self._order.order_id, milestone),
                    f"email the {milestone} notice of {self._whose()}",
                )
            except StepFailed:
                workflow.logger.warning(
                    "could not email %s notice of order %s", milestone, self._order.order_id
                )

        self._notifications.append(asyncio.create_task(send()))

    # -- status, flags and what the Temporal UI shows --------------------------------

    def _set_status(self, status: OrderStatus) -> None:
        """The saga's status, mirrored to the OrderStatus search attribute for the UI
        (but for the statuses an order only passes through)."""
        self._status = status
        if self._version() >= LEAN_STATUS and status in PASSING_STATUSES:
            return
        if self._patched("search-attributes"):
            updates: list[SearchAttributeUpdate[Any]] = [
                search_attributes.ORDER_STATUS.value_set(status.value)
            ]
            if self._reservation is not None:
                updates.append(search_attributes.ORDER_TOTAL.value_set(self._reservation.total))
            if self._booked and self._split():
                updates.append(search_attributes.SHIPMENT_COUNT.value_set(len(self._booked)))
            workflow.upsert_search_attributes(updates)

    async def _flag(self, attention: Attention, detail: str) -> None:
        """Hands the order to a person for this (once per kind): the `NeedsOperator`
        search attribute, the UI's current details, and `order.flagged` on the timeline.
        The saga goes on as far as it safely can."""
        if attention.value in self._flags:
            return
        self._flags.append(attention.value)
        workflow.upsert_search_attributes(
            [search_attributes.NEEDS_OPERATOR.value_set(list(self._flags))]
        )
        workflow.set_current_details(f"NEEDS AN OPERATOR ({attention.value}): {detail}")
        try:
            await self._step(
                OrderStatusActivities.flag_order,
                FlagOrder(self._order.order_id, attention.value, detail),
                f"flag {self._whose()} for an operator: {attention.value}",
            )
        except StepFailed:
            workflow.logger.exception("could not record the flag on the order's timeline")

    def _waiting_for(self, what: str) -> None:
        """The order's "current details" in the UI: what it waits for now."""
        if not self._failed_compensations and not self._flags:  # calls to action stay on top
            workflow.set_current_details(f"Waiting for {what}.")

    def _whose(self) -> str:
        return f"order {self._order.order_id} of {self._order.customer_id}"

    def _items(self) -> str:
        lines = [f"{line.quantity} x {line.sku}" for line in self._order.lines]
        shown = ", ".join(lines[:3])
        return shown if len(lines) <= 3 else f"{shown} and {len(lines) - 3} more lines"

    def _amount(self) -> str:
        return self._money(self._reservation.total if self._reservation else 0)

    def _money(self, amount: int) -> str:
        return f"{amount / 100:,.2f} {self._order.currency}"

    def _destination(self) -> str:
        address = self._order.shipping_address
        return f"{address.city}, {address.country}"

    def _parcel(self) -> str:
        if self._shipment is None:
            return f"the parcel to {self._destination()}"
        if len(self._booked) > 1:
            numbers = ", ".join(parcel.tracking_number for parcel in self._booked)
            return f"{len(self._booked)} parcels ({numbers})"
        return f"parcel {self._shipment.tracking_number} ({self._shipment.carrier})"

    def _view(self) -> OrderView:
        return OrderView(
            self._order.order_id,
            self._status.value,
            self._failure_reason.value if self._failure_reason else None,
        )
