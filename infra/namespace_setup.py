"""What every worker makes sure of on the namespace at start: the order search
attributes and the Temporal Schedules of the service."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
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
from temporalio.service import RPCError

from domain.commands import PurgeExpiredKeys
from infra.settings import Settings
from workflows.housekeeping import PurgeIdempotencyKeysWorkflow
from workflows.search_attributes import REGISTERED

log = logging.getLogger("orders.worker")

PURGE_KEYS_SCHEDULE = "purge-idempotency-keys"


def search_attribute_types() -> dict[str, IndexedValueType.ValueType]:
    """The order search attributes with their index types, as the server wants them."""
    kinds = {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    }
    return {name: kinds[kind] for name, kind in REGISTERED.items()}


async def ensure_search_attributes(client: Client) -> None:
    """Registers the order search attributes the namespace lacks (self-hosted servers;
    on Temporal Cloud add them in the namespace settings instead)."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        name: kind
        for name, kind in search_attribute_types().items()
        if name not in existing.custom_attributes
    }
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    except RPCError as error:
        log.error("could not register search attributes %s: %s", sorted(missing), error)


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
