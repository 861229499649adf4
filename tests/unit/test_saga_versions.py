"""The saga version a run follows is read from the build id of the worker that decided
it (workflows/order/versions.py); anything else is an older worker's, decided by the
patch markers in the history."""

from __future__ import annotations

import pytest
from temporalio.common import WorkerDeploymentVersion

from worker import deployment
from workflows.order.versions import (
    DEPLOYMENT_NAME,
    NEWEST,
    NewerSaga,
    build_id,
    declared_by,
)


def test_a_worker_declares_the_newest_saga_it_knows() -> None:
    assert deployment().version is not None
    assert declared_by(deployment().version) == NEWEST
    assert declared_by(WorkerDeploymentVersion(DEPLOYMENT_NAME, build_id("0123abcd"))) == NEWEST
    assert declared_by(WorkerDeploymentVersion(DEPLOYMENT_NAME, "order-saga-2.0123abcd")) == 2


@pytest.mark.parametrize(
    "version",
    [
        None,
        # the SDK's default build id, as every worker before had it
        WorkerDeploymentVersion("", "fc1a62459b1dac4102e1e2deaf6764c9"),
        # a deployment of someone else's, or a build id of another shape
        WorkerDeploymentVersion("payments", "order-saga-4.0123abcd"),
        WorkerDeploymentVersion(DEPLOYMENT_NAME, "order-saga-4"),
        WorkerDeploymentVersion(DEPLOYMENT_NAME, "order-saga-x.0123abcd"),
        WorkerDeploymentVersion(DEPLOYMENT_NAME, "2026.12.0123abcd"),
    ],
)
def test_a_build_id_that_declares_no_saga_leaves_it_to_the_markers(
    version: WorkerDeploymentVersion | None,
) -> None:
    assert declared_by(version) is None


def test_a_saga_newer_than_this_code_is_refused() -> None:
    newer = WorkerDeploymentVersion(DEPLOYMENT_NAME, f"order-saga-{NEWEST + 1}.0123abcd")
    with pytest.raises(NewerSaga):
        declared_by(newer)
