"""The API in-process through httpx's ASGI transport, backed by the session's real parts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.worker import Worker

from api.app import create_app
from domain.users import Role, Tier
from infra.settings import Settings
from tests.factories import ADDRESS, add_user
from tests.polling import eventually


@dataclass
class Caller:
    id: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def placing(self, key: str | None = None) -> dict[str, str]:
        return {**self.auth, "Idempotency-Key": key or uuid.uuid4().hex}


def order_body(*lines: tuple[str, int], token: str = "tok_ok", **extra: Any) -> dict[str, Any]:
    return {
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "shipping_address": ADDRESS,
        "payment": {"token": token},
        **extra,
    }


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app built from these settings, its lifespan running, and a client for it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as http:
            yield http


@pytest.fixture(scope="session")
async def http(settings: Settings, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


@pytest.fixture
async def customer(session_uow: Any) -> Caller:
    return Caller(*await add_user(session_uow, Role.CUSTOMER))


@pytest.fixture
async def premium_customer(session_uow: Any) -> Caller:
    return Caller(*await add_user(session_uow, Role.CUSTOMER, Tier.PREMIUM))


@pytest.fixture
async def other_customer(session_uow: Any) -> Caller:
    return Caller(*await add_user(session_uow, Role.CUSTOMER))


@pytest.fixture
async def ops(session_uow: Any) -> Caller:
    return Caller(*await add_user(session_uow, Role.OPS))


@pytest.fixture
async def admin(session_uow: Any) -> Caller:
    return Caller(*await add_user(session_uow, Role.ADMIN))


async def wait_for_status(
    http: httpx.AsyncClient, caller: Caller, order_id: str, status: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        response = await http.get(f"/v1/orders/{order_id}", headers=caller.auth)
        seen.update(response.json())
        return bool(seen.get("status") == status)

    await eventually(reached)
    return seen
