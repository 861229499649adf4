"""One trace from POST /v1/orders through the workflow to each activity, provider call
and SQL statement."""

from __future__ import annotations

import uuid
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infra.bootstrap import Bootstrap
from infra.settings import Settings
from infra.temporal_client import connect_temporal
from tests.api.conftest import Caller, api_client, order_body
from tests.factories import add_product, add_user
from tests.polling import eventually
from tests.stack import Stack
from worker import running_workers


def with_trace(spans: tuple[ReadableSpan, ...], trace_id: int) -> list[ReadableSpan]:
    return [span for span in spans if span.context and span.context.trace_id == trace_id]


async def test_an_order_is_one_trace_from_request_to_provider_calls(
    stack: Stack, session_uow: Any
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # from here on tracing is on in this process
    queue = f"traced-{uuid.uuid4().hex[:8]}"
    settings: Settings = stack.settings(task_queue=queue)
    client = await connect_temporal(settings)
    sku = await add_product(session_uow)
    customer = Caller(*await add_user(session_uow))

    async with (
        Bootstrap(settings) as boot,
        running_workers(client, boot),
        api_client(settings) as http,
    ):
        placed = await http.post(
            "/v1/orders", json=order_body((sku, 1)), headers=customer.placing()
        )
        order_id = placed.json()["id"]

        async def delivered() -> bool:
            order = (await http.get(f"/v1/orders/{order_id}", headers=customer.auth)).json()
            return bool(order["status"] == "delivered")

        await eventually(delivered)
    provider.force_flush()

    spans = exporter.get_finished_spans()
    request = next(s for s in spans if s.name == "POST /v1/orders" and s.kind.name == "SERVER")
    assert request.context is not None
    names = [s.name for s in with_trace(spans, request.context.trace_id)]
    assert "StartUpdateWithStartWorkflow:OrderWorkflow" in names, names
    assert "RunWorkflow:OrderWorkflow" in names
    for step in ("reserve_stock", "authorize_payment", "create_shipment", "capture_payment"):
        assert f"RunActivity:{step}" in names, step
    traced = with_trace(spans, request.context.trace_id)
    provider_calls = [s for s in traced if s.kind.name == "CLIENT" and s.name.startswith("POST")]
    sql = [s for s in traced if "postgresql" in str((s.attributes or {}).get("db.system", ""))]
    assert len(provider_calls) >= 3  # authorize, shipment, capture (and emails)
    assert sql, "no SQL span in the order's trace"
