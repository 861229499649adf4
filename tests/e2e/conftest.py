"""The API on a real port, for tests that drive it as an outside client would."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from api.app import create_app
from infra.settings import Settings
from tests.polling import eventually_blocking


@pytest.fixture(scope="module")
def api_url(settings: Settings, worker: object) -> Iterator[str]:
    """The session's API (and, through `worker`, its workers) in a thread of its own."""
    with served_api(settings) as url:
        yield url


@contextmanager
def served_api(settings: Settings) -> Iterator[str]:
    """An API process's app on a free port, in a thread of its own, until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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
