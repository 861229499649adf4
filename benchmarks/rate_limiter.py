"""What the rate limiter adds to a request: one Lua call to Redis.

    python -m benchmarks.rate_limiter [REDIS_URL] [N]

Prints p50 / p95 / p99 of N sequential checks (default against 127.0.0.1:6379).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid

from redis.asyncio import Redis

from api.rate_limit import RateLimiter
from domain.users import Caller, Role, Tier
from infra.settings import Settings


async def measure(redis_url: str, count: int) -> list[float]:
    redis = Redis.from_url(redis_url)
    limiter = RateLimiter(redis, Settings(rate_limits={"customer": 10**9}))
    caller = Caller(f"bench-{uuid.uuid4().hex}", Role.CUSTOMER, Tier.STANDARD, "b@example.com")
    for _ in range(100):  # warm the connection and the script cache
        await limiter.check(caller)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        await limiter.check(caller)
        timings.append((time.perf_counter() - started) * 1000)
    await redis.aclose()
    return timings


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/15"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    timings = sorted(asyncio.run(measure(url, count)))

    def quantile(q: float) -> float:
        return timings[min(len(timings) - 1, int(q * len(timings)))]

    print(f"rate limiter check, {count} calls against {url}")
    print(
        f"p50 {statistics.median(timings):.3f} ms   p95 {quantile(0.95):.3f} ms   "
        f"p99 {quantile(0.99):.3f} ms   max {timings[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
