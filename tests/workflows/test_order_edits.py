"""Edits before fulfillment, in the order's workflow on the real dev server: all or
nothing, the payment difference only, back to review past the threshold, and never
both an edit and a booking."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from domain.commands import LineRequest
from domain.order import Address
from infra.settings import Settings
from services import books
from tests.factories import add_location, stock_at
from tests.polling import eventually
from tests.workflows.conftest import Saga, carrier_updates_off
from workflows.contracts import (
    CarrierUpdate,
    EditOutcome,
    EditRequest,
    OrderWorkflowInput,
    ReviewDecision,
)
from workflows.order import OrderWorkflow

BERLIN = Address("Ada", "1 Unter den Linden", "Berlin", "10117", "DE")


def edit(*lines: tuple[str, int], address: Address | None = None, dry: bool = False) -> EditRequest:
    return EditRequest(
        edit_id=f"edt_{uuid.uuid4().hex[:12]}",
        fingerprint=uuid.uuid4().hex,
        lines=[LineRequest(sku, quantity) for sku, quantity in lines] or None,
        shipping_address=address,
        dry_run=dry,
    )


async def send(saga: Saga, order: OrderWorkflowInput, request: EditRequest) -> EditOutcome:
    return await saga.handle(order).execute_update(OrderWorkflow.edit, request)


async def refused(saga: Saga, order: OrderWorkflowInput, request: EditRequest) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(saga, order, request)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return str(cause.type)


async def approve(saga: Saga, order: OrderWorkflowInput) -> None:
    await saga.handle(order).execute_update(
        OrderWorkflow.review, ReviewDecision(approve=True, reviewer_id="usr_ops")
    )


async def lines_of(saga: Saga, order_id: str) -> list[tuple[str, int, int]]:
    async with saga.uow() as uow:
        order = await uow.orders.get(order_id, lock=False)
    assert order is not None
    return [(line.sku, line.quantity, line.unit_price.amount) for line in order.lines]


async def authorizing(saga: Saga, order: OrderWorkflowInput) -> None:
    """Waits until the order's authorization is being tried (the provider is down)."""

    async def tried() -> bool:
        return await saga.attempts(order, "authorize_payment") >= 1

    await eventually(tried, timeout=60)


async def test_an_edit_in_review_changes_lines_and_the_one_authorization_takes_the_new_total(
    saga: Saga, settings: Settings
) -> None:
    mug = await saga.product(price=30_000, on_hand=5)
    cap = await saga.product(price=2_000, on_hand=5)
    order = saga.order((mug, 2), review_threshold=50_000)
    await saga.place(order)

    outcome = await send(saga, order, edit((mug, 1), (cap, 3)))
    await approve(saga, order)

    assert (outcome.total, outcome.difference) == (36_000, 36_000 - 60_000)
    assert (await saga.outcome(order)).status == "delivered"
    assert await lines_of(saga, order.order_id) == [(mug, 1, 30_000), (cap, 3, 2_000)]
    ledger = await saga.ledger("payment")
    (auth,) = [a for a in ledger["authorizations"] if a["reference"] == order.order_id]
    assert (auth["amount"], auth["captured"]) == (36_000, 36_000)
    assert (await stock_at(saga.uow, mug))["default"] == (4, 0)
    assert (await stock_at(saga.uow, cap))["default"] == (2, 0)
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_dry_run_prices_the_edit_and_changes_nothing(saga: Saga) -> None:
    mug = await saga.product(price=30_000, on_hand=5)
    order = saga.order((mug, 2), review_threshold=50_000)
    await saga.place(order)

    outcome = await send(saga, order, edit((mug, 4), dry=True))

    assert (outcome.total, outcome.difference, outcome.dry_run) == (120_000, 60_000, True)
    assert await lines_of(saga, order.order_id) == [(mug, 2, 30_000)]
    assert (await stock_at(saga.uow, mug))["default"] == (5, 2)
    await saga.handle(order).cancel()


async def test_an_edit_short_of_stock_is_refused_and_changes_nothing(saga: Saga) -> None:
    mug = await saga.product(price=30_000, on_hand=3)
    order = saga.order((mug, 2), review_threshold=50_000)
    await saga.place(order)

    assert await refused(saga, order, edit((mug, 4))) == "OutOfStock"
    assert await lines_of(saga, order.order_id) == [(mug, 2, 30_000)]
    assert (await stock_at(saga.uow, mug))["default"] == (3, 2)
    await saga.handle(order).cancel()


