"""No 500 from outside input, anywhere: hostile text (astral characters, RTL marks,
NUL, text outside Latin-1, 10 000 characters, bytes that are not UTF-8, a lone
surrogate's bytes) in every path, query and header parameter of every route, and in
the headers routes read without declaring them, as nobody, a customer and an admin.
Each answer is below 500, and each 4xx is a problem document."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.worker import Worker

from api.app import create_app
from api.routes.webhooks import signature_of
from domain.inventory import StockItem
from domain.users import Role
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.api.hostile import PROBLEM, hostile_requests, misjudged, operations
from tests.factories import add_product, add_user
from tests.stack import WEBHOOK_SECRET

Served = tuple[FastAPI, httpx.AsyncClient]


@pytest.fixture(scope="module")
async def served(settings: Settings, worker: Worker) -> AsyncIterator[Served]:
    """The app and a client that hands back its 500s instead of raising them, so one
    run reports every route that fails."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as http:
            yield app, http


@pytest.fixture(scope="module")
async def known(served: Served, session_uow: Any) -> dict[str, str]:
    """Ids that exist, for the path parameters not under attack, so that the hostile
    value reaches past the lookup; the order has ended, so its event stream ends too."""
    _, http = served
    customer = Caller(*await add_user(session_uow, Role.CUSTOMER))
    admin = Caller(*await add_user(session_uow, Role.ADMIN))
    spare_user, _ = await add_user(session_uow, Role.CUSTOMER)
    sku = await add_product(session_uow, on_hand=5)
    placed = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    await wait_for_status(http, customer, placed.json()["id"], "delivered")
    keys = await http.get(f"/v1/users/{spare_user}/api-keys", headers=admin.auth)
    return {
        "customer": customer.key,
        "admin": admin.key,
        "sku": sku,
        "order_id": placed.json()["id"],
        "user_id": spare_user,
        "key_id": keys.json()[0]["id"],
        "name": "validation",  # /problems/{name}
        "operation": "decode",  # the CORS preflight of /codec/{operation}
        "path": "swagger-ui.css",  # /docs-assets/{path}
    }


def test_the_routes_are_read_from_the_app(served: Served) -> None:
    """Guards the enumeration itself: were it to find nothing, the test below would
    pass on nothing."""
    app, _ = served
    found = {str(operation): operation for operation in operations(app)}

    assert len(found) >= 30
    for expected in (
        "POST /v1/webhooks/carrier",
        "POST /codec/decode",
        "POST /codec/encode",
        "OPTIONS /codec/{operation}",
        "GET /problems/{name}",
        "GET /docs-assets/{path}",
        "GET /v1/orders/{order_id}/events/stream",
    ):
        assert expected in found
    assert ("header", "Last-Event-ID") in found["GET /v1/orders/{order_id}/events/stream"].params
    assert ("query", "cursor") in found["GET /v1/orders"].params
    assert found["POST /v1/orders"].body is not None


@pytest.mark.parametrize("who", ["anonymous", "customer", "admin"])
async def test_hostile_values_anywhere_get_no_server_error_and_a_problem_document(
    served: Served, known: dict[str, str], who: str
) -> None:
    app, http = served
    auth = {} if who == "anonymous" else {"Authorization": f"Bearer {known[who]}"}
    # The undeclared headers are read by middleware and dependencies the same way
    # whatever the caller's role: sent without a key and as the admin, whom no
    # permission check stops short of the route; the customer's own checks are met
    # with the routes' parameters.
    implicit = who != "customer"
    failures: list[str] = []
    sent = 0
    for operation in operations(app):
        for label, request in hostile_requests(http, operation, known, auth, implicit=implicit):
            response = await http.send(request)
            sent += 1
            wrong = misjudged(label, response)
            if wrong:
                failures.append(wrong)

    assert sent > (1_000 if implicit else 300)
    assert not failures, f"{len(failures)} of {sent} answers wrong:\n" + "\n".join(failures[:60])


@pytest.mark.parametrize(
    "signature",
    [b"sha256=\xc3\xa9t\xc3\xa9", b"sha256=" + "山".encode() * 64, b"\xff\xfe", b"\xed\xa0\x80"],
)
async def test_a_signature_that_is_not_ascii_is_a_bad_signature(
    served: Served, signature: bytes
) -> None:
    _, http = served
    answer = await http.post(
        "/v1/webhooks/carrier",
        content=b'{"tracking_number": "1Z", "event": "delivered"}',
        headers={"Content-Type": "application/json", "X-Signature": signature},
    )

    assert (answer.status_code, answer.headers["content-type"]) == (401, PROBLEM), answer.text
    assert answer.json()["type"] == "/problems/bad-signature"


