"""ReturnWorkflow on the time-skipping server: the ship-by deadline and the daily look
run in moments, so a return left unshipped or unreviewed for two weeks is seen to
expire (and its label called off), and a lost signal only delays the refund."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.commands import ReturnState
from tests.saga.conftest import Saga
from workflows.returns import ReturnInput, ReturnWorkflow

SHIP_BY = timedelta(days=14)


def a_return(saga: Saga, status: str = "requested") -> ReturnInput:
    queues = saga.policy.provider_queues
    return ReturnInput(
        return_id=f"ret_{uuid.uuid4().hex[:12]}",
        order_id="ord_stub",
        status=status,
        expires_at=(datetime.now(UTC) + SHIP_BY).isoformat(),
        label_bound_seconds=600,
        refund_bound_seconds=3_600,
        cancel_bound_seconds=7 * 86_400,
        carrier_queue=queues.get("carrier"),
        payment_queue=queues.get("payment"),
    )


def answers(saga: Saga, **by_step: Any) -> None:
    for step, status in by_step.items():
        saga.stubs.behaviour[step] = (
            status if callable(status) else (lambda _, s=status: ReturnState(s))
        )


async def run(saga: Saga, rma: ReturnInput) -> str:
    return await saga.client.execute_workflow(
        ReturnWorkflow.run,
        rma,
        id=f"return-{rma.return_id}",
        task_queue=saga.task_queue,
        execution_timeout=timedelta(days=60),
    )


async def test_a_return_not_shipped_by_its_deadline_expires_and_its_label_is_called_off(
    saga_alone: Saga,
) -> None:
    answers(saga_alone, approve_return="approved", refresh_return="expired")

    outcome = await run(saga_alone, a_return(saga_alone))

    assert outcome == "expired"
    assert saga_alone.stubs.steps_run() == [
        "approve_return",
        "issue_return_label",
        "refresh_return",
        "cancel_return_label",
    ]


async def test_a_return_left_unreviewed_past_its_deadline_expires_without_a_label(
    saga_alone: Saga,
) -> None:
    answers(saga_alone, refresh_return="expired")

    outcome = await run(saga_alone, a_return(saga_alone, "awaiting_review"))

    assert outcome == "expired"
    assert saga_alone.stubs.steps_run() == ["refresh_return", "cancel_return_label"]


async def test_a_received_return_is_refunded_even_when_its_signal_was_lost(
    saga_alone: Saga,
) -> None:
    # The carrier's news and the receipt reach the books but never the workflow: its
    # look at the deadline finds the parcel travelling, a daily look later finds it in.
    looks = iter(["in_transit", "in_transit", "received"])
    answers(
        saga_alone,
        approve_return="approved",
        refresh_return=lambda _: ReturnState(next(looks, "received"), "ref_1", 1_000, "USD"),
        issue_refund=lambda _: "succeeded",
    )

    outcome = await run(saga_alone, a_return(saga_alone))

    assert outcome == "closed"
    assert saga_alone.stubs.attempts("refresh_return") >= 3
    assert saga_alone.stubs.command_of("issue_refund")["refund_id"] == "ref_1"
    assert "cancel_return_label" not in saga_alone.stubs.steps_run()


async def test_a_signalled_cancel_calls_the_label_off_at_once(saga: Saga) -> None:
    answers(saga, approve_return="approved")
    rma = a_return(saga)
    handle = await saga.client.start_workflow(
        ReturnWorkflow.run, rma, id=f"return-{rma.return_id}", task_queue=saga.task_queue
    )
    await saga.wait_until(lambda: "issue_return_label" in saga.stubs.steps_run())

    await handle.signal(ReturnWorkflow.decided, "cancelled")

    assert await handle.result() == "cancelled"
    assert "refresh_return" not in saga.stubs.steps_run()
    assert saga.stubs.steps_run()[-1] == "cancel_return_label"
