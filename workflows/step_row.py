"""A row of the step table (workflows/steps.py): the activity a step is, where it runs,
and its policy.

Pure, and shared with the workflow sandbox like `workflows.contracts`, instead of
defined anew for every workflow instance: a dataclass defined inside the sandbox
compiles its methods again each time, about 1 ms of the worker's CPU per order
(docs/performance.md). The table itself stays workflow code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflows.contracts import SagaPolicy, StepPolicy

Handler = Callable[..., Awaitable[Any]]


class Queue(StrEnum):
    """Where a step runs. Provider calls run on the queue the order's policy names for
    their provider: the workflow's own by default, or one of the provider's own;
    database steps stay with the workflow: local activities of the worker that runs
    it (ordinary activities on its queue for orders that started before that)."""

    ORDERS = "orders"
    PAYMENT = "payment"
    CARRIER = "carrier"
    EMAIL = "email"


def _ten_minutes(_: SagaPolicy) -> float | None:
    return 600.0


@dataclass(frozen=True)
class Step:
    handler: Handler  # the activity definition: a method of its activities class
    queue: Queue
    policy: StepPolicy
    # How long the step may take in all, retries included, from the order's policy;
    # None: retried until it succeeds or is refused.
    bound: Callable[[SagaPolicy], float | None] = _ten_minutes

    @property
    def name(self) -> str:
        return self.handler.__name__
