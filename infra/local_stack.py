"""Where `make dev`'s processes are, for tools run beside it in the same checkout.

`make dev` writes the addresses it chose to `.local/stack.env`; `orders-admin` reads
them when nothing else says where the database is, so it reaches the local stack
without any setting.
"""

from __future__ import annotations

from pathlib import Path

STACK_ENV = Path(".local") / "stack.env"
SHARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "TEMPORAL_ADDRESS",
    "ORDERS_ENVIRONMENT",
    "ORDERS_PAYMENT_URL",
    "ORDERS_CARRIER_URL",
    "ORDERS_EMAIL_URL",
)


def write(state: Path, env: dict[str, str]) -> None:
    lines = [f"{name}={env[name]}" for name in SHARED if name in env]
    (state / STACK_ENV.name).write_text("\n".join(lines) + "\n")


def read(path: Path = STACK_ENV) -> dict[str, str]:
    """The addresses `make dev` wrote, or nothing outside a checkout that ran it."""
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs if name in SHARED}
