"""GET /v1/orders: filters, visibility, keyset pagination and its indexes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.api.conftest import Caller, order_body
from tests.factories import add_product


async def all_pages(
    http: httpx.AsyncClient, caller: Caller, limit: int, **filters: str
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **filters} | (
            {"cursor": cursor} if cursor else {}
        )
        response = await http.get("/v1/orders", params=params, headers=caller.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= limit
        seen += page["data"]
        if not (cursor := page["next_cursor"]):
            return seen


async def place_many(http: httpx.AsyncClient, caller: Caller, sku: str, count: int) -> list[str]:
    responses = [
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=caller.placing())
        for _ in range(count)
    ]
    return [r.json()["id"] for r in responses]


async def test_customers_list_only_their_own_orders_newest_first(
    http: httpx.AsyncClient, customer: Caller, other_customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=100)
    mine = await place_many(http, customer, sku, 3)
    await place_many(http, other_customer, sku, 2)

    listed = await all_pages(http, customer, limit=2)
    peeking = await http.get(
        "/v1/orders", params={"customer_id": other_customer.id}, headers=customer.auth
    )

    assert [o["id"] for o in listed] == list(reversed(mine))
    assert peeking.status_code == 403


async def test_ops_filter_by_customer_and_status(
    http: httpx.AsyncClient, customer: Caller, ops: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=100)
    scarce = await add_product(session_uow, on_hand=0)
    placed = await place_many(http, customer, sku, 2)
    refused = await http.post(
        "/v1/orders", json=order_body((scarce, 1)), headers=customer.placing()
    )

    failed = await all_pages(http, ops, limit=10, customer_id=customer.id, status="failed")
    everything = await all_pages(http, ops, limit=10, customer_id=customer.id)

    assert [o["id"] for o in failed] == [refused.json()["order_id"]]
    assert set(placed) < {o["id"] for o in everything}


async def test_an_unknown_status_or_a_forged_cursor_is_refused(
    http: httpx.AsyncClient, ops: Caller
) -> None:
    status = await http.get("/v1/orders", params={"status": "lost"}, headers=ops.auth)
    cursor = await http.get("/v1/orders", params={"cursor": "not-a-cursor"}, headers=ops.auth)
    limit = await http.get("/v1/orders", params={"limit": 101}, headers=ops.auth)

    assert (status.status_code, cursor.status_code, limit.status_code) == (422, 400, 422)
    assert cursor.json()["type"] == "/problems/invalid-cursor"


async def test_paging_while_orders_arrive_skips_and_repeats_nothing(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any
) -> None:
    sku = await add_product(session_uow, on_hand=200)
    before = await place_many(http, customer, sku, 12)

    async def keep_placing() -> None:
        await place_many(http, customer, sku, 8)

    inserting = asyncio.create_task(keep_placing())
    listed = await all_pages(http, customer, limit=3)
    await inserting

    ids = [o["id"] for o in listed]
    assert len(ids) == len(set(ids)), "an order was listed twice"
    assert set(before) <= set(ids), "an order that existed before paging was skipped"


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("customer_id = 'usr_x'", "ix_orders_customer_created"),
        # A status few orders are in: for one most are in, walking the created index
        # and filtering is the cheaper plan, and the planner rightly takes it.
        ("status = 'awaiting_review'", "ix_orders_status_created"),
        ("true", "ix_orders_created"),
    ],
)
async def test_the_list_queries_are_served_by_their_indexes(
    session_uow: Any, where: str, index: str
) -> None:
    query = (
        f"EXPLAIN SELECT * FROM orders WHERE {where} "
        "AND (created_at, id) < (now(), 'ord_z') ORDER BY created_at DESC, id DESC LIMIT 21"
    )
    async with session_uow() as uow:
        # With a handful of rows a sequential scan is cheaper; forbid it to see the plan
        # the planner uses once the table is large.
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        await uow.session.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = "\n".join((await uow.session.execute(text(query))).scalars())

    assert index in plan, plan
    assert "Sort" not in plan.split(index)[0], plan
