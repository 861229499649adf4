"""/v1/users and /v1/api-keys."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from db.tables import ApiKeyRow
from infra.settings import Settings
from tests.api.conftest import Caller, api_client


def new_user(role: str = "customer", tier: str = "standard") -> dict[str, str]:
    return {
        "email": f"u-{uuid.uuid4().hex[:8]}@example.com",
        "name": "New user",
        "role": role,
        "tier": tier,
    }


async def test_an_admin_creates_a_user_whose_key_is_shown_once_and_stored_hashed(
    http: httpx.AsyncClient, admin: Caller, session_uow: Any
) -> None:
    body = new_user("ops", "premium")

    created = await http.post("/v1/users", json=body, headers=admin.auth)

    assert created.status_code == 201, created.text
    user, key = created.json()["user"], created.json()["api_key"]
    assert created.headers["Location"] == f"/v1/users/{user['id']}"
    assert (user["role"], user["tier"]) == ("ops", "premium")
    me = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["id"] == user["id"]
    async with session_uow() as uow:
        rows = (
            await uow.session.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == user["id"]))
        ).all()
    assert len(rows) == 1
    assert key not in (rows[0].key_hash, rows[0].prefix) and key.startswith(rows[0].prefix)
    assert rows[0].last_used_at is not None


async def test_a_taken_email_is_409(http: httpx.AsyncClient, admin: Caller) -> None:
    body = new_user()
    await http.post("/v1/users", json=body, headers=admin.auth)

    again = await http.post(
        "/v1/users", json=body | {"email": body["email"].upper()}, headers=admin.auth
    )

    assert again.status_code == 409
    assert again.json()["type"] == "/problems/email-taken"


async def test_users_are_listed_page_by_page(http: httpx.AsyncClient, admin: Caller) -> None:
    for _ in range(3):
        await http.post("/v1/users", json=new_user(), headers=admin.auth)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await http.get("/v1/users", params=params, headers=admin.auth)).json()
        seen += [u["id"] for u in page["data"]]
        assert len(page["data"]) <= 2
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) >= 3


async def test_a_revoked_key_is_refused_at_once_on_every_replica(
    http: httpx.AsyncClient, admin: Caller, customer: Caller, settings: Settings
) -> None:
    issued = await http.post(f"/v1/users/{customer.id}/api-keys", headers=admin.auth)
    key = issued.json()["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    async with api_client(settings) as replica:
        assert (await replica.get("/v1/users/me", headers=auth)).status_code == 200

        revoked = await http.delete(f"/v1/api-keys/{issued.json()['id']}", headers=admin.auth)

        assert issued.status_code == 201 and revoked.status_code == 204
        assert (await http.get("/v1/users/me", headers=auth)).status_code == 401
        assert (await replica.get("/v1/users/me", headers=auth)).status_code == 401
    assert (await http.get("/v1/users/me", headers=customer.auth)).status_code == 200
    keys = (await http.get(f"/v1/users/{customer.id}/api-keys", headers=admin.auth)).json()
    by_id = {k["id"]: k for k in keys}
    assert by_id[issued.json()["id"]]["revoked_at"] is not None
    assert by_id[issued.json()["id"]]["last_used_at"] is not None
    assert all("api_key" not in k for k in keys)


async def test_unknown_users_and_keys_are_404(http: httpx.AsyncClient, admin: Caller) -> None:
    assert (await http.get("/v1/users/usr_nope", headers=admin.auth)).status_code == 404
    assert (await http.post("/v1/users/usr_nope/api-keys", headers=admin.auth)).status_code == 404
    assert (await http.delete("/v1/api-keys/key_nope", headers=admin.auth)).status_code == 404
