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
import getpass
import os
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from temporalio.service import RPCError

from cli.invariant_check import check, report
from db.engine import make_engine, make_session_factory
from db.order_reads import OrderReads, OrderRecord
from db.unit_of_work import UnitOfWork
from domain.api_keys import generate_key
from domain.errors import DomainError
from domain.order import OrderStatus
from domain.users import Role, Tier
from infra import local_stack
from infra.settings import Settings
from infra.temporal_client import connect_temporal
from services import accounts, order_client
from workflows.contracts import CancelRequest, ReviewDecision

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the API's own rule (api/schemas/users.py)


class Refused(Exception):
    """What the operator asked cannot be done; the message says why, in one line."""


# -- input -----------------------------------------------------------------------


def email(value: str) -> str:
    if len(value) > 320 or not EMAIL.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an email address")
    return value


def identifier(prefix: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not re.fullmatch(rf"{prefix}_[A-Za-z0-9]{{6,40}}", value):
            raise argparse.ArgumentTypeError(f"{value!r} is not a {prefix}_... id")
        return value

    parse.__name__ = f"{prefix} id"
    return parse


def text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not value.strip() or len(value) > limit:
            raise argparse.ArgumentTypeError(f"give 1 to {limit} characters")
        return value

    parse.__name__ = "text"
    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="orders-admin",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Each command has --help.",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="PostgreSQL to use (default: DATABASE_URL, else the make dev stack of this checkout)",
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="COMMAND")

    orders = kinds.add_parser("orders", help="show, list, approve, reject and cancel orders")
    order_commands = orders.add_subparsers(dest="command", required=True, metavar="ACTION")
    show = order_commands.add_parser("show", help="one order with its timeline")
    show.add_argument("order_id", type=identifier("ord"), help="the order (ord_...)")
    listing = order_commands.add_parser("list", help="orders, newest first")
    listing.add_argument(
        "--status", choices=[s.value for s in OrderStatus], help="only orders in this status"
    )
    listing.add_argument(
        "--customer", type=identifier("usr"), help="only this customer's orders (usr_...)"
    )
    listing.add_argument(
        "--limit",
        type=int,
        default=20,
        choices=range(1, 101),
        metavar="1..100",
        help="how many (default 20)",
    )
    for action, verb in (("approve", "approve"), ("reject", "reject")):
        decide = order_commands.add_parser(action, help=f"{verb} an order held for review")
        decide.add_argument("order_id", type=identifier("ord"), help="the order (ord_...)")
        decide.add_argument("--note", type=text(1000), help="why, for the timeline")
        decide.add_argument(
            "--by", type=identifier("usr"), help="the reviewer's user id (default: none)"
        )
    cancel = order_commands.add_parser("cancel", help="cancel an order and undo its steps")
    cancel.add_argument("order_id", type=identifier("ord"), help="the order (ord_...)")
    cancel.add_argument("--reason", type=text(500), help="why, for the timeline")

    users = kinds.add_parser("users", help="list, create and disable users")
    user_commands = users.add_subparsers(dest="command", required=True, metavar="ACTION")
    user_list = user_commands.add_parser("list", help="users, oldest first")
    user_list.add_argument(
        "--limit",
        type=int,
        default=50,
        choices=range(1, 101),
        metavar="1..100",
        help="how many (default 50)",
    )
    create = user_commands.add_parser("create", help="add a user and print its first key")
    _user_options(create)
    disable = user_commands.add_parser(
        "disable", help="refuse every key of a user from now on (orders stay)"
    )
    disable.add_argument("user_id", type=identifier("usr"), help="the user (usr_...)")

    keys = kinds.add_parser("keys", help="issue, list and revoke API keys")
    key_commands = keys.add_subparsers(dest="command", required=True, metavar="ACTION")
    issue = key_commands.add_parser("issue", help="print a new key for a user (shown once)")
    issue.add_argument("user_id", type=identifier("usr"), help="the user (usr_...)")
    key_list = key_commands.add_parser("list", help="a user's keys (prefixes, never secrets)")
    key_list.add_argument("user_id", type=identifier("usr"), help="the user (usr_...)")
    revoke = key_commands.add_parser("revoke", help="refuse a key from its next request on")
    revoke.add_argument("key_id", type=identifier("key"), help="the key (key_...)")

    audit = kinds.add_parser(
        "check", help="check stock, money, shipping and liveness against the providers"
    )
    audit.add_argument(
        "--order",
        action="append",
        dest="orders",
        type=identifier("ord"),
        metavar="ORDER_ID",
        help="only this order (repeatable)",
    )
    audit.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long an order may be in flight before it must be finished or waiting",
    )
    audit.add_argument(
        "--no-temporal", action="store_true", help="do not ask Temporal which orders still run"
    )

    # The first commands, kept for scripts that use them.
    old_create = kinds.add_parser("create-user", help="same as: users create")
    _user_options(old_create)
    old_issue = kinds.add_parser("issue-key", help="same as: keys issue")
    old_issue.add_argument("user_id", type=identifier("usr"), help="the user (usr_...)")

    args = parser.parse_args(argv)
    if args.kind == "create-user":
        args.kind, args.command = "users", "create"
    if args.kind == "issue-key":
        args.kind, args.command = "keys", "issue"
    return args


