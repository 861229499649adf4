"""`orders-admin` as an operator uses it: orders, users and keys, through the same
database and Temporal as the API; plain one-line errors; the make dev stack found by
itself in a checkout."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from cli.admin.app import app as admin_app
from infra.settings import Settings
from tests.api.conftest import Caller, order_body, wait_for_status
from tests.api.test_accounts_api import printed
from tests.factories import add_product
from tests.stack import PEPPER

ROOT = Path(__file__).resolve().parents[2]


async def admin_async(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the tool's command line in this process, in a thread of its own (it runs its
    own event loop; the session's worker goes on in this one): the same parsing,
    settings, services and output as `admin`, without a new interpreter importing
    everything again for each command (three seconds each here). What only a process
    of its own shows (exit codes, one-line errors, finding the stack from the working
    directory) is tested through `admin`."""
    return await asyncio.to_thread(_admin_in_process, settings, *args)


def _admin_in_process(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    result = CliRunner().invoke(
        admin_app, list(args), env=_environment(settings), prog_name="orders-admin"
    )
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


def admin(
    settings: Settings, *args: str, cwd: Path = ROOT, database: bool = True
) -> subprocess.CompletedProcess[str]:
    """Runs the tool as an operator would, as a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= _environment(settings, database=database)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "cli.orders_admin", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _environment(settings: Settings, *, database: bool = True) -> dict[str, str]:
    """What the operator's shell names: the stack's database and Temporal, the pepper."""
    env = {"ORDERS_API_KEY_PEPPER": PEPPER, "TEMPORAL_ADDRESS": settings.temporal_address}
    if database:
        env["DATABASE_URL"] = settings.database_url
    return env


async def test_an_operator_manages_a_user_and_keys(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    email = f"olga-{uuid.uuid4().hex[:6]}@example.com"
    created = await admin_async(
        settings, "users", "create", "--email", email, "--name", "Olga", "--role", "ops"
    )
    user_id, first = printed(created.stdout, "user_id"), printed(created.stdout, "api_key")
    issued = await admin_async(settings, "keys", "issue", user_id)
    second = printed(issued.stdout, "api_key")
    listed_keys = await admin_async(settings, "--json", "keys", "list", user_id)
    first_key_id = json.loads(listed_keys.stdout)[0]["id"]

    revoked = await admin_async(settings, "keys", "revoke", first_key_id)
    first_answer = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {first}"})
    second_answer = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {second}"})
    disabled = await admin_async(settings, "users", "disable", user_id)
    after_disable = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {second}"})
    listing = await admin_async(settings, "--json", "users", "list", "--email", email)
    keys = json.loads((await admin_async(settings, "--json", "keys", "list", user_id)).stdout)

    assert created.returncode == issued.returncode == revoked.returncode == 0, created.stderr
    assert (first_answer.status_code, second_answer.status_code) == (401, 200)
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert after_disable.status_code == 401
    assert [key["id"] for key in keys if key["revoked_at"]] == [first_key_id]
    assert len(keys) == 2
    mine = json.loads(listing.stdout)
    assert [user["email"] for user in mine] == [email] and mine[0]["disabled_at"] is not None


async def test_an_operator_lists_shows_approves_and_cancels_orders(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)  # held for review
    held = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()
    other = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()
    await wait_for_status(http, customer, held["id"], "awaiting_review")
    await wait_for_status(http, customer, other["id"], "awaiting_review")

    listed = await admin_async(
        settings, "orders", "list", "--status", "awaiting_review", "--customer", customer.id
    )
    listed_json = await admin_async(
        settings,
        "--json",
        "orders",
        "list",
        "--status",
        "awaiting_review",
        "--customer",
        customer.id,
    )
    shown = await admin_async(settings, "orders", "show", held["id"])
    approved = await admin_async(
        settings, "orders", "approve", held["id"], "--note", "known customer"
    )
    cancelled = await admin_async(settings, "orders", "cancel", other["id"])  # no --reason
    assert approved.returncode == 0, approved.stderr
    delivered = await wait_for_status(http, customer, held["id"], "delivered")
    ended = await wait_for_status(http, customer, other["id"], "cancelled")

    assert {held["id"], other["id"]} <= {line.split()[0] for line in listed.stdout.splitlines()}
    assert listed.stdout.splitlines()[0].split()[:2] == ["ID", "STATUS"]
    assert {order["id"] for order in json.loads(listed_json.stdout)} == {held["id"], other["id"]}
    assert "review.requested" in shown.stdout and f"1 x {sku}" in shown.stdout
    assert approved.returncode == 0 and approved.stdout.startswith("approve: taken")
    assert cancelled.returncode == 0 and cancelled.stdout.startswith("cancel: taken")
    assert delivered["status"] == "delivered" and ended["status"] == "cancelled"
    timeline = (await http.get(f"/v1/orders/{held['id']}/events", headers=customer.auth)).json()
    approval = next(e for e in timeline if e["type"] == "review.approved")
    assert approval["data"]["note"] == "known customer"
    # Who cancelled is on the timeline, with or without a reason, and shown by the tool.
    timeline = (await http.get(f"/v1/orders/{other['id']}/events", headers=customer.auth)).json()
    cancellation = next(e for e in timeline if e["type"] == "order.cancelled")
    assert cancellation["data"]["by"].startswith("orders-admin:")
    assert cancellation["data"]["reason"] is None
    shown = await admin_async(settings, "orders", "show", other["id"])
    assert "order.cancelled" in shown.stdout and "orders-admin:" in shown.stdout


def test_bad_input_and_missing_things_get_one_line(settings: Settings) -> None:
    not_an_email = admin(settings, "users", "create", "--email", "not-an-email", "--name", "x")
    no_order = admin(settings, "orders", "show", "ord_doesnotexist1")
    not_an_id = admin(settings, "orders", "approve", "123")
    no_database = admin(
        settings, "--database-url", "postgresql+asyncpg://u@127.0.0.1:9/x", "users", "list"
    )

    assert not_an_email.returncode == 2 and "not an email address" in not_an_email.stderr
    assert no_order.returncode == 3  # not found
    assert no_order.stderr.strip() == "orders-admin: there is no order ord_doesnotexist1"
    assert not_an_id.returncode == 2 and "ord_... id" in not_an_id.stderr
    assert no_database.returncode == 5 and "cannot reach the database" in no_database.stderr
    for answer in (no_order, no_database):
        assert len(answer.stderr.strip().splitlines()) == 1, answer.stderr
        assert "Traceback" not in answer.stderr


def test_in_a_checkout_it_finds_the_make_dev_stack_by_itself(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "stack.env").write_text(f"DATABASE_URL={settings.database_url}\n")

    found = admin(settings, "users", "list", cwd=tmp_path, database=False)
    elsewhere = admin(settings, "users", "list", cwd=tmp_path / ".local", database=False)

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip()
    assert elsewhere.returncode == 5 and "make dev" in elsewhere.stderr


async def test_an_operator_lists_retries_and_drops_parked_deliveries(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, on_hand=2)
    order_id = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()["id"]
    sink = f"archive{uuid.uuid4().hex[:8]}"  # a sink no relay serves: rows stay put
    async with session_uow() as uow:
        entries = list(
            await uow.session.scalars(
                text("SELECT id FROM order_events WHERE order_id = :id ORDER BY id LIMIT 2"),
                {"id": order_id},
            )
        )
        for entry in entries:
            await uow.session.execute(
                text(
                    "INSERT INTO outbox_deliveries (event_id, sink, order_id, attempts, "
                    "last_error, parked_at) VALUES (:e, :s, :o, 20, 'HTTPError: 503', now())"
                ),
                {"e": entry, "s": sink, "o": order_id},
            )
        await uow.commit()
    try:
        listed = await admin_async(settings, "--json", "outbox", "list", "--sink", sink)
        retried = await admin_async(settings, "outbox", "retry", str(entries[0]), "--sink", sink)
        dropped = await admin_async(settings, "outbox", "drop", str(entries[1]), "--sink", sink)
        again = await admin_async(settings, "outbox", "list", "--sink", sink)
        async with session_uow() as uow:
            rows = (
                await uow.session.execute(
                    text(
                        "SELECT event_id, attempts, parked_at FROM outbox_deliveries "
                        "WHERE sink = :s"
                    ),
                    {"s": sink},
                )
            ).all()
    finally:
        async with session_uow() as uow:
            await uow.session.execute(
                text("DELETE FROM outbox_deliveries WHERE sink = :s"), {"s": sink}
            )
            await uow.commit()

    parked = json.loads(listed.stdout)
    assert [(p["event_id"], p["order_id"], p["attempts"]) for p in parked] == [
        (entries[0], order_id, 20),
        (entries[1], order_id, 20),
    ]
    assert retried.returncode == 0 and retried.stdout.startswith("1 delivery(ies) back")
    assert dropped.returncode == 0 and dropped.stdout.startswith("1 delivery(ies) dropped")
    assert again.stdout.strip() == "nothing parked"
    assert [tuple(row) for row in rows] == [(entries[0], 0, None)]  # back in line, fresh


async def test_an_operator_edits_an_order_and_sees_its_parcels(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=60_000, on_hand=5)  # held for review
    held = (
        await http.post("/v1/orders", json=order_body((sku, 1)), headers=customer.placing())
    ).json()
    await wait_for_status(http, customer, held["id"], "awaiting_review")

    priced = await admin_async(
        settings, "orders", "edit", held["id"], "--item", f"{sku}=2", "--dry-run"
    )
    edited = await admin_async(settings, "orders", "edit", held["id"], "--item", f"{sku}=2")
    bad = await admin_async(settings, "orders", "edit", held["id"], "--item", f"{sku}=none")
    await admin_async(settings, "orders", "approve", held["id"])
    await wait_for_status(http, customer, held["id"], "delivered")
    shown = await admin_async(settings, "orders", "show", held["id"])

    assert priced.returncode == 0, priced.stderr
    assert "(dry run)" in priced.stdout and "difference 600.00 USD" in priced.stdout
    assert edited.returncode == 0 and "totals 1,200.00 USD" in edited.stdout, edited.stderr
    assert bad.returncode == 2 and "SKU=QUANTITY" in bad.stderr
    assert f"parcel {held['id']}-1 from default: 2 x {sku}; delivered" in shown.stdout
    assert "order.edited" in shown.stdout


async def test_an_operator_reviews_and_receives_returns(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=80_000, on_hand=5)  # above both thresholds
    placed = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())
    order_id = placed.json()["id"]
    await wait_for_status(http, customer, order_id, "awaiting_review")
    await admin_async(settings, "orders", "approve", order_id)
    await wait_for_status(http, customer, order_id, "delivered")

    async def ask() -> str:
        asked = await http.post(
            f"/v1/orders/{order_id}/returns",
            json={"items": [{"sku": sku, "quantity": 1, "reason": "damaged"}]},
            headers={**customer.auth, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert asked.json()["status"] == "awaiting_review", asked.text
        return str(asked.json()["id"])

    rejected_id, approved_id = await ask(), await ask()
    held = await admin_async(settings, "returns", "list", "--status", "awaiting_review")
    rejected = await admin_async(settings, "returns", "reject", rejected_id, "--note", "worn")
    approved = await admin_async(settings, "returns", "approve", approved_id)
    bad = await admin_async(settings, "returns", "receive", approved_id, "--item", f"{sku}=one")
    received = await admin_async(
        settings, "returns", "receive", approved_id, "--item", f"{sku}=0,1,0"
    )
    twice = await admin_async(settings, "returns", "receive", approved_id, "--item", f"{sku}=1,0,0")
    shown = await admin_async(settings, "returns", "show", approved_id)

    assert rejected_id in held.stdout and approved_id in held.stdout, held.stderr
    assert rejected.returncode == 0 and "is rejected" in rejected.stdout, rejected.stderr
    assert approved.returncode == 0 and "is approved" in approved.stdout, approved.stderr
    assert bad.returncode == 2 and "SKU=RESTOCK,DAMAGED,MISSING" in bad.stderr
    assert received.returncode == 0, received.stderr
    assert "refund 800.00 USD" in received.stdout
    assert twice.returncode != 0 and "received" in twice.stderr
    assert f"1 x {sku} (damaged): restock 0, damaged 1, missing 0" in shown.stdout


async def test_an_operator_refunds_and_replaces_delivered_units(
    http: httpx.AsyncClient, customer: Caller, session_uow: Any, settings: Settings
) -> None:
    sku = await add_product(session_uow, price=700, on_hand=5)
    placed = await http.post("/v1/orders", json=order_body((sku, 2)), headers=customer.placing())
    order_id = placed.json()["id"]
    await wait_for_status(http, customer, order_id, "delivered")

    refunded = await admin_async(
        settings, "claims", "open", order_id, "--type", "refund", "--item", f"{sku}=1"
    )
    replaced = await admin_async(
        settings,
        "claims",
        "open",
        order_id,
        "--type",
        "replace",
        "--item",
        f"{sku}=1",
        "--reason",
        "missing_item",
    )
    none_left = await admin_async(
        settings, "claims", "open", order_id, "--type", "refund", "--item", f"{sku}=1"
    )
    bad = await admin_async(settings, "claims", "open", order_id, "--type", "refund", "--item", sku)
    listed = await admin_async(settings, "claims", "list", order_id)

    assert refunded.returncode == 0 and "(refund) is open" in refunded.stdout, refunded.stderr
    assert replaced.returncode == 0 and "(replace) is open" in replaced.stdout, replaced.stderr
    assert none_left.returncode == 4 and "already_returned" in none_left.stderr
    assert bad.returncode == 2 and "SKU=QUANTITY" in bad.stderr
    assert listed.stdout.count(f"1 x {sku}") == 2
