"""One rule says when a database error means "the database cannot serve" (the API's
503, orders-admin's exit 5) and when it is the request's own fault: tried on a real
server."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine
from infra.bootstrap import unreachable_dependency


async def error_of(url: str, statement: str) -> BaseException:
    engine = make_engine(url)
    try:
        with pytest.raises(Exception) as raised:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        return raised.value
    finally:
        await engine.dispose()


async def test_no_such_database_is_unreachable(database_url: str) -> None:
    missing = make_url(database_url).set(database="no_such_database_here")
    error = await error_of(missing.render_as_string(hide_password=False), "SELECT 1")

    assert unreachable_dependency(error) == "database"


async def test_a_nul_in_a_statement_is_the_request_s_fault(database_url: str) -> None:
    error = await error_of(database_url, "SELECT 'a\x00b'")

    assert unreachable_dependency(error) is None


async def test_a_closed_port_is_unreachable() -> None:
    error = await error_of("postgresql+asyncpg://nobody@127.0.0.1:9/none", "SELECT 1")

    assert unreachable_dependency(error) == "database"
