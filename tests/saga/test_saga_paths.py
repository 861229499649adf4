"""Which steps run, and which undo steps follow, for a failure at each step of the saga;
the review timeout; and the retry bound of each step. On skipped time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import DestinationUnsupported, PaymentDeclined
from tests.saga.conftest import Saga, keeps_failing, refuses

FORWARD = ["reserve_stock", "authorize_payment", "create_shipment", "capture_payment"]
TRACKING = ["track_shipment", "record_carrier_event"]


async def test_a_happy_order_runs_every_step_once_and_no_undo(saga: Saga) -> None:
    outcome = await saga.run(saga.order())

    assert outcome.status == "delivered"
    assert saga.stubs.steps_run() == FORWARD + TRACKING
    # Emails go out from the outbox with the timeline, not as steps of the saga.
    assert saga.stubs.milestones_emailed() == []


@pytest.mark.parametrize(
    ("failing", "behaviour", "reason", "undone"),
    [
        (
            "authorize_payment",
            refuses(PaymentDeclined),
            "payment_declined",
            ["void_payment", "release_stock"],
        ),
        (
            "authorize_payment",
            keeps_failing,
            "payment_unavailable",
            ["void_payment", "release_stock"],
        ),
        (
            "create_shipment",
            refuses(DestinationUnsupported),
            "shipping_refused",
            ["cancel_shipment", "void_payment", "release_stock"],
        ),
        (
            "create_shipment",
            keeps_failing,
            "shipping_unavailable",
            ["cancel_shipment", "void_payment", "release_stock"],
        ),
        (
            "capture_payment",
            keeps_failing,
            "capture_failed",
            ["cancel_shipment", "void_payment", "release_stock"],
        ),
    ],
)
async def test_a_failed_step_undoes_every_step_before_it_newest_first(
    saga: Saga, failing: str, behaviour: object, reason: str, undone: list[str]
) -> None:
    saga.stubs.behaviour[failing] = behaviour  # type: ignore[assignment]
    # Short bounds: which undo steps follow does not depend on how long retries last.
    short = {f"{kind}_bound_seconds": 300.0 for kind in ("payment", "shipping", "capture")}

    outcome = await saga.run(saga.order(**short))

    reached = FORWARD[: FORWARD.index(failing) + 1]
    assert (outcome.status, outcome.failure_reason) == ("failed", reason)
    assert saga.stubs.steps_run() == [*reached, *undone, "close_order"]
    assert saga.stubs.command_of("close_order")["failed_compensations"] == []


async def test_an_order_nobody_reviews_in_24_hours_is_rejected_and_released(saga: Saga) -> None:
    order = saga.order(review_threshold=1_000)

    outcome = await saga.run(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "review_timed_out")
    assert timedelta(hours=24) <= await saga.workflow_span(order) < timedelta(hours=25)
    assert saga.stubs.steps_run() == [
        "reserve_stock",
        "request_review",
        "record_review",
        "release_stock",
        "close_order",
    ]
    assert saga.stubs.command_of("record_review")["timed_out"] is True


@pytest.mark.parametrize(
    ("step", "bound", "reason"),
    [
        ("authorize_payment", "payment_bound_seconds", "payment_unavailable"),
        ("create_shipment", "shipping_bound_seconds", "shipping_unavailable"),
        ("capture_payment", "capture_bound_seconds", "capture_failed"),
    ],
)
async def test_a_step_is_retried_until_its_bound_and_no_longer(
    saga: Saga, step: str, bound: str, reason: str
) -> None:
    saga.stubs.behaviour[step] = keeps_failing
    order = saga.order()

    outcome = await saga.run(order)

    bound_seconds = getattr(saga.policy, bound)
    assert outcome.failure_reason == reason
    assert saga.stubs.attempts(step) > 5  # backed off and retried, not given up at once
    # Retries stop once the next one would start past the bound, so the order fails
    # within one backoff interval (capped at 30 s) before the bound, never after it.
    elapsed = await saga.step_span(order, step)
    backoff_cap = timedelta(seconds=saga.policy.steps[step].maximum_interval_seconds)
    assert timedelta(seconds=bound_seconds) - backoff_cap <= elapsed
    assert elapsed <= timedelta(seconds=bound_seconds) + backoff_cap


async def test_an_undo_that_keeps_failing_gives_up_at_its_bound_and_is_flagged(
    saga: Saga,
) -> None:
    saga.stubs.behaviour["authorize_payment"] = refuses(PaymentDeclined)
    saga.stubs.behaviour["void_payment"] = keeps_failing

    outcome = await saga.run(saga.order())

    assert (outcome.status, outcome.failure_reason) == ("failed", "payment_declined")
    assert saga.stubs.steps_run()[-3:] == ["void_payment", "release_stock", "close_order"]
    assert saga.stubs.command_of("close_order")["failed_compensations"] == ["void_payment"]


async def test_a_declined_card_is_tried_once(saga: Saga) -> None:
    saga.stubs.behaviour["authorize_payment"] = refuses(PaymentDeclined)

    await saga.run(saga.order())

    assert saga.stubs.attempts("authorize_payment") == 1
