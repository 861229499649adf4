"""How a provider's answer is read, and how long one call may take.

A provider's 4xx is usually final, but not always: `408`, `425`, `429` and a `409`
saying that a request with the same idempotency key is still running are all "ask
again later", as is any `5xx`. Those raise `ProviderUnavailable` with the wait the
provider asked for (`Retry-After`); only the remaining 4xx are refusals.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from domain.errors import ProviderRejected
from providers.metrics import provider_call

# Statuses that mean "not now" rather than "no".
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# The `error` a provider answers a 409 with while the first request with that
# idempotency key is still being processed (the retry overlapped it).
IN_PROGRESS_ERRORS = frozenset({"request_in_progress", "idempotency_key_in_use"})
# A provider asking for more than this is asked again after this.
LONGEST_RETRY_AFTER = 3600.0
# Below this much time left, a call is not started at all: it could not finish.
SHORTEST_CALL = 0.05

_deadline: ContextVar[float | None] = ContextVar("provider_call_deadline", default=None)


class ProviderUnavailable(Exception):
    """The provider cannot answer now (outage, throttling, a request still running):
    the same call may succeed later, after `retry_after` seconds if it said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def raise_for_status(response: httpx.Response) -> None:
    """Nothing for a success; ProviderUnavailable for "later"; ProviderRejected for "no"."""
    status = response.status_code
    if status < 400:
        return
    what = f"{response.request.method} {response.request.url.path} answered {status}"
    if status >= 500 or status in RETRYABLE_STATUSES or _in_progress(response):
        raise ProviderUnavailable(what, retry_after_seconds(response))
    raise ProviderRejected(f"{what}: {response.text[:200]}")


def _in_progress(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in IN_PROGRESS_ERRORS


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (it may be a number or an HTTP date); None if absent or
    unreadable, so the step's own backoff applies."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), LONGEST_RETRY_AFTER)


@contextmanager
def calls_until(deadline: float | None) -> Iterator[None]:
    """Every provider call made inside ends by `deadline` (time.monotonic()), so a
    call cannot land after the attempt that made it has been given up."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def call_timeout(http: httpx.AsyncClient) -> httpx.Timeout:
    """The client's own timeout, cut to the time left before the deadline, if any."""
    deadline = _deadline.get()
    if deadline is None:
        return http.timeout
    left = deadline - time.monotonic()
    if left < SHORTEST_CALL:
        raise ProviderUnavailable("no time left in this attempt to call the provider")
    default = http.timeout.read or left
    return httpx.Timeout(min(default, left))


async def find_by_reference(
    http: httpx.AsyncClient, provider: str, path: str, reference: str
) -> list[dict[str, Any]]:
    """Every record the provider keeps under our reference (the order id): the way an
    undo or a poll finds what a step did, even when its reply was lost."""
    async with provider_call(provider, "find"):
        response = await http.get(path, timeout=call_timeout(http), params={"reference": reference})
        raise_for_status(response)
    found: list[dict[str, Any]] = response.json()
    return found
