from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
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
    ping_idle_after: float | None = 5.0,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    application_name: str | None = None,
) -> AsyncEngine:
    """A pooled engine. A connection that sat in the pool longer than `ping_idle_after`
    seconds is tested before it is handed out, and replaced if the database dropped
    it; a connection back from work a moment ago is not (docs/performance.md: pinging
    every checkout was two of the three round trips of a one-statement read). A
    restarted database thus costs a request a 503 only on a connection used in
    the seconds before, and the pool drops all connections older than the first
    such error. The worker passes `None`: Temporal retries an activity that met a
    dead connection. `pool_timeout` is how long a checkout waits for a free
    connection before it fails."""
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args={
            "timeout": connect_timeout,
            "server_settings": {"application_name": application_name} if application_name else {},
        },
    )
    if ping_idle_after is not None:
        _ping_when_idle(engine, ping_idle_after)
    event.listen(engine.sync_engine, "handle_error", _dropped_under_us)
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)
    return engine


def _count_statement(*_: Any) -> None:
    STATEMENTS.inc()


def _dropped_under_us(context: Any) -> None:
    """A connection the server ended a moment before it was used (a restart, a
    failover, an idle timeout) fails its next statement with asyncpg's "another
    operation is in progress" before asyncpg has seen it close: a lost connection,
    which the pool then replaces (and the caller reports as the database out of
    reach), not an error of the statement."""
    if "another operation is in progress" in str(context.original_exception):
        context.is_disconnect = True


def _ping_when_idle(engine: AsyncEngine, seconds: float) -> None:
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def returned(_: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    def handed_out(dbapi_connection: Any, record: Any, _: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool replaces the connection and tries again.
            raise DisconnectionError(str(error)) from error

    event.listen(pool, "checkin", returned)
    event.listen(pool, "checkout", handed_out)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
