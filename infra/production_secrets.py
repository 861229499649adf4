"""What production refuses as a secret, and how a refused setting is told at start.

Every secret of the service (the API key pepper, the webhook secrets, the payload
keys, the bootstrap admin key) must be long, random and its own in production: not
empty, not shorter than `MIN_LENGTH`, not a development default or a placeholder, and
not the value of another secret. Each refusal is one line naming the environment
variable, never the value.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping

from pydantic import ValidationError

from infra.payload_codec import DEVELOPMENT_KEY, decode_key

MIN_LENGTH = 32
# The secrets' development defaults (infra/settings.py, the carrier simulator).
DEVELOPMENT_SECRET = "development-only-secret-change-me"
KNOWN_DEFAULTS = frozenset({DEVELOPMENT_SECRET, DEVELOPMENT_KEY})


def production_refusals(
    secrets: Mapping[str, str | None], payload_keys: Mapping[str, str]
) -> list[str]:
    """Every reason production refuses these secrets (by variable; None: an optional
    one left unset) and payload keys."""
    problems, strong = [], {}
    for variable, value in secrets.items():
        if value is None:
            continue
        problem = weak_secret(variable, value)
        if problem:
            problems.append(problem)
        else:
            strong[variable] = value
    return problems + shared_secrets(strong) + weak_payload_keys(payload_keys)


def weak_secret(variable: str, value: str) -> str | None:
    """Why `value` will not do as the secret in `variable` in production, or None."""
    if not value.strip():
        return f"{variable} is empty: set a random secret of at least {MIN_LENGTH} characters"
    if value == DEVELOPMENT_SECRET:
        return f"{variable} is not set (it holds the development default)"
    if value in KNOWN_DEFAULTS:
        return f"{variable} is a development default: set a random secret of its own"
    if len(set(value)) == 1:
        return f"{variable} is one character repeated: set a random secret"
    if len(value) < MIN_LENGTH:
        return (
            f"{variable} is {len(value)} characters: set a random secret of at least "
            f"{MIN_LENGTH} characters"
        )
    return None


def bad_payload_keys(keys: Mapping[str, str]) -> list[str]:
    """Payload keys that cannot be used at all, in any environment."""
    problems = []
    for key_id, encoded in keys.items():
        try:
            decode_key(encoded)
        except (ValueError, binascii.Error):
            problems.append(f"ORDERS_PAYLOAD_KEYS[{key_id!r}] is not 32 bytes, base64-encoded")
    return problems


def weak_payload_keys(keys: Mapping[str, str]) -> list[str]:
    """Payload keys production refuses: none at all, the development key, a key of one
    byte repeated (zeros, a placeholder)."""
    if not keys:
        return ["ORDERS_PAYLOAD_KEYS is empty: set at least one key of 32 random bytes"]
    problems = []
    for key_id, encoded in keys.items():
        where = f"ORDERS_PAYLOAD_KEYS[{key_id!r}]"
        if encoded == DEVELOPMENT_KEY:
            problems.append(f"{where} is the development key: set a key of 32 random bytes")
            continue
        try:
            key = decode_key(encoded)
        except (ValueError, binascii.Error):
            continue  # bad_payload_keys tells it
        if len(set(key)) == 1:
            problems.append(f"{where} is one byte repeated: set a key of 32 random bytes")
    return problems


def shared_secrets(secrets: Mapping[str, str]) -> list[str]:
    """Secrets set to the same value: each must be its own (the carrier knows the
    webhook secret, which must not open API keys or payloads)."""
    problems = []
    seen: dict[str, str] = {}
    for variable, value in secrets.items():
        if value in seen:
            problems.append(f"{variable} is the same as {seen[value]}: each secret must be its own")
        seen.setdefault(value, variable)
    return problems


def refusals(error: ValidationError, variable_of: Callable[[str], str]) -> list[str]:
    """One line per refused setting, naming its environment variable and never its value
    (pydantic's own message repeats the input, secrets included)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:
            lines.extend(message.splitlines())
            continue
        field, *inner = (str(part) for part in item["loc"])
        # Read from the environment, the location is the variable's name already.
        variable = field if field.isupper() else variable_of(field)
        lines.append(variable + "".join(f"[{part!r}]" for part in inner) + f": {message}")
    return lines