def _user_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", type=email, required=True, help="unique; the login name")
    parser.add_argument("--name", type=text(200), required=True, help="shown in the timeline")
    parser.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=Role.CUSTOMER.value,
        help="what the user may do (default customer)",
    )
    parser.add_argument(
        "--tier",
        choices=[t.value for t in Tier],
        default=Tier.STANDARD.value,
        help="priority and rate limits (default standard)",
    )


# -- where the stack is ------------------------------------------------------------


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


# -- commands ---------------------------------------------------------------------


class Admin:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.reads = OrderReads(self.sessions)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def orders(self, args: argparse.Namespace) -> None:
        if args.command == "list":
            found = await self.reads.page(
                customer_id=args.customer, status=args.status, after=None, limit=args.limit
            )
            for listed in found:
                print(_order_line(listed))
            if not found:
                print("no orders")
            return
        order = await self.reads.find(args.order_id)
        if order is None:
            raise Refused(f"there is no order {args.order_id}")
        if args.command == "show":
            print(_order_line(order))
            address = ", ".join(str(v) for v in order.shipping_address.values() if v)
            print(f"  ship to: {address}")
            for line in order.lines:
                print(f"  {line.quantity} x {line.sku} at {_money(line.unit_price_amount, order)}")
            for entry in await self.reads.timeline(order.id):
                print(f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.type} {_data(entry.data)}")
            return
        client = await connect_temporal(self.settings)
        if args.command == "cancel":
            request = CancelRequest(reason=args.reason, requested_by=_operator())
            view = await order_client.cancel(client, self.settings, order.id, request)
        else:
            decision = ReviewDecision(args.command == "approve", args.by or _operator(), args.note)
            view = await order_client.review(client, self.settings, order.id, decision)
        now = await self.reads.find(order.id)
        status = now.status if now else "unknown"
        background = view is None or not OrderStatus(status).is_terminal
        print(
            f"{args.command}: taken; {order.id} is {status}"
            + ("; the rest goes on in the background" if background else "")
        )

    async def users(self, args: argparse.Namespace) -> None:
        async with self.unit_of_work() as uow:
            if args.command == "list":
                for user in await uow.users.page(after=None, limit=args.limit):
                    state = f" disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else ""
                    print(f"{user.id}  {user.role:<8} {user.tier:<8} {user.email}{state}")
                return
            if args.command == "create":
                try:
                    user, secret = await accounts.create_user(
                        uow,
                        email=args.email,
                        name=args.name,
                        role=Role(args.role),
                        tier=Tier(args.tier),
                        pepper=self.settings.api_key_pepper,
                    )
                    await uow.commit()
                except IntegrityError:
                    raise Refused(f"a user with email {args.email} already exists") from None
                print(f"user_id: {user.id}\napi_key: {secret}")
                return
            if await uow.users.get(args.user_id) is None:
                raise Refused(f"there is no user {args.user_id}")
            changed = await uow.users.disable(args.user_id)
            await uow.commit()
            print(f"{args.user_id} disabled" if changed else f"{args.user_id} was disabled already")

    async def keys(self, args: argparse.Namespace) -> None:
        async with self.unit_of_work() as uow:
            if args.command == "revoke":
                if await uow.users.get_key(args.key_id) is None:
                    raise Refused(f"there is no key {args.key_id}")
                changed = await uow.users.revoke_key(args.key_id)
                await uow.commit()
                print(f"{args.key_id} revoked" if changed else f"{args.key_id} was revoked already")
                return
            if await uow.users.get(args.user_id) is None:
                raise Refused(f"there is no user {args.user_id}")
            if args.command == "list":
                for held in await uow.users.keys_of(args.user_id):
                    used = f"{held.last_used_at:%Y-%m-%d %H:%M}" if held.last_used_at else "never"
                    state = "revoked" if held.revoked_at else "active"
                    print(f"{held.id}  {held.prefix}...  {state:<7} last used {used}")
                return
            key = generate_key(self.settings.api_key_pepper)
            row = accounts.add_key(uow, args.user_id, key)
            await uow.commit()
            print(f"key_id: {row.id}\napi_key: {key.secret}")

    async def check(self, args: argparse.Namespace) -> int:
        return await run_check(args, self.settings)


async def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """`check`: every violation of the books on one line each; 1 if there is one."""
    temporal = None if args.no_temporal else await connect_temporal(settings)
    violations = await check(
        settings,
        order_ids=args.orders,
        grace=timedelta(seconds=args.grace),
        temporal=temporal,
    )
    scope = f"{len(args.orders)} order(s)" if args.orders else "every order"
    print(report(violations, scope))
    return 1 if violations else 0


def _operator() -> str:
    """Who acts, for the timeline: the shell user, marked as coming from this tool."""
    return f"orders-admin:{getpass.getuser()}"


def _money(amount: int, order: OrderRecord) -> str:
    return f"{amount / 100:,.2f} {order.currency}"


def _order_line(order: OrderRecord) -> str:
    reason = f" ({order.failure_reason})" if order.failure_reason else ""
    return (
        f"{order.id}  {order.status}{reason}  {_money(order.total_amount, order)}  "
        f"{order.customer_id}  {order.created_at:%Y-%m-%d %H:%M}"
    )


def _data(data: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in data.items())


async def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        admin = Admin(settings)
    except ArgumentError:
        return _fail(f"{settings.database_url!r} is not a database URL (--database-url)")
    try:
        if args.kind == "check":
            return await admin.check(args)
        command: Callable[[argparse.Namespace], Awaitable[None]] = getattr(admin, args.kind)
        await command(args)
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
        await admin.engine.dispose()


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
