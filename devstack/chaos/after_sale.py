"""The chaos run after the sale: delivered orders come back in part (returns, received
restocked or damaged, some exchanged), are claimed (refunded or replaced) or refunded for goodwill,
while the payment provider goes down and the whole stack is killed; then every return,
claim and refund must have settled, and the books check counts them all."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx

from devstack.chaos.customers import Clients
from devstack.chaos.report import Report
from devstack.chaos.store import SKU
from devstack.processes import ProcessStack

GOODWILL = 100  # minor units


class AfterSale:
    def __init__(self, clients: Clients, ops_key: str, report: Report) -> None:
        self.clients = clients
        self.report = report
        self.ops = {"Authorization": f"Bearer {ops_key}"}
        self.returns: list[str] = []
        self.orders: list[str] = []

    async def ask(self, index: int, order_id: str) -> None:
        """A third return a poster (every other one exchanged for a new one), a third are
        claimed, a third refunded for goodwill (every other of those replaced instead)."""
        self.orders.append(order_id)
        key = f"chaos-after-{order_id}"
        items = [{"sku": SKU, "quantity": 1, "reason": "damaged"}]
        if index % 3 == 0:
            # every other one an exchange for a new poster: a difference of nothing
            swap = {"exchange_items": [{"sku": SKU, "quantity": 1}]} if index % 6 == 0 else {}
            body = await self._until_answered(
                f"/v1/orders/{order_id}/returns", {"items": items, **swap}, key, self.clients.auth
            )
            if body.get("id"):
                self.returns.append(body["id"])
        elif index % 3 == 1:
            await self._until_answered(
                f"/v1/orders/{order_id}/claims", {"type": "refund", "items": items}, key
            )
        elif index % 6 == 2:
            await self._until_answered(
                f"/v1/orders/{order_id}/claims", {"type": "replace", "items": items}, key
            )
        else:
            money = {"amount": GOODWILL, "currency": "USD"}
            await self._until_answered(
                f"/v1/orders/{order_id}/refunds", {"amount": money, "reason": "goodwill"}, key
            )

    async def receive(self, index: int, return_id: str) -> None:
        """Once the carrier has the parcel: restocked, or every other one damaged."""
        await self._wait_for(f"/v1/returns/{return_id}", ("in_transit", "received", "closed"))
        found = {"restock": 1} if index % 2 else {"damaged": 1}
        await self._until_answered(
            f"/v1/returns/{return_id}/receive", {"items": [{"sku": SKU, **found}]}, None
        )

    async def settled(self, timeout: float = 300) -> list[str]:
        """Waits until every return is closed, every claim and refund paid or shipped
        and delivered; returns what never settled."""
        deadline = time.monotonic() + timeout
        while True:
            open_ones, outcomes = await self._open()
            if not open_ones or time.monotonic() > deadline:
                self.report.after_sale = outcomes
                return open_ones
            await asyncio.sleep(1)

    async def _open(self) -> tuple[list[str], Counter[str]]:
        outcomes: Counter[str] = Counter()
        open_ones = []
        for order_id in self.orders:
            for kind, done in (
                ("returns", {"closed"}),
                ("claims", {"refunded", "closed"}),
                ("refunds", {"succeeded"}),
            ):
                listed = await self._get(f"/v1/orders/{order_id}/{kind}")
                for entry in listed or []:
                    outcomes[f"{kind[:-1]} {entry['status']}"] += 1
                    if entry["status"] not in done:
                        open_ones.append(f"{kind[:-1]} {entry['id']}: {entry['status']}")
        return open_ones, outcomes

    async def _get(self, path: str) -> Any:
        try:
            response = await self.clients.http.get(path, headers=self.ops)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    async def _wait_for(self, path: str, statuses: tuple[str, ...], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = await self._get(path)
            if body and body.get("status") in statuses:
                return
            await asyncio.sleep(1)

    async def _until_answered(
        self,
        path: str,
        body: dict[str, Any],
        key: str | None,
        auth: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Asked with the same key until a 2xx or 4xx answers; 5xx other than 503 noted."""
        headers = {**(auth or self.ops), **({"Idempotency-Key": key} if key else {})}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                response = await self.clients.http.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code < 500:
                kind = path.rsplit("/", 1)[-1]
                self.report.after_sale_answers[f"{kind} {response.status_code}"] += 1
                answer: dict[str, Any] = response.json()
                return answer
            if response.status_code != 503:
                self.report.server_errors.append(f"{path} {response.status_code} {response.text}")
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
        self.report.server_errors.append(f"{path} never answered")
        return {}


async def after_the_sale(
    stack: ProcessStack, clients: Clients, ops_key: str, report: Report, outage: float
) -> list[str]:
    """Returns, claims and refunds of the delivered orders under faults; what did not
    settle."""
    statuses = await clients.statuses()
    delivered = [order_id for order_id, status in statuses.items() if status == "delivered"]
    after = AfterSale(clients, ops_key, report)
    payment = httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ports['payment']}")
    try:
        await payment.put("/admin/faults", json={"down": True})
        report.faults.append(f"after the sale: payment down {outage:.0f} s")
        asking = asyncio.gather(*(after.ask(i, o) for i, o in enumerate(delivered)))
        await asyncio.sleep(outage)
        await payment.put("/admin/faults", json={})
        await asking
        receiving = asyncio.gather(*(after.receive(i, r) for i, r in enumerate(after.returns)))
        await asyncio.sleep(2)
        report.faults.append("after the sale: whole stack SIGKILLed and restarted")
        await asyncio.to_thread(stack.kill_everything)
        await asyncio.sleep(1)
        await asyncio.to_thread(stack.start, 2)
        await receiving
    finally:
        await payment.aclose()
    return await after.settled()
