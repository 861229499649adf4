"""Domain refusals as HTTP: the status and problem type come from the one table of
services/refusals.py; a few refusals carry details a client can act on. Routes let the
errors of the services rise to here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.problems import Problem, problem_response
from domain.errors import (
    DomainError,
    LabelPending,
    NotReturnable,
    OutOfStock,
    ProductUnavailable,
    RefundExceedsCaptured,
    UnknownCustomer,
    WrongCurrency,
)
from services.order_client import StillEditing, StillPlacing
from services.refusals import refusal_of


def problem_of(error: DomainError) -> Problem:
    refusal = refusal_of(error)
    detail, headers, extensions = _details(error)
    return Problem(
        refusal.status,
        refusal.problem_type,
        detail or str(error),
        headers=headers,
        **extensions,
    )


def _details(error: DomainError) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    """What the answer says beyond the error's message: (detail, headers, members)."""
    if isinstance(error, OutOfStock):
        headers = {"Idempotent-Replayed": "true"} if error.replayed else {}
        return None, headers, {"skus": error.skus, "order_id": error.order_id}
    if isinstance(error, ProductUnavailable) and not error.lines:  # named by sku only
        errors = [
            {"pointer": "/items", "detail": f"{sku} is unknown or not for sale"}
            for sku in error.skus
        ]
        return "some items cannot be ordered", {}, {"errors": errors}
    if isinstance(error, ProductUnavailable):
        errors = [
            {"pointer": f"/items/{index}/sku", "detail": f"{sku} is unknown or not for sale"}
            for index, sku in sorted(error.lines.items())
        ]
        return "some items cannot be ordered", {}, {"errors": errors}
    if isinstance(error, LabelPending):
        return None, {"Retry-After": "1"}, {}
    if isinstance(error, NotReturnable):
        items = [{"sku": sku, "reason": why} for sku, why in error.reasons.items()]
        return None, {}, {"items": items}
    if isinstance(error, RefundExceedsCaptured):
        return None, {}, {"left": error.left}
    if isinstance(error, UnknownCustomer):
        errors = [{"pointer": "/customer_id", "detail": str(error)}]
        return "the customer does not exist", {}, {"errors": errors}
    if isinstance(error, WrongCurrency):
        errors = [{"pointer": "/price/currency", "detail": "another currency"}]
        return None, {}, {"errors": errors}
    return None, {}, {}


def install_refusal_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def on_refusal(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(request, problem_of(exc))

    @app.exception_handler(StillPlacing)
    async def on_still_placing(request: Request, exc: StillPlacing) -> JSONResponse:
        return problem_response(
            request,
            Problem(
                503,
                "/problems/placement-pending",
                "the order is still being placed; retry with the same Idempotency-Key",
                headers={"Retry-After": "2"},
            ),
        )

    @app.exception_handler(StillEditing)
    async def on_still_editing(request: Request, exc: StillEditing) -> JSONResponse:
        return problem_response(
            request,
            Problem(
                503,
                "/problems/edit-pending",
                "the edit is still being made; retry with the same Idempotency-Key",
                headers={"Retry-After": "2"},
            ),
        )
