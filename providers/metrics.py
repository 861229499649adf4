"""How long each provider call takes and how often it fails, by provider and operation."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Counter, Histogram

from domain.errors import DomainError

PROVIDER_CALL_SECONDS = Histogram(
    "orders_provider_call_duration_seconds",
    "Time of one call to a provider, by provider and operation.",
    ["provider", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PROVIDER_CALL_ERRORS = Counter(
    "orders_provider_call_errors_total",
    "Provider calls that failed (network, 5xx, or a refusal), by provider and operation.",
    ["provider", "operation"],
)


@asynccontextmanager
async def provider_call(provider: str, operation: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    try:
        yield
    except DomainError:
        raise  # a decline or refusal is the provider's answer, not its failure
    except Exception:
        PROVIDER_CALL_ERRORS.labels(provider, operation).inc()
        raise
    finally:
        PROVIDER_CALL_SECONDS.labels(provider, operation).observe(time.perf_counter() - started)


# Every known label set starts at zero, so each family is present (and rates are
# defined) before its first event.
for _provider, _operation in (
    ("payment", "authorize"),
    ("payment", "capture"),
    ("payment", "void"),
    ("payment", "refund"),
    ("carrier", "create_shipment"),
    ("carrier", "cancel_shipment"),
    ("email", "send"),
):
    PROVIDER_CALL_ERRORS.labels(_provider, _operation)
