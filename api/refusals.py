"""Domain refusals as HTTP: the one table from each business rule to its status and
problem type. Routes let the errors of services and repositories rise to here."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.problems import Problem, problem_response
from domain.errors import (
    DomainError,
    IdempotencyKeyReused,
    IdempotencyKeySpent,
    NotAwaitingReview,
    NotCancellable,
    NotPermitted,
    OrderNotFound,
    OutOfStock,
    ProductUnavailable,
    UnknownCustomer,
)
from services.order_client import StillPlacing

# Refusals whose problem is their status, type and message.
_PLAIN: dict[type[DomainError], tuple[int, str]] = {
    IdempotencyKeyReused: (422, "/problems/idempotency-key-reused"),
    IdempotencyKeySpent: (409, "/problems/idempotency-key-spent"),
    NotCancellable: (409, "/problems/not-cancellable"),
    NotAwaitingReview: (409, "/problems/not-awaiting-review"),
    NotPermitted: (403, "/problems/forbidden"),
    OrderNotFound: (404, "/problems/not-found"),
}


def problem_of(error: DomainError) -> Problem:
    if isinstance(error, OutOfStock):
        return Problem(
            409,
            "/problems/out-of-stock",
            str(error),
            title="Out of stock",
            headers={"Idempotent-Replayed": "true"} if error.replayed else {},
            skus=error.skus,
            order_id=error.order_id,
        )
    if isinstance(error, ProductUnavailable):
        return Problem(
            422,
            "/problems/validation",
            "some items cannot be ordered",
            errors=[
                {"pointer": f"/items/{index}/sku", "detail": f"{sku} is unknown or not for sale"}
                for index, sku in sorted(error.lines.items())
            ],
        )
    if isinstance(error, UnknownCustomer):
        return Problem(
            422,
            "/problems/validation",
            "the customer does not exist",
            errors=[{"pointer": "/customer_id", "detail": str(error)}],
        )
    status, problem_type = _PLAIN.get(type(error), (409, "/problems/conflict"))
    return Problem(status, problem_type, str(error))


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
