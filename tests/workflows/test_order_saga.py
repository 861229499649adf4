"""OrderWorkflow on the real dev server, with real activities, PostgreSQL and simulators."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.errors import IdempotencyKeyReused, NotAwaitingReview, NotCancellable
from domain.order import Address
from services import order_client
from tests.factories import stock_of
from tests.polling import eventually
from tests.workflows.conftest import Saga
from workflows.contracts import CancelRequest, OrderWorkflowInput, ReviewDecision
from workflows.order import OrderWorkflow
from workflows.search_attributes import ORDER_TOTAL
from workflows.steps import resolve_steps

ANTARCTICA = Address("Penguin", "1 Ice Shelf", "McMurdo", "0000", "AQ")


async def status_of(saga: Saga, order_id: str) -> str:
    async with saga.uow() as uow:
        order = await uow.orders.get(order_id, lock=False)
    assert order is not None
    return order.status.value


async def wait_for_status(saga: Saga, order_id: str, status: str, timeout: float = 30) -> None:
    async def reached() -> bool:
        return await status_of(saga, order_id) == status

    await eventually(reached, timeout)


def compensating(saga: Saga, order: OrderWorkflowInput, undo: str) -> Callable[[], Awaitable[bool]]:
    """Whether the saga has got to this undo step (it waits there for the provider)."""

    async def reached() -> bool:
        return await saga.attempts(order, undo) >= 1

    reached.__name__ = f"{undo} pending"
    return reached


# -- the happy path -------------------------------------------------------------------------


async def test_an_order_is_reserved_paid_shipped_and_delivered(saga: Saga) -> None:
    sku = await saga.product(price=2_500, on_hand=10)
    order = saga.order((sku, 2))

    placement = await saga.place(order)
    outcome = await saga.outcome(order)

    assert placement.reserved and not placement.replayed
    assert outcome.status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]
    assert sorted(await saga.emails_once(order.order_id, 3)) == ["delivered", "placed", "shipped"]
    stock = await stock_of(saga.uow, sku)
    assert (stock.on_hand, stock.reserved) == (8, 0)


# -- refusals -------------------------------------------------------------------------------


async def test_a_declined_payment_releases_the_stock(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 3), token="tok_declined")

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "payment_declined")
    assert await saga.payment_operations(order.order_id) == []
    assert (await stock_of(saga.uow, sku)).reserved == 0
    assert "failed" in await saga.emails_once(order.order_id, 2)


async def test_out_of_stock_is_refused_at_placement_and_holds_nothing(saga: Saga) -> None:
    sku = await saga.product(on_hand=1)
    order = saga.order((sku, 2))

    placement = await saga.place(order)
    outcome = await saga.outcome(order)

    assert not placement.reserved and placement.refused_skus == [sku]
    assert (outcome.status, outcome.failure_reason) == ("failed", "out_of_stock")
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_a_refused_destination_voids_the_payment_and_releases_the_stock(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), address=ANTARCTICA)

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "shipping_refused")
    assert await saga.payment_operations(order.order_id) == ["authorize", "void"]
    assert (await stock_of(saga.uow, sku)).reserved == 0


# -- provider faults ------------------------------------------------------------------------


async def test_an_order_waits_out_a_payment_outage_and_completes(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), payment_bound_seconds=60)
    await saga.faults("payment", down=True)

    await saga.place(order)

    async def authorization_retried() -> bool:
        return await saga.attempts(order, "authorize_payment") >= 2

    await eventually(authorization_retried)
    assert await status_of(saga, order.order_id) == "reserved"
    await saga.faults("payment", down=False)

    assert (await saga.outcome(order)).status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]


async def test_a_payment_outage_past_its_bound_fails_the_order_and_releases_stock(
    saga: Saga,
) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), payment_bound_seconds=2)
    await saga.faults("payment", down=True)

    await saga.place(order)
    await eventually(compensating(saga, order, "void_payment"))  # the bound has passed
    await saga.faults("payment", down=False)
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "payment_unavailable")
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_a_carrier_outage_past_its_bound_voids_the_payment(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), shipping_bound_seconds=2)
    await saga.faults("carrier", down=True)

    await saga.place(order)
    await wait_for_status(saga, order.order_id, "authorized")
    await eventually(compensating(saga, order, "cancel_shipment"))  # the bound has passed
    await saga.faults("carrier", down=False)
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "shipping_unavailable")
    assert await saga.payment_operations(order.order_id) == ["authorize", "void"]
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_a_lost_reply_is_retried_without_charging_twice(saga: Saga) -> None:
    """The provider authorizes, the reply is lost, the activity retries with the same
    idempotency key and gets the first answer back."""
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1))
    await saga.faults("payment", lose_replies=1)

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert outcome.status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]


async def test_a_flaky_card_succeeds_after_retries_with_one_charge(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), token="tok_flaky")

    await saga.place(order)

    assert (await saga.outcome(order)).status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]


# -- cancellation ---------------------------------------------------------------------------


async def test_cancelling_while_payment_is_retried_releases_the_stock(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 4), payment_bound_seconds=120)
    await saga.faults("payment", down=True)
    await saga.place(order)

    cancelling = asyncio.create_task(
        order_client.cancel(saga.client, saga.settings, order.order_id, CancelRequest("oops"))
    )
    await eventually(compensating(saga, order, "void_payment"))  # needs the provider back
    await saga.faults("payment", down=False)
    view = await cancelling
    outcome = await saga.outcome(order)

    assert view is not None and view.status == "cancelled"
    assert outcome.status == "cancelled"
    assert (await stock_of(saga.uow, sku)).reserved == 0
    assert "cancelled" in await saga.emails_once(order.order_id, 2)


async def test_cancelling_an_order_in_review_undoes_it(saga: Saga) -> None:
    sku = await saga.product(price=10_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000)
    await saga.place(order)
    await wait_for_status(saga, order.order_id, "awaiting_review")

    await order_client.cancel(saga.client, saga.settings, order.order_id, CancelRequest())

    assert (await saga.outcome(order)).status == "cancelled"
    assert await saga.payment_operations(order.order_id) == []
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_a_shipped_order_cannot_be_cancelled(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1))
    await saga.simulators["carrier"].put("/admin/config", json={"send_updates": False})
    try:
        await saga.place(order)
        await wait_for_status(saga, order.order_id, "shipped")

        # The workflow refuses once it has seen the booking come back (until then a
        # cancel is still taken and called back; the API refuses on the read model).
        async def workflow_shipped() -> bool:
            view = await saga.handle(order).query(OrderWorkflow.status)
            return bool(view.status == "shipped")

        await eventually(workflow_shipped)
        with pytest.raises(NotCancellable):
            await order_client.cancel(saga.client, saga.settings, order.order_id, CancelRequest())

        assert await status_of(saga, order.order_id) == "shipped"
    finally:
        await saga.simulators["carrier"].post("/admin/reset")
        await saga.handle(order).terminate("test over")


# -- review ---------------------------------------------------------------------------------


async def test_an_approved_review_lets_the_order_through(saga: Saga) -> None:
    sku = await saga.product(price=10_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000)
    await saga.place(order)
    await wait_for_status(saga, order.order_id, "awaiting_review")

    view = await order_client.review(
        saga.client, saga.settings, order.order_id, ReviewDecision(True, "usr_ops", "ok")
    )

    assert view is not None and view.status == "reserved"
    assert (await saga.outcome(order)).status == "delivered"


async def test_a_rejected_review_fails_the_order_and_releases_stock(saga: Saga) -> None:
    sku = await saga.product(price=10_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000)
    await saga.place(order)
    await wait_for_status(saga, order.order_id, "awaiting_review")

    await order_client.review(
        saga.client, saga.settings, order.order_id, ReviewDecision(False, "usr_ops", "fraud")
    )
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "review_rejected")
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_a_review_nobody_decides_times_out_and_fails(saga: Saga) -> None:
    sku = await saga.product(price=10_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000, review_timeout_seconds=1.5)

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert (outcome.status, outcome.failure_reason) == ("failed", "review_timed_out")
    assert (await stock_of(saga.uow, sku)).reserved == 0


async def test_an_order_below_the_threshold_skips_review(saga: Saga) -> None:
    sku = await saga.product(price=1_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000)

    await saga.place(order)

    assert (await saga.outcome(order)).status == "delivered"


# -- idempotency ----------------------------------------------------------------------------


async def test_the_same_request_twice_is_one_order(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 2))

    first = await saga.place(order)
    second = await saga.place(order)

    assert (first.replayed, second.replayed) == (False, True)
    assert (await saga.outcome(order)).status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]
    assert (await stock_of(saga.uow, sku)).on_hand == 8


async def test_concurrent_duplicates_start_one_workflow_and_reserve_once(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 3))

    placements = await asyncio.gather(*(saga.place(order) for _ in range(5)))

    assert sorted(p.replayed for p in placements) == [False, True, True, True, True]
    assert (await saga.outcome(order)).status == "delivered"
    assert (await stock_of(saga.uow, sku)).on_hand == 7


async def test_the_same_key_with_another_body_is_refused(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1))
    other = dataclasses.replace(saga.order((sku, 5)), order_id=order.order_id)
    await saga.place(order)

    with pytest.raises(IdempotencyKeyReused):
        await saga.place(other)

    assert (await saga.outcome(order)).status == "delivered"


async def test_a_review_of_an_order_not_in_review_is_refused_by_type(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    order = saga.order((sku, 1), payment_bound_seconds=60)
    await saga.faults("payment", down=True)
    await saga.place(order)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await saga.handle(order).execute_update(
            OrderWorkflow.review, ReviewDecision(True, "usr_ops")
        )
    await saga.faults("payment", down=False)

    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == NotAwaitingReview.__name__
    assert (await saga.outcome(order)).status == "delivered"


# -- retry policy from settings -------------------------------------------------------------


async def test_an_activity_policy_override_from_settings_governs_the_retries(saga: Saga) -> None:
    sku = await saga.product(on_hand=10)
    one_try = saga.settings.model_copy(
        update={"activity_policies": {"authorize_payment": {"maximum_attempts": 1}}}
    )
    saga.settings = one_try
    order = saga.order((sku, 1), payment_bound_seconds=600)
    await saga.faults("payment", lose_replies=1)  # the one attempt fails, nothing retries it

    await saga.place(order)
    outcome = await saga.outcome(order, timeout=30)

    assert (outcome.status, outcome.failure_reason) == ("failed", "payment_unavailable")
    assert await saga.payment_operations(order.order_id) == ["authorize", "void"]


def test_an_override_for_an_unknown_activity_is_refused() -> None:
    with pytest.raises(ValueError, match="no activity named"):
        resolve_steps({"authorise_payment": {"maximum_attempts": 1}})


# -- the Temporal UI as an ops console ------------------------------------------------------


async def test_operators_find_orders_by_status_and_customer_in_temporal(saga: Saga) -> None:
    sku = await saga.product(price=10_000, on_hand=10)
    order = saga.order((sku, 1), review_threshold=5_000)
    await saga.place(order)
    await wait_for_status(saga, order.order_id, "awaiting_review")
    query = f'OrderStatus = "awaiting_review" AND CustomerId = "{saga.customer_id}"'

    async def listed() -> list[str]:
        return [w.id async for w in saga.client.list_workflows(query)]

    found = await eventually(listed)
    live = await saga.handle(order).query(OrderWorkflow.status)
    description = await saga.handle(order).describe()
    await order_client.cancel(saga.client, saga.settings, order.order_id, CancelRequest())

    assert found == [f"order-{order.order_id}"]
    assert live.status == "awaiting_review"
    assert description.typed_search_attributes.get(ORDER_TOTAL) == 10_000
    assert sku in (await description.static_summary() or "")


# -- what the Temporal UI shows ---------------------------------------------------------------


async def summaries_of(saga: Saga, handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The summaries of the history's activities and timers, decrypted as the UI does."""
    history = await handle.fetch_history()
    payloads = [
        event.user_metadata.summary
        for event in history.events
        if event.HasField("user_metadata") and event.user_metadata.HasField("summary")
    ]
    return [str(text) for text in await saga.client.data_converter.decode(payloads)]


