from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from infra.log_config import JsonFormatter


def record(**extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("orders.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    entry.__dict__.update(extra)
    return entry


def test_a_line_is_one_json_object_with_the_request_fields() -> None:
    line = JsonFormatter().format(record(request_id="r1", status=201, route="/v1/orders"))

    entry = json.loads(line)
    assert entry["message"] == "hello x"
    assert (entry["request_id"], entry["status"], entry["route"]) == ("r1", 201, "/v1/orders")


def test_activity_lines_carry_the_order_workflow_run_and_activity() -> None:
    details = {
        "workflow_id": "order-ord_abc",
        "workflow_run_id": "run-1",
        "activity_type": "authorize_payment",
    }

    entry = json.loads(JsonFormatter().format(record(temporal_activity=details)))

    assert entry["order_id"] == "ord_abc"
    assert entry["workflow_id"] == "order-ord_abc"
    assert entry["run_id"] == "run-1"
    assert entry["activity"] == "authorize_payment"


def test_a_line_inside_a_span_carries_its_trace_id() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        entry = json.loads(JsonFormatter().format(record()))

    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
