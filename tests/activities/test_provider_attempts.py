"""Provider steps against the real simulators: an undo never takes "found nothing" for
done when we stored an id, a slow call heartbeats (a quick one does not), and a call
never outlives its attempt."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.payment import PaymentActivities
from domain.commands import (
    AuthorizePayment,
    CapturePayment,
    VoidPayment,
)
from infra.settings import Settings
from providers.http import ProviderHttp
from providers.payment import PaymentClient
from tests.factories import reserved_order
from tests.statements import engine_of, statements_on


def attempt_of(seconds: float) -> ActivityEnvironment:
    """An attempt with `seconds` of start-to-close left, as Temporal would give it."""
    env = ActivityEnvironment()
    now = datetime.now(UTC)
    env.info = dataclasses.replace(
        env.info,
        scheduled_time=now,
        schedule_to_close_timeout=timedelta(minutes=10),
        started_time=now,
        start_to_close_timeout=timedelta(seconds=seconds),
    )
    return env


@pytest.fixture
async def payments(session_uow: Any, settings: Settings) -> AsyncIterator[PaymentActivities]:
    """The payment steps against the payment simulator; the client's own timeout is
    longer than any attempt here, so an attempt's deadline is what cuts a call."""
    http = ProviderHttp(settings.payment_url, timeout=30)
    try:
        yield PaymentActivities(session_uow, PaymentClient(http))
    finally:
        await http.aclose()


async def authorize_counting_heartbeats(payments: PaymentActivities, order_id: str) -> list[Any]:
    """Authorizes the order in an attempt with a minute to spare; the heartbeats it sent."""
    env = attempt_of(60)
    beats: list[Any] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    authorized = await env.run(payments.authorize_payment, AuthorizePayment(order_id, "tok_ok"))
    assert authorized.authorization_id
    return beats


async def test_a_void_never_takes_an_authorization_it_cannot_find_for_undone(
    session_uow: Any, payments: PaymentActivities
) -> None:
    order_id = await reserved_order(session_uow)
    async with session_uow() as uow:  # the reply of a late authorization was recorded
        order = await uow.orders.get(order_id)
        order.authorize("auth_the_provider_does_not_list")
        await uow.orders.save(order)
        await uow.commit()

    with pytest.raises(ApplicationError) as raised:
        await attempt_of(10).run(payments.void_payment, VoidPayment(order_id))

    assert not raised.value.non_retryable  # asked about again, not taken as undone
    async with session_uow() as uow:
        order = await uow.orders.get(order_id, lock=False)
    assert order is not None and order.payment_status.value == "authorized"


async def test_a_slow_provider_call_heartbeats_and_a_call_never_outlives_its_attempt(
    session_uow: Any, payments: PaymentActivities, simulators: dict[str, httpx.AsyncClient]
) -> None:
    order_id = await reserved_order(session_uow)
    await simulators["payment"].put("/admin/faults", json={"latency_ms": 5_000})

    # Plenty of time: the call waits for the provider and heartbeats meanwhile.
    beats = await authorize_counting_heartbeats(payments, order_id)
    assert len(beats) >= 1

    # One second left: the call is cut there and reported as "try again", even
    # though the client's own timeout (30 s) would have waited for the answer.
    other = await reserved_order(session_uow)
    with pytest.raises(ApplicationError) as cut:
        await attempt_of(1).run(payments.authorize_payment, AuthorizePayment(other, "tok_ok"))
    assert not cut.value.non_retryable


async def test_a_call_answered_within_the_heartbeat_interval_sends_no_heartbeat(
    session_uow: Any, payments: PaymentActivities
) -> None:
    order_id = await reserved_order(session_uow)
    beats = await authorize_counting_heartbeats(payments, order_id)

    # Each heartbeat is a write on the server: a call that is over sooner sends none.
    assert beats == []


async def test_an_undo_after_capture_refunds_it_once_and_writes_it_in_the_ledger(
    session_uow: Any, payments: PaymentActivities
) -> None:
    order_id = await reserved_order(session_uow)
    env = attempt_of(30)
    await env.run(payments.authorize_payment, AuthorizePayment(order_id, "tok_ok"))
    await env.run(payments.capture_payment, CapturePayment(order_id))

    # The saga undoes a captured order; a retry after its commit finds it refunded.
    await env.run(payments.void_payment, VoidPayment(order_id))
    await env.run(payments.void_payment, VoidPayment(order_id))

    async with session_uow() as uow:
        order = await uow.orders.get(order_id, lock=False)
        refunds = await uow.refunds.of_order(order_id)
    assert order is not None
    assert order.payment_status.value == "refunded"
    assert [(r.amount, r.reason.value, r.status.value) for r in refunds] == [
        (1_500, "failed_order", "succeeded")
    ]
    assert order.refunded_total == 1_500


async def test_the_payment_steps_given_what_the_workflow_knows_read_nothing_first(
    session_uow: Any, payments: PaymentActivities
) -> None:
    """The same authorization and capture, once as histories of before ask for them
    (the step reads the order) and once as the workflow now does (amount, currency
    and authorization given): the same outcome, in fewer statements."""

    async def authorize_and_capture(knows: bool) -> tuple[str, int]:
        order_id = await reserved_order(session_uow)
        env = attempt_of(30)
        amount, currency = (1_500, "USD") if knows else (None, None)
        with statements_on(await engine_of(session_uow)) as sent:
            authorized = await env.run(
                payments.authorize_payment, AuthorizePayment(order_id, "tok_ok", amount, currency)
            )
            known = authorized.authorization_id if knows else None
            await env.run(
                payments.capture_payment, CapturePayment(order_id, authorization_id=known)
            )
        spent = len(sent)
        async with session_uow() as uow:
            order = await uow.orders.get(order_id, lock=False)
        assert order is not None and order.authorization_id == authorized.authorization_id
        return order.payment_status.value, spent

    told, read = await authorize_and_capture(True), await authorize_and_capture(False)

    assert told[0] == read[0] == "captured"
    assert told[1] <= read[1] - 2  # one read of the order before each provider call
