"""Ids and fingerprints that make a retried request land on the same order."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any


def order_id_for(caller_id: str, idempotency_key: str) -> str:
    """The same caller with the same key always names the same order."""
    digest = hashlib.sha256(f"{caller_id}\x00{idempotency_key}".encode()).digest()
    return "ord_" + base64.b32encode(digest[:15]).decode().lower()


def workflow_id_for(order_id: str) -> str:
    return f"order-{order_id}"


def request_fingerprint(body: dict[str, Any]) -> str:
    """A digest of the request as the client meant it: key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"
