"""Production refuses weak secrets, each with one line naming its variable; development
keeps its defaults."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra.payload_codec import DEVELOPMENT_KEY
from infra.settings import DEVELOPMENT_SECRET, Settings, refused_settings

ROOT = Path(__file__).resolve().parents[2]


def fresh_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def strong() -> dict[str, Any]:
    """Production settings as deploy/compose/new_env.py makes them."""
    return {
        "environment": "production",
        "api_key_pepper": secrets.token_urlsafe(32),
        "webhook_secret": secrets.token_urlsafe(32),
        "webhook_previous_secret": secrets.token_urlsafe(32),
        "bootstrap_admin_key": "ok_" + secrets.token_urlsafe(32),
        "payload_keys": {"2026-12": fresh_key()},
        "payload_key_id": "2026-12",
    }


def refusals(**changes: Any) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        Settings(**(strong() | changes))
    return refused_settings(refused.value)


def test_development_starts_with_the_defaults() -> None:
    settings = Settings(environment="development")
    assert settings.api_key_pepper == DEVELOPMENT_SECRET
    assert settings.payload_keys == {"development": DEVELOPMENT_KEY}


def test_production_starts_with_strong_secrets() -> None:
    settings = Settings(**strong())
    assert settings.environment == "production"


SECRETS = {
    "api_key_pepper": "ORDERS_API_KEY_PEPPER",
    "webhook_secret": "ORDERS_WEBHOOK_SECRET",
    "webhook_previous_secret": "ORDERS_WEBHOOK_PREVIOUS_SECRET",
    "bootstrap_admin_key": "ORDERS_BOOTSTRAP_ADMIN_KEY",
}
WEAK = {
    "short": ("k3y-" + "x7" * 10, "24 characters"),
    "one character repeated": ("a" * 40, "one character repeated"),
    "the development default": (DEVELOPMENT_SECRET, "development default"),
}


@pytest.mark.parametrize("field", SECRETS)
@pytest.mark.parametrize("weakness", WEAK)
def test_production_refuses_a_weak_secret(field: str, weakness: str) -> None:
    value, reason = WEAK[weakness]

    lines = refusals(**{field: value})

    assert len(lines) == 1
    assert lines[0].startswith(SECRETS[field]), lines
    assert reason in lines[0]
    assert value not in lines[0]


@pytest.mark.parametrize("field", ["api_key_pepper", "webhook_secret"])
@pytest.mark.parametrize("empty", ["", "   "])
def test_production_refuses_an_empty_secret(field: str, empty: str) -> None:
    assert refusals(**{field: empty}) == [
        f"{SECRETS[field]} is empty: set a random secret of at least 32 characters"
    ]


@pytest.mark.parametrize("field", ["webhook_previous_secret", "bootstrap_admin_key"])
def test_an_optional_secret_left_empty_is_unset(field: str) -> None:
    settings = Settings(**(strong() | {field: ""}))
    assert getattr(settings, field) is None


def test_production_refuses_one_secret_serving_twice() -> None:
    pepper = secrets.token_urlsafe(32)

    lines = refusals(api_key_pepper=pepper, webhook_secret=pepper)

    assert lines == [
        "ORDERS_WEBHOOK_SECRET is the same as ORDERS_API_KEY_PEPPER: each secret must be its own"
    ]


def test_the_previous_webhook_secret_may_repeat_the_current_one() -> None:
    current = secrets.token_urlsafe(32)
    Settings(**(strong() | {"webhook_secret": current, "webhook_previous_secret": current}))


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        ({}, "ORDERS_PAYLOAD_KEYS is empty: set at least one key of 32 random bytes"),
        (
            {"2026-12": DEVELOPMENT_KEY},
            "ORDERS_PAYLOAD_KEYS['2026-12'] is the development key: set a key of 32 random bytes",
        ),
        (
            {"2026-12": base64.b64encode(bytes(32)).decode()},
            "ORDERS_PAYLOAD_KEYS['2026-12'] is one byte repeated: set a key of 32 random bytes",
        ),
        (
            {"2026-12": base64.b64encode(b"sixteen byte key").decode()},
            "ORDERS_PAYLOAD_KEYS['2026-12'] is not 32 bytes, base64-encoded",
        ),
        (
            {"2026-12": "not base64 at all!"},
            "ORDERS_PAYLOAD_KEYS['2026-12'] is not 32 bytes, base64-encoded",
        ),
    ],
    ids=["none", "development", "zeros", "short", "not-base64"],
)
def test_production_refuses_weak_payload_keys(keys: dict[str, str], line: str) -> None:
    key_id = {"payload_key_id": next(iter(keys))} if keys else {}
    lines = refusals(payload_keys=keys, **key_id)
    assert line in lines
    assert all(value not in " ".join(lines) for value in keys.values())


def test_every_refusal_is_told_at_once() -> None:
    lines = refusals(api_key_pepper="", webhook_secret=DEVELOPMENT_SECRET, bootstrap_admin_key="x")
    assert [line.split(" ", 1)[0] for line in lines] == [
        "ORDERS_API_KEY_PEPPER",
        "ORDERS_WEBHOOK_SECRET",
        "ORDERS_BOOTSTRAP_ADMIN_KEY",
    ]


def production_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any setting of the service, plus these."""
    own = ("ORDERS_", "DATABASE_URL", "REDIS_URL", "TEMPORAL_")
    kept = {name: value for name, value in os.environ.items() if not name.startswith(own)}
    values = strong()
    return kept | {
        "ORDERS_ENVIRONMENT": "production",
        "ORDERS_WEBHOOK_SECRET": values["webhook_secret"],
        "ORDERS_PAYLOAD_KEYS": json.dumps({"2026-12": fresh_key()}),
        "ORDERS_PAYLOAD_KEY_ID": "2026-12",
        **variables,
    }


@pytest.mark.parametrize(
    ("module", "program", "code"),
    [
        ("api.server", "orders-api", 1),
        ("worker", "orders-worker", 1),
        ("infra.migrate", "orders-migrate", 1),
        ("cli.orders_admin", "orders-admin", 2),
    ],
)
def test_a_process_refused_its_settings_exits_with_one_line(
    module: str, program: str, code: int
) -> None:
    pepper = "short-pepper-20-char"
    arguments = ["users", "list"] if program == "orders-admin" else []
    finished = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=ROOT,
        env=production_environment(ORDERS_API_KEY_PEPPER=pepper),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == code
    assert finished.stdout == ""
    assert finished.stderr == (
        f"{program}: ORDERS_API_KEY_PEPPER is 20 characters: "
        "set a random secret of at least 32 characters\n"
    )
