"""Ids, and the fingerprint that tells a retried request from a different one."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from domain.errors import IdempotencyKeyReused


def workflow_id_for(order_id: str) -> str:
    return f"order-{order_id}"


def request_fingerprint(body: dict[str, Any]) -> str:
    """A digest of the request as the client meant it: key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def ensure_same_request(first: str, again: str) -> None:
    """A key used again must come with the same request it was first used with."""
    if first != again:
        raise IdempotencyKeyReused()
