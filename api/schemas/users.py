"""Bodies of /v1/users and /v1/api-keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import InputModel
from domain.users import Role, Tier


class UserIn(InputModel):
    email: str = Field(
        max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["olga@example.com"]
    )
    name: str = Field(min_length=1, max_length=200, examples=["Olga"])
    role: Role = Field(examples=["customer"])
    tier: Tier = Field(Tier.STANDARD, examples=["standard"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(examples=["usr_3f9a0c2b7d41e5f68a90"])
    email: str
    name: str
    role: Role
    tier: Tier
    created_at: datetime


class UserCreated(BaseModel):
    user: UserOut
    api_key: str = Field(description="Shown once; only its hash is stored.")


class ApiKeyCreated(BaseModel):
    id: str = Field(examples=["key_5d0c8e1f2a3b4c5d6e7f"])
    api_key: str = Field(description="Shown once; only its hash is stored.")
    prefix: str = Field(description="The first characters, safe to show support staff.")
    created_at: datetime


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prefix: str = Field(description="The first characters of the key, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None