async def test_the_temporal_ui_says_what_each_step_does_and_what_the_order_waits_for(
    saga: Saga,
) -> None:
    sku = await saga.product(price=150_000, on_hand=5)
    order = saga.order((sku, 1), review_threshold=1_000)
    await saga.place(order)
    await wait_for_status(saga, order.order_id, "awaiting_review")
    handle = saga.handle(order)

    async def current_details() -> str:
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        return str(metadata.current_details)

    async def waiting_for_review() -> str:
        details = await current_details()
        return details if "ops review" in details else ""

    details = await eventually(waiting_for_review)
    summaries = await summaries_of(saga, handle)
    whose = f"order {order.order_id} of {order.customer_id}"

    assert "1,500.00 USD" in details and f"/v1/orders/{order.order_id}/review" in details
    assert f"reserve 1 x {sku} for {whose}" in summaries
    assert f"hold {whose} (1,500.00 USD) for an ops review" in summaries
    assert f"ops review of {whose} (1,500.00 USD)" in summaries  # the review timer
    await order_client.cancel(saga.client, saga.settings, order.order_id, CancelRequest())
    await saga.outcome(order)
    summaries = await summaries_of(saga, handle)
    assert f"release or restock 1 x {sku} of {whose}" in summaries
    assert f"close {whose} as cancelled" in summaries


async def test_the_status_is_upserted_only_where_operators_look_for_it(saga: Saga) -> None:
    sku = await saga.product(price=1_000, on_hand=5)
    order = saga.order((sku, 1))
    await saga.place(order)
    await saga.outcome(order)

    history = await saga.handle(order).fetch_history()
    upserted = [
        json.loads(fields["OrderStatus"].data)
        for event in history.events
        if event.HasField("upsert_workflow_search_attributes_event_attributes")
        for fields in [
            event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        ]
        if "OrderStatus" in fields
    ]
    # reserved and authorized last a provider call: the UI shows pending until shipped
    assert upserted == ["shipped", "delivered"]


# -- providers on queues of their own ---------------------------------------------------


@pytest.mark.parametrize("saga", [True], indirect=True)
async def test_an_order_is_delivered_with_each_provider_on_a_queue_of_its_own(
    saga: Saga,
) -> None:
    sku = await saga.product(on_hand=5)
    order = saga.order((sku, 1))

    await saga.place(order)
    outcome = await saga.outcome(order)

    assert outcome.status == "delivered"
    assert order.policy.provider_queues["payment"] == f"{saga.settings.task_queue}-payment"
    assert await saga.payment_operations(order.order_id) == ["authorize", "capture"]
