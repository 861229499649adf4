"""Email service: accepts messages, sends each idempotency key once, lists what it sent.

Messages are kept in `SIMULATOR_STATE_DIR/email.sqlite3` (memory only when unset).
Run: `uvicorn simulators.email:app`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import FastAPI, Header
from pydantic import BaseModel

from simulators.faults import SimulatorState, install
from simulators.store import Store, default_path

app = FastAPI(title="Email simulator")
store = Store(default_path("email"))
state = SimulatorState(store)


class Message(BaseModel):
    to: str
    subject: str
    body: str


def _ledger() -> dict[str, Any]:
    return {"messages": store.all("message")}


def _reset() -> None:
    """The store is cleared with the replies; nothing else is kept."""


install(app, state, _ledger, _reset)


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
        store.put("message", record["id"], record, ref=idempotency_key)
        return 202, record

    return await state.idempotent("send", idempotency_key, perform)
