"""The worker's connection pool is sized from the slots it serves, and a step waits for
a connection less long than its own attempt may take."""

from __future__ import annotations

from datetime import timedelta

from infra.bootstrap import Bootstrap
from infra.settings import Settings
from worker import steps_engine
from workflows.steps import STEPS, Queue


async def test_the_pool_has_a_connection_per_database_step_slot_and_waits_less_than_a_step() -> (
    None
):
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none",
        worker_database_connections=7,
        database_pool_timeout=timedelta(seconds=4),
    )
    async with Bootstrap(settings) as boot:
        engine = steps_engine(boot)
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        waits = engine.pool._timeout  # type: ignore[attr-defined]

    database_steps = [step for step in STEPS if step.queue is Queue.ORDERS]
    assert waits == 4
    assert all(waits < step.policy.start_to_close_seconds for step in database_steps)
    assert Settings().database_pool_timeout < timedelta(
        seconds=min(step.policy.start_to_close_seconds for step in database_steps)
    )
