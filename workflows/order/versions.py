"""Which version of the saga an order follows, and how a run knows it.

A run follows the saga of the worker that first decides it (`OrderSaga._version`, at
the order's first workflow task). Workers say which saga they run in the build id of
their deployment version (`order-saga-5.<code>`, `worker.DEPLOYMENT`); Temporal records
that build id with every workflow task it completes, and gives it back on replay
(`workflow.info().get_current_deployment_version()`), so the decision replays exactly
with nothing added to the history. A worker never runs a saga newer than its own: the
task fails and goes to a worker that knows it.

Before this, each release recorded a patch marker, which cost every new order a
history event and an upsert of `TemporalChangeVersion`; orders started before it (and
by any worker without our build id) still decide by the markers their history holds.
The newest marker comes first.
"""

from __future__ import annotations

from temporalio.common import WorkerDeploymentVersion

NEWS_TOGETHER_VERSION = "order-saga-2026-12-news-together"  # news pending at once, one step
LEAN_STATUS_VERSION = "order-saga-2026-12-lean-status"  # OrderStatus only where it is looked for
SHIPMENTS_VERSION = "order-saga-2026-12-shipments"  # one parcel per location
BOUNDED_VERSION = "order-saga-2026-12-bounded"  # every failure ends in a chosen state
OUTBOX_VERSION = "order-saga-2026-12"  # one marker; emails from the outbox
EARLIER_PATCHES = frozenset(
    {
        "provider-task-queues",
        "search-attributes",
        "flag-failed-compensations",
        "poll-carrier",
        "local-database-steps",
    }
)
# Saga versions, oldest first: 0 takes the individual patches above. The next change
# of the saga is version 6, taken by `self._version() >= 6` and a new NEWEST.
INDIVIDUAL_PATCHES, OUTBOX, BOUNDED, SHIPMENTS, LEAN_STATUS, NEWS_TOGETHER = 0, 1, 2, 3, 4, 5
NEWEST = NEWS_TOGETHER
# The marker each version recorded where no worker declared one, newest first: a run
# follows the first its history holds (a new run records the newest).
MARKERS = (
    (NEWS_TOGETHER_VERSION, NEWS_TOGETHER),
    (LEAN_STATUS_VERSION, LEAN_STATUS),
    (SHIPMENTS_VERSION, SHIPMENTS),
    (BOUNDED_VERSION, BOUNDED),
    (OUTBOX_VERSION, OUTBOX),
)

DEPLOYMENT_NAME = "orders"
_BUILD_PREFIX = "order-saga-"


def build_id(code: str) -> str:
    """The build id of a worker running this code: the newest saga it knows, then which
    code (for operators: `BuildIds = 'unversioned:order-saga-5.<code>'` in the UI)."""
    return f"{_BUILD_PREFIX}{NEWEST}.{code}"


class NewerSaga(RuntimeError):
    """The order follows a saga this worker does not know: it fails the workflow task
    (not the order), and Temporal retries the task until a newer worker takes it."""


def declared_by(version: WorkerDeploymentVersion | None) -> int | None:
    """The saga version a worker declared in its build id, or None if the worker that
    completed the task declared none (an older worker, or one of another deployment)."""
    if version is None or version.deployment_name != DEPLOYMENT_NAME:
        return None
    saga, dot, _ = version.build_id.removeprefix(_BUILD_PREFIX).partition(".")
    if not (version.build_id.startswith(_BUILD_PREFIX) and dot and saga.isdigit()):
        return None
    if int(saga) > NEWEST:
        raise NewerSaga(f"this order follows saga {saga}; this worker knows up to {NEWEST}")
    return int(saga)
