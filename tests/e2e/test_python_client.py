"""The generated client (clients/python) against the running API: it is what the served
document generates, and a storefront written with it places an order with a key,
follows it to delivery, replays the key, and reads each problem it meets."""

from __future__ import annotations

import filecmp
import uuid
from pathlib import Path
from typing import Any

from order_service_client import AuthenticatedClient
from order_service_client.api.orders import (
    cancel_order,
    get_order,
    list_order_events,
    place_order,
)
from order_service_client.models import (
    AddressIn,
    LineIn,
    OrderOut,
    OrderStatus,
    PaymentIn,
    PlaceOrderIn,
    Problem,
)

from domain.users import Role
from tests.factories import add_product, add_user
from tests.polling import eventually

CLIENTS = Path(__file__).resolve().parents[2] / "clients"


def differences(left: Path, right: Path) -> list[str]:
    """Files that differ, or exist on one side only, below two folders."""
    ignore = ["__pycache__", ".ruff_cache", "order_service_client.egg-info"]
    compared = filecmp.dircmp(left, right, ignore=ignore)
    found: list[str] = []

    def walk(node: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(prefix + name for name in node.left_only + node.right_only)
        _, mismatch, errors = filecmp.cmpfiles(
            node.left, node.right, node.common_files, shallow=False
        )
        found.extend(prefix + name for name in mismatch + errors)
        for name, child in node.subdirs.items():
            walk(child, f"{prefix}{name}/")

    walk(compared, "")
    return found


def test_the_committed_client_is_what_the_served_document_generates(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("regenerate", CLIENTS / "regenerate.py")
    assert spec and spec.loader
    regenerate: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)

    regenerate.generate(tmp_path / "python")

    assert differences(CLIENTS / "python", tmp_path / "python") == [], "run: make client"


def order(sku: str, quantity: int = 1) -> PlaceOrderIn:
    return PlaceOrderIn(
        items=[LineIn(sku=sku, quantity=quantity)],
        shipping_address=AddressIn(
            name="Ada", line1="1 Main St", city="Springfield", postal_code="12345", country="US"
        ),
        payment=PaymentIn(token="tok_ok"),
    )


async def test_a_storefront_places_follows_and_replays_an_order(
    api_url: str, session_uow: Any
) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    sku = await add_product(session_uow, price=1_250, on_hand=3)
    idempotency_key = uuid.uuid4().hex
    async with AuthenticatedClient(base_url=api_url, token=key) as client:
        placed = await place_order.asyncio_detailed(
            client=client, body=order(sku, 2), idempotency_key=idempotency_key
        )
        again = await place_order.asyncio_detailed(
            client=client, body=order(sku, 2), idempotency_key=idempotency_key
        )
        assert isinstance(placed.parsed, OrderOut) and isinstance(again.parsed, OrderOut)
        order_id = placed.parsed.id

        async def delivered() -> OrderOut | None:
            found = await get_order.asyncio(order_id, client=client)
            return (
                found
                if isinstance(found, OrderOut) and found.status == OrderStatus.DELIVERED
                else None
            )

        final = await eventually(delivered, timeout=60)
        timeline = await list_order_events.asyncio(order_id, client=client)

    assert placed.status_code == 201 and placed.headers["Location"] == f"/v1/orders/{order_id}"
    assert again.headers["Idempotent-Replayed"] == "true" and again.parsed.id == order_id
    assert final.total.amount == 2_500
    assert isinstance(timeline, list) and timeline[-1].type_ == "shipment.delivered"


async def test_each_problem_reaches_the_client_as_a_problem(api_url: str, session_uow: Any) -> None:
    _, key = await add_user(session_uow, Role.CUSTOMER)
    sku = await add_product(session_uow, on_hand=1)
    async with AuthenticatedClient(base_url=api_url, token=key) as client:
        out_of_stock = await place_order.asyncio_detailed(
            client=client, body=order(sku, 5), idempotency_key=uuid.uuid4().hex
        )
        unknown = await get_order.asyncio_detailed("ord_does_not_exist", client=client)
        placed = await place_order.asyncio(client=client, body=order(sku), idempotency_key="k")
        assert isinstance(placed, OrderOut)
        await eventually(lambda: _status_is(client, placed.id, OrderStatus.DELIVERED), timeout=60)
        too_late = await cancel_order.asyncio_detailed(placed.id, client=client)
    async with AuthenticatedClient(base_url=api_url, token="ok_not-a-key") as stranger:
        unauthenticated = await get_order.asyncio_detailed(placed.id, client=stranger)

    for answer, status, problem_type in (
        (out_of_stock, 409, "/problems/out-of-stock"),
        (unknown, 404, "/problems/not-found"),
        (too_late, 409, "/problems/not-cancellable"),
        (unauthenticated, 401, "/problems/unauthorized"),
    ):
        assert answer.status_code == status
        assert isinstance(answer.parsed, Problem), answer.content
        assert answer.parsed.type_ == problem_type
    assert isinstance(out_of_stock.parsed, Problem)
    assert out_of_stock.parsed.skus == [sku]


async def _status_is(client: AuthenticatedClient, order_id: str, status: OrderStatus) -> bool:
    found = await get_order.asyncio(order_id, client=client)
    return isinstance(found, OrderOut) and found.status == status
