"""Users and their API keys, as domain records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import ApiKeyRow, UserRow
from domain.users import ApiKey, Role, Tier, User

# Built once (it runs on every authenticated request): composing it cost as much CPU
# as running it.
_TOUCHED = (
    update(ApiKeyRow)
    .where(
        ApiKeyRow.key_hash == bindparam("used_hash"),
        ApiKeyRow.revoked_at.is_(None),
        (ApiKeyRow.last_used_at.is_(None))
        | (ApiKeyRow.last_used_at < func.now() - timedelta(minutes=1)),
    )
    .values(last_used_at=func.now())
    .returning(ApiKeyRow.id)
    .cte("touched")
)
_USE_KEY = (
    select(UserRow)
    .add_cte(_TOUCHED)
    .join(ApiKeyRow, ApiKeyRow.user_id == UserRow.id)
    .where(
        ApiKeyRow.key_hash == bindparam("used_hash"),
        ApiKeyRow.revoked_at.is_(None),
        UserRow.disabled_at.is_(None),
    )
)


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: str) -> User | None:
        return _user(await self._session.get(UserRow, user_id))

    async def by_email(self, email: str) -> User | None:
        return _user(
            await self._session.scalar(select(UserRow).where(UserRow.email == email.lower()))
        )

    async def use_key(self, key_hash: str) -> User | None:
        """The user holding this key, unless the key was revoked or the user disabled.
        The same statement records the key's use, at most once a minute, so auth is
        one round trip and not a write per request."""
        row = await self._session.scalar(_USE_KEY, {"used_hash": key_hash})
        return _user(row)

    async def key_exists(self, key_hash: str) -> bool:
        found = await self._session.scalar(
            select(ApiKeyRow.id).where(ApiKeyRow.key_hash == key_hash)
        )
        return found is not None

    async def page(self, *, after: tuple[datetime, str] | None, limit: int) -> list[User]:
        query = select(UserRow)
        if after is not None:
            query = query.where(tuple_(UserRow.created_at, UserRow.id) > tuple_(*after))
        query = query.order_by(UserRow.created_at, UserRow.id).limit(limit)
        return [_user(row) for row in await self._session.scalars(query)]

    async def keys_of(self, user_id: str) -> list[ApiKey]:
        query = select(ApiKeyRow).where(ApiKeyRow.user_id == user_id)
        return [
            _key(row) for row in await self._session.scalars(query.order_by(ApiKeyRow.created_at))
        ]

    async def get_key(self, key_id: str) -> ApiKey | None:
        row = await self._session.get(ApiKeyRow, key_id)
        return None if row is None else _key(row)

    async def create(self, *, user_id: str, email: str, name: str, role: Role, tier: Tier) -> User:
        """Adds the user; a taken email raises IntegrityError here, at once."""
        row = UserRow(id=user_id, email=email.lower(), name=name, role=role, tier=tier)
        self._session.add(row)
        await self._session.flush()
        return _user(row)

    async def add_key(self, *, key_id: str, user_id: str, prefix: str, key_hash: str) -> ApiKey:
        row = ApiKeyRow(id=key_id, user_id=user_id, prefix=prefix, key_hash=key_hash)
        self._session.add(row)
        await self._session.flush()
        return _key(row)

    async def revoke_key(self, key_id: str) -> bool:
        result = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def disable(self, user_id: str) -> bool:
        """Refuses every key of the user from now on; False if already disabled."""
        result = await self._session.execute(
            update(UserRow)
            .where(UserRow.id == user_id, UserRow.disabled_at.is_(None))
            .values(disabled_at=datetime.now(UTC))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


@overload
def _user(row: UserRow) -> User: ...
@overload
def _user(row: None) -> None: ...
def _user(row: UserRow | None) -> User | None:
    if row is None:
        return None
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        tier=Tier(row.tier),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