@pytest.mark.parametrize(
    "timestamp", ["9" * 4_000, "1" + "0" * 400, "\u0661\u0667" + "\u0660" * 8, "-1e9", "nan"]
)
async def test_a_timestamp_that_is_no_unix_time_is_a_bad_signature(
    served: Served, timestamp: str
) -> None:
    """A number past any float once broke the window check with an OverflowError."""
    _, http = served
    body = b'{"tracking_number": "1Z", "event": "delivered"}'
    answer = await http.post(
        "/v1/webhooks/carrier",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Signature": signature_of(body, WEBHOOK_SECRET, timestamp),
            "X-Signature-Timestamp": timestamp.encode(),
        },
    )

    assert (answer.status_code, answer.headers["content-type"]) == (401, PROBLEM), answer.text
    assert answer.json()["type"] == "/problems/bad-signature"


async def test_a_signed_timestamp_in_the_window_is_still_accepted_past_the_checks(
    served: Served,
) -> None:
    """The checks above refuse what is not a Unix time, not the carrier's own requests."""
    _, http = served
    body = b'{"tracking_number": "NO-SUCH-PARCEL", "event": "delivered", '
    body += b'"occurred_at": "2026-01-01T00:00:00Z"}'
    timestamp = str(int(time.time()))
    answer = await http.post(
        "/v1/webhooks/carrier",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Signature": signature_of(body, WEBHOOK_SECRET, timestamp),
            "X-Signature-Timestamp": timestamp,
        },
    )

    assert answer.status_code == 404, answer.text  # signature taken; the parcel is unknown


@pytest.mark.parametrize(
    ("url", "headers", "parameter"),
    [
        ("/v1/orders/ord_%00", {}, "order_id"),
        ("/v1/orders?customer_id=usr_%00", {}, "customer_id"),
        ("/v1/users/usr_%00/api-keys", {}, "user_id"),
        ("/v1/inventory/SKU%00/adjustments?cursor=x", {}, "sku"),
        ("/v1/products", {"X-Namespace": b"default\x00"}, "x-namespace"),
    ],
)
async def test_a_nul_outside_the_body_is_a_validation_problem_not_an_unreachable_database(
    served: Served, known: dict[str, str], url: str, headers: dict[str, bytes], parameter: str
) -> None:
    """PostgreSQL refuses NUL in text; that once came back as `503 database unreachable`,
    an invitation to retry the same request forever."""
    _, http = served

    answer = await http.get(url, headers={"Authorization": f"Bearer {known['admin']}", **headers})

    assert (answer.status_code, answer.headers["content-type"]) == (422, PROBLEM), answer.text
    assert answer.json()["errors"] == [
        {"parameter": parameter, "detail": "contains a NUL or an unpaired surrogate character"}
    ]


async def test_a_nul_in_the_idempotency_key_places_nothing(
    served: Served, known: dict[str, str], session_uow: Any
) -> None:
    _, http = served
    customer = Caller(*await add_user(session_uow, Role.CUSTOMER))
    sku = await add_product(session_uow, on_hand=5)

    answer = await http.post(
        "/v1/orders",
        json=order_body((sku, 1)),
        headers={**customer.auth, "Idempotency-Key": b"key\x00one"},
    )
    listed = await http.get("/v1/orders", headers=customer.auth)

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["parameter"] == "idempotency-key"
    assert listed.json()["data"] == []


async def test_the_location_of_a_stock_adjustment_is_sent_whatever_the_sku_holds(
    served: Served, known: dict[str, str], session_uow: Any
) -> None:
    """A sku stored before today's pattern (here: written straight to the table) is
    echoed in `Location` percent-encoded, not as text a header cannot carry."""
    _, http = served
    sku = f"MUG-山田-{uuid.uuid4().hex[:6]}"
    async with session_uow() as uow:
        await uow.products.create(sku=sku, name="Old mug", price_amount=900, currency="USD")
        uow.stock.add(StockItem(sku, 3))
        await uow.commit()
    encoded = httpx.URL(f"/v1/inventory/{sku}/adjustments").raw_path.decode()

    answer = await http.post(
        encoded,
        json={"delta": 2, "reason": "found in the back"},
        headers={"Authorization": f"Bearer {known['admin']}"},
    )

    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == encoded
    assert httpx.URL(answer.headers["Location"]).path == f"/v1/inventory/{sku}/adjustments"
