"""The stack exactly as `make dev` starts it, driven over HTTP from the outside."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from devstack.embedded import free_port, wait_for_port
from tests.deploy.files import dashboard_queries, metric_names
from tests.factories import ADDRESS
from tests.polling import eventually_blocking

# A whole stack of its own: `make test` runs these beside the session stack's tests.
pytestmark = pytest.mark.own_stack

API_FAMILIES = [
    "orders_http_requests_total",
    "orders_http_request_errors_total",
    "orders_http_request_duration_seconds_count",
    "orders_http_requests_in_flight",
    "orders_rate_limited_requests_total",
    "orders_rate_limiter_unavailable_total",
    "orders_shed_requests_total",
    "orders_reviews_pending",
]
ACTIVE_API_FAMILIES = ["orders_http_requests_total", "orders_http_request_duration_seconds_count"]
WORKER_FAMILIES = [
    "orders_placed_total",
    "orders_completed_total",
    "orders_value_minor_units_total",
    "orders_compensations_total",
    "orders_shipment_exceptions_total",
    "orders_milestone_seconds_count",
    "orders_provider_call_duration_seconds_count",
    "orders_provider_call_errors_total",
    "temporal_workflow_completed_total",
    "temporal_activity_execution_latency_seconds_count",
    "temporal_worker_task_slots_available",
]
ACTIVE_WORKER_FAMILIES = [
    "orders_placed_total",
    "orders_completed_total",
    "orders_value_minor_units_total",
    "orders_milestone_seconds_count",
    "orders_provider_call_duration_seconds_count",
    "temporal_activity_execution_latency_seconds_count",
]


def samples(text: str) -> dict[str, float]:
    """Each metric name with the sum of its samples (Prometheus text format); a declared
    family with no samples yet counts as 0."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            sums.setdefault(
                name + ("_total" if kind == "counter" and not name.endswith("_total") else ""), 0.0
            )
            continue
        if not line or line.startswith("#"):
            continue
        name_and_labels, _, value = line.rpartition(" ")
        name = name_and_labels.split("{", 1)[0]
        sums[name] = sums.get(name, 0.0) + float(value)
    return sums


