"""The outbox relay over the real broker: order, recovery from a producer that cannot make
progress, and the purge of rows long published."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from sqlalchemy import func, select, update

from shared import bus
from shared.bus import create_topics, delete_topics
from shared.db import create_engine, new_metadata
from shared.inbox import inbox_table
from shared.outbox import Outbox, OutboxRelay, OutgoingRecord, outbox_table
from shared.provision import drop_database, ensure_database
from shared.settings import ServiceSettings
from shared.testing import read_topic
from shared.topics import TopicSpec

pytestmark = pytest.mark.integration

metadata = new_metadata()
table = outbox_table(metadata)
inbox_table(metadata)
TOPIC = "relaytest.events"


@pytest.fixture
async def settings(namespace: str) -> AsyncIterator[ServiceSettings]:
    settings = ServiceSettings(
        service="relaytest", kafka_user="admin", namespace=f"{namespace}r{secrets.token_hex(2)}"
    )
    await create_topics(settings, [TopicSpec(TOPIC, partitions=1)])
    await ensure_database(settings)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await engine.dispose()
    yield settings
    await drop_database(settings)
    await delete_topics(settings, [settings.topic(TOPIC)])


async def test_a_producer_that_cannot_publish_is_replaced_and_nothing_is_lost(
    settings: ServiceSettings,
) -> None:
    engine = create_engine(settings)
    records = [
        OutgoingRecord(settings.topic(TOPIC), b"k", f"event {n}".encode()) for n in range(20)
    ]
    async with engine.begin() as connection:
        await Outbox(table).add(connection, records)
    made: list[str] = []

    def factory() -> AIOKafkaProducer:
        # The first producer points at a port where no broker listens: it never gets going.
        broken = not made
        made.append("broken" if broken else "good")
        unreachable = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
        return bus.new_producer(unreachable if broken else settings)

    relay = OutboxRelay(engine, table, factory, batch_size=8, stall_seconds=2)
    with pytest.raises(KafkaConnectionError):
        await relay.relay_once()
    await relay._drop_producer()
    while await relay.relay_once():
        pass
    await relay._drop_producer()
    assert made == ["broken", "good"]
    assert await relay.pending() == 0
    published = await read_topic(settings.kafka_bootstrap, settings.topic(TOPIC))
    assert [r.value for r in published] == [r.value for r in records]

    # Rows published long ago are purged; recent ones stay.
    async with engine.begin() as connection:
        await connection.execute(
            update(table)
            .where(table.c.id <= 5)
            .values(published_at=func.now() - timedelta(days=30))
        )
    assert await relay.purge() == 5
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(table)) == 15
    await engine.dispose()
