"""`orders-admin keys`: issue, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin.inputs import identifier
from cli.admin.session import emit, run, table
from cli.admin.users import UserId

app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True)


def issue(ctx: typer.Context, user_id: UserId) -> None:
    """Print a new key for a user (shown once); older keys keep working until revoked."""
    issued = run(ctx, lambda services: services.accounts.issue_key(user_id))
    text = f"key_id: {issued.key.id}\napi_key: {issued.secret}"
    emit(ctx, {"key": issued.key, "api_key": issued.secret}, text)


app.command()(issue)


@app.command("list")
def list_keys(ctx: typer.Context, user_id: UserId) -> None:
    """A user's keys: prefixes and use, never the secrets."""
    keys = run(ctx, lambda services: services.accounts.keys_of(user_id))
    rows = [
        (k.id, f"{k.prefix}...", "revoked" if k.revoked_at else "active", k.last_used_at)
        for k in keys
    ]
    emit(ctx, keys, table(("ID", "PREFIX", "STATE", "LAST USED"), rows, "no keys"))


@app.command()
def revoke(
    ctx: typer.Context,
    key_id: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID",
            help="The key (key_...).",
            callback=identifier("key"),
            show_default=False,
        ),
    ],
) -> None:
    """Refuse a key from its next request on."""
    changed = run(ctx, lambda services: services.accounts.revoke_key(key_id))
    said = f"{key_id} revoked" if changed else f"{key_id} was revoked already"
    emit(ctx, {"key_id": key_id, "changed": changed}, said)
