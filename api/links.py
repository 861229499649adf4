"""Paths the API echoes in headers (`Location`, and any `Link` to come)."""

from __future__ import annotations

from urllib.parse import quote


def segment(value: str) -> str:
    """One path segment, percent-encoded: whatever an id or sku holds (a `/`, a `?`,
    text outside Latin-1), the path stays one valid URL that a header can carry.
    The usual ids (`ord_...`, `MUG-RED`) come out unchanged."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")
