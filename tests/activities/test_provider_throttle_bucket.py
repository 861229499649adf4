"""The providers' turns are booked in a real Redis, shared by every worker: a burst of
one second's worth goes at once, each call after it waits its interval, and Redis
out of reach lets the call go ahead."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from activities.throttle import ProviderThrottle
from infra.settings import Settings


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


def prefix() -> str:
    return f"turns-test-{uuid.uuid4().hex[:8]}"


async def test_a_burst_goes_at_once_and_the_calls_after_it_wait_their_turn(redis: Redis) -> None:
    # Two calls a second, for two workers together: a burst of two, then one every 0.5 s.
    shared = prefix()
    first, second = (ProviderThrottle(redis, {"payment": 2.0}, key_prefix=shared) for _ in "ab")

    waits = [await (first if n % 2 else second).turn("payment") for n in range(6)]

    assert waits[:2] == [0.0, 0.0]
    # Each later call is booked one interval after the one before it; what it waits is
    # that, less the time since the first booking (a little, however busy the machine).
    for booked, wait in enumerate(waits[2:], start=1):
        assert 0.5 * booked - 0.25 < wait <= 0.5 * booked


async def test_providers_have_buckets_of_their_own(redis: Redis) -> None:
    throttle = ProviderThrottle(redis, {"payment": 0.01, "carrier": 0.01}, key_prefix=prefix())

    assert await throttle.turn("payment") == 0
    assert await throttle.turn("carrier") == 0
    # At one call per 100 s the second payment call waits most of that.
    assert await throttle.turn("payment") > 50


async def test_a_provider_without_a_limit_never_waits(redis: Redis) -> None:
    throttle = ProviderThrottle(redis, {"payment": 0.01, "email": 0}, key_prefix=prefix())

    assert [await throttle.turn("email") for _ in range(3)] == [0, 0, 0]
    assert [await throttle.turn("carrier") for _ in range(3)] == [0, 0, 0]


async def test_redis_out_of_reach_lets_the_call_go_ahead() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=2)
    try:
        throttle = ProviderThrottle(unreachable, {"payment": 0.01}, key_prefix=prefix())

        assert [await throttle.turn("payment") for _ in range(2)] == [0, 0]
    finally:
        await unreachable.aclose()
