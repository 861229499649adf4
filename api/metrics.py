"""Prometheus metrics of the API process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
IN_FLIGHT = Gauge("orders_http_requests_in_flight", "HTTP requests being served right now.")
