"""Temporal Schedules of the service, registered (once) by every worker at start."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from domain.commands import PurgeExpiredKeys
from settings import Settings
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow

PURGE_KEYS_SCHEDULE = "purge-idempotency-keys"


async def ensure_schedules(client: Client, settings: Settings) -> None:
    """Creates the schedules that do not exist yet; workers racing to do it are fine."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            PurgeIdempotencyKeysWorkflow.run,
            PurgeExpiredKeys(),
            id=PURGE_KEYS_SCHEDULE,
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(PURGE_KEYS_SCHEDULE, schedule)
    except ScheduleAlreadyRunningError:
        pass
