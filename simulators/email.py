"""Email service: accepts messages, sends each idempotency key once, lists what it sent.

Run: `uvicorn simulators.email:app`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import FastAPI, Header
from pydantic import BaseModel

from simulators.faults import SimulatorState, install

app = FastAPI(title="Email simulator")
state = SimulatorState()
sent: list[dict[str, Any]] = []


class Message(BaseModel):
    to: str
    subject: str
    body: str


def _ledger() -> dict[str, Any]:
    return {"messages": sent}


install(app, state, _ledger, sent.clear)


@app.post("/messages")
async def send(
    message: Message, idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
) -> Any:
    async def perform() -> tuple[int, dict[str, Any]]:
        record = {
            "id": f"msg_{secrets.token_hex(8)}",
            "key": idempotency_key,
            **message.model_dump(),
        }
        sent.append(record)
        return 202, record

    return await state.idempotent("send", idempotency_key, perform)
