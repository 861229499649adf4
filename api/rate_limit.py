"""Token buckets in Redis, one per caller, shared by every API replica.

One Lua script refills and takes a token atomically in a single round trip, using
Redis's own clock so replicas with skewed clocks still agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.api_metrics import RATE_LIMITED, RATE_LIMITER_UNAVAILABLE
from api.problems import Problem, unavailable
from domain.users import Caller
from infra.settings import Settings

log = logging.getLogger("orders.api.rate_limit")

# KEYS[1]: the bucket. ARGV: capacity, refill per second, cost.
# Returns: allowed (0/1), tokens left, seconds until full, seconds until `cost` is there.
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
local retry_after = 0
if allowed == 0 then
  retry_after = math.ceil((cost - tokens) / rate)
end
return {allowed, math.floor(tokens), math.ceil((capacity - tokens) / rate), retry_after}
"""


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    quota: int
    window: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers)."""
        return {
            "RateLimit-Policy": f'"default";q={self.quota};w={self.window}',
            "RateLimit": f'"default";r={self.remaining};t={self.reset}',
        }


class RateLimiter:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._settings = settings
        self._script = redis.register_script(TOKEN_BUCKET)

    def quota_for(self, caller: Caller) -> int:
        limits = self._settings.rate_limits
        return limits.get(f"{caller.role}:{caller.tier}", limits.get(caller.role, 60))

    async def check(self, caller: Caller) -> RateLimitDecision | None:
        """Takes one token from the caller's bucket; raises 429 when it is empty.

        Returns None when Redis is unreachable and the limiter fails open.
        """
        quota = self.quota_for(caller)
        window = self._settings.rate_limit_window
        try:
            allowed, remaining, reset, retry_after = await self._script(
                keys=[f"ratelimit:{caller.user_id}"], args=[quota, quota / window, 1]
            )
        except (RedisError, OSError) as error:
            RATE_LIMITER_UNAVAILABLE.inc()
            if not self._settings.rate_limit_fail_open:
                raise unavailable("redis") from error
            log.warning("rate limiter unavailable, letting the request through: %s", error)
            return None
        decision = RateLimitDecision(
            bool(allowed), quota, window, int(remaining), int(reset), int(retry_after)
        )
        if not decision.allowed:
            RATE_LIMITED.labels(role=caller.role.value, tier=caller.tier.value).inc()
            raise Problem(
                429,
                "/problems/rate-limited",
                f"over the limit of {quota} requests per {window} s",
                title="Too Many Requests",
                headers={"Retry-After": str(max(1, decision.retry_after)), **decision.headers()},
            )
        return decision


class RateLimitHeadersMiddleware:
    """Adds the RateLimit fields to every response of a request that spent a token,
    whatever produced it (a route, or a problem handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            decision = scope.get("state", {}).get("rate_limit")
            if message["type"] == "http.response.start" and decision is not None:
                headers = MutableHeaders(scope=message)
                for name, value in decision.headers().items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
