"""API keys: random, shown once, stored only as a keyed hash.

Keys carry 256 bits of randomness, so a fast keyed hash (HMAC-SHA256 with a
server-side pepper) is enough: there is nothing to brute-force, and a slow
password hash would only add latency to every request. The pepper means a
leaked table alone cannot even confirm a guessed key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "ok_"


@dataclass(frozen=True)
class NewKey:
    secret: str  # shown to the caller once, never stored
    prefix: str  # stored, safe to show to support staff
    hash: str


def generate_key(pepper: str) -> NewKey:
    return key_from_secret(KEY_PREFIX + secrets.token_urlsafe(32), pepper)


def key_from_secret(secret: str, pepper: str) -> NewKey:
    return NewKey(secret=secret, prefix=secret[:10], hash=hash_key(secret, pepper))


def hash_key(secret: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()
