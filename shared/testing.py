"""Test fixtures and helpers every service's tests use (a pytest plugin, see conftest.py).

Integration tests run against the real Kafka and PostgreSQL that `make test` starts. Each
test session gets its own namespace: its own databases and topics, provisioned exactly as the
platform's, so tests never see the running platform's data, and are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.bus import operator_options
from shared.consumer import Message
from shared.contracts import EventData
from shared.envelope import Envelope, new_event, parse_record, to_structured
from shared.lag import KafkaLag
from shared.outbox import OutgoingRecord
from shared.provision import deprovision, provision
from shared.settings import ServiceSettings
from shared.unit_of_work import UnitOfWork
from shared.validators import uscc_check_character


@contextlib.asynccontextmanager
async def provisioned_namespace(partitions: int = 3) -> AsyncIterator[str]:
    name = f"t{secrets.token_hex(4)}"
    await provision(name, partitions)
    yield name
    if not os.environ.get("FIRSTLOAN_KEEP_TEST_DATA"):
        await deprovision(name)


@pytest.fixture(scope="session")
async def namespace() -> AsyncIterator[str]:
    """Shared by the whole session: tests in it must not count on being alone."""
    async with provisioned_namespace() as name:
        yield name


@pytest.fixture(scope="module")
async def private_namespace() -> AsyncIterator[str]:
    """A module's own databases and topics, for tests that assert platform-wide totals."""
    async with provisioned_namespace() as name:
        yield name


@pytest.fixture(scope="session")
async def kafka_producer() -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        **operator_options(ServiceSettings(service="test").kafka_bootstrap),
        acks="all",
        enable_idempotence=True,
    )
    await producer.start()
    yield producer
    await producer.stop()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, what: str = "condition"
) -> None:
    """Wait until `check` holds; fail naming `what` if it does not `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


async def partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    async with KafkaLag(bootstrap) as lag:
        return await lag.partitions([topic])


@contextlib.asynccontextmanager
async def assigned_consumer(
    bootstrap: str, partitions: Sequence[TopicPartition], group: str | None = None
) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        **operator_options(bootstrap), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    # aiokafka's stop() right after start() re-raises the cancellation of a group task
    # that has not run yet; one turn of the loop lets it start.
    await asyncio.sleep(0)
    try:
        consumer.assign(list(partitions))
        yield consumer
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    partitions = await partitions_of(bootstrap, topic)
    async with assigned_consumer(bootstrap, partitions) as consumer:
        return dict(await consumer.end_offsets(partitions))


async def caught_up(bootstrap: str, group: str, topics: Sequence[str]) -> bool:
    """Has `group` committed every record now in `topics`?"""
    async with KafkaLag(bootstrap) as lag:
        return await lag.behind(group, await lag.partitions(topics)) == 0


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now in `topic`, partition by partition."""
    ends = await end_offsets(bootstrap, topic)
    async with assigned_consumer(bootstrap, list(ends)) as consumer:
        await consumer.seek_to_beginning()
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
        return records


async def move_group(bootstrap: str, group: str, topic: str, *, to_end: bool = False) -> None:
    """Commit `group`'s offsets on `topic` at its start (or end), as an operator would."""
    partitions = await partitions_of(bootstrap, topic)
    async with assigned_consumer(bootstrap, partitions, group) as consumer:
        if to_end:
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        await consumer.commit({p: await consumer.position(p) for p in partitions})


async def publish_event(
    producer: AIOKafkaProducer,
    topic: str,
    data: EventData,
    *,
    source: str,
    key: str,
    event_id: str | None = None,
) -> Envelope:
    """Publish `data` as a structured-mode CloudEvent, as a service or a bank would."""
    event = new_event(
        data.event_name(), source, data.model_dump(mode="json"), subject=key, event_id=event_id
    )
    value, headers = to_structured(event)
    await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    return event


def sample_uscc(serial: int, county: str = "140902", tag: str = "MA", head: str = "91") -> str:
    """A valid USCC for test data: `head` (91 an enterprise, 92 an individual business), the
    county, a two-letter tag that keeps one test's codes apart from another's, the serial."""
    body = f"{head}{county}{tag}{serial:07d}"
    return body + uscc_check_character(body)


# --- handler unit tests: no Kafka, no PostgreSQL -----------------------------------------

P = TypeVar("P", bound=EventData)
S = TypeVar("S")


class RecordedSink:
    """The outbox of a handler unit test: keeps what the unit of work flushed."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []

    async def add(self, records: Sequence[OutgoingRecord]) -> None:
        self.records.extend(records)

    def events(self, name: str | None = None) -> list[Envelope]:
        """The CloudEvents flushed so far (of one type, if named), in order."""
        parsed = [parse_record(r.value, r.headers) for r in self.records]
        events = [e for e in parsed if isinstance(e, Envelope)]
        return [e for e in events if name is None or e.name == name]


def unit_of_work_over(store: S, source: str = "urn:firstloan:test") -> UnitOfWork[S]:
    """A unit of work over an in-memory store, whose records go to a `RecordedSink`
    (`uow._sink`); topics keep their logical names."""
    return UnitOfWork(store, RecordedSink(), lambda topic: topic, source)


def recorded(uow: UnitOfWork[object]) -> RecordedSink:
    sink = uow._sink
    assert isinstance(sink, RecordedSink)
    return sink


def message(
    payload: P, *, source: str = "urn:firstloan:test", event_id: str | None = None
) -> Message[P]:
    """`payload` as the consumer would hand it to a handler."""
    envelope = new_event(
        payload.event_name(), source, payload.model_dump(mode="json"), event_id=event_id
    )
    return Message(envelope, payload)
