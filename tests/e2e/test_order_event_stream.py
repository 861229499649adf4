"""GET /v1/orders/{id}/events/stream over real HTTP: the timeline so far, then each new
entry, ending when the order is terminal; Last-Event-ID resumes; heartbeats keep a
quiet stream open; the order's access rules apply."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from domain.users import Role
from tests.api.conftest import order_body
from tests.factories import add_product, add_user


async def frames(api_url: str, key: str, order_id: str, **headers: str) -> list[dict[str, Any]]:
    """Every frame until the server ends the stream (or after a heartbeat, `comment`)."""
    seen: list[dict[str, Any]] = []
    auth = {"Authorization": f"Bearer {key}", **headers}
    url = f"{api_url}/v1/orders/{order_id}/events/stream"
    async with httpx.AsyncClient(timeout=httpx.Timeout(120, read=60)) as http:
        async with http.stream("GET", url, headers=auth) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            fields: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    seen.append({"comment": line[1:].strip()})
                elif line == "":
                    if "id" in fields:
                        seen.append(fields)
                    fields = {}
                else:
                    name, _, value = line.partition(": ")
                    fields[name] = json.loads(value) if name == "data" else value
    return seen


async def place(api_url: str, key: str, sku: str) -> str:
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        placed = await http.post(
            "/v1/orders",
            json=order_body((sku, 1)),
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
        )
    assert placed.status_code == 201, placed.text
    return str(placed.json()["id"])


async def test_the_stream_tells_the_whole_story_and_ends_at_delivery(
    api_url: str, session_uow: Any
) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    order_id = await place(api_url, key, await add_product(session_uow, on_hand=2))

    events = [f for f in await frames(api_url, key, order_id) if "id" in f]
    ids = [int(f["id"]) for f in events]
    resumed = await frames(api_url, key, order_id, **{"Last-Event-ID": str(ids[2])})

    assert events[0]["event"] == "order.placed"
    assert events[-1]["event"] == "shipment.delivered"
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(f["data"]["type"] == f["event"] for f in events)
    assert [int(f["id"]) for f in resumed if "id" in f] == ids[3:]


async def test_a_quiet_stream_gets_heartbeats_and_strangers_get_404(
    api_url: str, session_uow: Any
) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    _, stranger = await add_user(session_uow, Role.CUSTOMER)
    held = await place(api_url, key, await add_product(session_uow, price=60_000, on_hand=2))

    seen: list[str] = []
    url = f"{api_url}/v1/orders/{held}/events/stream"
    async with httpx.AsyncClient(timeout=httpx.Timeout(120, read=60)) as http:
        async with http.stream("GET", url, headers={"Authorization": f"Bearer {key}"}) as stream:
            async for line in stream.aiter_lines():
                seen.append(line)
                if line.startswith(":"):  # the order waits for review: only heartbeats now
                    break
        other = await http.get(url, headers={"Authorization": f"Bearer {stranger}"})

    assert "event: order.placed" in seen
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
