"""A process's own HTTP endpoints (probes, /metrics) served beside its main work, on a
port of their own: uvicorn, bound to a socket made here so a port already taken fails
at once with the port's name, and without taking over SIGINT and SIGTERM, which the
process's main loop (the worker's, the API's server) decides on."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from starlette.types import ASGIApp


class OpsServer(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listening_socket(host: str, port: int, setting: str) -> socket.socket:
    """A socket listening on host:port; OSError naming the setting if it cannot be had."""
    try:
        return socket.create_server((host, port), backlog=128)
    except OSError as error:
        where = f"{setting}: cannot listen on {host}:{port}"
        raise OSError(error.errno, f"{where}: {error.strerror}") from None


@asynccontextmanager
async def serving(app: ASGIApp, host: str, port: int, setting: str) -> AsyncIterator[None]:
    """Serves `app` on host:port until the block ends."""
    sock = listening_socket(host, port, setting)
    server = OpsServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
