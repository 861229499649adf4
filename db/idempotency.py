"""Idempotency keys: which order a caller's key names, and until when."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Interval, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import IdempotencyKeyRow

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
_INSERT = insert(IdempotencyKeyRow).values(_CLAIM_VALUES)
_CLAIM = _INSERT.on_conflict_do_update(
    index_elements=["caller_id", "key"],
    set_={name: _INSERT.excluded[name] for name in _CLAIM_VALUES if name != "key"},
    where=IdempotencyKeyRow.expires_at <= func.now(),
).returning(IdempotencyKeyRow)


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def live(self, caller_id: str, key: str) -> IdempotencyKeyRow | None:
        """The key's claim, unless its window has passed."""
        return await self._session.scalar(
            select(IdempotencyKeyRow).where(
                IdempotencyKeyRow.caller_id == caller_id,
                IdempotencyKeyRow.key == key,
                IdempotencyKeyRow.expires_at > func.now(),
            )
        )

    async def claim(
        self, caller_id: str, key: str, order_id: str, fingerprint: str, window: timedelta
    ) -> IdempotencyKeyRow:
        """Binds the key to `order_id` unless a live claim exists; returns the claim that
        holds. Concurrent first uses of one key all get the same, single winner."""
        won: IdempotencyKeyRow | None = await self._session.scalar(
            _CLAIM,
            {
                "caller_id": caller_id,
                "key": key,
                "order_id": order_id,
                "fingerprint": fingerprint,
                "window": window,
            },
        )
        if won is not None:
            return won
        holder = await self.live(caller_id, key)
        assert holder is not None, "a conflicting claim is live"
        return holder

    async def purge_expired(self) -> int:
        result = await self._session.execute(
            delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= func.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
