"""Records histories of OrderWorkflow for the replay tests.

Run against a running `make dev` stack: `python -m tests.workflows.record_history`.
It places a happy-path order and one cancelled in review, waits for both to
finish and writes their histories to tests/workflows/histories/.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from domain.identity import workflow_id_for
from infra.settings import Settings
from infra.temporal_client import data_converter
from tests.factories import ADDRESS
from tests.polling import eventually

HISTORIES = Path(__file__).with_name("histories")


async def record(api: str, temporal: str, keys_file: Path, suffix: str) -> None:
    keys = json.loads(keys_file.read_text())
    customer = {"Authorization": f"Bearer {keys['customer']}"}
    # The stack encrypts payloads with the development key; decoding needs the same.
    client = await Client.connect(temporal, data_converter=data_converter(Settings()))
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:

        async def place(sku: str) -> str:
            response = await http.post(
                "/v1/orders",
                json={
                    "items": [{"sku": sku, "quantity": 1}],
                    "payment": {"token": "tok_ok"},
                    "shipping_address": ADDRESS,
                },
                headers={**customer, "Idempotency-Key": uuid.uuid4().hex},
            )
            response.raise_for_status()
            return str(response.json()["id"])

        happy = await place("TSHIRT-M")
        held = await place("HEADPHONES")

        async def in_review() -> bool:
            order = (await http.get(f"/v1/orders/{held}", headers=customer)).json()
            return bool(order["status"] == "awaiting_review")

        await eventually(in_review)
        (await http.post(f"/v1/orders/{held}/cancel", headers=customer)).raise_for_status()
        for name, order_id in (("happy_path", happy), ("cancelled_in_review", held)):
            handle = client.get_workflow_handle(workflow_id_for(order_id))
            await handle.result()
            history = await handle.fetch_history()
            (HISTORIES / f"{name}_{suffix}.json").write_text(history.to_json())
            print(f"{name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(
        record(
            "http://127.0.0.1:8000",
            "127.0.0.1:7233",
            Path(sys.argv[2] if len(sys.argv) > 2 else ".local/dev-keys.json"),
            sys.argv[1] if len(sys.argv) > 1 else "v1",
        )
    )
