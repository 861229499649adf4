"""`orders-admin`: the operator's tool for orders, users, keys and the books.

    orders-admin orders list --status awaiting_review
    orders-admin orders show ord_...
    orders-admin orders approve ord_... --note "known customer"
    orders-admin users create --email olga@example.com --name Olga --role ops
    orders-admin --json keys list usr_...
    orders-admin check

It acts through the same services as the API. Run in a checkout where `make dev` runs,
it finds that stack by itself (.local/stack.env); elsewhere it takes DATABASE_URL and
TEMPORAL_ADDRESS from the environment, or --database-url. Errors are one line on
stderr; the exit code says what kind (session.Exit, docs/operations.md).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.admin import claims, keys, locations, orders, outbox, refunds, returns, users
from cli.admin.check import check
from cli.admin.session import Session, settings_for

app = typer.Typer(
    name="orders-admin",
    help="The operator's tool for orders, users, keys and the books. Each command has --help.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(orders.app, name="orders")
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")
app.add_typer(outbox.app, name="outbox")
app.add_typer(locations.app, name="locations")
app.add_typer(refunds.app, name="refunds")
app.add_typer(returns.app, name="returns")
app.add_typer(claims.app, name="claims")
app.command(help="Check stock, money and shipping against the providers; exit 1 on any violation.")(
    check
)
# The first commands, kept for the scripts that use them.
app.command("create-user", help="Same as: users create.", hidden=True)(users.create)
app.command("issue-key", help="Same as: keys issue.", hidden=True)(keys.issue)


@app.callback()
def options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="PostgreSQL to use (default: DATABASE_URL, else the make dev stack of this "
            "checkout).",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON documents instead of tables, for scripts.")
    ] = False,
) -> None:
    ctx.obj = Session(settings_for(database_url), json=json_output)


def main() -> None:
    app(prog_name="orders-admin")
