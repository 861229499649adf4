"""A refund is its own durable process (`refund-<id>`): retried while the provider
cannot answer, then `failed` and on the timeline for an operator, never lost; an
operator's retry then refunds it once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events
from domain.errors import RefundExceedsCaptured
from domain.refunds import RefundReason, RefundStatus
from domain.users import Caller, Role, Tier
from services.refunds import Refunds, RequestRefund
from tests.polling import eventually
from tests.workflows.conftest import Saga

OPS = Caller("usr_ops", Role.OPS, Tier.STANDARD, "")


async def a_failed_refund(saga: Saga) -> tuple[Refunds, str, str]:
    """A delivered order of 2 000 and a refund of 700 its provider could not make within
    a short bound: the refunds use case, the order's id and the failed refund's."""
    sku = await saga.product(price=1_000, on_hand=5)
    order = saga.order((sku, 2))
    await saga.place(order)
    assert (await saga.outcome(order)).status == "delivered"
    short_bound = saga.settings.model_copy(update={"refund_retry_bound": timedelta(seconds=3)})
    refunds = Refunds(short_bound, saga.uow, saga.client)
    await saga.faults("payment", down=True)
    try:
        asked = await refunds.request(
            RequestRefund(order.order_id, OPS, 700, "USD", RefundReason.SHIPPING, "k1", "f1")
        )

        async def failed() -> bool:
            (refund,) = await refunds.of_order(OPS, order.order_id)
            return refund.status is RefundStatus.FAILED

        await eventually(failed, timeout=60)
    finally:
        await saga.faults("payment", down=False)
    return refunds, order.order_id, asked.refund.id


async def test_a_refund_the_provider_cannot_make_is_flagged_then_retried_once(saga: Saga) -> None:
    refunds, order_id, refund_id = await a_failed_refund(saga)
    retried = await refunds.retry(OPS, refund_id)

    async def succeeded() -> bool:
        (refund,) = await refunds.of_order(OPS, order_id)
        return refund.status is RefundStatus.SUCCEEDED

    await eventually(succeeded, timeout=60)
    async with saga.uow() as uow:
        stored = await uow.orders.get(order_id, lock=False)
        timeline = await uow.orders.event_data(order_id, events.REFUND_FAILED)
    assert retried.id == refund_id
    assert stored is not None and stored.refunded_total == 700
    assert timeline is not None and timeline["refund_id"] == refund_id
    ledger = await saga.ledger("payment")
    refunds_made = [op for op in ledger["operations"] if op["op"] == "refund"]
    ids = {a["id"] for a in ledger["authorizations"] if a["reference"] == order_id}
    assert [op["amount"] for op in refunds_made if op["id"] in ids] == [700]


async def test_a_retry_is_checked_again_against_what_can_still_be_refunded(saga: Saga) -> None:
    refunds, order_id, refund_id = await a_failed_refund(saga)
    # The failed one left its room: another refund takes most of it meanwhile.
    await refunds.request(
        RequestRefund(order_id, OPS, 1_500, "USD", RefundReason.GOODWILL, "k2", "f2")
    )

    with pytest.raises(RefundExceedsCaptured) as refused:
        await refunds.retry(OPS, refund_id)

    assert refused.value.left == 500
    stored = {r.id: r.status for r in await refunds.of_order(OPS, order_id)}
    assert stored[refund_id] is RefundStatus.FAILED
