"""The chaos run's customers: each places its orders and retries every failed or
unanswered call with the same Idempotency-Key, as the API asks; some cancel, some edit."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import httpx

from devstack.chaos.report import Report
from devstack.chaos.store import SKU, order_body
from devstack.processes import ProcessStack
from devstack.seed import DemoKeys


class Clients:
    """Customers placing orders and retrying each with its own key until it is answered."""

    def __init__(self, stack: ProcessStack, keys: DemoKeys, report: Report, seed: int) -> None:
        self.stack = stack
        self.random = random.Random(seed)
        self.auth = {"Authorization": f"Bearer {keys.customer}"}
        self.report = report
        self.order_ids: list[str] = []
        self.http = httpx.AsyncClient(base_url=stack.api_url, timeout=30)

    async def place(self, index: int) -> None:
        key = f"chaos-{index}-{uuid.uuid4().hex[:8]}"
        body = order_body(index)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                response = await self.http.post(
                    "/v1/orders", json=body, headers={**self.auth, "Idempotency-Key": key}
                )
            except httpx.HTTPError:
                self.report.retries += 1
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 201:
                order_id = response.json()["id"]
                self.order_ids.append(order_id)
                self.report.placed += 1
                if index % 5 == 2:
                    await self.edit(order_id)
                if self.random.random() < 0.1:
                    await self.cancel(order_id)
                return
            if response.status_code in (409, 422):
                self.report.refused[response.json().get("type", "?")] += 1
                return
            if response.status_code >= 500 and response.status_code != 503:
                self.report.server_errors.append(f"POST {response.status_code} {response.text}")
            self.report.retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
        self.report.server_errors.append(f"order {key} never answered")

    async def edit(self, order_id: str) -> None:
        """One more poster, asked until answered: taken (200) or too late (409)."""
        key = f"chaos-edit-{order_id}"
        body = {"items": [{"sku": SKU, "quantity": 2}]}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                response = await self.http.post(
                    f"/v1/orders/{order_id}/edits",
                    json=body,
                    headers={**self.auth, "Idempotency-Key": key},
                )
            except httpx.HTTPError:
                self.report.retries += 1
                await asyncio.sleep(0.5)
                continue
            if response.status_code < 500:
                kind = response.json().get("type", "").rsplit("/", 1)[-1]
                self.report.edits[f"{response.status_code} {kind}".strip()] += 1
                return
            if response.status_code != 503:
                self.report.server_errors.append(f"edit {response.status_code} {response.text}")
            self.report.retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
        self.report.server_errors.append(f"edit of {order_id} never answered")

    async def cancel(self, order_id: str) -> None:
        try:
            response = await self.http.post(f"/v1/orders/{order_id}/cancel", headers=self.auth)
        except httpx.HTTPError:
            return  # the order goes on; cancelling is best effort for a customer
        if response.status_code >= 500 and response.status_code != 503:
            self.report.server_errors.append(f"cancel {response.status_code} {response.text}")

    async def statuses(self) -> dict[str, str]:
        found: dict[str, str] = {}
        self.report.parcels.clear()
        for order_id in self.order_ids:
            try:
                response = await self.http.get(f"/v1/orders/{order_id}", headers=self.auth)
                order = response.json()
                found[order_id] = order["status"]
                self.report.parcels[len(order["shipments"])] += 1
            except (httpx.HTTPError, KeyError, ValueError):
                found[order_id] = "unknown"
        return found
