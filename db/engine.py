from __future__ import annotations

from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

STATEMENTS = Counter(
    "orders_db_statements_total",
    "SQL statements this process sent to PostgreSQL (each execute, a batch counting once).",
)


def make_engine(
    database_url: str,
    *,
    connect_timeout: float = 5.0,
    pre_ping: bool = True,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
) -> AsyncEngine:
    """A pooled engine. `pre_ping` tests each connection as it leaves the pool (two
    round trips): the API wants it, so a restarted database costs no request an
    error; the worker does without, since Temporal retries an activity that met a
    dead connection, and the ping was a fifth of its database work. `pool_timeout` is
    how long a checkout waits for a free connection before it fails."""
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=pre_ping,
        connect_args={"timeout": connect_timeout},
    )
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)
    return engine


def _count_statement(*_: Any) -> None:
    STATEMENTS.inc()


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
