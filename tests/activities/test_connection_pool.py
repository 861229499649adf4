"""The pool tests a connection only after it sat idle, and reads run outside a
transaction: fewer round trips per request, tried on a real server whose backends
are dropped under the pool's feet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from infra.bootstrap import Bootstrap, unreachable_dependency
from infra.settings import Settings


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    yield engine
    await engine.dispose()


async def backend_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def drop(admin: AsyncEngine, backend: int) -> None:
    async with admin.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})


@asynccontextmanager
async def dropped_under_a_pool_of_one(
    database_url: str, admin: AsyncEngine, ping_idle_after: float
) -> AsyncIterator[tuple[AsyncEngine, int]]:
    """A pool of one connection, whose backend the server has just ended."""
    engine = make_engine(database_url, ping_idle_after=ping_idle_after, pool_size=1, max_overflow=0)
    try:
        first = await backend_of(engine)
        await drop(admin, first)
        yield engine, first
    finally:
        await engine.dispose()


async def test_a_connection_idle_past_the_bound_is_tested_and_replaced_if_dropped(
    database_url: str, admin: AsyncEngine
) -> None:
    async with dropped_under_a_pool_of_one(database_url, admin, 0.0) as (engine, first):
        assert await backend_of(engine) != first  # no error: tested, found dead, replaced


async def test_a_connection_back_from_work_a_moment_ago_is_handed_out_untested(
    database_url: str, admin: AsyncEngine
) -> None:
    async with dropped_under_a_pool_of_one(database_url, admin, 3600) as (engine, first):
        with pytest.raises(Exception) as raised:
            await backend_of(engine)
        # The API answers this one request 503 with Retry-After; the pool is renewed.
        assert unreachable_dependency(raised.value) == "database"
        assert await backend_of(engine) != first


async def test_reads_run_outside_a_transaction(settings: Settings, database_url: str) -> None:
    """Inside a transaction now() is the transaction's start, the same for every
    statement; outside, each statement is a transaction of its own."""
    async with Bootstrap(settings.model_copy(update={"database_url": database_url})) as boot:
        async with boot.read_sessions()() as session:
            first = await session.scalar(text("SELECT now()"))
            second = await session.scalar(text("SELECT now()"))
        async with boot.sessions()() as session:
            in_transaction = [await session.scalar(text("SELECT now()")) for _ in range(2)]

    assert first != second
    assert in_transaction[0] == in_transaction[1]


async def test_the_steps_read_units_run_outside_a_transaction(
    settings: Settings, database_url: str
) -> None:
    """What a step reads before its provider call (the parcel to book, what to undo)
    costs no `BEGIN` and `ROLLBACK`; its units of work still write in one transaction."""
    async with Bootstrap(settings.model_copy(update={"database_url": database_url})) as boot:
        async with boot.autocommit_unit_factory("steps")() as unit:
            read = [await unit.session.scalar(text("SELECT now()")) for _ in range(2)]
        async with boot.unit_of_work_factory("steps")() as unit:
            written = [await unit.session.scalar(text("SELECT now()")) for _ in range(2)]

    assert read[0] != read[1]
    assert written[0] == written[1]
