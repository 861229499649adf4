"""Users and their API keys: who may call, with which keys. Used by the API, by
`orders-admin users|keys` and by the dev stack's seeding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from db.unit_of_work import UnitOfWork
from domain.api_keys import NewKey, generate_key, hash_key, key_from_secret
from domain.errors import ApiKeyNotFound, EmailTaken, UserNotFound
from domain.identity import new_id
from domain.users import ApiKey, Caller, Role, Tier, User


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    role: Role
    tier: Tier = Tier.STANDARD


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class CreatedUser:
    user: User
    first_key: IssuedKey


class Accounts:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        pepper: str,
        autocommit: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._pepper = pepper
        # Authentication is one statement (it also records the key's use): outside a
        # transaction where given, with no `BEGIN` and `COMMIT` around it.
        self._one_statement = autocommit or unit_of_work

    async def authenticate(self, secret: str) -> Caller | None:
        """The caller holding this key, or None if it is unknown, revoked or its user
        disabled. Records the key's use (at most once a minute)."""
        key_hash = hash_key(secret, self._pepper)
        async with self._one_statement() as uow:
            user = await uow.users.use_key(key_hash)
            if user is None:
                return None
            await uow.commit()
        return Caller(user.id, user.role, user.tier, user.email)

    async def create_user(self, command: NewUser) -> CreatedUser:
        """Adds a user with a first key. Raises EmailTaken."""
        try:
            async with self._unit_of_work() as uow:
                user = await uow.users.create(
                    user_id=new_id("usr"),
                    email=command.email,
                    name=command.name,
                    role=command.role,
                    tier=command.tier,
                )
                key = generate_key(self._pepper)
                issued = IssuedKey(await _add_key(uow, user.id, key), key.secret)
                await uow.commit()
        except IntegrityError:
            raise EmailTaken(command.email) from None
        return CreatedUser(user, issued)

    async def ensure_user_with_key(self, command: NewUser, secret: str) -> User:
        """Makes sure a user with this email holds this exact key (bootstrap and demos)."""
        async with self._unit_of_work() as uow:
            user = await uow.users.by_email(command.email)
            if user is None:
                user = await uow.users.create(
                    user_id=new_id("usr"),
                    email=command.email,
                    name=command.name,
                    role=command.role,
                    tier=command.tier,
                )
            key = key_from_secret(secret, self._pepper)
            if not await uow.users.key_exists(key.hash):
                await _add_key(uow, user.id, key)
            await uow.commit()
        return user

    async def users(self, *, after: tuple[datetime, str] | None, limit: int) -> list[User]:
        """Oldest first, after the (created_at, id) of the last one seen."""
        async with self._unit_of_work() as uow:
            return await uow.users.page(after=after, limit=limit)

    async def with_email(self, email: str) -> list[User]:
        """The user with this email (emails are unique, compared without case), if any."""
        async with self._unit_of_work() as uow:
            user = await uow.users.by_email(email)
        return [] if user is None else [user]

    async def user(self, user_id: str) -> User:
        async with self._unit_of_work() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def disable_user(self, user_id: str) -> bool:
        """Refuses every key of the user from now on; False if already disabled."""
        async with self._unit_of_work() as uow:
            if await uow.users.get(user_id) is None:
                raise UserNotFound(user_id)
            changed = await uow.users.disable(user_id)
            await uow.commit()
        return changed

    async def issue_key(self, user_id: str) -> IssuedKey:
        """Another key for the user; older keys keep working until revoked."""
        async with self._unit_of_work() as uow:
            if await uow.users.get(user_id) is None:
                raise UserNotFound(user_id)
            key = generate_key(self._pepper)
            issued = IssuedKey(await _add_key(uow, user_id, key), key.secret)
            await uow.commit()
        return issued

    async def keys_of(self, user_id: str) -> list[ApiKey]:
        async with self._unit_of_work() as uow:
            if await uow.users.get(user_id) is None:
                raise UserNotFound(user_id)
            return await uow.users.keys_of(user_id)

    async def revoke_key(self, key_id: str) -> bool:
        """Refuses the key from the next request on; False if it was revoked already."""
        async with self._unit_of_work() as uow:
            if await uow.users.get_key(key_id) is None:
                raise ApiKeyNotFound(key_id)
            changed = await uow.users.revoke_key(key_id)
            await uow.commit()
        return changed


async def _add_key(uow: UnitOfWork, user_id: str, key: NewKey) -> ApiKey:
    return await uow.users.add_key(
        key_id=new_id("key"), user_id=user_id, prefix=key.prefix, key_hash=key.hash
    )
