"""A database of a test's own on the same PostgreSQL server, dropped afterwards: for
what must not share the session's database (its relay lock, a consumer's tables)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url, text

from db.engine import make_engine
from db.migrate import upgrade


@asynccontextmanager
async def scratch_database(server_url: str, *, migrated: bool = False) -> AsyncIterator[str]:
    """Yields the URL of a new database (with our schema when `migrated`)."""
    server = make_engine(server_url)
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    async with server.connect() as admin:
        await admin.execution_options(isolation_level="AUTOCOMMIT")
        await admin.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        async with server.connect() as admin:
            await admin.execution_options(isolation_level="AUTOCOMMIT")
            await admin.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await server.dispose()
