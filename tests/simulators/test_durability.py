"""A simulator killed with SIGKILL and started again forgets nothing, like a real provider."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from devstack import embedded
from tests.polling import eventually
from tests.stack import uvicorn

DESTINATION = {"name": "A", "line1": "1 Main St", "city": "X", "postal_code": "1", "country": "US"}


@contextmanager
def simulator(name: str, state_dir: Path, port: int, **env: str) -> Iterator[str]:
    process = subprocess.Popen(
        uvicorn(f"simulators.{name}:app", port),
        env={**os.environ, "SIMULATOR_STATE_DIR": str(state_dir), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        embedded.wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()  # SIGKILL: no chance to flush anything
        process.wait()


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A bare HTTP endpoint that records each JSON body it is sent and answers 200."""
    received: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received.append(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/hook", received


async def test_payment_keeps_authorizations_and_replies_across_a_kill(tmp_path: Path) -> None:
    port, ref, key = embedded.free_port(), f"ord_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    body = {"amount": 1200, "currency": "USD", "token": "tok_ok", "reference": ref}

    with simulator("payment", tmp_path, port) as url:
        async with httpx.AsyncClient(base_url=url) as payment:
            first = (
                await payment.post("/authorizations", json=body, headers={"Idempotency-Key": key})
            ).json()
    with simulator("payment", tmp_path, port) as url:
        async with httpx.AsyncClient(base_url=url) as payment:
            again = await payment.post(
                "/authorizations", json=body, headers={"Idempotency-Key": key}
            )
            capture = await payment.post(f"/authorizations/{first['id']}/capture")
            found = (await payment.get("/authorizations", params={"reference": ref})).json()
            ledger = (await payment.get("/admin/ledger")).json()

    assert again.json()["id"] == first["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert capture.status_code == 200
    assert [(a["id"], a["status"]) for a in found] == [(first["id"], "captured")]
    assert [op["op"] for op in ledger["operations"] if op.get("id") == first["id"]] == [
        "authorize",
        "capture",
    ]


async def test_the_carrier_sends_the_events_still_due_after_a_kill(tmp_path: Path) -> None:
    port, ref = embedded.free_port(), f"ord_{uuid.uuid4().hex[:8]}"
    async with webhook_receiver() as (hook, received):
        timing = {
            "CARRIER_WEBHOOK_URL": hook,
            "CARRIER_IN_TRANSIT_AFTER": "1",
            "CARRIER_DELIVERED_AFTER": "1.5",
        }
        with simulator("carrier", tmp_path, port, **timing) as url:
            async with httpx.AsyncClient(base_url=url) as carrier:
                created = await carrier.post(
                    "/shipments",
                    json={"reference": ref, "destination": DESTINATION, "items": []},
                    headers={"Idempotency-Key": f"{ref}:ship"},
                )
        # Killed before anything was due; nothing has been sent.
        assert received == []
        with simulator("carrier", tmp_path, port, **timing) as url:

            async def both_sent() -> bool:
                return len(received) >= 2

            await eventually(both_sent, timeout=60)
            async with httpx.AsyncClient(base_url=url) as carrier:
                shipments = (await carrier.get("/shipments", params={"reference": ref})).json()

    tracking = created.json()["tracking_number"]
    # Both fell due while the carrier was down; each webhook goes out on its own.
    assert sorted((r["tracking_number"], r["event"]) for r in received) == [
        (tracking, "delivered"),
        (tracking, "in_transit"),
    ]
    assert [(s["id"], s["status"]) for s in shipments] == [(created.json()["id"], "delivered")]
