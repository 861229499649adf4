"""Creates the database when it is missing and brings its schema to the latest revision.

`orders-migrate` (infra/migrate.py) does it for the configured DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def ensure_database(database_url: str) -> None:
    """Creates the target database through the server's maintenance database."""
    url = make_url(database_url)
    name = url.database
    if not name:
        raise ValueError("DATABASE_URL names no database")
    engine = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


def upgrade(database_url: str) -> None:
    """Runs `alembic upgrade head`; call it outside a running event loop."""
    asyncio.run(ensure_database(database_url))
    command.upgrade(alembic_config(database_url), "head")
