from __future__ import annotations

from dataclasses import dataclass
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
