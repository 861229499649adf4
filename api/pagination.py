"""Keyset pagination: `limit` and an opaque `cursor` in, `{data, next_cursor}` out.

A cursor encodes the sort key of the last item of a page, so the next page starts
right after it whatever was inserted meanwhile (no offsets that shift).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from api.problems import Problem

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1 to 100.")]
CursorParam = Annotated[
    str | None,
    Query(max_length=500, description="`next_cursor` of the previous page; omit for the first."),
]


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def encode_cursor(*key: Any) -> str:
    raw = json.dumps([str(part) for part in key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key):
            return key
    except ValueError:
        pass
    raise _invalid()


def _invalid() -> Problem:
    return Problem(400, "/problems/invalid-cursor", "the cursor is not one this API gave out")


def decode_time_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """A (created_at, id) position, the key of lists sorted by creation."""
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), key[1]
    except ValueError:
        raise _invalid() from None


def time_cursor(created_at: datetime, row_id: str) -> str:
    return encode_cursor(created_at.isoformat(), row_id)
