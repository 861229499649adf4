from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    OPS = "ops"
    ADMIN = "admin"

    @property
    def sees_all_orders(self) -> bool:
        return self in (Role.OPS, Role.ADMIN)


class Tier(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


@dataclass(frozen=True)
class Caller:
    """Who is calling: what every authorization decision is made from."""

    user_id: str
    role: Role
    tier: Tier
    email: str


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    tier: Tier
    created_at: datetime
    disabled_at: datetime | None  # a disabled user's keys are refused; their orders stay


@dataclass(frozen=True)
class ApiKey:
    """A key as it may be shown: never its secret, which only its holder saw once."""

    id: str
    user_id: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
