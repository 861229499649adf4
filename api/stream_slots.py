"""How many live event streams each caller holds open, across every API replica: a
sorted set per caller in Redis, each open stream a member scored by the time it
lapses unless renewed (a heartbeat renews it), so a replica that dies leaks no slot
for longer than that. Redis unreachable: streams are let through, as the rate limiter
does."""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.problems import Problem
from domain.users import Caller

log = logging.getLogger("orders.api.stream_slots")

# KEYS[1]: the caller's set. ARGV: stream id, lapse after (s), most open. Returns 1 if taken.
TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""
# KEYS[1]: the caller's set. ARGV: stream id, lapse after (s).
RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""


class StreamSlots:
    def __init__(self, redis: Redis, *, most: int, lapse_seconds: float) -> None:
        self._redis = redis
        self._most = most
        self._lapse = lapse_seconds
        self._take = redis.register_script(TAKE)
        self._renew = redis.register_script(RENEW)

    async def take(self, caller: Caller) -> str:
        """A slot for a new stream of this caller, or 429 when all are in use."""
        stream_id = uuid.uuid4().hex
        try:
            taken = await self._take(keys=[_key(caller)], args=[stream_id, self._lapse, self._most])
        except RedisError as error:
            log.warning("stream slots unknown, letting the stream through: %s", error)
            return stream_id
        if not taken:
            raise Problem(
                429,
                "/problems/too-many-streams",
                f"this key holds {self._most} open event streams already; close one first",
                headers={"Retry-After": str(int(self._lapse))},
            )
        return stream_id

    async def renew(self, caller: Caller, stream_id: str) -> None:
        try:
            await self._renew(keys=[_key(caller)], args=[stream_id, self._lapse])
        except RedisError as error:
            log.warning("could not renew a stream slot: %s", error)

    async def give_back(self, caller: Caller, stream_id: str) -> None:
        try:
            await self._redis.zrem(_key(caller), stream_id)
        except RedisError as error:
            log.warning("could not give a stream slot back: %s", error)


def _key(caller: Caller) -> str:
    return f"orders:streams:{caller.user_id}"
