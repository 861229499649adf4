"""The input rules of `orders-admin`'s arguments: the API's own, so a value the tool
takes is one the API would take. A bad value is a usage error (exit 2)."""

from __future__ import annotations

import re
from collections.abc import Callable

import typer

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # as api/schemas/users.py


def email(value: str) -> str:
    if len(value) > 320 or not EMAIL.match(value):
        raise typer.BadParameter(f"{value!r} is not an email address")
    return value


def identifier(prefix: str) -> Callable[[str | None], str | None]:
    def parse(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(rf"{prefix}_[A-Za-z0-9]{{6,40}}", value):
            raise typer.BadParameter(f"{value!r} is not a {prefix}_... id")
        return value

    return parse


def text(limit: int) -> Callable[[str | None], str | None]:
    def parse(value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > limit):
            raise typer.BadParameter(f"give 1 to {limit} characters")
        return value

    return parse


def identifiers(prefix: str) -> Callable[[list[str] | None], list[str] | None]:
    one = identifier(prefix)

    def parse(values: list[str] | None) -> list[str] | None:
        for value in values or []:
            one(value)
        return values

    return parse