def start_stack(state: Path, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    """Starts `make dev`'s supervisor; its output goes to state/../stack-*.log."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("TEMPORAL_ADDRESS", None)
    command = [sys.executable, "-m", "devstack.run", "--state-dir", str(state)]
    for name, port in ports.items():
        command += [f"--{name}-port", str(port)]
    log = (state.parent / f"stack-{time.monotonic_ns()}.log").open("wb")
    with log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(ports["api"], timeout=120)
    return process


def print_stack_logs(state: Path, lines: int = 80) -> None:
    for log in sorted(state.parent.glob("stack-*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- the last {len(tail)} lines of {log.name}", *tail, sep="\n")


def stop_stack(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def wait_for(http: httpx.Client, path: str, headers: dict[str, str], status: str) -> Any:
    def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(path, headers=headers).json()
        return body if body.get("status") == status else None

    reached.__name__ = f"{path} reaching {status}"
    return eventually_blocking(reached)


@pytest.mark.e2e
def test_make_dev_serves_an_order_to_delivered_and_keeps_it_across_restarts(
    stack_state: Path,
) -> None:
    state = stack_state / "state"
    ports = {
        name: free_port()
        for name in (
            "api",
            "api-metrics",
            "temporal",
            "ui",
            "payment",
            "carrier",
            "email",
            "redis",
            "worker",
            "worker-sdk",
            "relay",
            "relay-sdk",
        )
    }
    stack = start_stack(state, ports)
    try:
        keys = json.loads((state / "dev-keys.json").read_text())
        customer = {"Authorization": f"Bearer {keys['customer']}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as http:
            # The API's port opens before every dependency answers on a busy machine:
            # wait for ready, which it must become.
            wait_for(http, "/readyz", {}, "ok")
            placed = http.post(
                "/v1/orders",
                json={
                    "items": [{"sku": "TSHIRT-M", "quantity": 1}],
                    "payment": {"token": "tok_ok"},
                    "shipping_address": ADDRESS,
                },
                headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["id"]
            delivered = wait_for(http, f"/v1/orders/{order_id}", customer, "delivered")
            assert delivered["payment"]["status"] == "captured"
            assert http.get("/metrics").status_code == 404  # not on the public port
        api_metrics = samples(
            httpx.get(f"http://127.0.0.1:{ports['api-metrics']}/metrics", timeout=10).text
        )
        # Scraped twice: the worker's client for the SDK's metrics outlives one scrape.
        worker_metrics = {}
        for _ in range(2):
            worker_metrics = samples(
                httpx.get(f"http://127.0.0.1:{ports['worker']}/metrics", timeout=10).text
            )
            assert "temporal_workflow_completed_total" in worker_metrics
        for family in API_FAMILIES:
            assert family in api_metrics, family
        for family in ACTIVE_API_FAMILIES:
            assert api_metrics[family] > 0, family
        for family in WORKER_FAMILIES:
            assert family in worker_metrics, (family, sorted(worker_metrics))
        for family in ACTIVE_WORKER_FAMILIES:
            assert worker_metrics[family] > 0, family
        exported = set(api_metrics) | set(worker_metrics)
        for query in dashboard_queries():
            assert metric_names(query) <= exported, query
    except BaseException:
        print_stack_logs(state)  # which process went down, and why: pytest shows it
        raise
    finally:
        exit_code = stop_stack(stack)
    assert exit_code == 0
    service_lines = [
        line.split("| ", 1)[1]
        for log in state.parent.glob("stack-*.log")
        for line in log.read_text(errors="replace").splitlines()
        if "| " in line  # the supervisor's banner (which shows the keys) has no prefix
    ]
    for secret in [*keys.values(), "development-only-secret-change-me", "tok_ok"]:
        assert not [line for line in service_lines if secret in line], "a secret was logged"
    worker_lines = [json.loads(line) for line in service_lines if line.startswith('{"time"')]
    mine = [entry for entry in worker_lines if entry.get("order_id") == order_id]
    assert {"workflow_id", "run_id"} <= set(mine[0]), mine

    stack = start_stack(state, ports)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as http:
            again = http.get(f"/v1/orders/{order_id}", headers=customer)
            assert again.status_code == 200
            assert again.json()["status"] == "delivered"
    finally:
        stop_stack(stack)


def _stack_processes(stack: subprocess.Popen[bytes], state: Path) -> list[psutil.Process]:
    """The supervisor's children and the embedded PostgreSQL (pg_ctl detaches it)."""
    postmaster = int((state / "postgres" / "postmaster.pid").read_text().split()[0])
    children = psutil.Process(stack.pid).children(recursive=True)
    return [*children, psutil.Process(postmaster)]


def _ports() -> dict[str, int]:
    names = ("api", "temporal", "ui", "payment", "carrier", "email", "redis", "worker")
    return {name: free_port() for name in (*names, "worker-sdk", "relay", "relay-sdk")}


@pytest.mark.e2e
def test_ctrl_c_stops_every_process_postgres_included_even_after_a_crash(
    stack_state: Path,
) -> None:
    state, ports = stack_state / "state", _ports()
    crashed = start_stack(state, ports)
    dying = [psutil.Process(crashed.pid), *_stack_processes(crashed, state)]
    for process in dying:
        process.kill()  # the whole stack dies at once, as in a power cut
    crashed.wait()
    psutil.wait_procs(dying, timeout=30)
    stack = start_stack(state, ports)
    processes = _stack_processes(stack, state)

    exit_code = stop_stack(stack)

    _, alive = psutil.wait_procs(processes, timeout=30)
    assert exit_code == 0
    assert [p.pid for p in alive] == []
    assert len(processes) >= 8  # redis, temporal, 3 simulators, worker, api, postgres


@pytest.mark.e2e
def test_a_child_that_dies_takes_the_whole_stack_down(stack_state: Path) -> None:
    state = stack_state / "state"
    stack = start_stack(state, _ports())
    processes = _stack_processes(stack, state)
    email = next(p for p in processes if "simulators.email:app" in " ".join(p.cmdline()))

    email.kill()

    stack.wait(timeout=60)
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert [p.pid for p in alive] == []
