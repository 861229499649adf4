"""Every activity of the saga, forward step or compensation, fails once in each way a
real one can; the order still settles where it should and the books stay straight.

- raises: the first attempt fails before doing anything;
- times_out: the first attempt outlives its start-to-close timeout, then does its
  work anyway, late, while the retry has already done it;
- loses_reply: the first attempt does its work, then its answer never arrives;
- throttled: the provider answers the first attempt's call 429 with a Retry-After;
- in_progress: the provider answers it 409, a request with that key still running.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from cli.admin.check import run_check
from domain.commands import CapturePayment
from infra.settings import Settings
from services import order_client
from services.books import check
from tests.polling import eventually
from tests.workflows.conftest import activity_name, carrier_updates_off, saga_with
from tests.workflows.test_order_saga import wait_for_status
from workflows.contracts import ReviewDecision, StepPolicy
from workflows.steps import BY_NAME, Queue, resolve_steps

MODES = ["raises", "times_out", "loses_reply"]
PROVIDER_MODES = {
    "throttled": {"error_status": 429, "retry_after_s": 1},
    "in_progress": {"error_status": 409},
}
# The simulator each provider step calls.
PROVIDER_OF = {
    "authorize_payment": "payment",
    "capture_payment": "payment",
    "void_payment": "payment",
    "create_shipment": "carrier",
    "cancel_shipment": "carrier",
}
TIMEOUT_SECONDS = 1.0

# Which road the order takes so that the faulty step runs, and where it must end.
HAPPY = ("delivered", None)
CAPTURE_REFUSED = ("failed", "capture_failed")
ROAD = {
    "reserve_stock": HAPPY,
    "authorize_payment": HAPPY,
    "create_shipment": HAPPY,
    "capture_payment": HAPPY,
    "record_carrier_event": HAPPY,
    "request_review": HAPPY,
    "record_review": HAPPY,
    "cancel_shipment": CAPTURE_REFUSED,
    "void_payment": CAPTURE_REFUSED,
    "release_stock": CAPTURE_REFUSED,
    "close_order": CAPTURE_REFUSED,
}
REVIEWED = {"request_review", "record_review"}


def failing_once(
    mode: str, late_attempts: list[str], provider: httpx.AsyncClient | None = None
) -> Callable[[Any], Any]:
    def wrap(real: Any) -> Any:
        @functools.wraps(real)
        async def faulty(command: Any) -> Any:
            first = activity.info().attempt == 1
            late_attempts.append(f"attempt {activity.info().attempt}")
            if first and mode in PROVIDER_MODES:
                assert provider is not None
                faults = {"fail_next": 1, **PROVIDER_MODES[mode]}
                (await provider.put("/admin/faults", json=faults)).raise_for_status()
            if first and mode == "raises":
                raise RuntimeError("injected: the step failed")
            if first and mode == "times_out":
                try:
                    await asyncio.sleep(TIMEOUT_SECONDS + 0.5)
                except asyncio.CancelledError:
                    # A local activity's timeout is enforced in the worker: it cancels.
                    late_attempts.append("cancelled")
                    raise
                try:
                    return await real(command)  # nobody listens any more
                finally:
                    late_attempts.append("finished")
            result = await real(command)
            if first and mode == "loses_reply":
                raise RuntimeError("injected: the reply was lost")
            return result

        # wraps() copied the real definition along with the signature; this one replaces it.
        del faulty.__temporal_activity_definition  # type: ignore[attr-defined]
        return activity.defn(name=activity_name(real))(faulty)

    return wrap


def refusing_capture(real: Any) -> Any:
    @activity.defn(name="capture_payment")
    async def capture_payment(command: CapturePayment) -> None:
        raise ApplicationError("injected: capture refused", type="ProviderRejected")

    return capture_payment


CASES = [(step, mode) for step in ROAD for mode in MODES] + [
    (step, mode) for step in PROVIDER_OF for mode in PROVIDER_MODES
]


@pytest.mark.parametrize(("step", "mode"), CASES)
async def test_a_fault_in_one_step_leaves_the_books_straight(
    step: str,
    mode: str,
    client: Client,
    settings: Settings,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
) -> None:
    expected = ROAD[step]
    late_attempts: list[str] = []
    provider = simulators[PROVIDER_OF[step]] if mode in PROVIDER_MODES else None
    wrap = {step: failing_once(mode, late_attempts, provider)}
    if expected == CAPTURE_REFUSED:
        wrap["capture_payment"] = refusing_capture
    steps = resolve_steps({})
    # A short timeout for the faulty step only, so its late attempt is quickly retried.
    steps[step] = StepPolicy(TIMEOUT_SECONDS, initial_interval_seconds=0.2)
    review_threshold = 1_000 if step in REVIEWED else 1_000_000

    async with AsyncExitStack() as stack:
        if expected == CAPTURE_REFUSED:
            await stack.enter_async_context(carrier_updates_off(simulators))
        saga = await stack.enter_async_context(
            saga_with(client, settings, session_uow, simulators, wrap)
        )
        sku = await saga.product(price=2_500, on_hand=5)
        order = saga.order((sku, 2), steps=steps, review_threshold=review_threshold)
        await saga.place(order)
        if step in REVIEWED:
            await wait_for_status(saga, order.order_id, "awaiting_review", timeout=60)
            await order_client.review(
                client, saga.settings, order.order_id, ReviewDecision(True, "usr_ops")
            )
        outcome = await saga.outcome(order, timeout=120)
        if mode == "times_out":

            async def late_attempt_over() -> bool:
                return bool(late_attempts)

            await eventually(late_attempt_over, timeout=60)
        violations = await check(
            saga.settings, order_ids=[order.order_id], grace=timedelta(0), temporal=client
        )

    assert (outcome.status, outcome.failure_reason) == expected
    assert [str(v) for v in violations] == []
    if mode == "times_out":
        # Database steps run locally: the worker cancels the late attempt. A remote
        # attempt nobody waits for any more runs to its end, and changes nothing.
        # (Steps that run more than once per order time out once per run.)
        local = BY_NAME[step].queue is Queue.ORDERS
        ends = {"cancelled", "finished"} & set(late_attempts)
        assert ends == {"cancelled" if local else "finished"}
    if mode in PROVIDER_MODES:  # the answer was taken as "later", not as a refusal
        assert "attempt 2" in late_attempts


async def test_orders_admin_check_passes_on_straight_books(
    saga: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sku = await saga.product(on_hand=2)
    order = saga.order((sku, 1))
    await saga.place(order)
    await saga.outcome(order)

    exit_code = await run_check(saga.settings, [order.order_id], grace=0)

    assert exit_code == 0
    assert capsys.readouterr().out.startswith("ok: 1 order(s), no violation")
