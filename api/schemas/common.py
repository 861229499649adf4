from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

UNSTORABLE = "contains a NUL or an unpaired surrogate character"


def unstorable(text: str) -> bool:
    """Text PostgreSQL cannot store (NUL) or that is not valid Unicode (lone surrogates)."""
    if "\x00" in text:
        return True
    return not text.isascii() and any(unicodedata.category(char) == "Cs" for char in text)


class InputModel(BaseModel):
    """Base of every request body: unknown fields are refused, and so is text that
    PostgreSQL cannot store (NUL) or that is not valid Unicode (lone surrogates)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str) and unstorable(value):
            raise ValueError(UNSTORABLE)
        return value


class Money(InputModel):
    amount: int = Field(
        ge=0, le=10**12, description="Amount in minor units (cents).", examples=[1999]
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.", examples=["USD"])


class MoneyDifference(BaseModel):
    """An amount that may be below zero: what a change adds (above) or takes off."""

    amount: int = Field(
        description="Minor units (cents); below zero when the change lowers the total.",
        examples=[-450],
    )
    currency: str = Field(description="ISO 4217 code.", examples=["USD"])
