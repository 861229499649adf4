"""GET /problems/{name}: what each problem `type` URI means, as a page a developer
can open from an error answer."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.problem_types import PROBLEM_TYPES
from api.problems import Problem

router = APIRouter(prefix="/problems", include_in_schema=False)


@router.get("/{name}")
async def problem_page(name: str) -> HTMLResponse:
    known = PROBLEM_TYPES.get(name)
    if known is None:
        raise Problem(404, "/problems/not-found", f"there is no problem type {name}")
    title = escape(known.title)
    return HTMLResponse(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>HTTP status {known.status}; "
        f"<code>type</code>: <code>/problems/{escape(name)}</code></p>"
        f"<p>{escape(known.meaning)}</p><p><a href=/docs>API documentation</a></p></body></html>"
    )
