from __future__ import annotations

from domain.api_keys import generate_key, hash_key
from domain.identity import request_fingerprint


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    a = request_fingerprint({"items": [{"sku": "A", "quantity": 1}], "payment": {"token": "t"}})
    b = request_fingerprint({"payment": {"token": "t"}, "items": [{"quantity": 1, "sku": "A"}]})
    c = request_fingerprint({"payment": {"token": "t"}, "items": [{"quantity": 2, "sku": "A"}]})
    assert a == b
    assert a != c


def test_api_keys_are_stored_as_a_peppered_hash() -> None:
    key = generate_key("pepper")
    assert key.secret not in key.hash
    assert key.hash == hash_key(key.secret, "pepper")
    assert key.hash != hash_key(key.secret, "another pepper")
    assert key.secret.startswith(key.prefix)
