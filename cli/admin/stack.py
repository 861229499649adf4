"""What a command of `orders-admin` acts on: the settings, the database, the reads."""

from __future__ import annotations

import getpass

from db.engine import make_engine, make_session_factory
from db.order_reads import OrderReads
from db.unit_of_work import UnitOfWork
from infra.settings import Settings


class Refused(Exception):
    """What the operator asked cannot be done; the message says why, in one line."""


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.reads = OrderReads(self.sessions)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


def operator() -> str:
    """Who acts, for the timeline: the shell user, marked as coming from this tool."""
    return f"orders-admin:{getpass.getuser()}"