async def test_after_authorization_only_the_difference_is_authorized_on_top(
    saga: Saga, settings: Settings
) -> None:
    mug = await saga.product(price=1_000, on_hand=5)
    order = saga.order((mug, 1))
    await saga.faults("payment", down=True)
    try:
        await saga.place(order)
        await authorizing(saga, order)
        # Taken while the authorization is tried: it waits for it, then raises it.
        pending = await saga.handle(order).start_update(
            OrderWorkflow.edit, edit((mug, 3)), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    finally:
        await saga.faults("payment", down=False)
    outcome = await pending.result()

    assert outcome.difference == 2_000
    assert (await saga.outcome(order)).status == "delivered"
    ops = await saga.payment_operations(order.order_id)
    assert ops == ["authorize", "increment", "capture"]
    ledger = await saga.ledger("payment")
    (auth,) = [a for a in ledger["authorizations"] if a["reference"] == order.order_id]
    assert (auth["amount"], auth["captured"]) == (3_000, 3_000)
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_declined_difference_changes_nothing_and_the_order_goes_on(
    saga: Saga, settings: Settings
) -> None:
    mug = await saga.product(price=1_000, on_hand=5)
    order = saga.order((mug, 1), token="tok_no_increase")
    await saga.faults("payment", down=True)
    try:
        await saga.place(order)
        await authorizing(saga, order)
        pending = await saga.handle(order).start_update(
            OrderWorkflow.edit, edit((mug, 4)), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    finally:
        await saga.faults("payment", down=False)
    with pytest.raises(WorkflowUpdateFailedError) as declined:
        await pending.result()

    assert isinstance(declined.value.cause, ApplicationError)
    assert declined.value.cause.type == "PaymentDeclined"
    assert (await saga.outcome(order)).status == "delivered"
    assert await lines_of(saga, order.order_id) == [(mug, 1, 1_000)]
    assert (await stock_at(saga.uow, mug))["default"] == (4, 0)  # the 3 held went back
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_lower_total_after_authorization_is_released_when_the_payment_is_taken(
    saga: Saga, settings: Settings
) -> None:
    mug = await saga.product(price=1_000, on_hand=5)
    order = saga.order((mug, 3))
    await saga.faults("payment", down=True)
    try:
        await saga.place(order)
        await authorizing(saga, order)
        pending = await saga.handle(order).start_update(
            OrderWorkflow.edit, edit((mug, 1)), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    finally:
        await saga.faults("payment", down=False)

    assert (await pending.result()).difference == -2_000
    assert (await saga.outcome(order)).status == "delivered"
    ledger = await saga.ledger("payment")
    (auth,) = [a for a in ledger["authorizations"] if a["reference"] == order.order_id]
    # Authorized for 3, captured for 1: the final capture released the rest.
    assert (auth["amount"], auth["captured"], auth["status"]) == (3_000, 1_000, "captured")
    assert (await stock_at(saga.uow, mug))["default"] == (4, 0)
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_an_edit_past_the_threshold_after_authorization_goes_back_to_review(
    saga: Saga, settings: Settings
) -> None:
    mug = await saga.product(price=20_000, on_hand=5)
    order = saga.order((mug, 1), review_threshold=50_000)
    await saga.faults("payment", down=True)
    try:
        await saga.place(order)
        await authorizing(saga, order)
        pending = await saga.handle(order).start_update(
            OrderWorkflow.edit, edit((mug, 3)), wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    finally:
        await saga.faults("payment", down=False)
    outcome = await pending.result()

    assert outcome.held_for_review
    await approve(saga, order)
    assert (await saga.outcome(order)).status == "delivered"
    assert await saga.payment_operations(order.order_id) == ["authorize", "increment", "capture"]
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_a_new_country_allocates_again_and_ships_from_there(
    saga: Saga, settings: Settings
) -> None:
    # Locations of this test's own: the shared `default` may have been changed by others.
    mug = await saga.product(price=60_000, on_hand=0)
    home = await add_location(saga.uow, "home", country="GB", priority=1, stock={mug: 2})
    berlin = await add_location(saga.uow, "berlin", country="DE", priority=500, stock={mug: 2})
    order = saga.order((mug, 2), review_threshold=50_000)
    await saga.place(order)
    assert (await stock_at(saga.uow, mug))[home] == (2, 2)

    await send(saga, order, edit(address=BERLIN))
    await approve(saga, order)

    assert (await saga.outcome(order)).status == "delivered"
    stock = await stock_at(saga.uow, mug)
    assert (stock[home], stock[berlin]) == ((2, 0), (0, 0))
    assert await books.check(settings, order_ids=[order.order_id]) == []


async def test_an_order_whose_parcel_is_booked_is_not_editable(
    saga: Saga, simulators: dict[str, httpx.AsyncClient]
) -> None:
    mug = await saga.product(price=1_000, on_hand=5)
    order = saga.order((mug, 1))
    async with carrier_updates_off(simulators):
        await saga.place(order)

        async def shipped() -> bool:
            return (await saga.handle(order).query(OrderWorkflow.status)).status == "shipped"

        await eventually(shipped, timeout=60)
        assert await refused(saga, order, edit((mug, 2))) == "NotEditable"
        delivered = CarrierUpdate("delivered", "2026-12-01T00:00:00Z")
        await saga.handle(order).signal(OrderWorkflow.carrier_event, delivered)
        assert (await saga.outcome(order)).status == "delivered"
    assert await lines_of(saga, order.order_id) == [(mug, 1, 1_000)]


async def test_an_edit_and_the_booking_never_both_win(saga: Saga, settings: Settings) -> None:
    """Edits sent while orders race to their booking: each is taken whole before the
    booking (and the parcel carries it) or refused whole, never half."""
    mug = await saga.product(price=1_000, on_hand=200)
    orders = [saga.order((mug, 1)) for _ in range(12)]

    async def place_and_edit(order: OrderWorkflowInput) -> Any:
        await saga.place(order)
        try:
            return await send(saga, order, edit((mug, 2)))
        except WorkflowUpdateFailedError as error:
            return error.cause

    results = await asyncio.gather(*(place_and_edit(order) for order in orders))
    for order in orders:
        await saga.outcome(order)

    carrier = await saga.ledger("carrier")
    for order, result in zip(orders, results, strict=True):
        (parcel,) = [s for s in carrier["shipments"] if s["reference"] == order.order_id]
        shipped = parcel["items"][0]["quantity"]
        if isinstance(result, EditOutcome):
            assert shipped == 2, order.order_id
        else:
            assert isinstance(result, ApplicationError) and result.type == "NotEditable"
            assert shipped == 1, order.order_id
    ids = [order.order_id for order in orders]
    assert await books.check(settings, order_ids=ids) == []
