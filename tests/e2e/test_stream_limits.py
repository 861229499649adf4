"""Live streams within bounds: a key holds a few streams open at most (429 beyond,
across replicas, since the count is in Redis), each stream ends after its lifetime and
resumes with Last-Event-ID, and a revoked key cannot resume."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from domain.users import Role
from infra.settings import Settings
from tests.e2e.conftest import served_api
from tests.e2e.test_order_event_stream import place
from tests.factories import add_product, add_user
from tests.polling import eventually

MOST = 2


@pytest.fixture(scope="module")
def bounded_url(settings: Settings, worker: object) -> Iterator[str]:
    """The session's API with small stream bounds, served beside the session's workers."""
    bounded = settings.model_copy(
        update={
            "event_stream_max_per_caller": MOST,
            "event_stream_lifetime": timedelta(seconds=3),
            "event_stream_heartbeat": timedelta(seconds=0.5),
        }
    )
    with served_api(bounded) as url:
        yield url


async def open_stream(
    http: httpx.AsyncClient, url: str, key: str, **headers: str
) -> httpx.Response:
    request = http.build_request("GET", url, headers={"Authorization": f"Bearer {key}", **headers})
    return await http.send(request, stream=True)


async def lines_until_end(response: httpx.Response) -> AsyncIterator[str]:
    async for line in response.aiter_lines():
        yield line


async def test_a_key_holds_a_few_streams_and_gets_429_beyond(
    bounded_url: str, session_uow: Any
) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    held = await place(bounded_url, key, await add_product(session_uow, price=60_000, on_hand=5))
    url = f"{bounded_url}/v1/orders/{held}/events/stream"
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, read=30)) as http:
        streams = [await open_stream(http, url, key) for _ in range(MOST)]
        refused = await http.get(url, headers={"Authorization": f"Bearer {key}"})
        _, other_key = await add_user(session_uow, Role.CUSTOMER)
        await streams[0].aclose()

        async def a_slot_is_free() -> bool:
            again = await open_stream(http, url, key)
            if again.status_code == 200:
                streams.append(again)
                return True
            await again.aclose()
            return False

        await eventually(a_slot_is_free, timeout=60)
        for stream in streams[1:]:
            await stream.aclose()

    assert [s.status_code for s in streams] == [200] * (MOST + 1)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "/problems/too-many-streams"
    assert "Retry-After" in refused.headers
    assert other_key != key  # another key has slots of its own (next test opens one)


async def test_a_stream_ends_after_its_lifetime_and_a_revoked_key_cannot_resume(
    bounded_url: str, session_uow: Any
) -> None:
    user_id, key = await add_user(session_uow, Role.CUSTOMER)
    held = await place(bounded_url, key, await add_product(session_uow, price=60_000, on_hand=5))
    url = f"{bounded_url}/v1/orders/{held}/events/stream"
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, read=30)) as http:
        first = await open_stream(http, url, key)
        lines = [line async for line in lines_until_end(first)]  # ends by itself
        last_id = [line.split(": ", 1)[1] for line in lines if line.startswith("id: ")][-1]
        resumed = await open_stream(http, url, key, **{"Last-Event-ID": last_id})
        resumed_lines = [line async for line in lines_until_end(resumed)]
        async with session_uow() as uow:
            for held_key in await uow.users.keys_of(user_id):
                await uow.users.revoke_key(held_key.id)
            await uow.commit()
        refused = await http.get(
            url, headers={"Authorization": f"Bearer {key}", "Last-Event-ID": last_id}
        )

    assert ": lifetime reached; reconnect with Last-Event-ID" in lines
    assert any(line.startswith("event: order.placed") for line in lines)
    # The resumed stream sends nothing it sent before, then ends its lifetime too.
    assert not any(line.startswith("id: ") for line in resumed_lines)
    assert ": lifetime reached; reconnect with Last-Event-ID" in resumed_lines
    assert refused.status_code == 401


async def test_a_new_entry_wakes_an_open_stream_that_was_waiting(
    bounded_url: str, session_uow: Any
) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    _, ops = await add_user(session_uow, Role.OPS)
    held = await place(bounded_url, key, await add_product(session_uow, price=60_000, on_hand=5))
    url = f"{bounded_url}/v1/orders/{held}/events/stream"
    seen: list[str] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, read=30)) as http:
        stream = await open_stream(http, url, key)
        reading = asyncio.create_task(_collect(stream, seen))
        await eventually(_has(seen, ": still here"), timeout=60)  # caught up, waiting
        approved = await http.post(
            f"{bounded_url}/v1/orders/{held}/review",
            json={"decision": "approve"},
            headers={"Authorization": f"Bearer {ops}", "Idempotency-Key": uuid.uuid4().hex},
        )
        await eventually(_has(seen, "event: review.approved"), timeout=60)
        reading.cancel()
        await stream.aclose()

    assert approved.status_code == 200, approved.text


async def _collect(stream: httpx.Response, seen: list[str]) -> None:
    async for line in stream.aiter_lines():
        seen.append(line)


def _has(seen: list[str], wanted: str) -> Any:
    async def probe() -> bool:
        return wanted in seen

    return probe
