"""Creating users and their keys: shared by the API, the `orders-admin` command and
the dev stack's seeding."""

from __future__ import annotations

from db.tables import ApiKeyRow, UserRow
from db.unit_of_work import UnitOfWork
from domain.api_keys import NewKey, generate_key, key_from_secret
from domain.identity import new_id
from domain.users import Role, Tier


async def create_user(
    uow: UnitOfWork, *, email: str, name: str, role: Role, tier: Tier, pepper: str
) -> tuple[UserRow, str]:
    """Adds a user with a first key; returns the user and the key's secret."""
    user = await uow.users.create(
        user_id=new_id("usr"), email=email, name=name, role=role, tier=tier
    )
    key = generate_key(pepper)
    add_key(uow, user.id, key)
    return user, key.secret


def add_key(uow: UnitOfWork, user_id: str, key: NewKey) -> ApiKeyRow:
    return uow.users.add_key(
        key_id=new_id("key"), user_id=user_id, prefix=key.prefix, key_hash=key.hash
    )


async def ensure_user_with_key(
    uow: UnitOfWork, *, email: str, name: str, role: Role, tier: Tier, secret: str, pepper: str
) -> UserRow:
    """Makes sure a user with this email holds this exact key (for bootstrap and demos)."""
    user = await uow.users.by_email(email)
    if user is None:
        user = await uow.users.create(
            user_id=new_id("usr"), email=email, name=name, role=role, tier=tier
        )
    key = key_from_secret(secret, pepper)
    if not await uow.users.key_exists(key.hash):
        add_key(uow, user.id, key)
    return user
