"""Statements counted on one engine. The process's own counter
(`orders_db_statements_total`) also counts whatever else runs in the test process
meanwhile (an API app's gauges, a relay's rounds), so a test that counts a step's
statements listens on the engine the step uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_on(
    engine: Engine | AsyncEngine | type[Engine],
    matching: Callable[[str], bool] = lambda _: True,
) -> Iterator[list[str]]:
    """The statements sent on this engine (on every engine, given the `Engine` class)
    while the block runs, those `matching` alone; the list fills as they are sent."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    sent: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if matching(statement):
            sent.append(statement)

    event.listen(sync, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(sync, "before_cursor_execute", note)


async def engine_of(uow_factory: Any) -> Engine:
    """The engine a factory's units of work run on."""
    async with uow_factory() as uow:
        engine: Engine = uow.session.get_bind()
    return engine
