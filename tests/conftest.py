"""Session-wide real parts and the fixtures every tier builds on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from infra.bootstrap import Bootstrap
from infra.settings import Settings
from infra.temporal_client import connect_temporal
from tests.stack import SESSION_TASK_QUEUE, Stack
from worker import running_relay, running_workers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Two groups for `pytest -n 2 --dist loadgroup` (`make test`): the tests that start a
    whole stack of their own run on one worker, every other test on the other, so each
    worker starts the session's stack at most once and the long runs overlap the rest."""
    for item in items:
        group = "own_stack" if item.get_closest_marker("own_stack") else "session_stack"
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(tmp=Path(tmp_path_factory.mktemp("stack")))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    """The settings of the in-process API and worker of the test session."""
    return stack.settings(task_queue=SESSION_TASK_QUEUE)


def _database_backends() -> list[str]:
    from tests.stack import reachable

    # The machine's own PostgreSQL joins in when it runs (CI has one).
    return ["embedded", "system"] if reachable(5432) else ["embedded"]


@pytest.fixture(scope="session", params=_database_backends())
def database_url(request: pytest.FixtureRequest, stack: Stack) -> str:
    if request.param == "system":
        assert stack.system_database_url is not None
        return stack.system_database_url
    return stack.database_url


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[Any]:
    """Units of work on each available PostgreSQL (the DB tier runs on both)."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    yield lambda: UnitOfWork(sessions)
    await engine.dispose()


@pytest.fixture(scope="session")
async def session_uow(settings: Settings) -> AsyncIterator[Any]:
    """Units of work on the database the API and worker of the session use."""
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    yield lambda: UnitOfWork(sessions)
    await engine.dispose()


@pytest.fixture(scope="session")
async def client(settings: Settings) -> Client:
    return await connect_temporal(settings)


@pytest.fixture(scope="session")
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """The workers of the session's task queues, and the outbox relay, for API tests."""
    async with (
        Bootstrap(settings) as boot,
        running_workers(client, boot) as workers,
        running_relay(boot),
    ):
        yield workers[0]


@pytest.fixture
async def simulators(stack: Stack) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """HTTP clients of the simulators; any fault a test injects is cleared after it."""
    clients = {
        "payment": httpx.AsyncClient(base_url=stack.payment_url),
        "carrier": httpx.AsyncClient(base_url=stack.carrier_url),
        "email": httpx.AsyncClient(base_url=stack.email_url),
    }
    yield clients
    for sim in clients.values():
        await sim.put("/admin/faults", json={})
        await sim.aclose()
