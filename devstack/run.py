"""`make dev`: the whole stack in the foreground, with prefixed logs.

Starts (unless pointed elsewhere by DATABASE_URL, REDIS_URL or TEMPORAL_ADDRESS)
embedded PostgreSQL, Redis and the Temporal dev server with its web UI, applies
migrations, seeds demo data once, then runs the three simulators, one worker, the
outbox relay (a worker that polls no queue) and the API. Ctrl-C stops everything;
state stays in the state folder (`.local/`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from devstack import embedded
from devstack.processes import NO_RELAY, RELAY_ONLY
from devstack.seed import DemoKeys, load_or_create_keys, seed
from infra import local_stack
from infra.settings import Settings

COLOURS = ["36", "35", "33", "32", "34", "31", "96", "95", "93"]


class Supervisor:
    """Child processes whose output is printed line by line behind their name."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._out = out
        self._lock = threading.Lock()

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
        )
        self.processes[name] = process
        colour = COLOURS[len(self.processes) % len(COLOURS)]
        prefix = f"\x1b[{colour}m{name:>9} |\x1b[0m " if self._out.isatty() else f"{name:>9} | "
        threading.Thread(target=self._pump, args=(process, prefix), daemon=True).start()

    def say(self, text: str) -> None:
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()

    def _pump(self, process: subprocess.Popen[bytes], prefix: str) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self.say(prefix + raw.decode(errors="replace").rstrip())

    def exited(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop_all(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes.values()):
            embedded.stop(process)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orders-dev", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=Path(".local"))
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--api-metrics-port", type=int, default=9466, help="API /metrics")
    parser.add_argument("--temporal-port", type=int, default=7233)
    parser.add_argument("--ui-port", type=int, default=8233)
    parser.add_argument("--payment-port", type=int, default=8101)
    parser.add_argument("--carrier-port", type=int, default=8102)
    parser.add_argument("--email-port", type=int, default=8103)
    parser.add_argument("--redis-port", type=int, default=0, help="0: a free port")
    parser.add_argument("--worker-port", type=int, default=9464, help="worker /metrics")
    parser.add_argument("--worker-sdk-port", type=int, default=9465)
    parser.add_argument("--relay-port", type=int, default=9467, help="outbox relay /metrics")
    parser.add_argument("--relay-sdk-port", type=int, default=9468)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    state: Path = args.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor()
    env = dict(os.environ)
    embedded_temporal = "TEMPORAL_ADDRESS" not in env
    env.setdefault("ORDERS_ENVIRONMENT", "development")
    # The local Temporal UI cannot send an API key to the codec endpoint.
    env.setdefault("ORDERS_CODEC_OPEN", "true")
    env.setdefault(
        "ORDERS_CODEC_CORS_ORIGINS",
        json.dumps([f"http://127.0.0.1:{args.ui_port}", f"http://localhost:{args.ui_port}"]),
    )
    env.setdefault("PYTHONUNBUFFERED", "1")
    postgres = None

    stop_requested = False

    def request_stop(*_: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    try:
        if "DATABASE_URL" not in env:
            supervisor.say("starting embedded PostgreSQL ...")
            postgres, env["DATABASE_URL"] = embedded.start_postgres(state / "postgres")
        if "REDIS_URL" not in env:
            port = args.redis_port or embedded.free_port()
            supervisor.start("redis", embedded.redis_command(state / "redis", port), env)
            env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        if embedded_temporal:
            if embedded.port_in_use(args.temporal_port):
                sys.exit(f"port {args.temporal_port} is taken: stop it or pass --temporal-port")
            supervisor.start(
                "temporal",
                embedded.temporal_command(
                    state / "temporal.db",
                    args.temporal_port,
                    args.ui_port,
                    codec_endpoint=f"http://127.0.0.1:{args.api_port}/codec",
                ),
                env,
            )
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{args.temporal_port}"
            embedded.wait_for_port(args.temporal_port)

        env.setdefault("ORDERS_PAYMENT_URL", f"http://127.0.0.1:{args.payment_port}")
        env.setdefault("ORDERS_CARRIER_URL", f"http://127.0.0.1:{args.carrier_port}")
        env.setdefault("ORDERS_EMAIL_URL", f"http://127.0.0.1:{args.email_port}")
        env.setdefault("ORDERS_API_HOST", "127.0.0.1")
        env.setdefault("ORDERS_API_METRICS_PORT", str(args.api_metrics_port))
        env.setdefault("ORDERS_WORKER_HTTP_PORT", str(args.worker_port))
        env.setdefault("ORDERS_WORKER_SDK_METRICS_ADDRESS", f"127.0.0.1:{args.worker_sdk_port}")
        os.environ.update(env)
        local_stack.write(state, env)  # for orders-admin run in this checkout
        settings = Settings()  # as the children will see it
        env.setdefault(
            "CARRIER_WEBHOOK_URL", f"http://127.0.0.1:{args.api_port}/v1/webhooks/carrier"
        )
        env.setdefault("CARRIER_WEBHOOK_SECRET", settings.webhook_secret)
        env.setdefault("SIMULATOR_STATE_DIR", str(state / "simulators"))

        supervisor.say("applying migrations ...")
        subprocess.run([sys.executable, "-m", "infra.migrate"], env=env, check=True)
        keys = load_or_create_keys(state / "dev-keys.json")
        asyncio.run(seed(env["DATABASE_URL"], settings.api_key_pepper, settings.currency, keys))

        for name, port in (
            ("payment", args.payment_port),
            ("carrier", args.carrier_port),
            ("email", args.email_port),
        ):
            supervisor.start(name, _uvicorn(f"simulators.{name}:app", port), env)
        # The outbox relay in a process of its own, as on Kubernetes away from the
        # workflow tasks (in the same process it took CPU from them: docs/performance.md).
        supervisor.start("worker", [sys.executable, "-m", "worker"], {**env, **NO_RELAY})
        relay = {
            **RELAY_ONLY,
            "ORDERS_WORKER_HTTP_PORT": str(args.relay_port),
            "ORDERS_WORKER_SDK_METRICS_ADDRESS": f"127.0.0.1:{args.relay_sdk_port}",
        }
        supervisor.start("relay", [sys.executable, "-m", "worker"], {**env, **relay})
        # The worker serves its port once the namespace has our search attributes: an
        # order placed before that would be refused.
        embedded.wait_for_port(args.worker_port, timeout=120)
        supervisor.start("api", _uvicorn("api.app:create_app", args.api_port, factory=True), env)
        embedded.wait_for_port(args.api_port)
        supervisor.say(_banner(args, keys, embedded_temporal))

        while not stop_requested:
            crashed = supervisor.exited()
            if crashed:
                supervisor.say(f"{crashed} exited; stopping the stack")
                break
            time.sleep(0.3)
    finally:
        supervisor.say("stopping ...")
        supervisor.stop_all()
        if postgres is not None:
            embedded.stop_postgres(postgres)
        supervisor.say("stopped")


def _uvicorn(app: str, port: int, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--timeout-graceful-shutdown", "10"]
    return command + (["--factory"] if factory else [])


def _banner(args: argparse.Namespace, keys: DemoKeys, embedded_temporal: bool) -> str:
    api = f"http://127.0.0.1:{args.api_port}"
    ui = f"http://127.0.0.1:{args.ui_port}" if embedded_temporal else "(your Temporal UI)"
    return f"""
================================================================================
 Order service is up.   API {api}   docs {api}/docs   Temporal UI {ui}
 Metrics (Prometheus): API :{args.api_metrics_port}/metrics   worker :{args.worker_port}/metrics
                       relay :{args.relay_port}/metrics

 admin key:    {keys.admin}
 ops key:      {keys.ops}
 customer key: {keys.customer}

 Place an order:
   curl -s -X POST {api}/v1/orders -H "Authorization: Bearer {keys.customer}" \\
     -H "Content-Type: application/json" -H "Idempotency-Key: demo-$(date +%s)" \\
     -d '{{"items":[{{"sku":"TSHIRT-M","quantity":2}}],"payment":{{"token":"tok_ok"}},
          "shipping_address":{{"name":"Ada Lovelace","line1":"12 St James Square",
          "city":"London","postal_code":"SW1Y 4JH","country":"GB"}}}}'
 Get it:
   curl -s {api}/v1/orders/ORDER_ID -H "Authorization: Bearer {keys.customer}"
 Its events:
   curl -s {api}/v1/orders/ORDER_ID/events -H "Authorization: Bearer {keys.customer}"
================================================================================
"""


if __name__ == "__main__":
    main()
