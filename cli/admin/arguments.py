"""The command line of `orders-admin`: every command, option and input rule."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from domain.order import OrderStatus
from domain.users import Role, Tier

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # the API's own rule (api/schemas/users.py)
DESCRIPTION = "`orders-admin`: the operator's tool for orders, users, keys and the books."


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
        description=DESCRIPTION,
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
