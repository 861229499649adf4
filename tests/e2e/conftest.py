"""The API on a real port, for tests that drive it as an outside client would."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from devstack.embedded import free_port
from infra.settings import Settings
from tests.polling import eventually_blocking


@pytest.fixture
def stack_state() -> Iterator[Path]:
    """A directory for a whole stack's state, removed after the test. Outside pytest's
    temporary root for the reason the session's PostgreSQL is (`Stack.postgres_dir`):
    the stack's server runs as a user of its own, and a pytest session starting
    meanwhile would make that root private again."""
    path = Path(tempfile.mkdtemp(prefix="orders-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def api_url(settings: Settings, worker: object) -> Iterator[str]:
    """The session's API (and, through `worker`, its workers) in a thread of its own."""
    with served_api(settings) as url:
        yield url


@contextmanager
def served_api(settings: Settings) -> Iterator[str]:
    """An API process's app on a free port, in a thread of its own, until the block ends."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/livez", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    eventually_blocking(answers)
    yield url
    server.should_exit = True
    thread.join(timeout=30)
