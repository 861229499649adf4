"""The payload codec: what Temporal stores is sealed, keys rotate, old payloads pass."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from infra.payload_codec import DEVELOPMENT_KEY, ENCODING, EncryptionCodec
from infra.settings import Settings

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def plain(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


async def test_a_payload_is_sealed_and_opens_again() -> None:
    codec = EncryptionCodec({"k1": OLD}, "k1")
    original = plain(b'{"payment_token":"tok_ok"}')

    [sealed] = await codec.encode([original])
    [opened] = await codec.decode([sealed])

    assert b"tok_ok" not in sealed.SerializeToString()
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert opened == original


async def test_payloads_sealed_with_a_retired_key_still_open_after_rotation() -> None:
    [sealed] = await EncryptionCodec({"k1": OLD}, "k1").encode([plain(b"1")])
    rotated = EncryptionCodec({"k1": OLD, "k2": NEW}, "k2")

    [opened] = await rotated.decode([sealed])
    [resealed] = await rotated.encode([plain(b"2")])

    assert opened.data == b"1"
    assert resealed.metadata["encryption-key-id"] == b"k2"


async def test_payloads_from_before_the_codec_pass_through() -> None:
    original = plain(b'"stored before encryption"')
    assert await EncryptionCodec({"k1": OLD}, "k1").decode([original]) == [original]


async def test_a_payload_sealed_with_an_unknown_key_is_refused() -> None:
    [sealed] = await EncryptionCodec({"k9": NEW}, "k9").encode([plain(b"1")])
    with pytest.raises(ValueError, match="k9"):
        await EncryptionCodec({"k1": OLD}, "k1").decode([sealed])


def test_production_refuses_the_development_key() -> None:
    secrets = {"webhook_secret": "w3" * 20, "api_key_pepper": "p4" * 20}
    own_key = base64.b64encode(bytes(range(32))).decode()
    with pytest.raises(ValidationError, match="development key"):
        Settings(environment="production", **secrets)
    with pytest.raises(ValidationError, match="CODEC_OPEN"):
        Settings(
            environment="production",
            payload_keys={"k1": own_key},
            payload_key_id="k1",
            codec_open=True,
            **secrets,
        )
    accepted = Settings(
        environment="production", payload_keys={"k1": own_key}, payload_key_id="k1", **secrets
    )
    assert DEVELOPMENT_KEY not in accepted.payload_keys.values()


def test_the_current_key_must_be_one_of_the_keys() -> None:
    with pytest.raises(ValidationError, match="PAYLOAD_KEY_ID"):
        Settings(payload_keys={"k1": OLD}, payload_key_id="k2")
