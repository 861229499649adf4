"""What every `orders-admin` command shares: the settings of the stack it acts on, the
services it acts through, how it prints, and the exit code each failure ends with."""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from domain.errors import DomainError
from domain.users import Caller, Role, Tier
from infra import local_stack
from infra.bootstrap import BadSetting, Bootstrap, unreachable_dependency
from infra.settings import Settings, refused_settings
from services.refusals import refusal_of
from services.wiring import Services

T = TypeVar("T")


class Exit(IntEnum):
    """The exit codes of `orders-admin`, for scripts (docs/operations.md lists them)."""

    OK = 0
    VIOLATIONS = 1  # `check` found the books out of balance
    USAGE = 2  # a bad command line or setting
    NOT_FOUND = 3  # no such order, user, key...
    REFUSED = 4  # a business rule said no: not cancellable, email taken...
    UNREACHABLE = 5  # the database or Temporal cannot be reached


@dataclasses.dataclass(frozen=True)
class Session:
    settings: Settings
    json: bool  # print JSON documents instead of tables and lines


def settings_for(database_url: str | None) -> Settings:
    """The settings of the stack to act on, leaving the environment as it is:
    --database-url, else DATABASE_URL, else the `make dev` stack of this checkout
    (for every address the environment does not name itself). A refused setting ends
    the command with a line each, as a bad command line does."""
    try:
        return _settings_for(database_url)
    except ValidationError as error:
        for line in refused_settings(error):
            print(f"orders-admin: {line}", file=sys.stderr)
        raise typer.Exit(Exit.USAGE) from None


def _settings_for(database_url: str | None) -> Settings:
    if database_url:
        return Settings(database_url=database_url)
    if os.environ.get("DATABASE_URL"):
        return Settings()
    found = {
        name.removeprefix("ORDERS_").lower(): value
        for name, value in local_stack.read().items()
        if not os.environ.get(name)
    }
    return Settings().model_copy(update=found)


def operator(user_id: str | None = None) -> Caller:
    """Who acts, for the timeline: the shell user, marked as coming from this tool
    (or the user id given), with the rights of an admin."""
    acting = user_id or f"orders-admin:{getpass.getuser()}"
    return Caller(acting, Role.ADMIN, Tier.STANDARD, "")


def run(ctx: typer.Context, work: Callable[[Services], Awaitable[T]]) -> T:
    """Runs one command's work against the services, and ends the process with the
    exit code of whatever failed, on one line of stderr."""
    session: Session = ctx.obj
    return outcome_of(session.settings, lambda: _with_services(session.settings, work))


def outcome_of(settings: Settings, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except DomainError as refused:
        not_found = refusal_of(refused).status == 404
        fail(str(refused), Exit.NOT_FOUND if not_found else Exit.REFUSED)
    except BadSetting as bad:
        fail(f"{bad} (--database-url)", Exit.USAGE)
    except Exception as error:
        dependency = unreachable_dependency(error)
        if dependency == "database":
            where = settings.database_url.rsplit("@", 1)[-1]
            fail(
                f"cannot reach the database ({where}): {_first_line(error)}; run `make dev` in "
                "this checkout, or give --database-url",
                Exit.UNREACHABLE,
            )
        if dependency == "temporal":
            fail(f"cannot reach Temporal at {settings.temporal_address}", Exit.UNREACHABLE)
        raise


async def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    async with Bootstrap(settings) as boot:
        # Temporal is reached only by the commands that steer an order.
        return await work(await Services.build(boot, lazy_temporal=True))


def fail(message: str, code: Exit) -> NoReturn:
    print(f"orders-admin: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _first_line(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


# -- output ---------------------------------------------------------------------------


def emit(ctx: typer.Context, document: Any, text: str) -> None:
    """Prints `text`, or with --json the document (dataclasses, lists, dicts)."""
    session: Session = ctx.obj
    print(as_json(document) if session.json else text)


def as_json(document: Any) -> str:
    return json.dumps(_plain(document), indent=2, default=_scalar)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> str:
    """Columns aligned on their widest cell, nothing cut short: ids stay whole."""
    if not rows:
        return empty
    cells = [[str(h) for h in headers], *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)
