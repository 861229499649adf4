"""Order edits: each one's plan and where it stands (pending, applied, abandoned)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import OrderEditRow


class EditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, edit_id: str) -> tuple[str, dict[str, Any]] | None:
        """(status, plan) of the edit, locked for this transaction."""
        row = await self._session.scalar(
            select(OrderEditRow).where(OrderEditRow.id == edit_id).with_for_update()
        )
        return None if row is None else (row.status, dict(row.plan))

    def add(self, edit_id: str, order_id: str, plan: dict[str, Any]) -> None:
        self._session.add(OrderEditRow(id=edit_id, order_id=order_id, status="pending", plan=plan))

    async def settle(self, edit_id: str, status: str) -> None:
        row = await self._session.get(OrderEditRow, edit_id)
        assert row is not None
        row.status = status
        await self._session.flush()
