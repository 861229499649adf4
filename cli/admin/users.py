"""`orders-admin users`: list, create and disable the users who may call the API."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin.inputs import email, identifier, text
from cli.admin.session import emit, run, table
from domain.users import Role, Tier
from services.accounts import NewUser

app = typer.Typer(help="List, create and disable users.", no_args_is_help=True)

UserId = Annotated[
    str,
    typer.Argument(
        metavar="USER_ID",
        help="The user (usr_...).",
        callback=identifier("usr"),
        show_default=False,
    ),
]


@app.command("list")
def list_users(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 50,
    email_: Annotated[
        str | None, typer.Option("--email", help="Only the user with this email.")
    ] = None,
) -> None:
    """Users, oldest first."""
    if email_ is not None:
        users = run(ctx, lambda services: services.accounts.with_email(email_))
    else:
        users = run(ctx, lambda services: services.accounts.users(after=None, limit=limit))
    rows = [(u.id, u.role, u.tier, u.email, u.disabled_at) for u in users]
    headers = ("ID", "ROLE", "TIER", "EMAIL", "DISABLED")
    emit(ctx, users, table(headers, rows, "no users"))


def create(
    ctx: typer.Context,
    email_: Annotated[
        str,
        typer.Option("--email", help="Unique; the login name.", callback=email, show_default=False),
    ],
    name: Annotated[
        str, typer.Option(help="Shown in the timeline.", callback=text(200), show_default=False)
    ],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.CUSTOMER,
    tier: Annotated[Tier, typer.Option(help="Priority and rate limits.")] = Tier.STANDARD,
) -> None:
    """Add a user and print its first API key (shown once)."""
    command = NewUser(email=email_, name=name, role=role, tier=tier)
    created = run(ctx, lambda services: services.accounts.create_user(command))
    text_ = f"user_id: {created.user.id}\napi_key: {created.first_key.secret}"
    emit(ctx, {"user": created.user, "api_key": created.first_key.secret}, text_)


app.command()(create)


@app.command()
def disable(ctx: typer.Context, user_id: UserId) -> None:
    """Refuse every key of a user from now on (their orders stay)."""
    changed = run(ctx, lambda services: services.accounts.disable_user(user_id))
    said = f"{user_id} disabled" if changed else f"{user_id} was disabled already"
    emit(ctx, {"user_id": user_id, "changed": changed}, said)
