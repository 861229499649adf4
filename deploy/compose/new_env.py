"""Prints a .env for `docker compose up`: .env.example with every empty value filled
with a fresh secret. Run: python3 deploy/compose/new_env.py > .env"""

from __future__ import annotations

import base64
import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def fresh_values() -> dict[str, str]:
    key_id = datetime.now(UTC).strftime("%Y-%m")
    return {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "RABBITMQ_PASSWORD": secrets.token_urlsafe(24),
        "ORDERS_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "ORDERS_API_KEY_PEPPER": secrets.token_urlsafe(32),
        "ORDERS_PAYLOAD_KEYS": json.dumps(
            {key_id: base64.b64encode(secrets.token_bytes(32)).decode()}, separators=(",", ":")
        ),
        "ORDERS_PAYLOAD_KEY_ID": key_id,
        "ORDERS_BOOTSTRAP_ADMIN_KEY": "ok_" + secrets.token_urlsafe(32),
    }


def filled(example: str, values: dict[str, str]) -> str:
    lines = []
    for line in example.splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.startswith("#") and not value and name in values:
            line = f"{name}={values[name]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(filled(EXAMPLE.read_text(), fresh_values()))
