"""Payment provider: authorize, capture, void and refund.

Tokens: `tok_ok` approves, `tok_declined` declines (402), `tok_flaky` answers 503
twice per operation before it succeeds. Authorizations and every operation on them
are kept in `SIMULATOR_STATE_DIR/payment.sqlite3` (memory only when unset), so a
restart forgets nothing. Run: `uvicorn simulators.payment:app`.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from simulators.faults import SimulatorState, install
from simulators.store import Store, default_path

app = FastAPI(title="Payment provider simulator")
store = Store(default_path("payment"))
state = SimulatorState(store)
flaky_attempts: Counter[tuple[str, str]] = Counter()

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


class AuthorizeRequest(BaseModel):
    amount: int = Field(gt=0)
    currency: str
    token: str
    reference: str


def _ledger() -> dict[str, Any]:
    return {"authorizations": store.all("authorization"), "operations": store.all("operation")}


def _reset() -> None:
    flaky_attempts.clear()


def _record(operation: dict[str, Any]) -> None:
    store.put("operation", uuid.uuid4().hex, {**operation, "at": time.time()})


def _save(auth: dict[str, Any]) -> None:
    store.put("authorization", auth["id"], auth, ref=auth["reference"])


install(app, state, _ledger, _reset)


def _flaky_refusal(token: str, operation: str, key: str | None) -> JSONResponse | None:
    """`tok_flaky` fails each operation twice before it goes through."""
    if token != "tok_flaky":
        return None
    flaky_attempts[(operation, key or "")] += 1
    if flaky_attempts[(operation, key or "")] <= 2:
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
    return None


@app.post("/authorizations")
async def authorize(body: AuthorizeRequest, idempotency_key: IdempotencyKey = None) -> Any:
    refusal = _flaky_refusal(body.token, "authorize", idempotency_key)
    if refusal:
        return refusal

    async def perform() -> tuple[int, dict[str, Any]]:
        if body.token == "tok_declined":
            _record({"op": "decline", "reference": body.reference})
            return 402, {"error": "card_declined", "reference": body.reference}
        if body.token not in ("tok_ok", "tok_flaky"):
            return 402, {"error": "invalid_token", "reference": body.reference}
        auth: dict[str, Any] = {
            "id": f"auth_{secrets.token_hex(8)}",
            "reference": body.reference,
            "amount": body.amount,
            "currency": body.currency,
            "token": body.token,
            "status": "authorized",
        }
        _save(auth)
        _record({"op": "authorize", "id": auth["id"], "amount": body.amount})
        return 201, auth

    return await state.idempotent("authorize", idempotency_key, perform)


async def _transition(
    operation: str, auth_id: str, key: str | None, allowed_from: set[str], to: str
) -> Any:
    auth = store.get("authorization", auth_id)
    if auth is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    refusal = _flaky_refusal(auth["token"], operation, key)
    if refusal:
        return refusal

    async def perform() -> tuple[int, dict[str, Any]]:
        if auth["status"] == to:
            return 200, auth
        if auth["status"] not in allowed_from:
            return 409, {"error": f"cannot {operation} an authorization that is {auth['status']}"}
        auth["status"] = to
        _save(auth)
        _record({"op": operation, "id": auth_id, "amount": auth["amount"]})
        return 200, auth

    return await state.idempotent(f"{operation}:{auth_id}", key, perform)


@app.post("/authorizations/{auth_id}/capture")
async def capture(auth_id: str, idempotency_key: IdempotencyKey = None) -> Any:
    return await _transition("capture", auth_id, idempotency_key, {"authorized"}, "captured")


@app.post("/authorizations/{auth_id}/void")
async def void(auth_id: str, idempotency_key: IdempotencyKey = None) -> Any:
    return await _transition("void", auth_id, idempotency_key, {"authorized"}, "voided")


@app.post("/authorizations/{auth_id}/refund")
async def refund(auth_id: str, idempotency_key: IdempotencyKey = None) -> Any:
    return await _transition("refund", auth_id, idempotency_key, {"captured"}, "refunded")


@app.get("/authorizations")
async def find(reference: str) -> list[dict[str, Any]]:
    """Every authorization made for a merchant reference (our order id)."""
    return store.by_ref("authorization", reference)
