"""Every failure past a step's bound ends in a state somebody chose: database steps
retry without an overall bound, a refusal by our own books fails the order with
everything undone (or, once the parcel is booked, flags it for a person), a capture
whose parcel has left keeps its authorization, and a cancel requested in Temporal
follows the cancel update's rules. On skipped time."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus

from domain.commands import ShipmentTracking, TrackingEvent
from domain.errors import IllegalTransition, ProviderRejected, ShipmentDelivered
from tests.saga.conftest import ANSWERS, POLICY, Saga, keeps_failing, refuses
from workflows.contracts import StepPolicy
from workflows.order import OrderWorkflow

FORWARD = ["reserve_stock", "authorize_payment", "create_shipment", "capture_payment"]
DATABASE_STEPS = ["reserve_stock", "request_review", "record_review", "record_carrier_event"]
NOTHING_YET = ShipmentTracking([])


@pytest.fixture
def saga(saga_alone: Saga) -> Saga:
    """These tests skip days and weeks: each gets a test server of its own."""
    return saga_alone


def fails_first(times: int, then: Any) -> Any:
    """Fails the first `times` calls as an outage, then answers `then`."""
    calls = {"n": 0}

    def answer(_: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise RuntimeError(f"stub: down ({calls['n']} of {times})")
        return then

    return answer


def slow_database(saga: Saga) -> dict[str, StepPolicy]:
    """Database steps whose backoff starts above the local-retry threshold (a minute),
    so each retry waits on a durable timer that the test server skips."""
    steps = dict(saga.policy.steps)
    for name in [*DATABASE_STEPS, "close_order", "release_stock"]:
        steps[name] = replace(
            steps[name], initial_interval_seconds=61, maximum_interval_seconds=120
        )
    return steps


async def search_attribute(saga: Saga, order_id: str, name: str) -> list[Any]:
    description = await saga.client.get_workflow_handle(f"order-{order_id}").describe()
    values = description.search_attributes.get(name)
    return list(values) if values else []


def flags_of(saga: Saga) -> list[str]:
    return [call.command["attention"] for call in saga.stubs.calls if call.step == "flag_order"]


@pytest.mark.parametrize("step", DATABASE_STEPS)
async def test_a_database_step_down_for_longer_than_any_bound_is_retried_until_it_lands(
    saga: Saga, step: str
) -> None:
    saga.stubs.behaviour[step] = fails_first(20, ANSWERS.get(step))
    reviewed = step in ("request_review", "record_review")
    order = saga.order(review_threshold=1_000 if reviewed else 50_000, steps=slow_database(saga))
    handle = await saga.start(order)
    if reviewed:
        await saga.approve_when_open(handle)

    outcome = await saga.result_of(handle)

    assert (outcome.status, outcome.failure_reason) == ("delivered", None)
    assert saga.stubs.attempts(step) == 21  # twenty failures: well past the old bound
    assert "release_stock" not in saga.stubs.steps_run()


@pytest.mark.parametrize("step", ["reserve_stock", "request_review", "record_review"])
async def test_a_database_step_our_books_refuse_before_shipping_fails_the_order_undone(
    saga: Saga, step: str
) -> None:
    saga.stubs.behaviour[step] = refuses(IllegalTransition)
    order = saga.order(review_threshold=1_000)
    handle = await saga.start(order)
    if step == "record_review":
        await saga.approve_when_open(handle)

    outcome = await saga.result_of(handle)

    assert (outcome.status, outcome.failure_reason) == ("failed", "internal_error")
    assert "release_stock" in saga.stubs.steps_run()
    assert "authorize_payment" not in saga.stubs.steps_run()
    assert saga.stubs.steps_run()[-1] == "close_order"


async def test_a_carrier_event_our_books_refuse_is_flagged_and_tracking_goes_on(
    saga: Saga,
) -> None:
    saga.stubs.behaviour["record_carrier_event"] = refuses(IllegalTransition)
    order = saga.order()

    outcome = await saga.run(order)

    assert outcome.status == "delivered"
    assert flags_of(saga) == ["step_refused"]
    assert await search_attribute(saga, order.order_id, "NeedsOperator") == ["step_refused"]
    assert not {"void_payment", "release_stock"} & set(saga.stubs.steps_run())


async def test_a_close_our_books_refuse_still_ends_the_saga_flagged(saga: Saga) -> None:
    saga.stubs.behaviour["authorize_payment"] = keeps_failing
    saga.stubs.behaviour["close_order"] = refuses(IllegalTransition)
    order = saga.order(payment_bound_seconds=300.0)

    outcome = await saga.run(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "payment_unavailable")
    assert flags_of(saga) == ["step_refused"]


async def test_a_carrier_that_cannot_be_asked_for_a_day_is_asked_again_later(
    saga: Saga,
) -> None:
    # About ten polls fail (each past its own retry bound), then the carrier answers.
    delivered = ShipmentTracking([TrackingEvent("delivered", "2026-01-02T00:00:00Z")])
    saga.stubs.behaviour["track_shipment"] = fails_first(200, delivered)
    order = saga.order(tracking_poll_max_seconds=3_600.0)

    outcome = await saga.run(order)

    assert outcome.status == "delivered"
    assert saga.stubs.attempts("track_shipment") > 200
    assert (await saga.describe(order)).status == WorkflowExecutionStatus.COMPLETED


async def test_polls_back_off_from_minutes_to_hours(saga: Saga) -> None:
    saga.stubs.behaviour["track_shipment"] = lambda _: NOTHING_YET
    order = saga.order()
    handle = await saga.start(order)
    await saga.env.sleep(timedelta(days=2))
    await handle.signal(OrderWorkflow.carrier_event, saga.event("delivered"))
    await saga.result_of(handle)

    gaps = await saga.gaps_between(order, "track_shipment")
    first = timedelta(seconds=POLICY.tracking_poll_seconds)
    longest = timedelta(seconds=POLICY.tracking_poll_max_seconds)
    assert gaps[0] <= first * 2 + timedelta(minutes=1)
    slack = timedelta(seconds=1)  # each poll itself takes a few milliseconds
    assert all(later >= earlier - slack for earlier, later in itertools.pairwise(gaps))
    assert longest - timedelta(minutes=1) <= max(gaps) <= longest + timedelta(minutes=1)
    # Two days of silence cost a handful of polls, not the 576 of a fixed interval.
    assert len(gaps) < 20


async def test_a_parcel_lost_for_a_month_is_flagged_and_its_history_stays_small(
    saga: Saga,
) -> None:
    saga.stubs.behaviour["track_shipment"] = lambda _: NOTHING_YET
    order = saga.order()
    handle = await saga.start(order)
    await saga.env.sleep(timedelta(days=45))

    runs = await saga.runs_of(order)
    assert len(runs) > 1  # it continued as new on the way
    assert max(runs) < 1_000  # events per run
    assert "delivery_overdue" in flags_of(saga)
    assert await search_attribute(saga, order.order_id, "NeedsOperator") == ["delivery_overdue"]
    assert (await saga.describe(order)).status == WorkflowExecutionStatus.RUNNING

    # The carrier's webhook still completes it, in whichever run it lands.
    await handle.signal(OrderWorkflow.carrier_event, saga.event("delivered"))
    outcome = await saga.result_of(handle)
    assert outcome.status == "delivered"
    assert saga.stubs.attempts("reserve_stock") == 1  # the new runs only track
    assert await saga.replay_failures(order) == []


async def test_a_carrier_exception_is_flagged_and_a_later_delivery_completes(
    saga: Saga,
) -> None:
    answers = iter(
        [
            ShipmentTracking([TrackingEvent("exception", "2026-01-01T00:00:00Z")]),
            NOTHING_YET,
            ShipmentTracking([TrackingEvent("delivered", "2026-01-03T00:00:00Z")]),
        ]
    )
    saga.stubs.behaviour["track_shipment"] = lambda _: next(answers)
    order = saga.order()

    outcome = await saga.run(order)

    assert outcome.status == "delivered"
    assert flags_of(saga) == ["carrier_exception"]
    recorded = [c.command["event"] for c in saga.stubs.calls if c.step == "record_carrier_event"]
    assert recorded == ["exception", "delivered"]


async def test_tracking_polls_give_way_to_bookings(saga: Saga) -> None:
    order = saga.order()

    outcome = await saga.run(order)

    assert outcome.status == "delivered"
    priorities = await saga.priorities(order)
    assert priorities["track_shipment"] > priorities.get("create_shipment", 0)


@pytest.mark.parametrize("capture", [refuses(ProviderRejected), keeps_failing])
async def test_a_capture_that_fails_after_delivery_keeps_the_money_and_the_units(
    saga: Saga, capture: Any
) -> None:
    saga.stubs.behaviour["capture_payment"] = capture
    saga.stubs.behaviour["cancel_shipment"] = refuses(ShipmentDelivered)
    # Retries an hour apart at most: a day of them is a few dozen attempts to skip
    # through, not a thousand; the bound is the authorization's hold either way.
    steps = dict(saga.policy.steps)
    steps["capture_payment"] = replace(steps["capture_payment"], maximum_interval_seconds=3_600)
    order = saga.order(
        capture_bound_seconds=600.0, authorization_hold_seconds=86_400.0, steps=steps
    )

    outcome = await saga.run(order)

    assert outcome.status == "delivered"
    assert "void_payment" not in saga.stubs.steps_run()
    assert "release_stock" not in saga.stubs.steps_run()
    assert flags_of(saga) == ["capture_failed"]
    assert await saga.replay_failures(order) == []
    if capture is keeps_failing:  # retried for as long as the authorization holds
        assert await saga.workflow_span(order) >= timedelta(hours=23)


async def test_a_capture_that_fails_before_the_parcel_left_is_undone(saga: Saga) -> None:
    saga.stubs.behaviour["capture_payment"] = refuses(ProviderRejected)

    outcome = await saga.run(saga.order())

    assert (outcome.status, outcome.failure_reason) == ("failed", "capture_failed")
    assert saga.stubs.steps_run()[-4:] == [
        "cancel_shipment",
        "void_payment",
        "release_stock",
        "close_order",
    ]
    assert flags_of(saga) == []


async def test_a_cancel_requested_in_temporal_while_a_step_retries_cancels_the_order(
    saga: Saga,
) -> None:
    saga.stubs.behaviour["authorize_payment"] = keeps_failing
    order = saga.order()
    handle = await saga.start(order)
    await saga.wait_until(lambda: saga.stubs.attempts("authorize_payment") >= 2)

    await handle.cancel()
    outcome = await saga.result_of(handle)

    assert (outcome.status, outcome.failure_reason) == ("cancelled", None)
    close = saga.stubs.command_of("close_order")
    assert close["cancelled"] is True
    assert close["cancelled_by"] == "temporal"
    assert await saga.replay_failures(order) == []
    assert saga.stubs.steps_run()[-3:] == ["void_payment", "release_stock", "close_order"]


async def test_a_cancel_requested_in_temporal_after_shipping_is_refused(saga: Saga) -> None:
    saga.stubs.behaviour["track_shipment"] = lambda _: NOTHING_YET
    order = saga.order()
    handle = await saga.start(order)
    await saga.env.sleep(timedelta(minutes=30))  # shipped, captured, and polled since
    assert saga.stubs.attempts("track_shipment") >= 1

    await handle.cancel()
    await handle.signal(OrderWorkflow.carrier_event, saga.event("delivered"))
    outcome = await saga.result_of(handle)

    assert outcome.status == "delivered"
    assert not {"cancel_shipment", "void_payment", "release_stock"} & set(saga.stubs.steps_run())
    assert (await saga.describe(order)).status == WorkflowExecutionStatus.COMPLETED
