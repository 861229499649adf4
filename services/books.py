"""Gathers the facts the invariant rules of `domain/invariants.py` need and runs them:
our books from PostgreSQL, the payment and carrier ledgers from the providers'
reconciliation endpoints, and which order workflows still run from Temporal.

Used by the tests after every fault they inject, and by `orders-admin check`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import Client

from db.audit import (
    by_sku,
    read_books,
    read_delivered,
    read_places,
    read_returns,
    read_stock_ledger,
)
from db.engine import make_engine, make_session_factory
from domain.identity import workflow_id_for
from domain.invariants import Authorization, Facts, Shipment, Violation, find_violations
from infra.settings import Settings

WORKFLOW_ID_PREFIX = workflow_id_for("")


async def check(
    settings: Settings,
    *,
    order_ids: Collection[str] | None = None,
    grace: timedelta = timedelta(seconds=30),
    temporal: Client | None = None,
) -> list[Violation]:
    """Every violation among these orders (all of them when None). Orders changed within
    `grace` count as in flight: they are not yet expected to rest anywhere."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            orders, stock, held = await read_books(session, order_ids, grace)
            skus = None if order_ids is None else [item.sku for item in stock]
            adjusted, shipped = await read_stock_ledger(session, skus)
            reserved_at, held_at, on_hand_at = await read_places(session, skus)
            returns = await read_returns(session, order_ids)
            delivered = await read_delivered(session, order_ids)
    finally:
        await engine.dispose()

    async with httpx.AsyncClient(timeout=30) as http:
        payment = await _ledger(http, settings.payment_url)
        carrier = await _ledger(http, settings.carrier_url)
    authorizations = [
        Authorization(
            a["id"],
            a["reference"],
            a["amount"],
            a["status"],
            a.get("captured"),
            a.get("refunded", 0),
        )
        for a in payment["authorizations"]
    ]
    shipments = [Shipment(s["id"], s["reference"], s["status"]) for s in carrier["shipments"]]
    if order_ids is not None:
        wanted = set(order_ids)
        authorizations = [a for a in authorizations if a.reference in wanted]
        shipments = [s for s in shipments if s.reference in wanted]

    if temporal is not None:
        running = await running_orders(temporal)
        orders = [replace(o, workflow_running=o.id in running) for o in orders]

    facts = Facts(
        orders,
        stock,
        authorizations,
        shipments,
        held,
        complete=order_ids is None,
        adjusted_by_sku=by_sku(adjusted),
        shipped_by_sku=by_sku(shipped),
        reserved_by_place=reserved_at,
        held_by_place=held_at,
        on_hand_by_place=on_hand_at,
        adjusted_by_place=adjusted,
        shipped_by_place=shipped,
        returns=returns,
        delivered_by_order=delivered,
    )
    return find_violations(facts)


async def running_orders(client: Client) -> set[str]:
    """Order ids whose workflow is still running, from Temporal's visibility store."""
    running: set[str] = set()
    query = "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        if execution.id.startswith(WORKFLOW_ID_PREFIX):
            running.add(execution.id.removeprefix(WORKFLOW_ID_PREFIX))
    return running


async def _ledger(http: httpx.AsyncClient, base_url: str) -> dict[str, Any]:
    response = await http.get(f"{base_url}/admin/ledger")
    response.raise_for_status()
    ledger: dict[str, Any] = response.json()
    return ledger


def report(violations: list[Violation], checked: str) -> str:
    if not violations:
        return f"ok: {checked}, no violation"
    lines = [f"{len(violations)} violation(s) in {checked}:"]
    lines += [f"  {violation}" for violation in violations]
    return "\n".join(lines)
