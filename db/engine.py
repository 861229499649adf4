from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(
    database_url: str, *, connect_timeout: float = 5.0, pre_ping: bool = True
) -> AsyncEngine:
    """A pooled engine. `pre_ping` tests each connection as it leaves the pool (two
    round trips): the API wants it, so a restarted database costs no request an
    error; the worker does without, since Temporal retries an activity that met a
    dead connection, and the ping was a fifth of its database work."""
    return create_async_engine(
        database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=pre_ping,
        connect_args={"timeout": connect_timeout},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
