"""One JSON object per log line, for every process of the service.

Records from inside Temporal workflows and activities carry the SDK's context
(`temporal_workflow` / `temporal_activity`); they are flattened into `order_id`,
`workflow_id`, `run_id` and `activity`, plus `trace_id` when tracing is on, so every
line of one order can be found by its id. Nothing here logs headers, bodies or
workflow inputs, which is where keys, payment tokens and signatures live.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

# Fields that request and business code attach with `extra=`.
PASSED_THROUGH = (
    "request_id",
    "caller_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "order_id",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in PASSED_THROUGH:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        temporal = getattr(record, "temporal_workflow", None) or getattr(
            record, "temporal_activity", None
        )
        if isinstance(temporal, dict):
            workflow_id = temporal.get("workflow_id")
            entry["workflow_id"] = workflow_id
            entry["run_id"] = temporal.get("run_id") or temporal.get("workflow_run_id")
            if "activity_type" in temporal:
                entry["activity"] = temporal["activity_type"]
            if isinstance(workflow_id, str) and workflow_id.startswith("order-"):
                entry["order_id"] = workflow_id.removeprefix("order-")
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the root logger; quiet the chattiest libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "temporalio.bridge"):
        logging.getLogger(noisy).setLevel("WARNING")
