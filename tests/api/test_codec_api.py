"""Payment data stays out of what Temporal stores; operators decode it through the
codec endpoint, as the Temporal UI does, and nobody else can."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from domain.identity import workflow_id_for
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.factories import ADDRESS, add_product

UI_ORIGIN = "http://127.0.0.1:8233"


async def _placed_history(
    http: httpx.AsyncClient, client: Client, customer: Caller, session_uow: Any
) -> Any:
    sku = await add_product(session_uow, on_hand=5)
    placed = await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    assert placed.status_code == 201, placed.text
    await wait_for_status(http, customer, placed.json()["id"], "delivered")
    return await client.get_workflow_handle(workflow_id_for(placed.json()["id"])).fetch_history()


async def test_no_payment_token_or_address_is_stored_in_the_clear(
    http: httpx.AsyncClient, client: Client, customer: Caller, session_uow: Any
) -> None:
    history = await _placed_history(http, client, customer, session_uow)
    stored = history.to_json()

    assert "tok_ok" not in stored
    assert ADDRESS["line1"] not in stored
    assert (
        "binary/encrypted"
        in base64.b64decode(
            json.loads(stored)["events"][0]["workflowExecutionStartedEventAttributes"]["input"][
                "payloads"
            ][0]["metadata"]["encoding"]
        ).decode()
    )
    # Search attributes stay readable for the UI's queries.
    assert "OrderStatus" in stored


async def test_ops_decode_a_workflow_input_through_the_codec_endpoint(
    http: httpx.AsyncClient,
    client: Client,
    customer: Caller,
    ops: Caller,
    session_uow: Any,
) -> None:
    history = await _placed_history(http, client, customer, session_uow)
    started = history.events[0].workflow_execution_started_event_attributes
    body = json_format.MessageToJson(started.input)
    headers = {"Content-Type": "application/json", "X-Namespace": "default", "Origin": UI_ORIGIN}

    by_ops = await http.post("/codec/decode", content=body, headers={**headers, **ops.auth})
    by_customer = await http.post(
        "/codec/decode", content=body, headers={**headers, **customer.auth}
    )
    anonymous = await http.post("/codec/decode", content=body, headers=headers)

    assert by_ops.status_code == 200, by_ops.text
    assert by_ops.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    [decoded] = json_format.Parse(by_ops.content, Payloads()).payloads
    assert json.loads(decoded.data)["payment_token"] == "tok_ok"
    assert by_customer.status_code == 403
    assert anonymous.status_code == 401


async def test_only_the_ui_origin_passes_the_preflight(http: httpx.AsyncClient) -> None:
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-namespace",
    }

    ui = await http.options("/codec/decode", headers={"Origin": UI_ORIGIN, **asked})
    other = await http.options("/codec/decode", headers={"Origin": "https://evil.example", **asked})

    assert ui.status_code == 204
    assert ui.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "x-namespace" in ui.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers
