"""Idempotency keys: which order a caller's key names, and until when."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import IdempotencyKeyRow


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
        values = {
            "caller_id": caller_id,
            "key": key,
            "order_id": order_id,
            "fingerprint": fingerprint,
            "created_at": func.now(),
            "expires_at": func.now() + window,
        }
        statement = insert(IdempotencyKeyRow).values(values)
        won: IdempotencyKeyRow | None = await self._session.scalar(
            statement.on_conflict_do_update(
                index_elements=["caller_id", "key"],
                set_={name: statement.excluded[name] for name in values if name != "key"},
                # An expired claim is taken over: after its window a key is new again.
                where=IdempotencyKeyRow.expires_at <= func.now(),
            ).returning(IdempotencyKeyRow)
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
