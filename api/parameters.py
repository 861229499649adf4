"""Text PostgreSQL cannot store, in the path, the query or a header, is refused as a
validation problem before any route reads it, as the same text in a body is
(api/schemas/common.py): a NUL in an order id would otherwise fail deep inside the
database driver."""

from __future__ import annotations

from fastapi import Request

from api.problems import Problem
from api.schemas.common import UNSTORABLE, unstorable


async def storable_parameters(request: Request) -> None:
    """A dependency of the whole app, so every route has it, the ones to come included.
    HTTP forbids NUL in header values (RFC 9110, 5.5), so every header is checked,
    not only the ones a route declares."""
    given = [
        *request.path_params.items(),
        *request.query_params.multi_items(),
        *request.headers.items(),
    ]
    refused = [name for name, value in given if isinstance(value, str) and unstorable(value)]
    if refused:
        raise Problem(
            422,
            "/problems/validation",
            "the request is not valid",
            title="Unprocessable Content",
            errors=[{"parameter": name, "detail": UNSTORABLE} for name in refused],
        )
