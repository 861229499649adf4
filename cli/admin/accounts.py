"""`orders-admin users` and `orders-admin keys`: who may call the API, with which keys."""

from __future__ import annotations

import argparse

from sqlalchemy.exc import IntegrityError

from cli.admin.stack import Refused, Stack
from domain.api_keys import generate_key
from domain.users import Role, Tier
from services import accounts


async def users(stack: Stack, args: argparse.Namespace) -> None:
    async with stack.unit_of_work() as uow:
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
                    pepper=stack.settings.api_key_pepper,
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


async def keys(stack: Stack, args: argparse.Namespace) -> None:
    async with stack.unit_of_work() as uow:
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
        key = generate_key(stack.settings.api_key_pepper)
        row = accounts.add_key(uow, args.user_id, key)
        await uow.commit()
        print(f"key_id: {row.id}\napi_key: {key.secret}")
