"""Every route, every role, own and other resources: who gets in, who gets 403, who 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from domain.users import Role
from tests.api.conftest import Caller, order_body
from tests.factories import add_product, add_user

ALL = {"customer", "other_customer", "ops", "admin"}
STAFF = {"ops", "admin"}
ADMIN = {"admin"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: set[str]
    body: Any = None
    owned: bool = False  # the resource belongs to "customer": others get 404, not 403


ROUTES = [
    Route("GET", "/v1/users/me", ALL),
    Route("GET", "/v1/users", ADMIN),
    Route("POST", "/v1/users", ADMIN, "new_user"),
    Route("GET", "/v1/users/{user}", ADMIN),
    Route("POST", "/v1/users/{user}/api-keys", ADMIN),
    Route("GET", "/v1/users/{user}/api-keys", ADMIN),
    Route("DELETE", "/v1/api-keys/{key}", ADMIN),
    Route("GET", "/v1/products", ALL),
    Route("POST", "/v1/products", ADMIN, "new_product"),
    Route("GET", "/v1/products/{sku}", ALL),
    Route("PATCH", "/v1/products/{sku}", ADMIN, {"name": "Renamed"}),
    Route("GET", "/v1/inventory/{sku}", STAFF),
    Route("PUT", "/v1/inventory/{sku}", ADMIN, {"on_hand": 5}),
    Route("POST", "/v1/inventory/{sku}/adjustments", ADMIN, {"delta": 1, "reason": "count"}),
    Route("GET", "/v1/inventory/{sku}/adjustments", STAFF),
    Route("GET", "/v1/orders", ALL),
    Route("POST", "/v1/orders", ALL, "new_order"),
    Route("GET", "/v1/orders/{order}", {"customer", *STAFF}, owned=True),
    Route("GET", "/v1/orders/{order}/events", {"customer", *STAFF}, owned=True),
    Route("POST", "/v1/orders/{order}/cancel", {"customer", *STAFF}, owned=True),
    Route("POST", "/v1/orders/{order}/review", STAFF, {"decision": "approve"}, owned=True),
]


@pytest.fixture(scope="module")
async def world(http: httpx.AsyncClient, session_uow: Any) -> dict[str, Any]:
    callers = {
        "customer": Caller(*await add_user(session_uow, Role.CUSTOMER)),
        "other_customer": Caller(*await add_user(session_uow, Role.CUSTOMER)),
        "ops": Caller(*await add_user(session_uow, Role.OPS)),
        "admin": Caller(*await add_user(session_uow, Role.ADMIN)),
    }
    sku = await add_product(session_uow, on_hand=0)  # orders of it fail at once: no side effects
    failed = await http.post(
        "/v1/orders", json=order_body((sku, 1)), headers=callers["customer"].placing()
    )
    return {"callers": callers, "sku": sku, "order": failed.json()["order_id"]}


def _body(route: Route, world: dict[str, Any]) -> Any:
    unique = uuid.uuid4().hex[:8]
    return (
        {
            "new_user": {"email": f"m-{unique}@example.com", "name": "M", "role": "customer"},
            "new_product": {
                "sku": f"M-{unique}",
                "name": "M",
                "price": {"amount": 100, "currency": "USD"},
            },
            "new_order": order_body((world["sku"], 1)),
        }.get(route.body, route.body)
        if isinstance(route.body, str)
        else route.body
    )


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_each_role_gets_what_api_md_grants(
    http: httpx.AsyncClient, session_uow: Any, world: dict[str, Any], route: Route, role: str
) -> None:
    caller: Caller = world["callers"][role]
    key_owner, _ = await add_user(session_uow)
    issued = await http.post(
        f"/v1/users/{key_owner}/api-keys", headers=world["callers"]["admin"].auth
    )
    path = route.path.format(
        user=key_owner, key=issued.json()["id"], sku=world["sku"], order=world["order"]
    )
    headers = caller.placing() if route.path == "/v1/orders" else caller.auth

    response = await http.request(route.method, path, json=_body(route, world), headers=headers)
    anonymous = await http.request(route.method, path, json=_body(route, world))

    assert anonymous.status_code == 401
    if role not in route.allowed:
        # A customer's own resource is invisible to other customers; a route no customer
        # may use is forbidden to all of them alike.
        hidden = route.owned and role == "other_customer" and "customer" in route.allowed
        expected = 404 if hidden else 403
        assert response.status_code == expected, response.text
    else:
        assert response.status_code not in (401, 403, 404), response.text
        assert response.status_code < 500, response.text
