"""Tracking: from the booked parcel to `delivered`, however long that takes.

Carrier news the saga acts on (`delivered`, `exception`) arrives as signals; news of
a parcel on its way is recorded where the webhook lands. Whatever news the saga holds
when it gets to it is recorded in one step (saga 5 on). When none comes, the saga
asks the carrier, waiting twice as long after each silent answer (minutes, then
hours); a carrier that cannot be asked is asked again at the next poll. An
`exception` from the carrier, or no delivery within the delivery window, hands the
order to a person while tracking goes on. A long wait continues as new every few
dozen polls, so the history stays small however long the parcel takes.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from temporalio import workflow

from domain.commands import RecordCarrierEvent, StockReservation, TrackingEvent, TrackShipment
from domain.order import Attention, OrderStatus
from domain.order import CarrierEvent as Reported
from workflows.contracts import CarrierUpdate, TrackingState
from workflows.order.outcomes import StepFailed
from workflows.order.saga import OrderSaga
from workflows.steps import TRACKING_PRIORITY

# Activities are only named here, never run in the sandbox: the worker's copy is used.
with workflow.unsafe.imports_passed_through():
    from activities.shipping import ShippingActivities

KNOWN_EVENTS = frozenset(event.value for event in Reported)
# Polls in one run before it continues as new: about 15 history events each.
POLLS_PER_RUN = 40


class Tracking(OrderSaga):
    def _take_carrier_event(self, event: CarrierUpdate) -> None:
        """A tracking update, by webhook or poll; the same event twice counts once, and
        names the carrier does not use are ignored."""
        if event.event not in KNOWN_EVENTS:
            workflow.logger.warning("ignoring unknown carrier event %r", event.event)
            return
        if not self._split():
            event = dataclasses.replace(event, tracking_number=None)  # one parcel
        elif event.tracking_number is None and self._shipment is not None:
            # From a webhook route of before: the first parcel is the order's `shipment`.
            event = dataclasses.replace(event, tracking_number=self._shipment.tracking_number)
        key = (event.event, event.occurred_at, event.tracking_number)
        if key in self._seen_carrier_events:
            return
        self._seen_carrier_events.add(key)
        self._carrier_events.append(event)

    async def _track_until_delivered(self) -> None:
        while self._status is not OrderStatus.DELIVERED:
            # Not the last event: news of a parcel on its way goes to the order's
            # timeline without waking the workflow (services/carrier_events.py).
            self._waiting_for(f"the carrier to deliver {self._parcel()}")
            if self._bounded():
                await self._next_carrier_event()
            else:
                await self._next_carrier_event_unbounded()
            # News that came in together (a carrier reporting `in_transit` and
            # `delivered` at once, a poll that finds several) is recorded in one step;
            # orders of before saga 5 record each piece of news on its own.
            taken = len(self._carrier_events) if self._news_together() else 1
            news = self._carrier_events[:taken]
            del self._carrier_events[:taken]
            self._poll_seconds = self._order.policy.tracking_poll_seconds  # it moves again
            await self._record(news)
        self._notify("delivered")

    async def _record(self, news: list[CarrierUpdate]) -> None:
        if self._split():
            news = [named for event in news if (named := self._with_parcel_named(event))]
            if not news:
                return
        first, *later = news
        what = " and ".join(f"'{event.event}' of {self._parcel_of(event)}" for event in news)
        try:
            await self._step(
                ShippingActivities.record_carrier_event,
                RecordCarrierEvent(
                    self._order.order_id,
                    first.event,
                    first.occurred_at,
                    first.tracking_number,
                    [TrackingEvent(e.event, e.occurred_at, e.tracking_number) for e in later],
                ),
                f"record {what}",
            )
        except StepFailed as error:  # only a refusal: the step retries until it lands
            await self._flag(
                Attention.STEP_REFUSED,
                f"the read model refused the carrier's {what}: {error.cause}",
            )
        for event in news:
            if self._status is OrderStatus.DELIVERED:
                break  # as news taken one at a time: nothing after delivery changes the saga
            await self._took(event)

    def _with_parcel_named(self, event: CarrierUpdate) -> CarrierUpdate | None:
        """The event with the tracking number of the parcel it is about; None (and a
        warning) for one that names none of the order's parcels."""
        parcel = self._parcel_named(event)
        if parcel is None:
            workflow.logger.warning(
                "ignoring '%s' of %s: not one of the order's parcels",
                event.event,
                event.tracking_number,
            )
            return None
        return dataclasses.replace(event, tracking_number=parcel)

    async def _took(self, event: CarrierUpdate) -> None:
        """What the saga makes of a piece of news once it is recorded."""
        self._last_event = event.event
        if event.event == Reported.DELIVERED and event.tracking_number is not None:
            self._delivered.add(event.tracking_number)
        if event.event == Reported.DELIVERED and self._every_parcel_delivered():
            self._set_status(OrderStatus.DELIVERED)
            self._waiting_for(f"nothing: delivered ({self._parcel()})")
            workflow.logger.info("order delivered")
        elif event.event == Reported.EXCEPTION and self._bounded():
            await self._flag(
                Attention.CARRIER_EXCEPTION,
                f"the carrier reports a problem with {self._parcel()} (lost, damaged or "
                "returned to sender); tracking goes on in case it is delivered after all",
            )

    def _every_parcel_delivered(self) -> bool:
        if not self._split():
            return True  # the order's one parcel
        return all(parcel.tracking_number in self._delivered for parcel in self._booked)

    def _parcel_named(self, event: CarrierUpdate) -> str | None:
        """The tracking number of the parcel the event is about. An event that found
        its order by reference before the booking's answer may name the parcel
        otherwise: with one parcel, it can only be that one."""
        numbers = [parcel.tracking_number for parcel in self._booked]
        if event.tracking_number in numbers:
            return event.tracking_number
        return numbers[0] if len(numbers) == 1 else None

    def _parcel_of(self, event: CarrierUpdate) -> str:
        if event.tracking_number is None or len(self._booked) < 2:
            return self._parcel()
        return f"parcel {event.tracking_number}"

    async def _next_carrier_event(self) -> None:
        """Waits for a webhook, asking the carrier after each silence, longer each time."""
        policy = self._order.policy
        while not self._carrier_events:
            await self._check_delivery_window()
            if (
                self._polls_this_run >= POLLS_PER_RUN
                or workflow.info().is_continue_as_new_suggested()
            ):
                await self._continue_as_new()
            wait = self._poll_seconds or self._window_left()
            try:
                await workflow.wait_condition(
                    lambda: bool(self._carrier_events),
                    timeout=timedelta(seconds=wait) if wait else None,
                    timeout_summary=f"the carrier's next update on {self._parcel()}",
                )
            except TimeoutError:
                if not self._poll_seconds:
                    continue  # only the delivery window ran out
                self._polls_this_run += 1
                self._poll_seconds = min(self._poll_seconds * 2, policy.tracking_poll_max_seconds)
                await self._ask_carrier()

    async def _next_carrier_event_unbounded(self) -> None:
        """Orders started before bounded tracking: a poll every interval, forever."""
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
                await self._ask_carrier()

    async def _ask_carrier(self) -> None:
        """The fallback for webhooks lost on the way; a carrier that cannot answer now
        is asked again at the next poll."""
        try:
            tracking = await self._step(
                ShippingActivities.track_shipment,
                TrackShipment(self._order.order_id),
                f"ask the carrier where {self._parcel()} is",
                priority=TRACKING_PRIORITY if self._bounded() else None,
            )
        except StepFailed:
            workflow.logger.warning("the carrier could not say where %s is", self._parcel())
            return
        for seen in tracking.events:
            self._take_carrier_event(
                CarrierUpdate(seen.event, seen.occurred_at, seen.tracking_number)
            )

    # -- the delivery window ------------------------------------------------------

    def _due(self) -> datetime | None:
        if self._shipped_at is None:
            return None
        return self._shipped_at + timedelta(seconds=self._order.policy.delivery_window_seconds)

    def _window_left(self) -> float:
        """Seconds until the delivery window closes; 0 once it has (or was flagged)."""
        due = self._due()
        if due is None or Attention.DELIVERY_OVERDUE.value in self._flags:
            return 0.0
        return max((due - workflow.now()).total_seconds(), 0.0) or 0.001

    async def _check_delivery_window(self) -> None:
        due = self._due()
        if due is None or workflow.now() < due:
            return
        days = self._order.policy.delivery_window_seconds / 86400
        await self._flag(
            Attention.DELIVERY_OVERDUE,
            f"{self._parcel()} is not delivered {days:g} days after booking; the carrier "
            "is still asked about it, and its webhook still completes the order",
        )

    # -- a long wait continues as new ---------------------------------------------

    async def _continue_as_new(self) -> None:
        """Starts a fresh run that tracks on with what it needs to know, so the history
        stays small however long the parcel takes."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._reservation is not None and self._shipment is not None
        assert self._shipped_at is not None
        state = TrackingState(
            total=self._reservation.total,
            shipment=self._shipment,
            shipped_at=self._shipped_at.isoformat(),
            poll_seconds=self._poll_seconds,
            seen_events=[CarrierUpdate(*key) for key in sorted(self._seen_carrier_events, key=str)],
            pending_events=list(self._carrier_events),
            flags=list(self._flags),
            first_placement_id=self._first_placement_id,
            last_event=self._last_event,
            parcels=list(self._booked),
            delivered=sorted(self._delivered),
        )
        workflow.continue_as_new(dataclasses.replace(self._order, tracking=state))

    def _resume(self, state: TrackingState) -> None:
        """Takes up tracking where the previous run left it."""
        self._status = OrderStatus.SHIPPED
        self._reservation = StockReservation(reserved=True, total=state.total)
        self._shipment = state.shipment
        self._shipped_at = datetime.fromisoformat(state.shipped_at)
        self._poll_seconds = state.poll_seconds
        self._seen_carrier_events = {
            (e.event, e.occurred_at, e.tracking_number) for e in state.seen_events
        }
        # A run of before continued as new tracks its one parcel like a split order's.
        self._booked = list(state.parcels) or [state.shipment]
        self._delivered = set(state.delivered)
        self._carrier_events = list(state.pending_events)
        self._flags = list(state.flags)
        self._first_placement_id = state.first_placement_id
        self._last_event = state.last_event
