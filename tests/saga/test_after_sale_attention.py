"""An after-sale workflow that stops for an operator says so where operators look: its
details in the Temporal UI and `orders_after_sale_needs_operator_total{what}`, the
counter the AfterSaleNeedsOperator alert watches (read here from the SDK's metric
buffer, the same meter the worker exports on its SDK metrics port)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.runtime import MetricBuffer

from tests.saga.conftest import Saga, keeps_failing, saga_on, time_skipping_server
from tests.saga.test_returns import a_return, answers, run
from workflows.attention import NEEDS_OPERATOR
from workflows.claims import ClaimInput, ClaimWorkflow


@pytest.fixture
async def metered() -> AsyncIterator[tuple[Saga, MetricBuffer]]:
    buffer = MetricBuffer(100_000)
    async with time_skipping_server(metrics=buffer) as env, saga_on(env) as saga:
        yield saga, buffer


def needs_operator(buffer: MetricBuffer) -> dict[str, int]:
    counted: dict[str, int] = {}
    for update in buffer.retrieve_updates():
        if update.metric.name == NEEDS_OPERATOR:
            what = str(update.attributes["what"])
            counted[what] = counted.get(what, 0) + int(update.value)
    return counted


async def test_a_return_without_a_label_is_counted_for_an_operator(
    metered: tuple[Saga, MetricBuffer],
) -> None:
    saga, buffer = metered
    answers(saga, approve_return="approved", refresh_return="expired")
    saga.stubs.behaviour["issue_return_label"] = keeps_failing

    outcome = await run(saga, a_return(saga))

    assert outcome == "expired"  # the deadline still ends it
    assert "record_label_failure" in saga.stubs.steps_run()
    assert needs_operator(buffer) == {"return_label": 1}


async def test_a_replacement_no_carrier_took_is_counted_for_an_operator(
    metered: tuple[Saga, MetricBuffer],
) -> None:
    saga, buffer = metered
    saga.stubs.behaviour["ship_replacement"] = keeps_failing
    claim = ClaimInput(
        claim_id=f"clm_{uuid.uuid4().hex[:12]}",
        order_id="ord_stub",
        type="replace",
        refund_id=None,
        value=0,
        currency="USD",
        ship_bound_seconds=600,
        refund_bound_seconds=3_600,
        carrier_queue=saga.policy.provider_queues.get("carrier"),
    )

    outcome = await saga.client.execute_workflow(
        ClaimWorkflow.run,
        claim,
        id=f"claim-{claim.claim_id}",
        task_queue=saga.task_queue,
        execution_timeout=timedelta(days=1),
    )

    assert outcome == "failed"
    assert saga.stubs.steps_run() == ["ship_replacement", "release_replacement"]
    assert needs_operator(buffer) == {"claim_replacement": 1}
