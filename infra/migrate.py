"""`orders-migrate`: creates the configured database if it is missing and brings its
schema to the latest revision (DATABASE_URL, as every process reads it)."""

from __future__ import annotations

from db.migrate import upgrade
from infra.settings import settings_or_exit


def main() -> None:
    upgrade(settings_or_exit("orders-migrate").database_url)


if __name__ == "__main__":
    main()
