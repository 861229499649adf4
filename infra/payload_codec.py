"""Encrypts every payload Temporal stores: workflow inputs (payment tokens, shipping
addresses), activity arguments and results, update and signal arguments.

AES-256-GCM with a fresh 96-bit nonce per payload. The key id travels in the
payload's metadata, so keys rotate by adding a new current key and keeping the old
ones for decoding until no running history needs them. Payloads that are not
encrypted (histories from before the codec) pass through decoding untouched, so
stored histories still replay.

Search attributes do not go through the codec (they hold no secret); the summaries
the saga gives its steps do, as every payload the SDK sends, so the web UI shows them
through the API's codec endpoint.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12

# Only for development and tests; production refuses it (infra/settings.py).
DEVELOPMENT_KEY_ID = "development"
DEVELOPMENT_KEY = base64.b64encode(b"order-service-development-key-32").decode()


def decode_key(encoded: str) -> bytes:
    key = base64.b64decode(encoded, validate=True)
    if len(key) != 32:
        raise ValueError("a payload key is 32 bytes, base64-encoded")
    return key


class EncryptionCodec(PayloadCodec):
    """Encodes with the current key; decodes with whichever key a payload names."""

    def __init__(self, keys: Mapping[str, str], current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current payload key {current!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(decode_key(key)) for key_id, key in keys.items()}
        self._current = current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._current.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata[KEY_ID].decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise ValueError(f"no payload key {key_id!r} to decrypt with")
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            decoded.append(Payload.FromString(cipher.decrypt(nonce, sealed, None)))
        return decoded
