"""Keys made by `orders-admin` and by ORDERS_BOOTSTRAP_ADMIN_KEY open the API."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx

from infra.settings import Settings
from tests.api.conftest import api_client
from tests.stack import PEPPER


def orders_admin(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=settings.database_url, ORDERS_API_KEY_PEPPER=PEPPER)
    return subprocess.run(
        [sys.executable, "-m", "cli.orders_admin", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def printed(output: str, field: str) -> str:
    return next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith(field))


async def test_orders_admin_creates_a_user_whose_key_works(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    email = f"ops-{uuid.uuid4().hex[:6]}@example.com"

    created = orders_admin(
        settings, "create-user", "--email", email, "--name", "Olga", "--role", "ops"
    )
    duplicate = orders_admin(settings, "create-user", "--email", email, "--name", "Olga")
    issued = orders_admin(settings, "issue-key", printed(created.stdout, "user_id"))

    assert created.returncode == 0, created.stderr
    assert duplicate.returncode == 4  # refused: the email is taken
    assert f"a user with email {email} exists" in duplicate.stderr
    for output in (created.stdout, issued.stdout):
        key = printed(output, "api_key")
        me = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {key}"})
        assert me.status_code == 200
        assert (me.json()["email"], me.json()["role"]) == (email, "ops")


async def test_the_bootstrap_key_belongs_to_an_admin(settings: Settings) -> None:
    key = f"ok_bootstrap_{uuid.uuid4().hex}"

    async with api_client(settings.model_copy(update={"bootstrap_admin_key": key})) as http:
        me = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {key}"})
    async with api_client(settings.model_copy(update={"bootstrap_admin_key": key})) as http:
        again = await http.get("/v1/users/me", headers={"Authorization": f"Bearer {key}"})

    assert me.status_code == 200 and me.json()["role"] == "admin"
    assert again.json()["id"] == me.json()["id"]
