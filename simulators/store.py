"""Durable state of a simulator: JSON documents by kind and key in one SQLite file.

A real provider forgets nothing when it restarts, so neither may its stand-in: a
crash test of the order service means something only if the payment provider still
knows its authorizations and the carrier its shipments afterwards. Every write is
committed before the reply goes out; WAL keeps that cheap and survives SIGKILL.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ref TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS documents_by_ref ON documents (kind, ref);
"""


def default_path(name: str) -> Path | None:
    """`SIMULATOR_STATE_DIR/<name>.sqlite3`, or None (memory only) when it is unset."""
    folder = os.environ.get("SIMULATOR_STATE_DIR")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{name}.sqlite3"


class Store:
    """Documents keyed by (kind, key), kept in the order they were first written."""

    def __init__(self, path: Path | None) -> None:
        self._db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=wal")
        self._db.execute("PRAGMA synchronous=normal")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside the block land together or not at all. The block must not
        await anything: the connection is shared by every request of the process."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def put(self, kind: str, key: str, body: dict[str, Any], ref: str | None = None) -> None:
        """Writes the document; a rewrite keeps its place in the order."""
        self._db.execute(
            "INSERT INTO documents (kind, key, ref, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body, ref = excluded.ref",
            (kind, key, ref, json.dumps(body)),
        )

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT body FROM documents WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return _load(row[0]) if row else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT body FROM documents WHERE kind = ? ORDER BY rowid", (kind,)
        ).fetchall()
        return [_load(body) for (body,) in rows]

    def by_ref(self, kind: str, ref: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT body FROM documents WHERE kind = ? AND ref = ? ORDER BY rowid", (kind, ref)
        ).fetchall()
        return [_load(body) for (body,) in rows]

    def count(self, kind: str) -> int:
        row = self._db.execute("SELECT count(*) FROM documents WHERE kind = ?", (kind,)).fetchone()
        return int(row[0])

    def clear(self) -> None:
        self._db.execute("DELETE FROM documents")


def _load(body: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(body)
    return loaded
