"""`orders-admin`: the operator's tool for orders, users, keys and the books.

    orders-admin orders list --status awaiting_review
    orders-admin orders show ord_...
    orders-admin orders approve ord_... --note "known customer"
    orders-admin users create --email olga@example.com --name Olga --role ops
    orders-admin keys issue usr_...
    orders-admin check

Run in a checkout where `make dev` runs, it finds that stack by itself
(.local/stack.env); elsewhere it takes DATABASE_URL and TEMPORAL_ADDRESS from the
environment, or --database-url. Errors are one line on stderr, exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import ArgumentError, DBAPIError
from temporalio.service import RPCError

from cli.admin.accounts import keys, users
from cli.admin.arguments import parse_args
from cli.admin.books import run_check
from cli.admin.orders import orders
from cli.admin.stack import Refused, Stack
from domain.errors import DomainError
from infra import local_stack
from infra.settings import Settings

__all__ = ["main", "parse_args", "run_check", "settings_for"]

COMMANDS: dict[str, Callable[[Stack, argparse.Namespace], Awaitable[None]]] = {
    "orders": orders,
    "users": users,
    "keys": keys,
}


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings of the stack to act on, leaving the environment as it is:
    --database-url, else DATABASE_URL, else the `make dev` stack of this checkout
    (for every address the environment does not name itself)."""
    if args.database_url:
        return Settings(database_url=args.database_url)
    if os.environ.get("DATABASE_URL"):
        return Settings()
    found = {
        name.removeprefix("ORDERS_").lower(): value
        for name, value in local_stack.read().items()
        if not os.environ.get(name)
    }
    return Settings().model_copy(update=found)


async def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        stack = Stack(settings)
    except ArgumentError:
        return _fail(f"{settings.database_url!r} is not a database URL (--database-url)")
    try:
        if args.kind == "check":
            return await run_check(args, settings)
        await COMMANDS[args.kind](stack, args)
        return 0
    except (Refused, DomainError) as refused:
        return _fail(str(refused))
    except (OSError, DBAPIError) as error:
        if isinstance(error, DBAPIError) and not error.connection_invalidated:
            if "does not exist" not in str(error.orig) and "connect" not in str(error.orig):
                raise
        where = settings.database_url.rsplit("@", 1)[-1]
        return _fail(
            f"cannot reach the database ({where}): {_first_line(error)}; run `make dev` in "
            "this checkout, or give --database-url"
        )
    except RPCError as error:
        return _fail(f"cannot reach Temporal at {settings.temporal_address}: {error.message}")
    except RuntimeError as error:
        if "connect" in str(error).lower():
            return _fail(f"cannot reach Temporal at {settings.temporal_address}")
        raise
    finally:
        await stack.engine.dispose()


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _fail(message: str) -> int:
    print(f"orders-admin: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> None:
    sys.exit(asyncio.run(run(parse_args(argv))))


if __name__ == "__main__":
    main()
