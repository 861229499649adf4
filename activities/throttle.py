"""Calls per second to each provider, for every worker together.

A provider publishes how many calls a second it takes (`ORDERS_PROVIDER_RATE_LIMITS`).
Provider calls run on the workflow's own task queue unless given one of their own,
handed to the worker with the workflow task that scheduled them, where no cap on a
queue can hold them: so each call first takes its turn from a bucket per provider in
Redis, shared by every worker.

The bucket books turns rather than refusing them (GCRA: one "theoretical arrival
time" per provider). A call told to wait sleeps until its turn, heartbeating, and
asks Redis once: no herd of callers polling an empty bucket. A burst of up to one
second's worth goes at once, as with Temporal's own cap.

Redis unreachable fails open: the call goes ahead, logged and counted. A provider
answers an excess with 429, which the step already retries; a payment held up by a
cache outage would push orders toward their bound and compensation instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.base import HEARTBEAT_EVERY

log = logging.getLogger("orders.worker.throttle")

# KEYS[1]: the provider's next free turn. ARGV: calls per second, the burst.
# Returns the seconds the caller waits for the turn it has just booked.
BOOK_A_TURN = """
local interval = 1 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local next_free = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local wait = math.max(0, next_free - (burst - 1) * interval - now)
local booked = next_free + interval
redis.call('SET', KEYS[1], string.format('%.6f', booked),
           'PX', math.ceil((booked - now) * 1000) + 1000)
return string.format('%.6f', wait)
"""

THROTTLE_WAIT = Counter(
    "orders_provider_throttle_wait_seconds_total",
    "Seconds provider calls waited for their turn under the provider's rate limit.",
    ["provider"],
)
THROTTLE_UNAVAILABLE = Counter(
    "orders_provider_throttle_unavailable_total",
    "Provider calls that went ahead unthrottled because Redis could not be reached.",
    ["provider"],
)


class ProviderThrottle:
    """Turns at each provider's rate, booked in Redis for all workers."""

    def __init__(self, redis: Redis, limits: dict[str, float], key_prefix: str) -> None:
        self._book = redis.register_script(BOOK_A_TURN)
        self._limits = {provider: rate for provider, rate in limits.items() if rate > 0}
        self._prefix = key_prefix

    async def turn(self, provider: str) -> float:
        """Books the provider's next turn; the seconds until it comes (0 for no limit,
        or when Redis cannot be reached)."""
        rate = self._limits.get(provider)
        if rate is None:
            return 0.0
        try:
            waited = await self._book(
                keys=[f"{self._prefix}:{provider}"], args=[rate, max(1.0, rate)]
            )
        except (RedisError, OSError) as error:
            THROTTLE_UNAVAILABLE.labels(provider).inc()
            log.warning("provider throttle unavailable, %s call goes ahead: %r", provider, error)
            return 0.0
        return float(waited)


class ThrottleProviderCalls(Interceptor):
    """Holds each provider step until its provider's turn. `providers`: the provider of
    each provider step, by activity name (the step table's queues)."""

    def __init__(self, throttle: ProviderThrottle, providers: dict[str, str]) -> None:
        self._throttle = throttle
        self._providers = providers

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Throttled(next, self._throttle, self._providers)


class _Throttled(ActivityInboundInterceptor):
    def __init__(
        self,
        next: ActivityInboundInterceptor,
        throttle: ProviderThrottle,
        providers: dict[str, str],
    ) -> None:
        super().__init__(next)
        self._throttle = throttle
        self._providers = providers

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        provider = self._providers.get(activity.info().activity_type)
        if provider is not None:
            wait = await self._throttle.turn(provider)
            if wait > 0:
                THROTTLE_WAIT.labels(provider).inc(wait)
                await _sleep_heartbeating(wait)
        return await self.next.execute_activity(input)


async def _sleep_heartbeating(seconds: float) -> None:
    """Sleeps, telling Temporal the step is alive at the provider steps' interval, so
    a long wait outlasts no heartbeat timeout and a cancel still reaches it."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(left, HEARTBEAT_EVERY))
        if until - time.monotonic() > 0:
            activity.heartbeat()
