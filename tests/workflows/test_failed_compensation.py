"""An undo step that gives up past its bound is counted, flagged on the order, shown in
Temporal, and found by the invariant check: nothing is left for a log line alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

from activities.order_metrics import COMPENSATION_FAILURES
from cli.admin.check import run_check
from domain import events
from domain.commands import CapturePayment, VoidPayment
from infra.settings import Settings
from infra.temporal_client import data_converter
from services.books import check
from tests.factories import stock_of
from tests.polling import eventually
from tests.workflows.conftest import saga_with
from tests.workflows.test_order_saga import ANTARCTICA
from workflows.contracts import StepPolicy
from workflows.order import OrderWorkflow
from workflows.search_attributes import FAILED_COMPENSATIONS, NEEDS_OPERATOR
from workflows.steps import resolve_steps


def void_never_works(real: Any) -> Any:
    @activity.defn(name="void_payment")
    async def void_payment(command: VoidPayment) -> None:
        raise RuntimeError("injected: the payment provider keeps failing")

    return void_payment


async def test_a_void_that_gives_up_is_flagged_for_an_operator(
    client: Client,
    settings: Settings,
    session_uow: Any,
    simulators: dict[str, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = COMPENSATION_FAILURES.labels("void_payment")._value.get()
    steps = resolve_steps({})
    steps["void_payment"] = StepPolicy(5, initial_interval_seconds=0.2)

    async with saga_with(
        client, settings, session_uow, simulators, {"void_payment": void_never_works}
    ) as saga:
        sku = await saga.product(on_hand=3)
        # The carrier refuses Antarctica, so the authorization must be voided.
        order = saga.order((sku, 1), address=ANTARCTICA, steps=steps, compensation_bound_seconds=2)
        await saga.place(order)
        outcome = await saga.outcome(order)
        description = await saga.handle(order).describe()
        history = await saga.handle(order).fetch_history()
        violations = await check(
            saga.settings, order_ids=[order.order_id], grace=timedelta(0), temporal=client
        )
        exit_code = await run_check(saga.settings, [order.order_id], grace=0)

    assert (outcome.status, outcome.failure_reason) == ("failed", "shipping_refused")
    async with session_uow() as uow:
        stored = await uow.orders.get(order.order_id, lock=False)
        flagged = await uow.orders.event_data(order.order_id, events.COMPENSATION_FAILED)
    assert stored is not None and stored.failed_compensations == ["void_payment"]
    assert flagged == {"step": "void_payment"}
    assert COMPENSATION_FAILURES.labels("void_payment")._value.get() == before + 1
    assert description.typed_search_attributes.get(FAILED_COMPENSATIONS) == ["void_payment"]
    # The other undo steps still ran.
    assert (await stock_of(session_uow, sku)).reserved == 0
    # And the books show what the operator must fix: money still held.
    assert [(v.rule, v.subject) for v in violations] == [("money", order.order_id)]
    assert exit_code == 1
    assert f"money     {order.order_id}" in capsys.readouterr().out
    # The flagging is guarded by a patch, and its history replays.
    replayer = Replayer(workflows=[OrderWorkflow], data_converter=data_converter(settings))
    replayed = await replayer.replay_workflow(history)
    assert replayed.replay_failure is None


async def test_a_capture_refused_after_delivery_keeps_the_units_and_the_authorization(
    client: Client, settings: Settings, session_uow: Any, simulators: dict[str, httpx.AsyncClient]
) -> None:
    """The goods are with the customer: nothing goes back on the shelf, nothing is
    voided, and a person is told to settle the payment."""

    def refuse_once_delivered(real: Any) -> Any:
        @activity.defn(name="capture_payment")
        async def capture_payment(command: CapturePayment) -> None:
            async def delivered() -> bool:
                ledger = (await simulators["carrier"].get("/admin/ledger")).json()
                return any(
                    s["reference"] == command.order_id and s["status"] == "delivered"
                    for s in ledger["shipments"]
                )

            await eventually(delivered, timeout=60)
            raise ApplicationError(
                "injected: capture refused", type="ProviderRejected", non_retryable=True
            )

        return capture_payment

    async with saga_with(
        client, settings, session_uow, simulators, {"capture_payment": refuse_once_delivered}
    ) as saga:
        sku = await saga.product(on_hand=5)
        order = saga.order((sku, 2))
        await saga.place(order)
        outcome = await saga.outcome(order)
        description = await saga.handle(order).describe()
        violations = await check(
            saga.settings, order_ids=[order.order_id], grace=timedelta(0), temporal=client
        )

    assert (outcome.status, outcome.failure_reason) == ("delivered", None)
    async with session_uow() as uow:
        stored = await uow.orders.get(order.order_id, lock=False)
        undone = [
            await uow.orders.event_data(order.order_id, entry)
            for entry in (events.STOCK_RESTOCKED, events.PAYMENT_VOIDED, events.COMPENSATION_FAILED)
        ]
        flagged = await uow.orders.event_data(order.order_id, events.ORDER_FLAGGED)
    assert stored is not None
    assert stored.payment_status.value == "authorized"
    assert stored.stock_status.value == "committed"
    stock = await stock_of(session_uow, sku)
    assert (stock.on_hand, stock.reserved) == (3, 0)  # two units left with the parcel
    assert undone == [None, None, None]
    assert flagged is not None and flagged["reason"] == "capture_failed"
    assert description.typed_search_attributes.get(NEEDS_OPERATOR) == ["capture_failed"]
    # The books say what the operator must settle: goods delivered, nothing captured.
    assert {(v.rule, v.subject) for v in violations} == {("money", order.order_id)}
