"""Idempotency keys: which order a caller's key names, and until when."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import Interval, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import IdempotencyKeyRow, table_of


class KeyClaim(NamedTuple):
    """The order an idempotency key names, and the fingerprint of its first body."""

    order_id: str
    fingerprint: str


# The claim, built once (every placing makes one): the key bound to the order unless a
# live claim holds it; an expired claim is taken over, since after its window a key is
# new again.
_CLAIM_VALUES = {
    "caller_id": bindparam("caller_id"),
    "key": bindparam("key"),
    "order_id": bindparam("order_id"),
    "fingerprint": bindparam("fingerprint"),
    "created_at": func.now(),
    "expires_at": func.now() + bindparam("window", type_=Interval),
}
_KEYS = table_of(IdempotencyKeyRow)
_INSERT = insert(_KEYS).values(_CLAIM_VALUES)
# Read back as a row of two columns: no ORM object to build for one request's answer.
_CLAIM = _INSERT.on_conflict_do_update(
    index_elements=["caller_id", "key"],
    set_={name: _INSERT.excluded[name] for name in _CLAIM_VALUES if name != "key"},
    where=_KEYS.c.expires_at <= func.now(),
).returning(_KEYS.c.order_id, _KEYS.c.fingerprint)
# The key's claim unless its window has passed (asked when a claim meets a live one).
LIVE_CLAIM = select(_KEYS.c.order_id, _KEYS.c.fingerprint).where(
    _KEYS.c.caller_id == bindparam("caller_id"),
    _KEYS.c.key == bindparam("key"),
    _KEYS.c.expires_at > func.now(),
)


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def live(self, caller_id: str, key: str) -> KeyClaim | None:
        """The key's claim, unless its window has passed."""
        row = (
            await self._session.execute(LIVE_CLAIM, {"caller_id": caller_id, "key": key})
        ).first()
        return None if row is None else KeyClaim(row.order_id, row.fingerprint)

    async def claim(
        self, caller_id: str, key: str, order_id: str, fingerprint: str, window: timedelta
    ) -> KeyClaim:
        """Binds the key to `order_id` unless a live claim exists; returns the claim that
        holds. Concurrent first uses of one key all get the same, single winner."""
        won = (
            await self._session.execute(
                _CLAIM,
                {
                    "caller_id": caller_id,
                    "key": key,
                    "order_id": order_id,
                    "fingerprint": fingerprint,
                    "window": window,
                },
            )
        ).first()
        if won is not None:
            return KeyClaim(won.order_id, won.fingerprint)
        holder = await self.live(caller_id, key)
        assert holder is not None, "a conflicting claim is live"
        return holder

    async def purge_expired(self) -> int:
        result = await self._session.execute(
            delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= func.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
