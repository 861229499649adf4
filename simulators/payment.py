"""Payment provider: authorize, capture, void and refund.

Tokens: `tok_ok` approves, `tok_declined` declines (402), `tok_flaky` answers 503
twice per operation before it succeeds, `tok_no_increase` approves but declines any
increase of its authorization.

A capture without a body takes what is left of the authorization and closes it.
`{"amount": n}` captures part of it (one per shipment), leaving the rest open
(`partially_captured`); `{"amount": n, "final": true}` captures its part and releases
what is left. `POST /authorizations/{id}/increment {"amount": n}` raises an open
authorization by n (an order edit's difference); a refund takes an optional
`{"amount": n}` as well. The ledger keeps `captured` and `refunded` per authorization.

Authorizations and every operation on them are kept in
`SIMULATOR_STATE_DIR/payment.sqlite3` (memory only when unset), so a restart forgets
nothing. Run: `uvicorn simulators.payment:app`.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
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


class AmountRequest(BaseModel):
    amount: int = Field(gt=0)
    final: bool = False  # a capture: release what is left after this one


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
        if body.token not in ("tok_ok", "tok_flaky", "tok_no_increase"):
            return 402, {"error": "invalid_token", "reference": body.reference}
        auth: dict[str, Any] = {
            "id": f"auth_{secrets.token_hex(8)}",
            "reference": body.reference,
            "amount": body.amount,
            "currency": body.currency,
            "token": body.token,
            "status": "authorized",
            "captured": 0,
            "refunded": 0,
        }
        _save(auth)
        _record({"op": "authorize", "id": auth["id"], "amount": body.amount})
        return 201, auth

    return await state.idempotent("authorize", idempotency_key, perform)


async def _transition(
    operation: str, auth_id: str, key: str | None, allowed_from: set[str], to: str
) -> Any:
    """The whole authorization moves to `to` (a second call finds it there already)."""

    def move(auth: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if auth["status"] == to:
            return 200, auth
        if auth["status"] not in allowed_from:
            return 409, {"error": f"cannot {operation} an authorization that is {auth['status']}"}
        amount = auth["amount"]
        if to == "captured":  # what is left of it
            amount -= auth.get("captured", 0)
            auth["captured"] = auth["amount"]
        elif to == "refunded":
            auth["refunded"] = auth.get("captured") or auth["amount"]
        auth["status"] = to
        _record({"op": operation, "id": auth_id, "amount": amount})
        return None

    return await _operate(operation, auth_id, key, move)


OPEN = {"authorized", "partially_captured"}


async def _operate(
    operation: str,
    auth_id: str,
    key: str | None,
    change: Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | None],
) -> Any:
    """An operation on one authorization, idempotent by its key: `change(auth)` applies
    it, or answers (status, body) when it must refuse or has nothing to do."""
    auth = store.get("authorization", auth_id)
    if auth is None:
        return JSONResponse({"error": "not_found"}, status_code=404)
    refusal = _flaky_refusal(auth["token"], operation, key)
    if refusal:
        return refusal

    async def perform() -> tuple[int, dict[str, Any]]:
        refused = change(auth)
        if refused is not None:
            return refused
        _save(auth)
        return 200, auth

    return await state.idempotent(f"{operation}:{auth_id}", key, perform)


@app.post("/authorizations/{auth_id}/capture")
async def capture(
    auth_id: str, body: AmountRequest | None = None, idempotency_key: IdempotencyKey = None
) -> Any:
    if body is None:
        return await _transition("capture", auth_id, idempotency_key, OPEN, "captured")

    def take(auth: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if auth["status"] not in OPEN:
            return 409, {"error": f"cannot capture an authorization that is {auth['status']}"}
        left = auth["amount"] - auth.get("captured", 0)
        if body.amount > left:
            return 422, {"error": "amount_exceeds_authorization", "left": left}
        auth["captured"] = auth.get("captured", 0) + body.amount
        done = body.final or auth["captured"] == auth["amount"]
        auth["status"] = "captured" if done else "partially_captured"
        _record({"op": "capture", "id": auth_id, "amount": body.amount, "final": done})
        return None

    return await _operate("capture", auth_id, idempotency_key, take)


@app.post("/authorizations/{auth_id}/increment")
async def increment(
    auth_id: str, body: AmountRequest, idempotency_key: IdempotencyKey = None
) -> Any:
    def raise_by(auth: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if auth["status"] not in OPEN:
            return 409, {"error": f"cannot increase an authorization that is {auth['status']}"}
        if auth["token"] == "tok_no_increase":
            _record({"op": "decline", "reference": auth["reference"], "increment": body.amount})
            return 402, {"error": "card_declined", "reference": auth["reference"]}
        auth["amount"] += body.amount
        _record({"op": "increment", "id": auth_id, "amount": body.amount})
        return None

    return await _operate("increment", auth_id, idempotency_key, raise_by)


@app.post("/authorizations/{auth_id}/void")
async def void(auth_id: str, idempotency_key: IdempotencyKey = None) -> Any:
    # A partly captured one releases what is left (refund its captured part first).
    return await _transition("void", auth_id, idempotency_key, OPEN, "voided")


@app.post("/authorizations/{auth_id}/refund")
async def refund(
    auth_id: str, body: AmountRequest | None = None, idempotency_key: IdempotencyKey = None
) -> Any:
    if body is None:
        return await _transition("refund", auth_id, idempotency_key, {"captured"}, "refunded")

    def give_back(auth: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if auth["status"] not in ("captured", "partially_refunded", "partially_captured"):
            return 409, {"error": f"cannot refund an authorization that is {auth['status']}"}
        captured = auth.get("captured") or auth["amount"]
        left = captured - auth.get("refunded", 0)
        if body.amount > left:
            return 422, {"error": "amount_exceeds_capture", "left": left}
        auth["refunded"] = auth.get("refunded", 0) + body.amount
        auth["last_refund_id"] = f"re_{secrets.token_hex(6)}"  # the answer names its refund
        if auth["status"] != "partially_captured":
            whole = auth["refunded"] == captured
            auth["status"] = "refunded" if whole else "partially_refunded"
        _record({"op": "refund", "id": auth_id, "amount": body.amount})
        return None

    return await _operate("refund", auth_id, idempotency_key, give_back)


@app.get("/authorizations")
async def find(reference: str) -> list[dict[str, Any]]:
    """Every authorization made for a merchant reference (our order id)."""
    return store.by_ref("authorization", reference)
