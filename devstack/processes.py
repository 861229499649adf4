"""The stack as separate processes, each startable, killable and measurable on its own:
what the chaos run faults and the benchmark measures. The parts are those of `make dev`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psutil

from devstack import embedded
from infra.settings import Settings

# The settings of a worker that only relays the outbox, and of the workers beside it.
RELAY_ONLY = {"ORDERS_WORKER_QUEUES": "[]", "ORDERS_OUTBOX_RELAY": "true"}
NO_RELAY = {"ORDERS_OUTBOX_RELAY": "false"}


class ProcessStack:
    """Every process of the stack, each startable and killable on its own, so a run can
    fault them one by one and count each one's CPU."""

    def __init__(self, state: Path, overrides: dict[str, str] | None = None) -> None:
        self.state = state
        self.overrides = overrides or {}
        self.logs = state / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = {
            name: embedded.free_port()
            for name in ("redis", "temporal", "payment", "carrier", "email", "api", "api-metrics")
        }
        self.postgres: Any = None
        self.database_url = ""
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.workers: list[str] = []
        self.relays: list[str] = []  # workers that only relay the outbox (start_relay)
        self.worker_ports: dict[str, int] = {}  # each worker's and relay's /metrics and /readyz
        self.api_url = f"http://127.0.0.1:{self.ports['api']}"

    # -- the parts ------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.ports['temporal']}",
            "ORDERS_ENVIRONMENT": "development",
            "ORDERS_LOG_FORMAT": "text",
            "ORDERS_LOG_LEVEL": "WARNING",
            "ORDERS_PAYMENT_URL": f"http://127.0.0.1:{self.ports['payment']}",
            "ORDERS_CARRIER_URL": f"http://127.0.0.1:{self.ports['carrier']}",
            "ORDERS_EMAIL_URL": f"http://127.0.0.1:{self.ports['email']}",
            "ORDERS_RATE_LIMITS": json.dumps({"customer": 10**6, "ops": 10**6, "admin": 10**6}),
            "SIMULATOR_STATE_DIR": str(self.state / "simulators"),
            "CARRIER_WEBHOOK_URL": f"{self.api_url}/v1/webhooks/carrier",
            "ORDERS_API_HOST": "127.0.0.1",
            "ORDERS_API_METRICS_PORT": str(self.ports["api-metrics"]),
            **self.overrides,
        }

    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            temporal_address=f"127.0.0.1:{self.ports['temporal']}",
            payment_url=f"http://127.0.0.1:{self.ports['payment']}",
            carrier_url=f"http://127.0.0.1:{self.ports['carrier']}",
        )

    def spawn(self, name: str, command: list[str]) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )

    def start_postgres(self) -> None:
        if self.postgres is None:
            self.postgres, self.database_url = embedded.start_postgres(self.state / "postgres")
        else:
            self.postgres.ensure_postgres_running()  # after a SIGKILL: recovers its WAL

    def start_temporal(self) -> None:
        command = embedded.temporal_command(
            self.state / "temporal.db", self.ports["temporal"], ui_port=None
        )
        self.spawn("temporal", command)
        embedded.wait_for_port(self.ports["temporal"])

    def start_simulator(self, name: str) -> None:
        self.spawn(name, uvicorn_command(f"simulators.{name}:app", self.ports[name]))

    def start_api(self) -> None:
        self.spawn("api", uvicorn_command("api.app:create_app", self.ports["api"], factory=True))
        embedded.wait_for_port(self.ports["api"])

    def start_worker(self, role: str = "worker", env: dict[str, str] | None = None) -> None:
        name = f"{role}-{uuid.uuid4().hex[:6]}"
        self.worker_ports[name] = embedded.free_port()
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                env={
                    **self.env(),
                    **(env or {}),
                    "ORDERS_WORKER_HTTP_PORT": str(self.worker_ports[name]),
                    "ORDERS_WORKER_SDK_METRICS_ADDRESS": f"127.0.0.1:{embedded.free_port()}",
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        (self.relays if role == "relay" else self.workers).append(name)

    def start_relay(self) -> None:
        """The outbox relay in a process of its own: a worker that polls no task queue
        (the workers then run none: start them with ORDERS_OUTBOX_RELAY=false)."""
        self.start_worker("relay", RELAY_ONLY)

    def start(self, workers: int = 1, relays: int = 0) -> None:
        self.start_postgres()
        self.spawn("redis", embedded.redis_command(self.state / "redis", self.ports["redis"]))
        self.start_temporal()
        subprocess.run(
            [sys.executable, "-m", "infra.migrate"],
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for simulator in ("payment", "carrier", "email"):
            self.start_simulator(simulator)
        for _ in range(workers):
            self.start_worker()
        for _ in range(relays):
            self.start_relay()
        for port in (self.ports["redis"], self.ports["payment"], self.ports["carrier"]):
            embedded.wait_for_port(port)
        self.start_api()

    # -- the faults -----------------------------------------------------------------

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait()
        for names in (self.workers, self.relays):
            if name in names:
                names.remove(name)

    def kill_everything(self) -> None:
        """SIGKILL every process, PostgreSQL's too: a power cut, as far as it goes."""
        postmaster = self.postgres.get_postmaster_info().process
        victims = [psutil.Process(p.pid) for p in self.processes.values() if p.poll() is None]
        for process in [*victims, postmaster, *postmaster.children(recursive=True)]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs([*victims, postmaster], timeout=30)
        for process in self.processes.values():
            process.wait()
        self.processes.clear()
        self.workers.clear()
        self.relays.clear()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            embedded.stop(process)
        if self.postgres is not None:
            embedded.stop_postgres(self.postgres)


def uvicorn_command(app: str, port: int, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    return command + ["--log-level", "warning"] + (["--factory"] if factory else [])
