"""Periodic clean-up, run by Temporal Schedules."""

from __future__ import annotations

from temporalio import activity

from activities.base import UnitOfWorkFactory
from domain.commands import KeysPurged, PurgeExpiredKeys


class HousekeepingActivities:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @activity.defn
    async def purge_expired_idempotency_keys(self, command: PurgeExpiredKeys) -> KeysPurged:
        """Expired keys are already ignored when placing orders; this keeps the table small."""
        async with self._uow() as uow:
            deleted = await uow.idempotency.purge_expired()
            await uow.commit()
        return KeysPurged(deleted)
