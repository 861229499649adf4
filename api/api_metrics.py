"""Prometheus metrics of the API process.

One API process per container (uvicorn without --workers): each process serves its
own /metrics, on its metrics port (api/metrics_server.py), so no multiprocess
aggregation is needed and every number is exact.
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram

from domain.claims import ClaimType
from domain.returns import ReturnReason

HTTP_REQUESTS = Counter(
    "orders_http_requests_total",
    "HTTP requests served, by route template and status class.",
    ["method", "route", "status_class"],
)
HTTP_ERRORS = Counter(
    "orders_http_request_errors_total",
    "HTTP requests answered with a 5xx, by route template.",
    ["method", "route", "status_class"],
)
HTTP_DURATION = Histogram(
    "orders_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20),
)
IN_FLIGHT = Gauge("orders_http_requests_in_flight", "HTTP requests being served right now.")
RATE_LIMITED = Counter(
    "orders_rate_limited_requests_total",
    "Requests refused with 429 because the caller's bucket was empty.",
    ["role", "tier"],
)
RATE_LIMITER_UNAVAILABLE = Counter(
    "orders_rate_limiter_unavailable_total",
    "Requests for which Redis could not be asked; let through or refused per setting.",
)
SHED_REQUESTS = Counter(
    "orders_shed_requests_total",
    "Order creations answered 503 because the service was shedding load.",
    ["tier"],
)
TASK_QUEUE_BACKLOG = Gauge(
    "orders_task_queue_backlog",
    "Workflow tasks waiting in the order task queue, as Temporal last reported it.",
)
RETURN_UNITS = Counter(
    "orders_return_units_requested_total",
    "Units asked back in returns, by the customer's reason.",
    ["reason"],
)
CLAIMS = Counter("orders_claims_total", "Claims opened, by type (refund, replace).", ["type"])
REVIEWS_PENDING = Gauge(
    "orders_reviews_pending",
    "Orders waiting for an ops review, as the read model last counted them.",
)


for _reason in ReturnReason:
    RETURN_UNITS.labels(_reason.value)
for _kind in ClaimType:
    CLAIMS.labels(_kind.value)
for _tier in ("standard", "premium"):
    SHED_REQUESTS.labels(_tier)
    for _role in ("customer", "ops", "admin"):
        RATE_LIMITED.labels(_role, _tier)


def start_error_series_at_zero(app: FastAPI) -> None:
    """Exports the 5xx counter of every operation at 0 from the start, so its panel and
    alert read 0 rather than "no data" until the first error."""
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            HTTP_ERRORS.labels(method.upper(), path, "5xx")
