"""How a provider is called, how its answer is read, and how long one call may take.

Calls go through `ProviderHttp`, one pooled aiohttp session per provider: it costs a
quarter of the CPU per call that httpx did (docs/performance.md), and a provider call
is a hot path (three per order, and an email per milestone).

A provider's 4xx is usually final, but not always: `408`, `425`, `429` and a `409`
saying that a request with the same idempotency key is still running are all "ask
again later", as is any `5xx`. Those raise `ProviderUnavailable` with the wait the
provider asked for (`Retry-After`); only the remaining 4xx are refusals.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from opentelemetry import propagate, trace

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
_tracer = trace.get_tracer("orders.providers")


class ProviderUnavailable(Exception):
    """The provider cannot answer now (outage, throttling, a request still running):
    the same call may succeed later, after `retry_after` seconds if it said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ProviderResponse:
    """A provider's whole answer, read: its status, headers and body."""

    method: str
    path: str
    status_code: int
    content: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class ProviderHttp:
    """One provider's HTTP client: a pooled session over its base URL, each call cut
    to the attempt's deadline (`calls_until`) and the client's own timeout. A provider
    that cannot be reached, resets the connection or does not answer in time raises
    ProviderUnavailable: the same call may succeed later."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderResponse:
        return await self.request("POST", path, json=json, headers=headers)

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> ProviderResponse:
        return await self.request("GET", path, params=params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderResponse:
        outgoing = dict(headers or {})
        with _tracer.start_as_current_span(method, kind=trace.SpanKind.CLIENT) as span:
            if span.is_recording():
                span.set_attribute("http.request.method", method)
                span.set_attribute("url.full", f"{self.base_url}{path}")
            propagate.inject(outgoing)  # the provider joins the caller's trace
            try:
                async with self._opened().request(
                    method,
                    f"{self.base_url}{path}",
                    json=json,
                    params=params,
                    headers=outgoing,
                    timeout=aiohttp.ClientTimeout(total=call_timeout(self)),
                ) as answer:
                    response = ProviderResponse(
                        method, path, answer.status, await answer.read(), answer.headers
                    )
            except (TimeoutError, aiohttp.ClientError) as lost:
                raise ProviderUnavailable(
                    f"{method} {path}: the provider could not be reached or did not answer: "
                    f"{lost!r}"
                ) from lost
            if span.is_recording():
                span.set_attribute("http.response.status_code", response.status_code)
        return response

    def _opened(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop it is made in.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100), raise_for_status=False
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def raise_for_status(response: ProviderResponse) -> None:
    """Nothing for a success; ProviderUnavailable for "later"; ProviderRejected for "no"."""
    status = response.status_code
    if status < 400:
        return
    what = f"{response.method} {response.path} answered {status}"
    if status >= 500 or status in RETRYABLE_STATUSES or _in_progress(response):
        raise ProviderUnavailable(what, retry_after_seconds(response))
    raise ProviderRejected(f"{what}: {response.text[:200]}")


def _in_progress(response: ProviderResponse) -> bool:
    if response.status_code != 409:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in IN_PROGRESS_ERRORS


def retry_after_seconds(response: ProviderResponse) -> float | None:
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


def call_timeout(http: ProviderHttp) -> float:
    """The client's own timeout in seconds, cut to the time left before the deadline,
    if any."""
    deadline = _deadline.get()
    if deadline is None:
        return http.timeout
    left = deadline - time.monotonic()
    if left < SHORTEST_CALL:
        raise ProviderUnavailable("no time left in this attempt to call the provider")
    return min(http.timeout, left)


async def find_by_reference(
    http: ProviderHttp, provider: str, path: str, reference: str
) -> list[dict[str, Any]]:
    """Every record the provider keeps under our reference (the order id): the way an
    undo or a poll finds what a step did, even when its reply was lost."""
    async with provider_call(provider, "find"):
        response = await http.get(path, params={"reference": reference})
        raise_for_status(response)
    found: list[dict[str, Any]] = response.json()
    return found
