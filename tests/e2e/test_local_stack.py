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
import pytest

from devstack.embedded import free_port, wait_for_port
from tests.factories import ADDRESS


def start_stack(state: Path, ports: dict[str, int]) -> subprocess.Popen[bytes]:
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


def stop_stack(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def wait_for(http: httpx.Client, path: str, headers: dict[str, str], status: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = http.get(path, headers=headers).json()
        if body.get("status") == status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{path} never reached {status}: {body}")


@pytest.mark.e2e
def test_make_dev_serves_an_order_to_delivered_and_keeps_it_across_restarts(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    ports = {
        name: free_port()
        for name in ("api", "temporal", "ui", "payment", "carrier", "email", "redis")
    }
    stack = start_stack(state, ports)
    try:
        keys = json.loads((state / "dev-keys.json").read_text())
        customer = {"Authorization": f"Bearer {keys['customer']}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as http:
            assert http.get("/readyz").status_code == 200
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
    finally:
        exit_code = stop_stack(stack)
    assert exit_code == 0

    stack = start_stack(state, ports)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['api']}", timeout=30) as http:
            again = http.get(f"/v1/orders/{order_id}", headers=customer)
            assert again.status_code == 200
            assert again.json()["status"] == "delivered"
    finally:
        stop_stack(stack)
