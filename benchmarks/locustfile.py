"""Load against a deployment with Locust: the `make bench` scenario, from many machines.

    pip install locust
    ORDERS_API_KEY=ok_... locust -f benchmarks/locustfile.py --host https://orders.example

Each simulated customer places an order, follows it, now and then cancels it, and now
and then sends the same request again with the same Idempotency-Key, which must answer
the first order again. ORDERS_SKU names a stocked product (default POSTER-A2).
"""

from __future__ import annotations

import os
import random
import uuid
from typing import Any

from locust import HttpUser, between, task

from domain.order import TERMINAL_STATUSES

SKU = os.environ.get("ORDERS_SKU", "POSTER-A2")
TERMINAL = sorted(status.value for status in TERMINAL_STATUSES)


def order_body() -> dict[str, Any]:
    return {
        "items": [{"sku": SKU, "quantity": 1}],
        "payment": {"token": "tok_ok"},
        "shipping_address": {
            "name": "Load Test",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
    }


class Customer(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['ORDERS_API_KEY']}"

    def place(self, key: str, body: dict[str, Any], name: str) -> Any:
        with self.client.post(
            "/v1/orders",
            json=body,
            headers={"Idempotency-Key": key},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code == 503:
                response.success()  # shed or still placing: a client retries with the key
                return None
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            return response.json()

    @task(10)
    def place_and_follow(self) -> None:
        order = self.place(uuid.uuid4().hex, order_body(), "POST /v1/orders")
        if order is None:
            return
        if random.random() < 0.1:
            self.client.post(f"/v1/orders/{order['id']}/cancel", name="POST /v1/orders/{id}/cancel")
        for _ in range(10):
            current = self.client.get(f"/v1/orders/{order['id']}", name="GET /v1/orders/{id}")
            if current.status_code != 200 or current.json()["status"] in TERMINAL:
                return

    @task(1)
    def replay_a_key(self) -> None:
        key, body = uuid.uuid4().hex, order_body()
        first = self.place(key, body, "POST /v1/orders")
        again = self.place(key, body, "POST /v1/orders (replay)")
        if first and again and first["id"] != again["id"]:
            raise AssertionError("a replayed key placed a second order")
