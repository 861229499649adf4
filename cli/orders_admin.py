"""`orders-admin`: create users, issue API keys and check the books, from a shell.

    orders-admin create-user --email ops@example.com --name "Olga" --role ops
    orders-admin issue-key usr_...
    orders-admin check

A key is printed once; only its hash is stored. `check` compares our books with the
providers' ledgers and Temporal, prints every violation and exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from cli.invariant_check import check, report
from db.engine import make_engine, make_session_factory
from db.unit_of_work import UnitOfWork
from domain.api_keys import generate_key
from domain.users import Role, Tier
from infra.settings import Settings, get_settings
from infra.temporal_client import connect_temporal
from services.accounts import add_key, create_user


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orders-admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="add a user and print its first key")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.CUSTOMER.value)
    create.add_argument("--tier", choices=[t.value for t in Tier], default=Tier.STANDARD.value)
    issue = commands.add_parser("issue-key", help="print a new key for an existing user")
    issue.add_argument("user_id")
    audit = commands.add_parser(
        "check",
        help="check stock, money, shipping and liveness against the providers; 1 if violated",
    )
    audit.add_argument(
        "--order", action="append", dest="orders", metavar="ORDER_ID", help="only this order"
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
    return parser.parse_args(argv)


async def run_check(args: argparse.Namespace, settings: Settings) -> int:
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


async def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.command == "check":
        return await run_check(args, settings)
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_session_factory(engine)) as uow:
            if args.command == "create-user":
                try:
                    user, secret = await create_user(
                        uow,
                        email=args.email,
                        name=args.name,
                        role=Role(args.role),
                        tier=Tier(args.tier),
                        pepper=settings.api_key_pepper,
                    )
                    await uow.commit()
                except IntegrityError:
                    print(f"a user with email {args.email} already exists", file=sys.stderr)
                    return 1
                print(f"user_id: {user.id}\napi_key: {secret}")
                return 0
            if await uow.users.get(args.user_id) is None:
                print(f"no user {args.user_id}", file=sys.stderr)
                return 1
            key = generate_key(settings.api_key_pepper)
            row = add_key(uow, args.user_id, key)
            await uow.commit()
            print(f"key_id: {row.id}\napi_key: {key.secret}")
            return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    sys.exit(asyncio.run(run(parse_args(argv))))


if __name__ == "__main__":
    main()
